"""Land-cover transition matrices per zone (km^2 from-class x to-class) between two maps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.catalog.models import Legend
from geo_sink.errors import InputDataError
from geo_sink.io.rasters import default_block_rows, pair_blocks, raster_info
from geo_sink.zonal.areas import is_array_source, zone_labels, zones_on_grid
from geo_sink.zonal.engine import ClassAreaAccumulator
from geo_sink.zonal.zones import cached_zone_index

TRANSITION_COLUMNS = ["zone_id", "zone_name", "from_code", "from_class", "from_ecosystem",
                      "to_code", "to_class", "to_ecosystem", "area_km2"]


def _mask_fill(info, legend: Legend) -> int | None:
    """The code a map's GDAL-masked cells are counted under: its legend's first nodata code."""
    if not info.has_mask:
        return None
    if not legend.nodata:
        raise InputDataError(f"{info.path}: the band has a GDAL mask, but legend {legend.id!r} defines "
                             "no nodata code to count the masked cells under; add one to the legend")
    return int(sorted(legend.nodata)[0])


def transition_areas(raster_from, raster_to, zones, legend_from: Legend, legend_to: Legend,
                     *, crs: str | None = None, cache=True, client=None) -> pd.DataFrame:
    """Area (km^2) of every (from-code, to-code) pair in each zone.

    The rasters are files or DataArrays (:func:`geo_sink.zonal.class_areas`), in any mix.  Both
    must share one grid (same CRS, transform and size) and hold codes below 256;
    the pair is streamed as ``from * 256 + to`` through the exact zonal engine, so boundary
    pixels count with their covered fraction and every row of a zone sums to the zone's area on
    the grid.  Pairs with nodata on either side are kept with code names '(nodata)'; cells a
    map's GDAL mask masks count under its legend's (first) nodata code.

    ``client`` (a dask.distributed Client) computes row bands of two files on its workers; same
    result (DataArrays are streamed in this process).

    Returns
    -------
    DataFrame with :data:`TRANSITION_COLUMNS` (rows with area > 0).
    """
    a = raster_info(raster_from, crs=crs, categorical=True)
    b = raster_info(raster_to, crs=crs, categorical=True)
    raster_from, raster_to = a.path, b.path      # DataArrays: ArrayRasters named by their labels
    if a.grid.fingerprint() != b.grid.fingerprint():
        raise InputDataError(f"{raster_to}: transitions need both maps on one grid; it differs from "
                             f"{raster_from} (size {b.grid.width}x{b.grid.height} vs "
                             f"{a.grid.width}x{a.grid.height}, or transform/CRS); resample one first")
    for info in (a, b):
        if np.dtype(info.dtype) != np.uint8:
            raise InputDataError(f"{info.path}: transitions support 8-bit land-cover codes, got {info.dtype}"
                                 + (" (cast the DataArray with .astype('uint8'))" if is_array_source(info) else ""))
    grid = a.grid
    fills = (_mask_fill(a, legend_from), _mask_fill(b, legend_to))
    geo = zones_on_grid(zones, grid)
    index, _, ifile = cached_zone_index(geo.values, grid, cache=cache, labels=zone_labels(zones))
    r0, r1 = index.row_range()
    c0, c1 = index.col_range()
    row_area = grid.row_cell_area_m2()
    rows = default_block_rows(a, c1 - c0, target_cells=2_000_000)
    if client is not None and r1 > r0 and not (is_array_source(a) or is_array_source(b)):
        from geo_sink.zonal.distributed import distributed_transitions
        m = distributed_transitions(client, a.path, b.path, index, row_area, (r0, r1), (c0, c1), rows,
                                    index_file=ifile if ifile is not None and ifile.is_dir() else None,
                                    fills=fills)
    else:
        acc = ClassAreaAccumulator(index, row_area, col_offset=c0)
        acc.reserve(65536)
        if r1 > r0:
            for row0, pairs in pair_blocks(a.path, b.path, (r0, r1), (c0, c1), rows, fills=fills):
                acc.add(pairs, row0)
        m = acc.result_m2()
    z, pair = np.nonzero(m > 0)
    f, t = pair >> 8, pair & 255

    def names(legend, codes):
        by = legend.by_code()
        nd = set(legend.nodata)
        cls = [by[c].name if c in by else ("(nodata)" if c in nd else "(not in legend)") for c in codes.tolist()]
        eco = [by[c].ecosystem if c in by else ("nodata" if c in nd else "unknown") for c in codes.tolist()]
        return cls, eco

    fc, fe = names(legend_from, f)
    tc, te = names(legend_to, t)
    return pd.DataFrame({
        "zone_id": zones["zone_id"].to_numpy()[z], "zone_name": zones["zone_name"].to_numpy()[z],
        "from_code": f, "from_class": fc, "from_ecosystem": fe,
        "to_code": t, "to_class": tc, "to_ecosystem": te, "area_km2": m[z, pair] / 1e6,
    }, columns=TRANSITION_COLUMNS)
