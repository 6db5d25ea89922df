"""Zonal sums and means of a continuous raster (e.g. growing stock in m^3/ha, FVC) with exact
coverage fractions and true cell areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.errors import InputDataError
from geo_sink.io.rasters import default_block_rows, iter_row_blocks, raster_info
from geo_sink.zonal.areas import zones_on_grid
from geo_sink.zonal.zones import zone_index


def zonal_density_sum(raster, zones, *, per_area_unit_m2: float = 1e4, crs: str | None = None,
                      cache=True) -> pd.DataFrame:
    """Integrate a per-area quantity over each zone.

    Parameters
    ----------
    raster : path-like, or (array, Grid)
        Values per area (e.g. m^3/ha); nodata (and NaN) pixels are skipped and reported.
    zones : GeoDataFrame with ``zone_id, zone_name``
    per_area_unit_m2 : float
        Area unit of the values in m^2 (1e4 for "per hectare").

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, total`` (value x area, e.g. m^3), ``valid_km2`` (area with data),
        ``nodata_km2``, ``mean`` (area-weighted mean over valid pixels).
    """
    if isinstance(raster, tuple):
        array, grid = raster
        nd, dtype = None, array.dtype
    else:
        info = raster_info(raster, crs=crs)
        grid, nd, dtype = info.grid, info.nodata, info.dtype
    if not np.issubdtype(np.dtype(dtype), np.number):
        raise InputDataError(f"{raster}: values must be numeric")
    geo = zones_on_grid(zones, grid)
    index, _ = zone_index(geo.values, grid, cache=cache)
    area = grid.row_cell_area_m2()
    n = index.n_zones
    total, valid, nod = np.zeros(n), np.zeros(n), np.zeros(n)
    r0, r1 = index.row_range()
    c0, c1 = index.col_range()
    order = np.argsort(index.run_row, kind="stable")
    rr, a0, a1, zz = (x[order] for x in (index.run_row, index.run_c0, index.run_c1, index.run_zone))
    if r1 <= r0:
        blocks = []
    elif isinstance(raster, tuple):
        step = max(1, 4_000_000 // max(1, c1 - c0))
        blocks = ((s, array[s:min(r1, s + step), c0:c1]) for s in range(r0, r1, step))
    else:
        blocks = iter_row_blocks(info.path, (r0, r1), (c0, c1), default_block_rows(info, c1 - c0))
    for row0, block in blocks:
        block = block.astype(np.float64)
        ok = np.isfinite(block) if nd is None or np.isnan(nd) else (block != nd) & np.isfinite(block)
        vals = np.where(ok, block, 0.0)
        lo, hi = np.searchsorted(rr, np.array([row0, row0 + block.shape[0]], dtype=rr.dtype))
        csum = np.concatenate([np.zeros((block.shape[0], 1)), np.cumsum(vals, axis=1)], axis=1)
        cok = np.concatenate([np.zeros((block.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
        r = rr[lo:hi] - row0
        s, e = a0[lo:hi] - c0, a1[lo:hi] - c0
        w = area[rr[lo:hi]]
        np.add.at(total, zz[lo:hi], (csum[r, e] - csum[r, s]) * w)
        nvalid = cok[r, e] - cok[r, s]
        np.add.at(valid, zz[lo:hi], nvalid * w)
        np.add.at(nod, zz[lo:hi], ((e - s) - nvalid) * w)
        blo, bhi = np.searchsorted(index.b_row, np.array([row0, row0 + block.shape[0]], dtype=index.b_row.dtype))
        br = index.b_row[blo:bhi]
        bw = index.b_frac[blo:bhi] * area[br]
        bv = vals[br - row0, index.b_col[blo:bhi] - c0]
        bok = ok[br - row0, index.b_col[blo:bhi] - c0]
        np.add.at(total, index.b_zone[blo:bhi], bv * bw)
        np.add.at(valid, index.b_zone[blo:bhi], bok * bw)
        np.add.at(nod, index.b_zone[blo:bhi], (~bok) * bw)
    out = pd.DataFrame({"zone_id": zones["zone_id"].to_numpy(), "zone_name": zones["zone_name"].to_numpy(),
                        "total": total / per_area_unit_m2, "valid_km2": valid / 1e6, "nodata_km2": nod / 1e6})
    out["mean"] = np.where(valid > 0, total / np.where(valid > 0, valid, 1.0), np.nan)
    return out
