"""Zones rasterised once per grid: the reusable, disk-cached :class:`ZoneIndex`.

A ZoneIndex holds, for every zone, its interior runs and its boundary cells with exact
coverage fractions (:mod:`geo_sink.zonal.coverage`).  Building it is the only polygon work;
every later measurement on the same grid (a new land-cover year, a new scene) streams pixels
through it.  :func:`zone_index` caches it on disk keyed by the grid and the zone geometries,
so a later process reuses it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

from geo_sink.errors import GeometryError
from geo_sink.grid import Grid
from geo_sink.zonal.coverage import exact_coverage

#: Bump when the on-disk layout or the coverage algorithm changes.  5: geometries repaired with
#: the repairs kept in meta.json, zone areas of oriented rings (in strips when wide; planar on
#: equal-area grids), boundary fractions of geographic grids weighted by ellipsoidal area.
INDEX_VERSION = 5
CACHE_ENV = "GEO_SINK_CACHE_DIR"


def cache_dir() -> Path:
    """Cache folder: ``$GEO_SINK_CACHE_DIR`` or the user cache dir of geo-sink."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("geo-sink", appauthor=False))


@dataclass(frozen=True)
class ZoneIndex:
    """Sparse exact coverage of N zones on one grid.

    Runs are sorted by (row, c0) and boundary cells by row.  Zones may overlap (each zone's
    runs and cells are its own), so a pixel can count for several zones.
    """

    grid_fingerprint: str
    n_zones: int
    run_row: np.ndarray
    run_c0: np.ndarray
    run_c1: np.ndarray
    run_zone: np.ndarray
    b_row: np.ndarray
    b_col: np.ndarray
    b_zone: np.ndarray
    b_frac: np.ndarray
    zone_area_km2: np.ndarray
    outside_km2: np.ndarray
    #: ``(zone, what was done)`` for every zone geometry changed before measuring
    #: (:func:`geo_sink.io.vectors.repair_polygonal`), replayed as warnings on every use.
    repairs: tuple = ()

    def has_cells(self) -> bool:
        """True when some zone covers some cell of the grid (an interior run or a boundary cell)."""
        return len(self.run_row) > 0 or len(self.b_row) > 0

    def row_range(self) -> tuple[int, int]:
        """[first, last + 1) rows touched by any zone (0, 0 if none)."""
        ends = [(a[0], a[-1]) for a in (self.run_row, self.b_row) if len(a)]  # both sorted by row
        return (int(min(e[0] for e in ends)), int(max(e[1] for e in ends)) + 1) if ends else (0, 0)

    def col_range(self) -> tuple[int, int]:
        """[first, last + 1) columns touched by any zone (0, 0 if none)."""
        return self._col_range

    @cached_property
    def _col_range(self) -> tuple[int, int]:
        lo = [int(a.min()) for a in (self.run_c0, self.b_col) if len(a)]
        hi = [int(a.max()) for a in (self.run_c1, self.b_col + 1) if len(a)]
        return (min(lo), max(hi)) if lo else (0, 0)

    @cached_property
    def cells_per_row(self) -> np.ndarray:
        """Cells the zones cover in each grid row ``0 .. row_range()[1] - 1`` (interior-run cells
        plus boundary cells; a cell shared by two zones counts twice).  Computed once per index."""
        n = self.row_range()[1]
        out = np.bincount(self.run_row, weights=self.run_c1 - self.run_c0, minlength=n)[:n]
        return out + np.bincount(self.b_row, minlength=n)[:n]

    def covered_cells(self, row_area_m2: np.ndarray) -> np.ndarray:
        """Area (m^2) of each zone that lies inside the grid, from the index alone."""
        out = np.bincount(self.run_zone, weights=(self.run_c1 - self.run_c0) * row_area_m2[self.run_row],
                          minlength=self.n_zones)
        out += np.bincount(self.b_zone, weights=self.b_frac * row_area_m2[self.b_row],
                           minlength=self.n_zones)
        return out

    def save(self, path: Path) -> None:
        """Write the index as a folder of ``.npy`` files (one per array, memory-mapped by
        :meth:`load`), atomically: a temporary folder renamed into place."""
        import json
        import shutil

        path.parent.mkdir(parents=True, exist_ok=True)
        # per process and thread: two threads of one run (land-cover years on a cluster) may
        # save the same grid's index at once
        me = f"{os.getpid()}-{threading.get_ident()}"
        tmp = path.with_name(f".{path.name}.{me}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for k in _ARRAYS:
            np.save(tmp / f"{k}.npy", np.ascontiguousarray(getattr(self, k)))
        (tmp / "meta.json").write_text(json.dumps({
            "version": INDEX_VERSION, "n_zones": self.n_zones, "grid_fingerprint": self.grid_fingerprint,
            "repairs": [[int(i), str(d)] for i, d in self.repairs]}, ensure_ascii=False), encoding="utf-8")
        old = None
        try:
            if path.exists():
                old = path.with_name(f".{path.name}.{me}.old")
                os.replace(path, old)
            os.replace(tmp, path)   # another process may have put its copy here meanwhile
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> "ZoneIndex":
        """Read an index written by :meth:`save`; the arrays are read-only memory maps."""
        import json

        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if int(meta["version"]) != INDEX_VERSION:
            raise ValueError("stale zone index version")
        return cls(grid_fingerprint=str(meta["grid_fingerprint"]), n_zones=int(meta["n_zones"]),
                   repairs=tuple((int(i), str(d)) for i, d in meta.get("repairs", [])),
                   **{k: np.load(path / f"{k}.npy", mmap_mode="r") for k in _ARRAYS})


_ARRAYS = ("run_row", "run_c0", "run_c1", "run_zone", "b_row", "b_col", "b_zone", "b_frac",
           "zone_area_km2", "outside_km2")


def _to_lonlat(geoms, crs, checked: bool = False) -> np.ndarray:
    """Geometries in ``crs`` as WGS 84 lon/lat, densified (1 km or 0.01 deg) before the transform.

    Invalid polygons are made valid first (``checked``: the caller already did): GEOS densifies
    an invalid polygon by buffering it by 0, which keeps one lobe of a bow-tie."""
    import geopandas as gpd
    import pyproj

    crs = pyproj.CRS(crs)
    if crs.is_geographic:
        seg = 0.01
    else:
        seg = 1000.0 / (crs.axis_info[0].unit_conversion_factor or 1.0)
    geoms = np.asarray(geoms, dtype=object)
    if not checked:
        bad = ~shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
        bad &= np.array([g is not None for g in geoms], dtype=bool)
        if bad.any():
            from geo_sink.io.vectors import make_valid
            geoms = geoms.copy()
            geoms[bad] = [make_valid(g) for g in geoms[bad]]
    dense = shapely.segmentize(geoms, seg)
    if crs.equals(pyproj.CRS(4326), ignore_axis_order=True):
        return dense
    return gpd.GeoSeries(dense, crs=crs).to_crs(4326).values


def accounting_areas(geoms, grid: Grid, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic area (km^2) of each zone and of its part beyond the grid's extent.

    Parameters
    ----------
    geoms : sequence of valid shapely (Multi)Polygons (or empty ones) in ``grid.crs``
    grid : Grid
    labels : sequence of str, optional
        How errors name each zone (default ``zone i``).

    Returns
    -------
    (zone_area_km2, outside_km2) : ndarrays
        On an equal-area grid, the polygons' areas in its CRS (exact: the projection preserves
        area, and the grid reads edges straight in it); otherwise geodesic on the WGS 84
        ellipsoid (pyproj.Geod), after densifying the edges, rings oriented.
    """
    from geo_sink.geodesy import geodesic_area

    geoms = np.asarray(list(geoms), dtype=object)
    box = shapely.box(*grid.bounds)
    if grid.is_equal_area():
        unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0

        def area_km2(g):
            return shapely.area(g) * unit * unit / 1e6
    else:
        def area_km2(g):
            return geodesic_area(_to_lonlat(g, grid.crs, checked=True), "EPSG:4326") / 1e6
    try:
        zone = area_km2(geoms)
        outside = shapely.difference(geoms, box)
    except shapely.errors.GEOSException as e:
        for i, g in enumerate(geoms):   # name the zone that fails
            try:
                shapely.difference(g, box)
            except shapely.errors.GEOSException:
                raise GeometryError(f"{_label(labels, i)}: its area beyond the raster cannot be "
                                    f"computed ({e}); repair the geometry") from None
        raise GeometryError(f"zone areas cannot be computed: {e}") from None
    out = np.zeros(len(geoms))
    some = ~shapely.is_empty(outside)
    if some.any():
        out[some] = area_km2(outside[some])
    return zone, out


def _label(labels, i: int) -> str:
    return str(labels[i]) if labels is not None else f"zone {i}"


def prepare_zones(geoms, labels=None) -> tuple[np.ndarray, tuple]:
    """Zone geometries ready to measure, and the repairs that made them so.

    Valid Polygons and MultiPolygons pass as they are (one vectorised validity check); any other
    geometry goes through :func:`geo_sink.io.vectors.repair_polygonal`: invalid ones are repaired
    with ``make_valid``, GeometryCollections measured by their polygonal parts, zones enclosing
    no area become empty (area 0).

    Returns
    -------
    (geometries, repairs)
        ``repairs`` holds ``(zone, what was done)`` for each geometry changed with something to
        report.

    Raises
    ------
    GeometryError
        Naming the zone (``labels[i]``, default ``zone i``): empty, not polygonal, non-finite.
    """
    from geo_sink.io.vectors import repair_polygonal

    geoms = np.asarray(list(geoms), dtype=object)
    out = geoms.copy()
    ok = np.isin(shapely.get_type_id(geoms), (3, 6)) & shapely.is_valid(geoms)
    repairs = []
    for i in np.flatnonzero(~ok):
        out[i], detail = repair_polygonal(geoms[i], _label(labels, i))
        if detail is not None:
            repairs.append((int(i), detail))
    return out, tuple(repairs)


def warn_repairs(index: ZoneIndex, labels=None, stacklevel: int = 3) -> None:
    """One :class:`~geo_sink.io.vectors.GeometryRepairWarning` per repaired zone of ``index``."""
    if not index.repairs:
        return
    from geo_sink.io.vectors import GeometryRepairWarning

    for i, detail in index.repairs:
        warnings.warn(f"{_label(labels, i)} {detail}", GeometryRepairWarning, stacklevel=stacklevel)


def build_zone_index(geoms, grid: Grid, labels=None, warn: bool = True) -> ZoneIndex:
    """Compute the :class:`ZoneIndex` of polygons (already in the grid's CRS).

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Zone geometries in ``grid.crs``; zone i is ``geoms[i]``.  Polygons and MultiPolygons;
        invalid ones are repaired, GeometryCollections measured by their polygonal parts and
        zones that enclose no area measure 0 (:func:`prepare_zones`).
    grid : Grid
    labels : sequence of str, optional
        How warnings and errors name each zone, e.g. ``"zone 140602 (朔城区)"``.
    warn : bool
        Warn about each repaired zone (a :class:`~geo_sink.io.vectors.GeometryRepairWarning`).

    Returns
    -------
    ZoneIndex
        On a geographic grid the boundary fractions are shares of each cell's ellipsoidal area
        (``polygon_coverage(..., area_weighted=True)``).
    """
    geoms, repairs = prepare_zones(geoms, labels)
    parts = {k: [] for k in _ARRAYS[:8]}
    for i, g in enumerate(geoms):
        try:
            cov = exact_coverage(g, grid, area_weighted=grid.is_geographic)
        except GeometryError as e:
            raise GeometryError(f"{_label(labels, i)}: {e}") from None
        parts["run_row"].append(cov.run_rows)
        parts["run_c0"].append(cov.run_c0)
        parts["run_c1"].append(cov.run_c1)
        parts["run_zone"].append(np.full(len(cov.run_rows), i))
        parts["b_row"].append(cov.rows)
        parts["b_col"].append(cov.cols)
        parts["b_zone"].append(np.full(len(cov.rows), i))
        parts["b_frac"].append(cov.frac)
    cat = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in parts.items()}
    ro = np.lexsort((cat["run_c0"], cat["run_row"]))
    run = {k: cat[k][ro].astype(np.int32) for k in ("run_row", "run_c0", "run_c1", "run_zone")}
    bo = np.argsort(cat["b_row"], kind="stable")
    zone_km2, outside_km2 = accounting_areas(geoms, grid, labels)
    idx = ZoneIndex(
        zone_area_km2=zone_km2, outside_km2=outside_km2, grid_fingerprint=grid.fingerprint(), n_zones=len(geoms), **run,
        b_row=cat["b_row"][bo].astype(np.int32), b_col=cat["b_col"][bo].astype(np.int32),
        b_zone=cat["b_zone"][bo].astype(np.int32), b_frac=cat["b_frac"][bo].astype(np.float64),
        repairs=repairs)
    if warn:
        warn_repairs(idx, labels)
    return idx


#: Fingerprints of recent zone sets, keyed by the grid and the identities of the (immutable)
#: shapely geometries, held by weak references: a notebook or a cluster pass that measures the
#: same GeoDataFrame again skips re-encoding every polygon (1.7 ms for Shanxi's 117 counties).
_FINGERPRINTS: OrderedDict = OrderedDict()
_FINGERPRINTS_SIZE = 8


def zones_fingerprint(geoms, grid: Grid) -> str:
    """SHA-256 of the index version, the grid and the WKB of every geometry, in order."""
    geoms = list(geoms)
    key = (grid.fingerprint(), tuple(map(id, geoms)))
    hit = _FINGERPRINTS.get(key)
    # a live object with the same id is the same object, and shapely geometries are immutable
    if hit is not None and all(r() is g for r, g in zip(hit[0], geoms)):
        return hit[1]
    h = hashlib.sha256()
    h.update(f"v{INDEX_VERSION}|{key[0]}|".encode())
    for wkb in shapely.to_wkb(np.asarray(geoms, dtype=object), output_dimension=2):
        h.update(hashlib.sha256(wkb).digest())
    fp = h.hexdigest()
    try:
        refs = [weakref.ref(g) for g in geoms]
    except TypeError:   # not shapely geometries: no memo
        return fp
    _FINGERPRINTS[key] = (refs, fp)
    while len(_FINGERPRINTS) > _FINGERPRINTS_SIZE:
        _FINGERPRINTS.popitem(last=False)
    return fp


def index_file(geoms, grid: Grid, cache: bool | Path = True) -> Path | None:
    """Where the disk cache keeps the index of ``geoms`` on ``grid`` (None without a cache)."""
    if cache is False:
        return None
    folder = (cache_dir() if cache is True else Path(cache)) / "zones"
    return folder / zones_fingerprint(list(geoms), grid)


#: Indexes recently read from the disk cache in this process, keyed by (file, mtime, size): a
#: notebook or pipeline that runs several maps of one grid over the same zones reads it once.
_MEMO: dict = {}
_MEMO_SIZE = 2
_MEMO_LOCK = threading.Lock()      # the run's steps read indexes on several threads


def _load_memo(path: Path) -> ZoneIndex:
    st = (path / "meta.json").stat()
    key = (str(path), st.st_ino, st.st_mtime_ns)
    with _MEMO_LOCK:
        idx = _MEMO.get(key)
    if idx is None:
        idx = ZoneIndex.load(path)   # read-only memory maps: safe to share between callers
        with _MEMO_LOCK:
            while len(_MEMO) >= _MEMO_SIZE:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[key] = idx
    return idx


def cached_zone_index(geoms, grid: Grid, cache: bool | Path = True,
                      labels=None) -> tuple[ZoneIndex, bool, Path | None]:
    """:func:`zone_index` plus the cache file it lives in (None without a cache)."""
    idx, cached, path = _cached_zone_index(list(geoms), grid, cache, labels)
    warn_repairs(idx, labels, stacklevel=4)   # built or read: the same warnings
    return idx, cached, path


def _cached_zone_index(geoms: list, grid: Grid, cache, labels) -> tuple[ZoneIndex, bool, Path | None]:
    if cache is False:
        return build_zone_index(geoms, grid, labels, warn=False), False, None
    path = index_file(geoms, grid, cache)
    if (path / "meta.json").is_file():
        try:
            return _load_memo(path), True, path
        except (OSError, ValueError, KeyError):
            pass  # unreadable or stale cache entry: rebuild and overwrite
    idx = build_zone_index(geoms, grid, labels, warn=False)
    try:
        idx.save(path)
    except OSError:
        pass  # a read-only cache must not stop the measurement
    return idx, False, path


def zone_index(geoms, grid: Grid, cache: bool | Path = True, labels=None) -> tuple[ZoneIndex, bool]:
    """The ZoneIndex of ``geoms`` on ``grid``, from the disk cache when it is there.

    Parameters
    ----------
    geoms : sequence of shapely geometries in ``grid.crs``
    grid : Grid
    cache : bool or path
        True: the default cache folder; a path: that folder; False: no cache.
    labels : sequence of str, optional
        How warnings and errors name each zone (see :func:`build_zone_index`).

    Returns
    -------
    (ZoneIndex, bool)
        The index and whether it came from the cache.
    """
    idx, cached, _ = _cached_zone_index(list(geoms), grid, cache, labels)
    warn_repairs(idx, labels)
    return idx, cached
