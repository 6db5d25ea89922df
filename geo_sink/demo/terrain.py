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


def elevation(grid: Grid, seed: int, gullies=()) -> np.ndarray:
    """Elevation in metres (float32) on ``grid``.

    ``gullies``: (LineString in EPSG:4326, depth m, half-width m) cut into the surface with a
    parabolic cross-section (walls steepest at the thalweg: 2 x depth / half-width).
    """
    lon, lat = pixel_lonlat(grid, 0, grid.height, step=8)
    box = (float(lon.min()) - 0.1, float(lat.min()) - 0.1, float(lon.max()) + 0.1, float(lat.max()) + 0.1)
    # basin axis runs SW-NE through (112.6, 39.35) - (113.3, 39.8)
    d_axis = ((lat - 39.35) - (lon - 112.6) * (0.45 / 0.7)) / np.hypot(1, 0.45 / 0.7)
    z = 1050.0 + 260.0 * np.clip(d_axis / 0.3, 0, None) ** 1.2          # north-west uplands
    # 恒山 along the south-east edge: rising over ~10 km from the basin floor
    rise = 1.0 / (1.0 + np.exp(-(-d_axis - 0.2) / 0.03))
    z += 950.0 * np.exp(-np.clip(-d_axis - 0.25, 0, None) ** 2 / 0.015) * rise
    for i, (step, amp) in enumerate(((0.2, 120.0), (0.05, 45.0), (0.012, 14.0))):
        z += LonLatField((seed, 20 + i), box, step, amp)(lon, lat)
    for line, depth, half in gullies:
        z -= _gully(grid, line, depth, half)
    return z.astype(np.float32)


def _gully(grid: Grid, line, depth: float, half: float) -> np.ndarray:
    """Depth (m) a gully along ``line`` (EPSG:4326) takes off each cell: ``depth (1 - d/half)^2``
    within ``half`` metres of the line."""
    import geopandas as gpd
    import shapely

    g = gpd.GeoSeries([line], crs=4326).to_crs(grid.crs).iloc[0]
    out = np.zeros((grid.height, grid.width), dtype=np.float64)
    x0, y0, x1, y1 = g.buffer(half).bounds
    t = grid.transform
    c0, c1 = max(0, int((x0 - t.c) / t.a)), min(grid.width, int((x1 - t.c) / t.a) + 1)
    r0, r1 = max(0, int((y1 - t.f) / t.e)), min(grid.height, int((y0 - t.f) / t.e) + 1)
    if c1 <= c0 or r1 <= r0:
        return out
    xs = t.c + (np.arange(c0, c1) + 0.5) * t.a
    ys = t.f + (np.arange(r0, r1) + 0.5) * t.e
    X, Y = np.meshgrid(xs, ys)
    d = shapely.distance(shapely.points(X.ravel(), Y.ravel()), g).reshape(X.shape)
    out[r0:r1, c0:c1] = depth * np.clip(1.0 - d / half, 0.0, None) ** 2
    return out
