"""Region project files: one YAML file describes a study area, re-run for years.

:func:`load_project` validates the whole file and checks every path before any computation
starts; all problems are reported together in one :class:`ProjectError`, each naming the key
and the expected form.  Relative paths resolve against the project file's folder.

Example (the embedded 石家庄市 project, ``data_catalog/regions/石家庄市.yaml``)::

    name: 石家庄市
    boundary: {region: 河北省/石家庄市, level: county}
    landcover:
      - {year: 2019, dataset: mcd12c1_2019_china}
    targets: [sjz_forest_coverage_2025, sjz_forest_coverage_2030]
    output: ../../maps/石家庄市
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import (BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator,
                      model_validator)

from geo_sink.catalog import Catalog, load_catalog
from geo_sink.errors import InputDataError

YEARS = (1985, 2100)


class ProjectError(InputDataError):
    """A region project file is invalid; the message lists every problem found."""

    def __init__(self, path, problems: list[str]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BoundarySpec(_Spec):
    """Either a Chinese region (name, path or adcode) or a polygon file with id/name fields."""

    region: str | None = None
    level: Literal["county", "city", "province", "self"] = "county"
    file: Path | None = None
    id_field: str | None = None
    name_field: str | None = None
    layer: str | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.region is None) == (self.file is None):
            raise ValueError("give exactly one of 'region' (Chinese name/adcode) or 'file'")
        if self.file is not None and not self.id_field:
            raise ValueError("a boundary 'file' needs 'id_field' (and usually 'name_field')")
        return self


class LandCoverSpec(_Spec):
    """One land-cover map: a file with its legend, or a catalog dataset id."""

    year: int = Field(ge=YEARS[0], le=YEARS[1])
    path: Path | None = None
    dataset: str | None = None
    legend: str | None = None
    crs: str | None = None
    synthetic: bool = False

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, v):
        if v is not None:
            check_crs_string(v)
        return v

    @model_validator(mode="after")
    def _source(self):
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of 'path' or 'dataset' (catalog id)")
        if self.path is not None and self.legend is None:
            raise ValueError("a land-cover 'path' needs 'legend' (worldcover, clcd, modis_igbp, globeland30)")
        return self


class GrowingStockSpec(_Spec):
    """Forest growing stock (蓄积量): a raster in m3/ha, or an inventory table by county and type."""

    raster: Path | None = None
    table: Path | None = None
    year: int = Field(ge=YEARS[0], le=YEARS[1])

    @model_validator(mode="after")
    def _source(self):
        if (self.raster is None) == (self.table is None):
            raise ValueError("give exactly one of 'raster' (m3/ha) or 'table' (CSV: zone_id, forest_type, volume_m3)")
        return self


class SceneSpec(_Spec):
    """A red/NIR scene: a folder with the product's band files as distributed."""

    path: Path
    product: Literal["sentinel2_l2a", "landsat_c2_l2"]
    date: dt.date


class WetlandSpec(_Spec):
    """Named wetland polygons (e.g. wetland parks) measured besides the legend's wetland classes."""

    file: Path
    name_field: str = "name"


class ImagerySpec(_Spec):
    scenes: list[SceneSpec] = Field(default_factory=list)
    inbox: Path | None = None
    stac: Path | None = None


class MinesSpec(_Spec):
    """Disturbed land (open pit, waste dump, subsidence) and reclaimed land polygons."""

    disturbed: Path
    reclaimed: Path | None = None
    mine_field: str = "mine"
    type_field: str = "type"
    year_field: str = "year"
    vegetation_field: str = "vegetation"


class SubsidenceSpec(_Spec):
    """An InSAR deformation raster or longwall panels with mining parameters.

    InSAR: ``unit`` is the raster's unit, ``mm`` (cumulative displacement) or ``mm/yr`` (a rate);
    ``sign`` the sign subsidence has in it (``negative``, the default: line-of-sight or vertical
    motion away from the satellite / downward is negative, as SBAS and LiCSBAS deliver it;
    ``positive`` for a subsidence map drawn positive down).  Uplift is never counted as subsidence.
    The boundary threshold carries its own unit: ``threshold_mm`` (cumulative, 10 mm by default) or
    ``threshold_mm_yr`` (a rate); comparing a rate raster with a cumulative threshold, or the
    reverse, needs ``years``, the span over which the rate acts (cumulative = rate x years).
    """

    insar: Path | None = None
    unit: Literal["mm", "mm/yr"] | None = None
    sign: Literal["negative", "positive"] = "negative"
    years: float | None = Field(default=None, gt=0)
    line_of_sight: bool = False
    incidence_deg: float | None = Field(default=None, gt=0, lt=90)
    panels: Path | None = None
    threshold_mm: float | None = Field(default=None, gt=0)
    threshold_mm_yr: float | None = Field(default=None, gt=0)
    active_rate_mm_yr: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _source(self):
        if (self.insar is None) == (self.panels is None):
            raise ValueError("give exactly one of 'insar' (raster) or 'panels' (polygons)")
        if self.insar is not None and self.unit is None:
            raise ValueError("an 'insar' raster needs 'unit': mm (cumulative) or mm/yr (rate)")
        if self.line_of_sight and self.incidence_deg is None:
            raise ValueError("line-of-sight InSAR needs 'incidence_deg' to project to the vertical")
        if self.threshold_mm is not None and self.threshold_mm_yr is not None:
            raise ValueError("give one boundary threshold: 'threshold_mm' (cumulative) or 'threshold_mm_yr' (rate)")
        unit = self.unit if self.insar is not None else "mm"
        if self.threshold_unit != unit and self.years is None:
            raise ValueError(f"the raster is in {unit} but the boundary threshold in {self.threshold_unit}: "
                             "give 'years' (the span over which the rate acts; cumulative = rate x years) "
                             + ("or 'threshold_mm_yr' (a rate boundary)" if unit == "mm/yr" else ""))
        if self.panels is not None and self.threshold_mm_yr is not None:
            raise ValueError("longwall panels give final (cumulative) subsidence: use 'threshold_mm'")
        if self.active_rate_mm_yr is not None and unit != "mm/yr":
            raise ValueError("'active_rate_mm_yr' needs a rate raster ('unit: mm/yr')")
        return self

    @property
    def threshold(self) -> float:
        """The boundary threshold in :attr:`threshold_unit` (10 mm cumulative when none is given)."""
        return self.threshold_mm_yr if self.threshold_mm_yr is not None else (
            self.threshold_mm if self.threshold_mm is not None else 10.0)

    @property
    def threshold_unit(self) -> str:
        return "mm/yr" if self.threshold_mm_yr is not None else "mm"


class PVConstraintsSpec(_Spec):
    cropland: Path | None = None
    redline: Path | None = None
    roads: Path | None = None
    settlements: Path | None = None
    rivers: Path | None = None
    dem: Path | None = None


class PVSpec(_Spec):
    """PV yield and CO2 inputs.

    ``weather``: an hourly weather file instead of the default year built from the monthly
    climatology: a CSV with ``time, ghi, dni, dhi, temp_air, wind_speed``, an EnergyPlus EPW or a
    TMY3 CSV (``weather_format`` when the suffix does not say: ``csv``, ``epw``, ``tmy3``).
    ``grid_factor`` / ``alt_grid_factor``: ids from ``pv/grid_emission_factors.csv`` or
    ``pv/combined_margin.csv`` (default: the latest average factor of the project's province,
    else its regional grid, else national; and the regional combined margin beside it).
    """

    weather: Path | None = None
    weather_format: Literal["csv", "epw", "tmy3"] | None = None
    grid_factor: str | None = None
    alt_grid_factor: str | None = None


class CatalogTargetRef(_Spec):
    """A catalog target (``data_catalog/targets.yaml``) used for a region other than its own:
    ``{id: sjz_forest_coverage_2025, apply_to: 忻府区}`` holds 忻府区 to 石家庄市's 43%, and says so."""

    id: str = Field(min_length=1)
    apply_to: str = Field(min_length=1, description="the project's region or one of its counties (name or adcode)")


class InlineTarget(_Spec):
    """A target the project defines itself (e.g. from a county's own plan).

    ``value`` is in ``unit``, which must be a unit of ``indicator`` (``data_catalog/units.csv``);
    ``region`` is the project's region (default) or one of its counties, by name or adcode.
    """

    id: str = Field(min_length=1)
    indicator: str
    value: float
    unit: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    comparison: Literal[">=", "<=", "~", "=="] = ">="
    document: str = Field(min_length=2, description="the document that sets the target (title, number, date)")
    region: str | None = None
    article: str | None = None
    quote: str | None = None
    status: Literal["target", "reported_achieved"] = "target"
    note: str | None = None


class InlineBaseline(_Spec):
    """A baseline the targets are measured from, e.g. installed capacity and its new-energy share:
    ``{indicator: installed_power_capacity, region: 忻府区, year: 2020, value: 120, unit: 10^4 kW,
    new_energy_share_pct: 35, document: "…"}``."""

    id: str | None = None
    indicator: str
    value: float
    unit: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    document: str = Field(min_length=2)
    region: str | None = None
    new_energy_share_pct: float | None = Field(default=None, ge=0, lt=100)
    article: str | None = None
    quote: str | None = None
    note: str | None = None


def _target_kind(v) -> str:
    if isinstance(v, str):
        return "catalog_id"
    if isinstance(v, dict):
        return "inline" if "indicator" in v else "apply"
    return "catalog_id"


TargetEntry = Annotated[Union[Annotated[str, Tag("catalog_id")], Annotated[CatalogTargetRef, Tag("apply")],
                              Annotated[InlineTarget, Tag("inline")]], Discriminator(_target_kind)]
BaselineEntry = Annotated[Union[Annotated[str, Tag("catalog_id")], Annotated[InlineBaseline, Tag("inline")]],
                          Discriminator(lambda v: "inline" if isinstance(v, dict) else "catalog_id")]


class ProjectSpec(_Spec):
    name: str = Field(min_length=1)
    boundary: BoundarySpec
    landcover: list[LandCoverSpec] = Field(default_factory=list)
    growing_stock: GrowingStockSpec | None = None
    wetlands: WetlandSpec | None = None
    imagery: ImagerySpec | None = None
    mines: MinesSpec | None = None
    subsidence: SubsidenceSpec | None = None
    pv_constraints: PVConstraintsSpec | None = None
    pv: PVSpec | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    #: catalog target ids, catalog targets applied to this region ({id, apply_to}), or inline targets
    targets: list[TargetEntry] = Field(default_factory=list)
    #: catalog baseline ids or inline baselines (installed capacity and its new-energy share, …)
    baselines: list[BaselineEntry] = Field(default_factory=list)
    output: Path
    synthetic: bool = False
    #: IPCC climate zone(s) instead of the decision from the station table: one zone for every
    #: county, or {county name or adcode: zone}.
    climate_zone: str | dict[str, str] | None = None
    #: Which IPCC Tier 1 defaults: the 2006 Guidelines, or the 2019 Refinement where it changed them.
    ipcc_edition: Literal["2006", "2019"] = "2006"

    @field_validator("climate_zone")
    @classmethod
    def _known_zones(cls, v):
        from geo_sink.sinks.climate import ZONES
        zones = [v] if isinstance(v, str) else list((v or {}).values())
        bad = sorted({z for z in zones if z not in ZONES})
        if bad:
            raise ValueError(f"unknown IPCC climate zone(s) {bad}; expected one of {list(ZONES)}")
        return v

    @field_validator("landcover")
    @classmethod
    def _unique_years(cls, v):
        years = [lc.year for lc in v]
        dup = sorted({y for y in years if years.count(y) > 1})
        if dup:
            raise ValueError(f"land-cover years must be unique, {dup} repeat")
        return sorted(v, key=lambda lc: lc.year)


def _describe(err) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    return f"{loc}: {msg}"


class Project:
    """A validated region project with absolute paths.

    Attributes
    ----------
    path : Path
        The project file.
    spec : ProjectSpec
        Its content, every path made absolute.
    """

    def __init__(self, path: Path, spec: ProjectSpec):
        self.path = path
        self.spec = spec
        #: problems that do not stop a run (e.g. a raster that holds only nodata), for ``check`` and runs
        self.warnings: list[str] = []
        #: things worth saying (e.g. how the name becomes a file name)
        self.notes: list[str] = []
        #: the region and its counties (:class:`geo_sink.targets.RegionScope`), set by load_project
        self.scope = None
        #: targets and baselines resolved to the region's zones, in the catalog's units
        self.targets: list = []
        self.baselines: list = []

    @property
    def file_stem(self) -> str:
        """The project name as a file name (the report ``<file_stem>.html``): never a path."""
        return safe_file_name(self.spec.name)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def output(self) -> Path:
        return self.spec.output

    def total_zone(self) -> tuple[str, str]:
        """(zone_id, zone_name) of the rows that sum all counties: the region's adcode and name
        when the boundary names a Chinese region (e.g. ("140600", "朔州市")), else ("ALL", name)."""
        b = self.spec.boundary
        if b.region is not None:
            from geo_sink.io.boundaries import resolve_region
            r = resolve_region(b.region)
            return r.adcode, r.name
        return "ALL", self.name

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {self.path})"


def check_crs_string(value: str) -> str:
    """``value`` if pyproj understands it as a CRS (``EPSG:4326``, WKT, PROJ), else ValueError."""
    import pyproj
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise ValueError(f"{value!r} is not a CRS pyproj understands (e.g. EPSG:4326, EPSG:32649, a WKT string)") from None
    return value


def safe_file_name(name: str, fallback: str = "project", max_bytes: int = 200) -> str:
    """A project or county name as one file name: path separators, control characters and
    characters Windows refuses become ``_``, leading dots and spaces go, at most ``max_bytes``
    bytes of UTF-8; names are data, never paths (``../x`` -> ``_x``)."""
    import re
    import unicodedata
    text = unicodedata.normalize("NFC", str(name))
    text = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", text)
    text = text.strip().lstrip(". ").rstrip(". ")
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text or fallback


def _absolute(spec: ProjectSpec, base: Path) -> ProjectSpec:
    """The same spec with every Path field resolved against ``base``."""

    def fix(obj):
        if isinstance(obj, BaseModel):
            upd = {k: fix(getattr(obj, k)) for k in type(obj).model_fields}
            return obj.model_copy(update=upd)
        if isinstance(obj, Path):
            return obj if obj.is_absolute() else (base / obj)
        if isinstance(obj, list):
            return [fix(x) for x in obj]
        return obj

    return fix(spec)


def _check_paths(spec: ProjectSpec, cat: Catalog) -> list[str]:
    """Every referenced file, catalog id and CRS checked; one message per problem."""
    import rasterio

    probs: list[str] = []

    def need(p: Path | None, key: str, kind: str = "file"):
        if p is None:
            return
        if kind == "dir" and not p.is_dir():
            probs.append(f"{key}: folder {p} does not exist")
        elif kind == "file" and not p.exists():
            probs.append(f"{key}: file {p} does not exist")

    b = spec.boundary
    need(b.file, "boundary.file")
    if b.region is not None:
        from geo_sink.io.boundaries import resolve_region
        try:
            resolve_region(b.region)
        except LookupError as e:
            probs.append(f"boundary.region: {e}")
    for i, lc in enumerate(spec.landcover):
        key = f"landcover[{i}] (year {lc.year})"
        if lc.dataset is not None and lc.dataset not in cat.datasets:
            probs.append(f"{key}.dataset: unknown catalog dataset {lc.dataset!r}; expected one of {sorted(cat.datasets)}")
        if lc.legend is not None and lc.legend not in cat.legends:
            probs.append(f"{key}.legend: unknown legend {lc.legend!r}; expected one of {sorted(cat.legends)}")
        if lc.path is not None:
            if not lc.path.exists():
                probs.append(f"{key}.path: file {lc.path} does not exist")
                continue
            try:
                with rasterio.open(lc.path) as src:
                    crs = src.crs
            except rasterio.errors.RasterioIOError as e:
                probs.append(f"{key}.path: {lc.path} is not a readable raster ({e})")
                continue
            if crs is None and lc.crs is None:
                probs.append(f"{key}.path: {lc.path} has no CRS; add 'crs' (e.g. EPSG:4326)")
            elif crs is not None and lc.crs is not None:
                import pyproj
                if not pyproj.CRS(crs.to_wkt()).equals(pyproj.CRS(lc.crs), ignore_axis_order=True):
                    probs.append(f"{key}.crs: the project says {lc.crs} but {lc.path.name} is in "
                                 f"{pyproj.CRS(crs.to_wkt()).name}")
    if spec.growing_stock is not None:
        need(spec.growing_stock.raster, "growing_stock.raster")
        need(spec.growing_stock.table, "growing_stock.table")
    if spec.wetlands is not None:
        need(spec.wetlands.file, "wetlands.file")
    if spec.imagery is not None:
        for i, sc in enumerate(spec.imagery.scenes):
            need(sc.path, f"imagery.scenes[{i}].path", "dir")
        need(spec.imagery.inbox, "imagery.inbox", "dir")
        need(spec.imagery.stac, "imagery.stac")
    if spec.mines is not None:
        need(spec.mines.disturbed, "mines.disturbed")
        need(spec.mines.reclaimed, "mines.reclaimed")
    if spec.subsidence is not None:
        need(spec.subsidence.insar, "subsidence.insar")
        need(spec.subsidence.panels, "subsidence.panels")
    if spec.pv_constraints is not None:
        for k in PVConstraintsSpec.model_fields:
            need(getattr(spec.pv_constraints, k), f"pv_constraints.{k}")
    if spec.pv is not None:
        need(spec.pv.weather, "pv.weather")
        ids = [(k, getattr(spec.pv, k)) for k in ("grid_factor", "alt_grid_factor") if getattr(spec.pv, k)]
        if ids:
            from geo_sink.pv.siting_run import grid_factor_tables
            known = sorted(set().union(*(t.index for t in grid_factor_tables(cat))))
            for k, v in ids:
                if v not in known:
                    probs.append(f"pv.{k}: unknown grid factor {v!r}; expected one of {known}")
    for k, v in spec.parameters.items():
        if v not in cat.datasets:
            probs.append(f"parameters.{k}: unknown catalog id {v!r}")
    return probs


def load_project(path, catalog: Catalog | None = None) -> Project:
    """Read, validate and check a region project file.

    Parameters
    ----------
    path : path-like
        The YAML file.
    catalog : Catalog, optional
        Catalog to check ids against (default: :func:`load_catalog`).

    Returns
    -------
    Project

    Raises
    ------
    ProjectError
        Listing every problem: unknown or missing keys, wrong forms, bad years, missing files,
        unknown legends/datasets/targets, CRS mismatches.
    """
    path = Path(path)
    if not path.is_file():
        raise ProjectError(path, ["the project file does not exist"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ProjectError(path, [f"not valid YAML: {e}"]) from None
    except UnicodeDecodeError as e:
        raise ProjectError(path, [f"not a UTF-8 text file (byte {e.start}: {e.reason}); save the project as UTF-8 YAML"]) from None
    if not isinstance(raw, dict):
        raise ProjectError(path, ["expected a mapping of keys at the top level"])
    try:
        spec = ProjectSpec.model_validate(raw)
    except ValidationError as e:
        raise ProjectError(path, [_describe(err) for err in e.errors()]) from None
    spec = _absolute(spec, path.resolve().parent)
    cat = catalog or load_catalog()
    probs = _check_paths(spec, cat)
    more, warns = _check_contents(spec, path.resolve())
    resolved = None
    if not any(p.startswith("boundary") for p in probs + more):
        from geo_sink.targets import resolve, scope_of
        scope = scope_of(spec)
        resolved = resolve(spec.targets, spec.baselines, cat, scope)
        more += resolved.problems
    if probs or more:
        raise ProjectError(path, probs + more)
    project = Project(path.resolve(), spec)
    project.scope = scope
    project.targets, project.baselines = resolved.targets, resolved.baselines
    project.warnings = warns
    if project.file_stem != spec.name:
        project.notes.append(f"name: {spec.name!r} is not a file name; the report is written as "
                             f"{project.file_stem + '.html'!r} inside the output folder")
    return project


def _raster_checks(path: Path, key: str, crs: str | None = None, need_crs: bool = True) -> tuple[list[str], list[str]]:
    """A raster input: readable, with a CRS (or ``crs`` given), not all nodata (a warning)."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window
    if not path.is_file():
        return [], []   # a missing file is reported by _check_paths
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
            if need_crs and src.crs is None and crs is None:
                return [f"{key}: {path} has no CRS (it would be placed at the wrong position); "
                        "write one into the file (gdal_edit.py -a_srs EPSG:...)"], []
            if src.nodata is None and not any(f.name != "all_valid" for f in src.mask_flag_enums[0]):
                return [], []
            step = max(1, 4_000_000 // max(src.width, 1))
            for r0 in range(0, src.height, step):
                m = src.read_masks(1, window=Window(0, r0, src.width, min(step, src.height - r0)))
                if np.any(m):
                    return [], []
            return [], [f"{key}: {path} holds no data: every cell is nodata ({src.nodata}); its results will be empty"]
    except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError) as e:
        return [f"{key}: {path} is not a readable raster ({e})"], []


def _vector_checks(path: Path, key: str, fields: dict[str, str] | None = None, layer: str | None = None,
                   year_field: str | None = None) -> list[str]:
    """A vector input: readable, with a CRS, with the fields the project names."""
    if not path.is_file():
        return []
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            import geopandas as gpd
            g = gpd.read_parquet(path)
            crs, columns = g.crs, [c for c in g.columns if c != g.geometry.name]
        else:
            import pyogrio
            info = pyogrio.read_info(path, layer=layer)
            crs, columns = info["crs"], list(info["fields"])
    except Exception as e:  # pyogrio / arrow raise many kinds
        return [f"{key}: {path} is not a readable vector file ({type(e).__name__}: {e})"]
    if crs is None:
        return [f"{key}: {path} has no CRS; set one in the file (e.g. EPSG:4326)"]
    probs = [f"{key}: {path} has no field {f!r} ({what}); the layer has {columns}"
             for what, f in (fields or {}).items() if f and f not in columns]
    if year_field and year_field in columns and not probs:
        import pandas as pd
        try:
            import pyogrio
            years = pyogrio.read_dataframe(path, layer=layer, columns=[year_field], read_geometry=False)[year_field]
        except Exception:
            years = None
        if years is not None:
            num = pd.to_numeric(years, errors="coerce")
            bad = years[num.isna() | (num % 1 != 0) | (num < YEARS[0]) | (num > YEARS[1])]
            if len(bad):
                probs.append(f"{key}: field {year_field!r} of {path.name} must hold years {YEARS[0]}-{YEARS[1]}; "
                             f"{len(bad)} row(s) hold e.g. {bad.astype(str).head(3).tolist()}")
    return probs


def _check_contents(spec: ProjectSpec, project_file: Path) -> tuple[list[str], list[str]]:
    """Beyond existence: every raster and vector readable and with a CRS, the fields the project
    names, scene dates sane (the folder name, the metadata and the project agree; not in the
    future; not before the satellite's launch), the output folder a folder of its own.
    Returns (problems, warnings)."""
    import os
    probs: list[str] = []
    warns: list[str] = []
    for i, lc in enumerate(spec.landcover):
        if lc.path is not None:
            warns += _raster_checks(lc.path, f"landcover[{i}] (year {lc.year}).path", lc.crs, need_crs=False)[1]
    rasters = [("growing_stock.raster", spec.growing_stock.raster if spec.growing_stock else None),
               ("subsidence.insar", spec.subsidence.insar if spec.subsidence else None),
               ("pv_constraints.dem", spec.pv_constraints.dem if spec.pv_constraints else None)]
    for key, path in rasters:
        if path is not None:
            pr, wr = _raster_checks(path, key)
            probs += pr
            warns += wr
    b = spec.boundary
    if b.file is not None:
        probs += _vector_checks(b.file, "boundary.file", {"id_field": b.id_field, "name_field": b.name_field}, b.layer)
    if spec.wetlands is not None:
        probs += _vector_checks(spec.wetlands.file, "wetlands.file", {"name_field": spec.wetlands.name_field})
    if spec.mines is not None:
        m = spec.mines
        probs += _vector_checks(m.disturbed, "mines.disturbed", {"mine_field": m.mine_field, "type_field": m.type_field})
        if m.reclaimed is not None:
            probs += _vector_checks(m.reclaimed, "mines.reclaimed", {"mine_field": m.mine_field, "year_field": m.year_field,
                                                                     "vegetation_field": m.vegetation_field},
                                    year_field=m.year_field)
    if spec.subsidence is not None and spec.subsidence.panels is not None:
        probs += _vector_checks(spec.subsidence.panels, "subsidence.panels")
    if spec.pv_constraints is not None:
        for k in ("cropland", "redline", "roads", "settlements", "rivers"):
            v = getattr(spec.pv_constraints, k)
            if v is not None:
                probs += _vector_checks(v, f"pv_constraints.{k}")
    if spec.imagery is not None:
        from geo_sink.io.scenes import scene_date_problems
        for i, sc in enumerate(spec.imagery.scenes):
            if sc.path.is_dir():
                probs += [f"imagery.scenes[{i}].date: {x}" for x in scene_date_problems(sc.path, sc.product, sc.date)]
    if spec.imagery is not None and spec.mines is None:
        warns.append("imagery: scenes are used only for the vegetation cover of reclaimed mine land (mines.reclaimed); "
                     "this project has no 'mines' section, so its scenes are read but not used")
    out = Path(os.path.realpath(spec.output))
    if out.exists() and not out.is_dir():
        probs.append(f"output: {spec.output} is a file, not a folder")
    else:
        inputs = [project_file] + [lc.path for lc in spec.landcover if lc.path is not None]
        if spec.imagery is not None:
            inputs += [sc.path for sc in spec.imagery.scenes] + [x for x in (spec.imagery.inbox, spec.imagery.stac) if x]
        for sec in (spec.mines, spec.subsidence, spec.pv_constraints, spec.wetlands, spec.growing_stock, spec.pv):
            if sec is not None:
                inputs += [v for v in sec.model_dump().values() if isinstance(v, Path)]
        if b.file is not None:
            inputs.append(b.file)
        for x in inputs:
            rx = Path(os.path.realpath(x))
            if rx == out or out in rx.parents:
                probs.append(f"output: {spec.output} holds the input {x}; geo-sink replaces its output folder "
                             "as a whole at the end of a run: give the output a folder of its own")
                break
    return probs, warns
