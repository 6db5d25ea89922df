"""Reclamation analysis of a project: the I/O edge around :mod:`geo_sink.sinks.reclamation`.

Reads the mine polygons and scenes of a project, keeps the FVC time series (one row per
reclaimed polygon and scene, in date order; a new scene adds rows, old rows are not
recomputed), and writes every table atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_sink.catalog import load_catalog
from geo_sink.io import write_table
from geo_sink.io.scenes import SceneArea, SceneError, read_scene
from geo_sink.io.vectors import polygonal
from geo_sink.measurability import check_rules, grid_cell_size
from geo_sink.sinks.carbon import constants
from geo_sink.sinks.pools import read_table
from geo_sink.sinks.reclamation import (NDVI_SATURATION_NOTE, RATE_COLUMNS, SERIES_COLUMNS,
                                        check_reclaimed_rates, disjoint_reclaimed, fvc_by_polygon,
                                        reclaimed_carbon, reclaimed_carbon_by_zone, reclamation_rate,
                                        reclamation_rate_by_year)


@dataclass
class ReclamationResult:
    per_mine: pd.DataFrame
    per_zone: pd.DataFrame
    series: pd.DataFrame
    latest: pd.DataFrame
    carbon: pd.DataFrame
    carbon_by_zone: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    per_mine_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_zone_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_sites(project) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from geo_sink.errors import InputDataError
    ms = project.spec.mines
    d = gpd.read_file(ms.disturbed)
    r = gpd.read_file(ms.reclaimed) if ms.reclaimed else d.iloc[0:0]
    for gdf, name, need in ((d, ms.disturbed, [ms.mine_field, ms.type_field]),
                            (r, ms.reclaimed, [ms.mine_field, ms.year_field, ms.vegetation_field])):
        miss = [c for c in need if c not in gdf.columns]
        if miss and len(gdf):
            raise InputDataError(f"{name}: missing field(s) {miss}")
    r = r.rename(columns={ms.mine_field: "mine", ms.year_field: "year", ms.vegetation_field: "vegetation"})
    d = d.rename(columns={ms.mine_field: "mine", ms.type_field: "type"})
    return d, r


def reclaimed_pieces(reclaimed: gpd.GeoDataFrame, disturbed: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Disjoint reclaimed land inside disturbed land, split by county, with ids."""
    r = disjoint_reclaimed(reclaimed.to_crs(zones.crs))
    dist = shapely.union_all(disturbed.to_crs(zones.crs).geometry.values)
    rows = []
    for i, row in r.iterrows():
        g = shapely.intersection(row.geometry, dist)
        for _, z in zones.iterrows():
            part = polygonal(shapely.intersection(g, z.geometry))
            if part is None or part.area == 0:
                continue
            rows.append({"polygon_id": f"R{i + 1:03d}-{z['zone_id']}", "mine": row["mine"],
                         "year": int(row["year"]), "vegetation": row["vegetation"],
                         "zone_id": z["zone_id"], "zone_name": z["zone_name"], "geometry": part})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=zones.crs)
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    out["area_km2"] = zone_geodesic_area_km2(out) if len(out) else []
    return out


def reclamation_params(cat) -> dict[str, float]:
    """The catalog's ``reclamation_parameters`` as {name: value}."""
    return dict(pd.read_csv(cat.dataset_path("reclamation_parameters")).set_index("name")["value"].astype(float))


def scene_area(pieces: gpd.GeoDataFrame, params: dict) -> SceneArea:
    """Where the scenes are read: the reclaimed pieces' bounding box with the catalog's
    ``endmember_margin_km`` around it (the NDVI end-members are percentiles of what is read)."""
    if "endmember_margin_km" not in params:
        from geo_sink.errors import InputDataError
        raise InputDataError("reclamation parameters: no 'endmember_margin_km' (the catalog's "
                             "reclamation/parameters.csv has it: the margin in km around the reclaimed land "
                             "that scenes are read over)")
    km = float(params["endmember_margin_km"])
    return SceneArea.around(pieces, km * 1000.0, f"the reclaimed land and {km:g} km around it")


def project_scene_area(project) -> SceneArea | None:
    """The area a project's scenes are read over (:func:`scene_area` of its reclaimed pieces);
    None when it has no reclaimed land (its scenes are not read)."""
    if project.spec.mines is None:
        return None
    from geo_sink.steps.context import project_zones
    disturbed, reclaimed = load_sites(project)
    pieces = reclaimed_pieces(reclaimed, disturbed, project_zones(project))   # what reclamation_sites measures on
    return scene_area(pieces, reclamation_params(load_catalog())) if len(pieces) else None


def scene_fvc(sc, polys: gpd.GeoDataFrame, params: dict) -> pd.DataFrame:
    """FVC rows of one scene for the reclaimed pieces ``polys`` (one task of the series), read
    over :func:`scene_area`."""
    s = read_scene(sc.path, sc.product, sc.date, scene_area(polys, params))
    return series_rows(s.red, s.nir, s.grid, polys, params, Path(sc.path).name, sc.product, str(sc.date),
                       grid_cell_size(s.grid).max_m)


def series_rows(red, nir, grid, polys: gpd.GeoDataFrame, params: dict, scene: str, product: str, date: str,
                cell_m: float) -> pd.DataFrame:
    """The :data:`SERIES_COLUMNS` rows of one scene's red and NIR reflectance for the reclaimed
    pieces ``polys`` (``zone_id`` the polygon id, ``zone_name`` the mine, ``county_id``,
    ``county_name``): what a scene folder and a time step of a cube both give."""
    stats = fvc_by_polygon(red, nir, grid, polys[["zone_id", "zone_name", "geometry"]],
                           soil_pct=params["ndvi_soil_percentile"], veg_pct=params["ndvi_veg_percentile"],
                           threshold=params["fvc_vegetated_threshold"], min_ndvi=params.get("endmember_min_ndvi"),
                           max_soil_ndvi=params.get("endmember_max_soil_ndvi"))
    stats = stats.rename(columns={"zone_id": "polygon_id", "zone_name": "mine"})
    meta = polys.set_index("zone_id")[["county_id", "county_name"]]
    stats["zone_id"] = stats["polygon_id"].map(meta["county_id"]).to_numpy()
    stats["zone_name"] = stats["polygon_id"].map(meta["county_name"]).to_numpy()
    stats["scene"], stats["product"], stats["date"] = scene, product, date
    stats["cell_m"] = cell_m
    return stats[SERIES_COLUMNS]


def series_polygons(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reclaimed pieces (:func:`reclaimed_pieces`) as the zones of the FVC series: ``zone_id`` the
    polygon id, ``zone_name`` the mine, the county in ``county_id``, ``county_name``."""
    polys = pieces.rename(columns={"polygon_id": "zone_id", "zone_id": "county_id", "zone_name": "county_name"})
    return polys.assign(zone_name=polys["mine"])


#: Band names of red and NIR in the cubes geo-sink takes: its own (:func:`geo_sink.io.scenes.scene_cube`),
#: odc-stac's and stackstac's for Sentinel-2 (Earth Search, Planetary Computer) and Landsat C2.
CUBE_BANDS = {"red": ("red", "B04", "B4", "SR_B4", "sr_b4"), "nir": ("nir", "nir08", "B08", "B8", "SR_B5", "sr_b5")}


def cube_bands(cube, mask=None):
    """Red and NIR (time, y, x) of a cube: a DataArray with a ``band`` dimension or a Dataset with
    one variable per band (names in :data:`CUBE_BANDS`), NaN where ``mask`` (boolean, True where
    the pixel is clear) is False."""
    import sys

    from geo_sink.errors import InputDataError
    from geo_sink.dataarrays import array_label, is_dataarray
    xr = sys.modules.get("xarray")
    out = []
    for band, names in CUBE_BANDS.items():
        if is_dataarray(cube):
            if "band" not in cube.dims:
                raise InputDataError(f"{array_label(cube)}: a cube needs a 'band' dimension with red and NIR "
                                     f"(or pass a Dataset with variables {CUBE_BANDS['red'][0]!r}, {CUBE_BANDS['nir'][0]!r})")
            have = [str(b) for b in cube.coords["band"].values]
            hit = next((n for n in names if n in have), None)
            if hit is None:
                raise InputDataError(f"{array_label(cube)}: no {band} band (looked for {names}; the cube has {have})")
            out.append(cube.sel(band=hit, drop=True))
        elif xr is not None and isinstance(cube, xr.Dataset):
            hit = next((n for n in names if n in cube.data_vars), None)
            if hit is None:
                raise InputDataError(f"Dataset: no {band} variable (looked for {names}; it has {list(cube.data_vars)})")
            out.append(cube[hit])
        else:
            raise TypeError(f"cube must be an xarray DataArray or Dataset, got {type(cube).__name__}")
    if "time" not in out[0].dims:
        raise InputDataError(f"{array_label(out[0])}: a cube needs a 'time' dimension")
    if mask is not None:
        out = [b.where(mask) for b in out]
    return out[0], out[1]


#: How a cube's values are taken: as reflectance already (what the range check says when they are not).
CUBE_SCALING_NOTE = ("none: the cube's values as given; scale digital numbers to reflectance first (Sentinel-2 L2A: "
                     "(DN + BOA_ADD_OFFSET) / 10000; Landsat C2 L2: DN x 0.0000275 - 0.2)")


def fvc_series_from_cube(cube, pieces: gpd.GeoDataFrame, params: dict, mask=None):
    """FVC of the reclaimed pieces at every time step of a reflectance cube.

    Parameters
    ----------
    cube : xarray.DataArray (time, band, y, x) or Dataset of (time, y, x) bands
        Surface reflectance (scaled: 0..1), NaN where masked; red and NIR named as in
        :data:`CUBE_BANDS`; a CRS and a north-up grid (:mod:`geo_sink.dataarrays`).  In memory or
        dask-backed: one time step is read at a time (its NDVI end-members are percentiles of the
        whole scene).  Coordinates ``scene``, ``product`` and ``cell_m`` along time are used when
        present (:func:`geo_sink.io.scenes.scene_cube` sets them), else the date, "cube" and the
        cube's cell.
    pieces : GeoDataFrame
        Reclaimed pieces (:func:`reclaimed_pieces`).
    params : dict
        The catalog's ``reclamation_parameters`` (percentiles, vegetated threshold).
    mask : boolean DataArray (time, y, x), optional
        True where a pixel is clear (e.g. from SCL or QA_PIXEL); the rest is masked.

    Returns
    -------
    (fvc, series)
        ``fvc``: DataArray (time, y, x) of FVC with ``units`` "1", lazy for a dask cube, the NDVI
        end-members of each step as coordinates ``ndvi_soil`` and ``ndvi_veg``; ``series``: the
        :data:`SERIES_COLUMNS` rows, the same as the scene folders give (:func:`update_series`).
    """
    import xarray as xr

    from geo_sink.dataarrays import north_up
    from geo_sink.io.scenes import _check_range
    from geo_sink.sinks.reclamation import fvc as fvc_of, ndvi as ndvi_of

    red, nir = cube_bands(cube, mask)
    polys = series_polygons(pieces)
    times = red.coords["time"].values
    rows, lo, hi = [], [], []
    for i, t in enumerate(times):
        r, n = red.isel(time=i), nir.isel(time=i)
        (rv, grid, _, label), (nv, _, _, _) = north_up(r), north_up(n)
        rv, nv = rv.values, nv.values
        for name, v in (("red", rv), ("NIR", nv)):      # a cube of digital numbers is refused
            _check_range(label, name, v, np.isfinite(v), CUBE_SCALING_NOTE)
        coord = (lambda k, d: str(r.coords[k].values) if k in r.coords else d)
        date = str(np.datetime64(t, "D"))
        cell = float(r.coords["cell_m"].values) if "cell_m" in r.coords else grid_cell_size(grid).max_m
        got = series_rows(rv, nv, grid, polys, params, coord("scene", date), coord("product", "cube"), date, cell)
        rows.append(got)
        lo.append(float(got["ndvi_soil"].iloc[0]) if len(got) else np.nan)
        hi.append(float(got["ndvi_veg"].iloc[0]) if len(got) else np.nan)
    series = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=SERIES_COLUMNS)
    soil = xr.DataArray(lo, dims="time", coords={"time": times})
    veg = xr.DataArray(hi, dims="time", coords={"time": times})
    cover = fvc_of(ndvi_of(red, nir), soil, veg).assign_coords(ndvi_soil=soil, ndvi_veg=veg)
    return cover, series.sort_values(["date", "polygon_id"], kind="stable").reset_index(drop=True)


def _scene_task(sc, polys, params):
    """:func:`scene_fvc` on a worker: a scene error comes back as (class name, message), since
    an exception chained to a GDAL error does not always survive dask's serialisation."""
    try:
        return scene_fvc(sc, polys, params), None
    except (SceneError, ValueError) as e:
        return None, (type(e).__name__, str(e))


def _unwrap(result):
    rows, err = result
    if err is not None:
        raise (SceneError if err[0] == "SceneError" else ValueError)(err[1])
    return rows


#: Column of the FVC series that keys a scene's rows: SHA-256 of the scene's files, the reclaimed
#: polygons, the FVC parameters and the code version.  Rows are reused only while it matches.
SCENE_KEY = "scene_key"


def sites_fingerprint(polys: gpd.GeoDataFrame, params: dict) -> str:
    """What besides the scene decides its FVC rows: the reclaimed pieces (ids and geometry), the
    FVC parameters, the series columns and geo-sink's source (a patched install reads every
    scene again)."""
    import hashlib
    import json

    from geo_sink.io.fingerprint import code_digest
    h = hashlib.sha256()
    for pid, wkb in sorted(zip(polys["zone_id"].astype(str), shapely.to_wkb(polys.geometry.values, hex=True))):
        h.update(f"{pid}:{wkb}\n".encode())
    h.update(json.dumps({k: float(v) for k, v in params.items()}, sort_keys=True).encode())
    h.update(json.dumps(SERIES_COLUMNS).encode() + code_digest().encode())
    return h.hexdigest()


def _usable_series(old: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of an old series that can be reused (none from a file without keys or columns)."""
    need = set(SERIES_COLUMNS) | {SCENE_KEY}
    if old is None or not len(old) or not need <= set(old.columns):
        return pd.DataFrame(columns=SERIES_COLUMNS + [SCENE_KEY])
    return old[[c for c in old.columns if c != "synthetic"]]


def read_series(path) -> tuple[pd.DataFrame | None, str | None]:
    """An existing ``fvc_series.csv``, or (None, why) when it is missing or unreadable (then every
    scene is read again)."""
    path = Path(path)
    if not path.exists():
        return None, None
    try:
        old = pd.read_csv(path, dtype={"zone_id": str, "scene": str, SCENE_KEY: str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        return None, f"{path.name} of the last run is unreadable ({type(e).__name__}: {e}); every scene is read again"
    miss = sorted((set(SERIES_COLUMNS) | {SCENE_KEY}) - set(old.columns))
    if miss == [SCENE_KEY]:
        return None, f"{path.name} of the last run has no scene keys (an older geo-sink): all scenes measured afresh"
    if miss:
        return None, f"{path.name} of the last run lacks columns {miss}; every scene is read again"
    return old, None


def update_series(old: pd.DataFrame | None, scenes, pieces: gpd.GeoDataFrame, params: dict,
                  on_error: str = "raise", client=None) -> tuple[pd.DataFrame, list[str]]:
    """FVC series of ``scenes``: one row per reclaimed polygon and scene, date order.

    Rows of ``old`` are kept for a scene while its key (:data:`SCENE_KEY`: the content of its
    files, the polygons, the parameters) matches and all its polygons are there; a scene whose
    files changed is read again; scenes no longer in ``scenes`` drop out.
    ``on_error='raise'`` raises the first :class:`SceneError` (nothing is written by the caller);
    ``'skip'`` leaves the scene out and reports it.  With ``client`` (dask.distributed) the
    scenes to read are read and measured on the workers, one task per scene; same rows.
    """
    import hashlib

    from geo_sink.io.scenes import scene_fingerprint
    old = _usable_series(old)
    polys = series_polygons(pieces)
    sites = sites_fingerprint(polys, params)
    keys = {}
    for sc in scenes:
        try:
            fp = scene_fingerprint(sc.path)
        except OSError:
            fp = "unreadable"
        keys[Path(sc.path).name] = hashlib.sha256(f"{fp}:{sites}".encode()).hexdigest()
    want = set(polys["zone_id"].astype(str))
    kept = []
    if len(old):
        for (name, key), rows in old.groupby(["scene", SCENE_KEY], sort=False):
            if keys.get(str(name)) == key and set(rows["polygon_id"].astype(str)) == want:
                kept.append(rows)
    old = pd.concat(kept, ignore_index=True) if kept else old.iloc[0:0]
    have = set(old["scene"].astype(str))
    todo = [sc for sc in scenes if Path(sc.path).name not in have]
    if client is not None and todo:
        futures = [client.submit(_scene_task, sc, polys, params, pure=False) for sc in todo]
        results = [lambda f=f: _unwrap(f.result()) for f in futures]
    else:
        results = [lambda sc=sc: scene_fvc(sc, polys, params) for sc in todo]
    frames, problems = [old], []
    for sc, result in zip(todo, results):
        try:
            frames.append(result().assign(**{SCENE_KEY: keys[Path(sc.path).name]}))
        except (SceneError, ValueError) as e:
            if on_error == "raise":
                raise
            problems.append(f"{Path(sc.path).name}: skipped ({e})")
    series = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else old
    return series.sort_values(["date", "polygon_id"], kind="stable").reset_index(drop=True), problems


def _rates(cat) -> pd.DataFrame:
    path = cat.dataset_path("reclaimed_carbon")
    return check_reclaimed_rates(read_table(path, RATE_COLUMNS), str(path))


@dataclass
class ReclamationSites:
    """What the mine polygons alone give: the reclamation rate per mine and county (now and at
    the end of each year) and the reclaimed pieces the vegetation cover is measured on."""
    per_mine: pd.DataFrame
    per_zone: pd.DataFrame
    per_mine_by_year: pd.DataFrame
    per_zone_by_year: pd.DataFrame
    pieces: gpd.GeoDataFrame


def reclamation_sites(project, zones: gpd.GeoDataFrame) -> ReclamationSites:
    """The rate part of the reclamation (mine polygons only, no scene)."""
    disturbed, reclaimed = load_sites(project)
    per_mine, per_zone = reclamation_rate(disturbed, reclaimed, zones)
    mine_years, zone_years = reclamation_rate_by_year(disturbed, reclaimed, zones)
    return ReclamationSites(per_mine, per_zone, mine_years, zone_years, reclaimed_pieces(reclaimed, disturbed, zones))


def run_reclamation(project, zones: gpd.GeoDataFrame, out_dir: Path, draws: int, seed: int,
                    on_error: str = "skip", client=None, sites: ReclamationSites | None = None) -> ReclamationResult:
    """Rates (:func:`reclamation_sites`, or ``sites`` computed already), the FVC series of the
    scenes (rows of unchanged scenes kept from ``out_dir``'s series), vegetation cover and the
    reclaimed land's carbon."""
    cat = load_catalog()
    params = reclamation_params(cat)
    sites = sites if sites is not None else reclamation_sites(project, zones)
    per_mine, per_zone, pieces = sites.per_mine, sites.per_zone, sites.pieces
    mine_years, zone_years = sites.per_mine_by_year, sites.per_zone_by_year
    old, why = read_series(Path(out_dir) / "fvc_series.csv")
    from geo_sink.runs.scenes import project_scenes
    scenes = project_scenes(project)
    series, problems = update_series(old, scenes, pieces, params, on_error=on_error, client=client)
    if why:
        problems.insert(0, why)
    latest = pd.DataFrame()
    if len(series):
        last = series[series["date"] == series["date"].max()]
        # per county: area-weighted over the reclaimed polygons of the latest scene
        w = last.merge(pieces[["polygon_id", "area_km2"]], on="polygon_id")
        g = w.assign(fw=w["mean_fvc"] * w["valid_km2"], sw=w["share_vegetated_pct"] * w["valid_km2"])
        latest = g.groupby(["zone_id", "zone_name"]).agg(reclaimed_km2=("area_km2", "sum"),
                                                         valid_km2=("valid_km2", "sum"),
                                                         masked_km2=("masked_km2", "sum"),
                                                         fw=("fw", "sum"), sw=("sw", "sum")).reset_index()
        latest["mean_fvc"] = latest["fw"] / latest["valid_km2"]
        latest["share_vegetated_pct"] = latest["sw"] / latest["valid_km2"]
        latest["date"] = series["date"].max()
        latest["note"] = NDVI_SATURATION_NOTE
        latest = latest.drop(columns=["fw", "sw"])
        # the coarsest scene cell of the latest date decides whether the cover target can be judged
        cell = pd.to_numeric(last.get("cell_m", pd.Series(dtype=float)), errors="coerce").max()
        rules = check_rules(pd.read_csv(cat.dataset_path("measurability_rules")), "measurability_rules")
        rule = rules[rules["indicator"] == "reclaimed_land_vegetation_cover"]
        limit = float(rule["max_cell_m"].iloc[0]) if len(rule) else np.inf
        latest["scene_cell_m"] = cell
        if not np.isfinite(cell):
            latest["measurable"] = pd.array([pd.NA] * len(latest), dtype="boolean")
            latest["measurability_note"] = ("scene cell size not recorded (series rows from an older geo-sink): "
                                            "run again with a fresh fvc_series.csv to judge the cover target")
        else:
            latest["measurable"] = pd.array([cell <= limit] * len(latest), dtype="boolean")
            latest["measurability_note"] = (f"scene cell {cell:.0f} m {'<=' if cell <= limit else '>'} {limit:.0f} m limit "
                                            "for vegetation of reclaimed platforms and slopes")
    co2 = constants(cat.dataset_path("carbon_constants"))["co2_per_c"]
    # the year of the latest scene measured (a skipped scene's date does not count)
    now = max([int(str(d)[:4]) for d in (series["date"] if len(series) else [])]
              + [int(pieces["year"].max()) if len(pieces) else 2020])
    rates = _rates(cat)
    piece_table = pd.DataFrame(pieces.drop(columns="geometry"))
    carbon = reclaimed_carbon(piece_table, rates, now, co2, draws=draws, seed=seed)
    by_zone = reclaimed_carbon_by_zone(piece_table, rates, now, co2, draws=draws, seed=seed,
                                       total=project.total_zone()).assign(year=now)
    return ReclamationResult(per_mine, per_zone, series, latest, carbon, by_zone, problems,
                             mine_years, zone_years)


def write_reclamation(res: ReclamationResult, out_dir: Path, synthetic: bool, targets) -> list[str]:
    """Write the reclamation tables (series last, atomically); return one line per finding."""
    return (write_rates(res, out_dir, synthetic, targets)
            + write_cover(res, out_dir, synthetic, targets))


def write_rates(res, out_dir: Path, synthetic: bool, targets) -> list[str]:
    """The rate tables (per mine and county, now and per year) against the rate bar; ``res`` a
    :class:`ReclamationResult` or :class:`ReclamationSites`."""
    out_dir = Path(out_dir)
    rate_bar = {t.indicator: t for t in targets}.get("mine_land_reclamation_rate")
    pm = res.per_mine.assign(synthetic=synthetic)
    pz = res.per_zone.assign(synthetic=synthetic)
    if rate_bar is not None:
        for df in (pm, pz):
            df["bar_pct"] = rate_bar.value
            df["meets_bar"] = df["rate_pct"] >= rate_bar.value
    write_table(pm, out_dir / "reclamation_by_mine.csv")
    write_table(pz, out_dir / "reclamation_by_county.csv")
    for df, name in ((res.per_mine_by_year, "reclamation_by_mine_year.csv"),
                     (res.per_zone_by_year, "reclamation_by_county_year.csv")):
        df = df.assign(synthetic=synthetic)
        if rate_bar is not None and "rate_pct" in df:
            df["bar_pct"] = rate_bar.value
            df["meets_bar"] = df["rate_pct"] >= rate_bar.value
        write_table(df, out_dir / name)
    lines = []
    for r in pm.itertuples():
        lines.append(f"{r.mine}: reclaimed {r.reclaimed_km2:.2f} of {r.disturbed_km2:.2f} km² disturbed "
                     f"({r.rate_pct:.1f}%{'' if rate_bar is None else (' >= ' if r.rate_pct >= rate_bar.value else ' < ') + f'{rate_bar.value:g}% bar'})")
    return lines


def write_cover(res: ReclamationResult, out_dir: Path, synthetic: bool, targets) -> list[str]:
    """The vegetation cover, reclaimed carbon and FVC series tables (series last)."""
    out_dir = Path(out_dir)
    cover_bar = {t.indicator: t for t in targets}.get("reclaimed_land_vegetation_cover")
    lines = []
    if len(res.latest):
        lt = res.latest.assign(synthetic=synthetic)
        if cover_bar is not None:
            lt["bar_pct"] = cover_bar.value
            judged = lt["measurable"].fillna(False).astype(bool) if "measurable" in lt else True
            lt["meets_bar"] = pd.array([bool(v >= cover_bar.value) if j else pd.NA for v, j in
                                        zip(lt["share_vegetated_pct"], np.broadcast_to(judged, len(lt)))],
                                       dtype="boolean")
        write_table(lt, out_dir / "vegetation_cover_by_county.csv")
        for r in lt.itertuples():
            lines.append(f"{r.zone_name}: reclaimed land {r.share_vegetated_pct:.1f}% vegetated, mean FVC "
                         f"{r.mean_fvc:.2f} ({r.date}; {r.masked_km2:.2f} km² masked by cloud/shadow, not counted)")
    write_table(res.carbon.drop(columns=[c for c in ("geometry",) if c in res.carbon]).assign(synthetic=synthetic),
                out_dir / "reclaimed_carbon.csv")
    write_table(res.carbon_by_zone.assign(synthetic=synthetic), out_dir / "reclaimed_carbon_by_county.csv")
    for r in res.carbon_by_zone.itertuples():
        iv = (f" (5-95% {r.sink_t_co2e_yr_p05:,.0f}-{r.sink_t_co2e_yr_p95:,.0f})"
              if hasattr(r, "sink_t_co2e_yr_p05") else "")
        lines.append(f"{r.zone_name}: reclaimed land sink {r.sink_t_co2e_yr:,.0f} t CO2e/yr in {r.year}{iv}, "
                     f"{r.cumulative_t_co2e:,.0f} t CO2e since reclamation")
    # full precision: a later run reads the series back and must compute what a fresh read would
    write_table(res.series.assign(synthetic=synthetic), out_dir / "fvc_series.csv", float_format=None)
    lines.extend(res.problems)
    return lines
