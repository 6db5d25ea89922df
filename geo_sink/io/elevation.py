"""The coarse global elevation grid that ships with pvlib, read for a study area.

pvlib bundles ``data/Altitude.h5``: a 1/12 degree (about 7 x 9 km in North China) global grid
of terrain heights aggregated by Mapzen from SRTM, GMTED2010, ETOPO1 and national DEMs,
stored as uint8 in 28 m steps from -450 m (255 = no data).  geo-sink uses it for what such a
grid can carry: a county's *mean* elevation, which moves a station's temperature to the
county for the IPCC climate-zone rule.  It is no DEM for slopes.

References
----------
.. [1] pvlib.location.lookup_altitude (pvlib-python 0.10+), data from the Mapzen terrain
   tiles (https://github.com/tilezen/joerd/blob/master/docs/data-sources.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
from affine import Affine

from geo_sink.errors import MissingInputError
from geo_sink.grid import Grid

#: Cells per degree of the bundled grid.
CELLS_PER_DEG = 12
STEP_M, OFFSET_M, NODATA = 28.0, -450.0, 255


def altitude_file() -> Path:
    """Path of pvlib's bundled altitude grid (found without importing pvlib, whose import pulls
    in scipy: ~0.5 s of a run that only needs this file)."""
    import importlib.util

    spec = importlib.util.find_spec("pvlib")
    if spec is None or not spec.submodule_search_locations:
        raise MissingInputError("pvlib is not installed: its bundled altitude grid (data/Altitude.h5) is needed")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "Altitude.h5"
    if not path.is_file():
        raise MissingInputError(f"{path}: pvlib's altitude grid is missing (pvlib >= 0.10 ships it)")
    return path


def altitude_window(bounds_lonlat, pad_deg: float = 0.25, path: Path | None = None) -> tuple[np.ndarray, Grid]:
    """Elevation (m, float64, NaN for no data) and its WGS 84 grid over a lon/lat box.

    Parameters
    ----------
    bounds_lonlat : (west, south, east, north) in degrees
    pad_deg : float
        Margin added on every side (deg).
    path : path, optional
        The HDF5 file (default: pvlib's).
    """
    import h5py

    res = 1.0 / CELLS_PER_DEG
    w, s, e, n = bounds_lonlat
    c0 = max(0, int(np.floor((w - pad_deg + 180.0) / res)))
    c1 = min(360 * CELLS_PER_DEG, int(np.ceil((e + pad_deg + 180.0) / res)))
    r0 = max(0, int(np.floor((90.0 - n - pad_deg) / res)))
    r1 = min(180 * CELLS_PER_DEG, int(np.ceil((90.0 - s + pad_deg) / res)))
    with h5py.File(path or altitude_file(), "r") as f:
        raw = f["Altitude"][r0:r1, c0:c1]
    arr = raw.astype(np.float64) * STEP_M + OFFSET_M
    arr[raw == NODATA] = np.nan
    grid = Grid(c1 - c0, r1 - r0, Affine(res, 0.0, -180.0 + c0 * res, 0.0, -res, 90.0 - r0 * res),
                pyproj.CRS.from_epsg(4326))
    return arr, grid
