"""Synthetic DEM for 朔州市 (**synthetic demo data**): plausible relief, not survey heights.

The Sanggan river basin (~1000-1100 m) in the middle, the loess hills of 平鲁/右玉 rising to
~1500 m in the north-west and the 恒山 range (~2000 m) along the south-east edge, with fractal
detail from smooth random fields.
"""

from __future__ import annotations

import numpy as np

from geo_sink.demo.fields import LonLatField
from geo_sink.demo.landcover import pixel_lonlat
from geo_sink.grid import Grid


def elevation(grid: Grid, seed: int) -> np.ndarray:
    """Elevation in metres (float32) on ``grid``."""
    lon, lat = pixel_lonlat(grid, 0, grid.height, step=8)
    box = (float(lon.min()) - 0.1, float(lat.min()) - 0.1, float(lon.max()) + 0.1, float(lat.max()) + 0.1)
    # basin axis runs SW-NE through (112.6, 39.35) - (113.3, 39.8)
    d_axis = ((lat - 39.35) - (lon - 112.6) * (0.45 / 0.7)) / np.hypot(1, 0.45 / 0.7)
    z = 1050.0 + 260.0 * np.clip(d_axis / 0.3, 0, None) ** 1.2          # north-west uplands
    z += 950.0 * np.exp(-np.clip(-d_axis - 0.25, 0, None) ** 2 / 0.015) * (d_axis < -0.2)  # Hengshan
    for i, (step, amp) in enumerate(((0.2, 120.0), (0.05, 45.0), (0.012, 14.0))):
        z += LonLatField((seed, 20 + i), box, step, amp)(lon, lat)
    return z.astype(np.float32)
