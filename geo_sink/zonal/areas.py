"""Per-zone land-cover class areas in km^2 (the tidy table every analysis starts from)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_sink.catalog.models import Legend
from geo_sink.errors import CRSError, InputDataError
from geo_sink.geodesy import geodesic_area
from geo_sink.grid import Grid
from geo_sink.io.rasters import MAX_CODE, default_block_rows, iter_code_blocks, raster_info, warn_crs_note
from geo_sink.zonal.engine import ClassAreaAccumulator
from geo_sink.zonal.zones import cached_zone_index

AREA_COLUMNS = ["zone_id", "zone_name", "class_code", "class_name", "ecosystem", "area_km2"]
SUMMARY_COLUMNS = ["zone_id", "zone_name", "zone_area_km2", "covered_km2", "unknown_km2",
                   "nodata_km2", "outside_km2", "closure_pct"]
UNKNOWN = "(not in legend)"


class UnknownCodeWarning(UserWarning):
    """Raster codes that the legend does not define were found (and kept, as 'unknown')."""


class PartialOverlapWarning(UserWarning):
    """Some zones lie partly or wholly outside the raster."""


@dataclass
class ZonalResult:
    """Class areas and the per-zone account of every km^2.

    Attributes
    ----------
    areas : pandas.DataFrame
        Tidy: ``zone_id, zone_name, class_code, class_name, ecosystem, area_km2`` (rows with
        area > 0; codes not in the legend appear with class_name '(not in legend)' and
        ecosystem 'unknown').
    summary : pandas.DataFrame
        Per zone: ``zone_area_km2`` (geodesic; on an equal-area grid the polygon's area in its
        CRS); ``covered_km2`` (known classes), ``unknown_km2`` (codes not in the legend),
        ``nodata_km2`` (nodata codes, cells the band's GDAL mask masks, and a nodata value outside
        0..65535 such as -999), ``outside_km2`` (part of the zone beyond the raster's extent) and
        ``closure_pct`` = 100 * (sum of the four - zone area) / zone area (0 for a zone of area
        0).
    unknown_codes : pandas.DataFrame
        ``class_code, pixels, area_km2`` of codes missing from the legend.
    notes : list of str
        What was assumed (CRS decisions, cache use), for provenance.
    """

    areas: pd.DataFrame
    summary: pd.DataFrame
    unknown_codes: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def zone_geodesic_area_km2(zones: gpd.GeoDataFrame) -> np.ndarray:
    """Geodesic area (km^2) of each zone on the WGS 84 ellipsoid."""
    from geo_sink.zonal.zones import _to_lonlat

    return geodesic_area(_to_lonlat(zones.geometry.values, zones.crs), "EPSG:4326") / 1e6


def _seg_len(crs) -> float:
    unit = pyproj.CRS(crs).axis_info[0].unit_conversion_factor or 1.0
    return 1000.0 / unit  # 1 km in layer units


def zones_on_grid(zones: gpd.GeoDataFrame, grid: Grid) -> gpd.GeoSeries:
    """Zone geometries reprojected explicitly to the grid's CRS (densified first).

    In the grid's CRS the geometries are returned as given: the zone index repairs what is
    invalid and warns naming the zone (:func:`geo_sink.zonal.zones.prepare_zones`).  Before a
    reprojection, invalid geometries and GeometryCollections are repaired here (the same repair
    and warning), since densifying an invalid polygon (GEOS) silently keeps only part of it (one
    lobe of a bow-tie); what the projection itself makes invalid the index repairs."""
    if zones.crs is None:
        raise CRSError("the zones have no CRS")
    zcrs = pyproj.CRS(zones.crs)
    if zcrs.equals(grid.crs, ignore_axis_order=True):
        return zones.geometry
    geoms = np.asarray(zones.geometry.values, dtype=object)
    ok = np.isin(shapely.get_type_id(geoms), (3, 6)) & shapely.is_valid(geoms)
    if not ok.all():
        geoms = _repair_before_reprojection(geoms, ~ok, zone_labels(zones))
        ok = shapely.is_valid(geoms)
    seg = 0.01 if zcrs.is_geographic else _seg_len(zcrs)
    dense = geoms.copy()
    dense[ok] = shapely.segmentize(geoms[ok], seg)   # the rest (left to the index) as it is
    out = gpd.GeoSeries(dense, crs=zones.crs, index=zones.index).to_crs(grid.crs)
    return _repair_projection_artefacts(out, ok)


#: Relative area change up to which an invalidity the reprojection made (near-coincident
#: vertices crossing by rounding) is repaired without a warning: the input was valid.
PROJECTION_REPAIR_RTOL = 1e-6


def _repair_projection_artefacts(out: gpd.GeoSeries, was_valid: np.ndarray) -> gpd.GeoSeries:
    """Repair geometries that were valid before the reprojection and are not after it, silently
    when the repair keeps their area to :data:`PROJECTION_REPAIR_RTOL`; the rest are left for
    the zone index, which repairs and warns naming the zone."""
    from geo_sink.io.vectors import polygonal

    g = np.asarray(out.values, dtype=object)
    bad = was_valid & ~shapely.is_valid(g)
    if not bad.any():
        return out
    g = g.copy()
    for i in np.flatnonzero(bad):
        fixed = polygonal(shapely.make_valid(g[i], method="structure"))
        a0 = abs(shapely.area(g[i]))
        if fixed is not None and abs(shapely.area(fixed) - a0) <= PROJECTION_REPAIR_RTOL * max(a0, 1e-300):
            g[i] = fixed
    return gpd.GeoSeries(g, crs=out.crs, index=out.index)


def _repair_before_reprojection(geoms: np.ndarray, todo: np.ndarray, labels: list[str]) -> np.ndarray:
    """Repaired copies of ``geoms[todo]``, with a GeometryRepairWarning each; geometries refused
    (GeometryError) or enclosing no area are left as they are, for the index to report."""
    from geo_sink.errors import GeometryError
    from geo_sink.io.vectors import GeometryRepairWarning, repair_polygonal

    out = geoms.copy()
    for i in np.flatnonzero(todo):
        try:
            fixed, detail = repair_polygonal(geoms[i], labels[i])
        except GeometryError:
            continue
        if fixed.is_empty:
            continue
        out[i] = fixed
        if detail is not None:
            warnings.warn(f"{labels[i]} {detail}", GeometryRepairWarning, stacklevel=4)
    return out


def zone_labels(zones: pd.DataFrame) -> list[str]:
    """How warnings and errors name each zone: ``zone <zone_id> (<zone_name>)``."""
    ids = zones["zone_id"] if "zone_id" in zones.columns else pd.Series(range(len(zones)))
    names = zones["zone_name"] if "zone_name" in zones.columns else ids
    return [f"zone {i} ({n})" for i, n in zip(ids.tolist(), names.tolist())]


def reaches_grid(geoms, grid: Grid) -> bool:
    """True when some zone's rings enter the grid's interior (a vertex inside, or an edge across
    it): for zones the index gives no cell at all (zero-area rings, slivers thinner than float
    precision), to tell "measures 0" from "outside the raster"."""
    inner = shapely.box(*grid.bounds)
    for g in geoms:
        if g is None or shapely.is_empty(g):
            continue
        for part in shapely.get_parts(g):
            try:
                rings = shapely.get_rings(part) if shapely.get_type_id(part) == 3 else [part]
            except shapely.errors.GEOSException:
                rings = [part]
            for ring in rings:
                xy = shapely.get_coordinates(ring)
                if not len(xy):
                    continue
                line = shapely.linestrings(xy) if len(np.unique(xy, axis=0)) > 1 else shapely.points(xy[0])
                if shapely.intersects(line, inner) and not shapely.touches(line, inner):
                    return True
    return False


def tidy_areas(area_m2: np.ndarray, zones: pd.DataFrame, legend: Legend,
               nodata_codes: set[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn a (zone, code) area matrix in m^2 into the tidy table and the unknown-code table.

    Parameters
    ----------
    area_m2 : ndarray (n_zones, K)
        Area per zone and raster code.
    zones : DataFrame with ``zone_id``, ``zone_name``
    legend : Legend
    nodata_codes : set of int
        Codes that are nodata (excluded here, reported in the summary).
    """
    by_code = legend.by_code()
    z, c = np.nonzero(area_m2 > 0)
    keep = ~np.isin(c, list(nodata_codes))
    z, c = z[keep], c[keep]
    # one lookup per distinct code, then one take per column
    codes, inv = np.unique(c, return_inverse=True)
    known_code = np.array([int(code) in by_code for code in codes], dtype=bool)
    names = np.array([by_code[int(code)].name if ok else UNKNOWN for code, ok in zip(codes, known_code)],
                     dtype=object)
    eco = np.array([by_code[int(code)].ecosystem if ok else "unknown" for code, ok in zip(codes, known_code)],
                   dtype=object)
    known = known_code[inv]
    df = pd.DataFrame({
        "zone_id": zones["zone_id"].to_numpy()[z],
        "zone_name": zones["zone_name"].to_numpy()[z],
        "class_code": c.astype(int),
        "class_name": names[inv],
        "ecosystem": eco[inv],
        "area_km2": area_m2[z, c] / 1e6,
    }, columns=AREA_COLUMNS)
    return df.reset_index(drop=True), df[~known]


def class_areas(raster, zones: gpd.GeoDataFrame, legend: Legend, *, band: int = 1,
                crs: str | None = None, nodata: list[int] | None = None,
                cache=True, block_rows: int | None = None, client=None) -> ZonalResult:
    """Area (km^2) of each land-cover class in each zone, with every km^2 accounted for.

    Parameters
    ----------
    raster : path-like or xarray.DataArray
        Categorical raster (integer codes), geographic or projected CRS: a file, or a DataArray
        with a CRS and a north-up grid (rioxarray's ``open_rasterio``, with or without ``chunks``
        or ``masked=True``; any array with a CF grid mapping), read block by block as a file is
        (:mod:`geo_sink.dataarrays`; a dask array's chunks are computed one row band at a time).
    zones : geopandas.GeoDataFrame
        ``zone_id``, ``zone_name`` and polygon geometry, with a CRS (reprojected to the
        raster's CRS here, explicitly).  Invalid geometries are repaired with ``make_valid``,
        GeometryCollections measured by their polygonal parts and rings that enclose no area
        measure 0, each with a :class:`~geo_sink.io.vectors.GeometryRepairWarning` naming the
        zone; empty, point or line zones are a :class:`~geo_sink.errors.GeometryError` naming it.
    legend : Legend
        Legend of the raster's codes.
    band : int
        Band to read.
    crs : str, optional
        CRS to use when the raster has none (or to override a wrong one).
    nodata : list of int, optional
        Extra nodata codes; the file's nodata value (negative ones too), the legend's nodata
        codes and the cells the band's GDAL mask masks always count as nodata.
    cache : bool or path
        Reuse the zone rasterisation from the disk cache (see :func:`zone_index`).
    block_rows : int, optional
        Rows per streamed block (memory bound); default about 4 M cells.
    client : dask.distributed.Client, optional
        Compute row bands of a file on its workers (:mod:`geo_sink.zonal.distributed`); same
        result.  A DataArray is streamed in this process (a dask array's chunks are computed by
        dask's current scheduler, the client's when it is the default one).

    Returns
    -------
    ZonalResult
    """
    setup = _setup(raster, zones, crs, band, cache)
    info, index, r0, r1, c0, c1 = setup.info, setup.index, *setup.rows, *setup.cols
    rows = block_rows or default_block_rows(info, c1 - c0)
    shift = info.code_shift   # 1: codes stored + 1, masked cells and an out-of-range nodata at 0
    if client is not None and r1 > r0 and is_array_source(info):
        setup.notes.append("a DataArray is streamed in this process (its dask chunks computed by dask's scheduler)")
    if client is not None and r1 > r0 and not is_array_source(info):
        from geo_sink.zonal.distributed import cluster_threads, distributed_areas
        workers, threads = cluster_threads(client)
        ifile = setup.index_file
        acc_m2 = distributed_areas(client, info.path, index, setup.row_area, (r0, r1), (c0, c1), rows, band,
                                   index_file=ifile if ifile is not None and ifile.is_dir() else None,
                                   threads=threads, shift=shift)
        setup.notes.append(f"computed on {workers} dask worker(s)")
    else:
        acc = ClassAreaAccumulator(index, setup.row_area, col_offset=c0)
        if r1 > r0:
            for row0, block in iter_code_blocks(info.path, (r0, r1), (c0, c1), rows, band=band, reuse=True,
                                                shift=shift):
                acc.add(block, row0)
        acc_m2 = acc.result_m2()
    return _zonal_result(setup, zones, legend, acc_m2, shift, nodata, band)


def class_areas_from_m2(raster, zones: gpd.GeoDataFrame, legend: Legend, area_m2: np.ndarray, *,
                        crs: str | None = None, nodata: list[int] | None = None, cache=True) -> ZonalResult:
    """:func:`class_areas` of an 8- or 16-bit band without a GDAL mask from its (zones x codes)
    m^2 already summed over the raster's zone index (a row of ``area_m2`` per zone of
    ``zones``, a column per code): the marginal of a transition pass over it
    (:func:`geo_sink.zonal.transitions.transition_pass`), so that a map read for its
    transitions is not read again for its class areas.  The same table as :func:`class_areas`
    (the areas to rounding: the same pixels summed in another order); codes missing from the
    legend still have their pixels counted in a pass of their own.

    Raises
    ------
    InputDataError
        The band is stored with shifted codes (a GDAL mask, signed or wider codes: use
        :func:`class_areas`), or ``area_m2`` does not have a row per zone.
    """
    setup = _setup(raster, zones, crs, 1, cache)
    if setup.info.code_shift:
        raise InputDataError(f"{setup.raster}: class areas from a summed matrix need an 8- or 16-bit band "
                             "without a GDAL mask (use class_areas)")
    m = np.asarray(area_m2, dtype=float)
    if m.ndim != 2 or m.shape[0] != len(zones):
        raise InputDataError(f"{setup.raster}: expected an area matrix of {len(zones)} zone rows, got shape {m.shape}")
    return _zonal_result(setup, zones, legend, m, 0, nodata, 1)


@dataclass
class _Setup:
    """What a pass over a categorical band and the zones share (:func:`_setup`)."""

    info: object
    raster: object
    notes: list
    index: object
    index_file: object
    row_area: np.ndarray
    rows: tuple[int, int]
    cols: tuple[int, int]


def _setup(raster, zones: gpd.GeoDataFrame, crs, band: int, cache) -> _Setup:
    """The band's header and the zones on its grid, checked, with the notes of what was assumed."""
    info = raster_info(raster, crs=crs, band=band, categorical=True)
    raster = info.path           # a DataArray becomes an ArrayRaster named by its label
    warn_crs_note(info)
    grid = info.grid
    notes = [n for n in [info.crs_note] if n] + ([f"raster CRS set by the caller: {crs}"] if crs else [])
    if not np.issubdtype(np.dtype(info.dtype), np.integer):
        raise InputDataError(f"{raster}: band {band} is {info.dtype}; a categorical land-cover "
                             "raster must hold integer codes")
    for col in ("zone_id", "zone_name"):
        if col not in zones.columns:
            raise InputDataError(f"zones lack the column {col!r} (use geo_sink.io.read_zones)")
    geo_grid = zones_on_grid(zones, grid)
    index, cached, ifile = cached_zone_index(geo_grid.values, grid, cache=cache, labels=zone_labels(zones))
    if not index.has_cells() and not reaches_grid(geo_grid.values, grid):
        raise InputDataError(f"{raster}: no zone overlaps the raster (raster bounds "
                             f"{tuple(round(b, 4) for b in grid.bounds)} in {grid.crs.name})")
    notes.append("zone index reused from cache" if cached else "zone index built")
    return _Setup(info, raster, notes, index, ifile, grid.row_cell_area_m2(), index.row_range(), index.col_range())


def _zonal_result(setup: _Setup, zones, legend: Legend, acc_m2: np.ndarray, shift: int, nodata, band: int
                  ) -> ZonalResult:
    """The tidy areas and the account of every km^2 from the (zones x codes) m^2 of a pass."""
    info, raster, index, notes = setup.info, setup.raster, setup.index, setup.notes
    zone_km2, outside_km2 = index.zone_area_km2, index.outside_km2
    masked_m2 = acc_m2[:, 0] if shift else np.zeros(len(zones))
    area_m2 = acc_m2[:, shift:]
    nodata_codes = set(legend.nodata) | set(nodata or [])
    if info.nodata is not None and float(info.nodata).is_integer():
        nodata_codes.add(int(info.nodata))
    nodata_codes = {c for c in nodata_codes if 0 <= c < area_m2.shape[1]}
    what = (["masked by the band's GDAL mask"] if info.has_mask else []) + (
        [f"holding the nodata value {info.nodata:g}"]
        if shift and info.nodata is not None and not 0 <= info.nodata <= MAX_CODE else [])
    if what:
        notes.append(f"{raster}: {masked_m2.sum() / 1e6:.6g} km^2 of cells {' or '.join(what)} "
                     "counted under nodata_km2")
    areas, unknown = tidy_areas(area_m2, zones, legend, nodata_codes)
    code_nd_km2 = area_m2[:, sorted(nodata_codes)].sum(axis=1) / 1e6 if nodata_codes else np.zeros(len(zones))
    nd_km2 = code_nd_km2 + masked_m2 / 1e6
    unk_km2 = unknown.groupby("zone_id")["area_km2"].sum().reindex(zones["zone_id"]).fillna(0.0).to_numpy()
    total_km2 = area_m2.sum(axis=1) / 1e6
    covered = total_km2 - code_nd_km2 - unk_km2
    summary = pd.DataFrame({
        "zone_id": zones["zone_id"].to_numpy(), "zone_name": zones["zone_name"].to_numpy(),
        "zone_area_km2": zone_km2, "covered_km2": covered, "unknown_km2": unk_km2,
        "nodata_km2": nd_km2, "outside_km2": outside_km2,
    })
    summary["closure_pct"] = closure_pct(covered + unk_km2 + nd_km2 + outside_km2, zone_km2)
    unk_codes = pd.DataFrame(columns=["class_code", "pixels", "area_km2"])
    if len(unknown):
        codes = sorted(unknown["class_code"].unique())
        px = _pixel_counts(info, index, codes, setup.rows, setup.cols, band, shift)
        unk_codes = pd.DataFrame({"class_code": codes, "pixels": [px[c] for c in codes],
                                  "area_km2": [unknown.loc[unknown.class_code == c, "area_km2"].sum() for c in codes]})
        warnings.warn(f"{raster}: codes {codes} are not in legend {legend.id!r}: "
                      f"{unk_codes['area_km2'].sum():.3f} km^2 kept as '{UNKNOWN}'",
                      UnknownCodeWarning, stacklevel=3)
    part = summary[summary["outside_km2"] > 1e-6 * summary["zone_area_km2"]]
    if len(part):
        warnings.warn(f"{raster}: {len(part)} zone(s) extend beyond the raster "
                      f"({', '.join(part['zone_name'].astype(str)[:5])}); see outside_km2",
                      PartialOverlapWarning, stacklevel=3)
    return ZonalResult(areas=areas, summary=summary, unknown_codes=unk_codes, notes=notes)


def is_array_source(info) -> bool:
    """True when ``info`` describes a DataArray (an :class:`~geo_sink.dataarrays.ArrayRaster`),
    which the cluster's workers cannot open by path."""
    from geo_sink.dataarrays import ArrayRaster
    return isinstance(info.path, ArrayRaster)


def closure_pct(accounted_km2, zone_km2) -> np.ndarray:
    """100 x (accounted - zone area) / zone area; 0 for a zone of area 0 with nothing accounted
    (a degenerate ring), NaN for one of area 0 with something accounted."""
    acc = np.asarray(accounted_km2, dtype=float)
    zone = np.asarray(zone_km2, dtype=float)
    pos = zone > 0
    out = np.where(acc == 0, 0.0, np.nan)
    out[pos] = 100.0 * (acc[pos] - zone[pos]) / zone[pos]
    return out


def _pixel_counts(info, index, codes, rows, cols, band, shift=0) -> dict[int, int]:
    """Pixels in zones holding each of ``codes`` (a boundary pixel counts once per zone)."""
    whole = replace(index, b_frac=np.ones_like(index.b_frac))
    counter = ClassAreaAccumulator(whole, np.ones(info.grid.height), col_offset=cols[0])
    for row0, block in iter_code_blocks(info.path, rows, cols, default_block_rows(info, cols[1] - cols[0]),
                                        band=band, reuse=True, shift=shift):
        counter.add(block, row0)
    res = counter.result_m2()
    return {int(c): int(round(res[:, c + shift].sum())) for c in codes}
