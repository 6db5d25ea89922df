"""Zonal sums and means of a continuous raster (e.g. growing stock in m^3/ha, FVC) with exact
coverage fractions and true cell areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.errors import InputDataError
from geo_sink.io.rasters import default_block_rows, iter_row_blocks, raster_info
from geo_sink.zonal.areas import is_array_source, zone_labels, zones_on_grid
from geo_sink.zonal.engine import DensityAccumulator  # noqa: F401 - part of this module's API
from geo_sink.zonal.zones import cached_zone_index


def zonal_density_sum(raster, zones, *, per_area_unit_m2: float = 1e4, crs: str | None = None,
                      cache=True, client=None) -> pd.DataFrame:
    """Integrate a per-area quantity over each zone.

    Parameters
    ----------
    raster : path-like, xarray.DataArray, or (array, Grid)
        Values per area (e.g. m^3/ha); nodata (and NaN) pixels, and those the band's GDAL mask
        masks, are skipped and reported.  A DataArray (with a CRS and a north-up grid, in memory
        or dask-backed) is streamed block by block as a file is (:mod:`geo_sink.dataarrays`).
    zones : GeoDataFrame with ``zone_id, zone_name``
    per_area_unit_m2 : float
        Area unit of the values in m^2 (1e4 for "per hectare").
    client : dask.distributed.Client, optional
        Compute row bands of a raster file on its workers; same result (a DataArray is
        streamed in this process).

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, total`` (value x area, e.g. m^3), ``valid_km2`` (area with data),
        ``nodata_km2``, ``mean`` (area-weighted mean over valid pixels).
    """
    pair = isinstance(raster, tuple)
    if pair:
        array, grid = raster
        nd, dtype, masked = None, array.dtype, False
    else:
        info = raster_info(raster, crs=crs)
        raster = info.path
        grid, nd, dtype, masked = info.grid, info.nodata, info.dtype, info.has_mask
    if not np.issubdtype(np.dtype(dtype), np.number):
        raise InputDataError(f"{raster}: values must be numeric")
    geo = zones_on_grid(zones, grid)
    index, _, ifile = cached_zone_index(geo.values, grid, cache=cache, labels=zone_labels(zones))
    area = grid.row_cell_area_m2()
    r0, r1 = index.row_range()
    c0, c1 = index.col_range()
    if not pair and client is not None and r1 > r0 and not is_array_source(info):
        from geo_sink.zonal.distributed import distributed_density
        total, valid, nod = distributed_density(
            client, info.path, index, area, (r0, r1), (c0, c1), default_block_rows(info, c1 - c0), nd,
            index_file=ifile if ifile is not None and ifile.is_dir() else None, masks=masked)
    else:
        acc = DensityAccumulator(index, area, col_offset=c0, nodata=nd)
        if r1 <= r0:
            blocks = []
        elif pair:
            step = max(1, 4_000_000 // max(1, c1 - c0))
            blocks = ((s, array[s:min(r1, s + step), c0:c1], None) for s in range(r0, r1, step))
        else:   # masked cells (the band's GDAL mask, when it has one) count as nodata
            blocks = iter_row_blocks(info.path, (r0, r1), (c0, c1), default_block_rows(info, c1 - c0), reuse=True,
                                     masks=True)
        for row0, block, mask in blocks:
            acc.add(block, row0, mask)
        total, valid, nod = acc.sums()
    out = pd.DataFrame({"zone_id": zones["zone_id"].to_numpy(), "zone_name": zones["zone_name"].to_numpy(),
                        "total": total / per_area_unit_m2, "valid_km2": valid / 1e6, "nodata_km2": nod / 1e6})
    out["mean"] = np.where(valid > 0, total / np.where(valid > 0, valid, 1.0), np.nan)
    return out
