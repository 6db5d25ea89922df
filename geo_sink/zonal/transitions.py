"""Land-cover transition matrices per zone (km^2 from-class x to-class) between two maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_sink.catalog.models import Legend
from geo_sink.errors import InputDataError
from geo_sink.io.rasters import default_block_rows, pair_blocks, raster_info, take_sample
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


@dataclass
class TransitionPass:
    """What one pass over two maps gives.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`TRANSITION_COLUMNS` (:func:`transition_areas`).
    from_m2, to_m2 : ndarray or None
        (zones x 256) m^2 of each code of the first and of the second map: the transition
        matrix's marginals, each map's class areas as :func:`geo_sink.zonal.class_areas` sums
        them (:func:`geo_sink.zonal.areas.class_areas_from_m2`); None for a map with a GDAL
        mask, whose masked cells the pass counted under a nodata code.
    from_sample, to_sample : ndarray or None
        Each map's cells at the ``sample`` positions asked for (a display sample: the report's
        overlay), taken from the blocks the pass read; None when not asked for, for a map with
        a GDAL mask, or when some position lies outside the rows and columns the pass reads
        (those of the zones).
    """

    table: pd.DataFrame
    from_m2: np.ndarray | None
    to_m2: np.ndarray | None
    from_sample: np.ndarray | None = None
    to_sample: np.ndarray | None = None


def transition_areas(raster_from, raster_to, zones, legend_from: Legend, legend_to: Legend,
                     *, crs: str | None = None, cache=True, client=None) -> pd.DataFrame:
    """Area (km^2) of every (from-code, to-code) pair in each zone (the table of
    :func:`transition_pass`).

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
    return transition_pass(raster_from, raster_to, zones, legend_from, legend_to, crs=crs, cache=cache,
                           client=client).table


def transition_pass(raster_from, raster_to, zones, legend_from: Legend, legend_to: Legend,
                    *, crs: str | None = None, cache=True, client=None, sample=None) -> TransitionPass:
    """:func:`transition_areas`, with each map's class areas summed from the same pass and, when
    ``sample`` gives (grid rows, grid columns) (sorted; e.g.
    :meth:`geo_sink.io.display.OverlayPlan.sample_positions`), each map's cells there."""
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
        taken = (None, None)
        z, pair, m2 = distributed_transitions(client, a.path, b.path, index, row_area, (r0, r1), (c0, c1), rows,
                                              index_file=ifile if ifile is not None and ifile.is_dir() else None,
                                              fills=fills)
    else:
        acc = ClassAreaAccumulator(index, row_area, col_offset=c0)
        srows, scols, taken = _sample_buffers(sample, (r0, r1), (c0, c1), fills)
        if r1 > r0:
            for row0, block_from, block_to in pair_blocks(a.path, b.path, (r0, r1), (c0, c1), rows, fills=fills):
                acc.add(block_from, row0, block_to)
                for out, block in zip(taken, (block_from, block_to)):
                    if out is not None:
                        take_sample(out, srows, scols, block, row0)
        z, pair, m2 = acc.nonzero_m2()
    f, t = pair >> 8, pair & 255

    def names(legend, codes):
        by = legend.by_code()
        nd = set(legend.nodata)
        cls = [by[c].name if c in by else ("(nodata)" if c in nd else "(not in legend)") for c in codes.tolist()]
        eco = [by[c].ecosystem if c in by else ("nodata" if c in nd else "unknown") for c in codes.tolist()]
        return cls, eco

    fc, fe = names(legend_from, f)
    tc, te = names(legend_to, t)
    table = pd.DataFrame({
        "zone_id": zones["zone_id"].to_numpy()[z], "zone_name": zones["zone_name"].to_numpy()[z],
        "from_code": f, "from_class": fc, "from_ecosystem": fe,
        "to_code": t, "to_class": tc, "to_ecosystem": te, "area_km2": m2 / 1e6,
    }, columns=TRANSITION_COLUMNS)
    n = len(zones)

    def marginal(codes, fill):
        if fill is not None:
            return None
        return np.bincount(z.astype(np.int64) * 256 + codes, weights=m2, minlength=n * 256).reshape(n, 256)

    return TransitionPass(table, marginal(f, fills[0]), marginal(t, fills[1]), *taken)


def _sample_buffers(sample, rows: tuple[int, int], cols: tuple[int, int], fills: tuple):
    """(grid rows, block columns, an empty array for each map's sample or None): None for every
    map when there is no sample or it reaches beyond the rows and columns a pass reads, and for
    a map with a GDAL mask (its blocks hold the nodata code where masked, not what a read of it
    gives)."""
    none = (None, None, (None, None))
    if sample is None:
        return none
    sr, sc = (np.asarray(x, dtype=np.int64) for x in sample)
    if not (len(sr) and len(sc) and rows[0] <= sr.min() and sr.max() < rows[1]
            and cols[0] <= sc.min() and sc.max() < cols[1]) or np.any(np.diff(sr) < 0):
        return none
    return sr, sc - cols[0], tuple(np.empty((len(sr), len(sc)), np.uint8) if fill is None else None
                                   for fill in fills)
