"""Every file a project run writes, declared once (as InVEST's ``MODEL_SPEC`` declares its
outputs): id, file-name pattern, the step that writes it, units and what it holds.

``provenance.json`` lists the files of a run through this registry
(:func:`describe_outputs`): each with its id, step, size and SHA-256; a file in the folder that
the run did not write (left from an older run) is listed apart as stale, never as an output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Output:
    """One kind of output file.

    Attributes
    ----------
    id : str
    pattern : str
        File name, with ``{year}``, ``{year_from}``, ``{year_to}`` or ``{zone}`` where a run
        writes one file per year, pair of years or climate zone.
    step : str
        The analysis that writes it.
    units : str
    about : str
    """

    id: str
    pattern: str
    step: str
    units: str
    about: str

    def regex(self) -> re.Pattern:
        parts = re.split(r"(\{[a-z_]+\})", self.pattern)
        rx = "".join(r"\d{4}" if p in ("{year}", "{year_from}", "{year_to}") else
                     r"[A-Za-z0-9_]+" if p == "{zone}" else re.escape(p) for p in parts)
        return re.compile(f"^{rx}$")


OUTPUTS = (
    Output("class_areas", "class_areas_{year}.csv", "landcover", "km2", "area of every land-cover class per county"),
    Output("ecosystem_areas", "ecosystem_areas_{year}.csv", "landcover", "km2", "area per ecosystem class and county, with the area accounting"),
    Output("climate_zones", "climate_zones.csv", "climate", "-", "IPCC climate zone of each county and its basis"),
    Output("carbon_parameters", "carbon_parameters.csv", "carbon", "various", "every IPCC Tier 1 parameter applied"),
    Output("carbon_stock", "carbon_stock.csv", "carbon", "Mg C, t CO2e", "carbon stock per county, pool and year, 5-95%"),
    Output("carbon_sink", "carbon_sink.csv", "carbon", "t CO2e/yr", "stock-difference sink per county and pair of years, 5-95%"),
    Output("carbon_density_table", "carbon_density_{year}.csv", "carbon_map", "Mg C/ha",
           "total carbon density per climate zone and land-cover class: the value table of the density map"),
    Output("carbon_density", "carbon_density_{year}.tif", "carbon_map", "Mg C/ha", "total carbon density, COG"),
    Output("carbon_density_zone", "carbon_density_{year}_{zone}.tif", "carbon_map", "Mg C/ha",
           "total carbon density of one climate zone's counties, COG"),
    Output("carbon_density_vrt", "carbon_density_{year}.vrt", "carbon_map", "Mg C/ha",
           "total carbon density as a VRT over the land-cover file (its codes through the value table)"),
    Output("carbon_density_zone_vrt", "carbon_density_{year}_{zone}.vrt", "carbon_map", "Mg C/ha",
           "the same for one climate zone's counties"),
    Output("forest_coverage", "forest_coverage.csv", "forest", "percent", "map-derived forest coverage, bracket, gap, verdict"),
    Output("growing_stock", "growing_stock.csv", "forest", "10^4 m3", "growing stock per county vs targets"),
    Output("growing_stock_carbon", "growing_stock_carbon.csv", "forest", "Mg C", "BEF biomass carbon per forest type"),
    Output("wetlands", "wetlands.csv", "wetland", "km2, t CO2e/yr", "wetland area, CO2 uptake, CH4, net"),
    Output("wetland_parks", "wetland_parks.csv", "wetland", "km2, t CO2e/yr", "the same per named wetland"),
    Output("transitions", "transitions_{year_from}_{year_to}.csv", "transitions", "km2", "land-cover transition matrix per county"),
    Output("reclamation_from_landcover", "reclamation_from_landcover_{year_from}_{year_to}.csv", "transitions", "km2",
           "barren land revegetated (no mine polygons given)"),
    Output("reclamation_by_mine", "reclamation_by_mine.csv", "reclamation_rate", "km2, percent", "disturbed and reclaimed land, rate, per mine"),
    Output("reclamation_by_county", "reclamation_by_county.csv", "reclamation_rate", "km2, percent", "the same per county"),
    Output("reclamation_by_mine_year", "reclamation_by_mine_year.csv", "reclamation_rate", "percent", "rate at the end of each reclamation year, per mine"),
    Output("reclamation_by_county_year", "reclamation_by_county_year.csv", "reclamation_rate", "percent", "the same per county"),
    Output("fvc_series", "fvc_series.csv", "reclamation", "1", "FVC of every reclaimed polygon for every scene"),
    Output("vegetation_cover_by_county", "vegetation_cover_by_county.csv", "reclamation", "percent", "latest share vegetated vs the bar"),
    Output("reclaimed_carbon", "reclaimed_carbon.csv", "reclamation", "t CO2e/yr", "reclaimed land's sink per piece, 5-95%"),
    Output("reclaimed_carbon_by_county", "reclaimed_carbon_by_county.csv", "reclamation", "t CO2e/yr", "the same per county and city"),
    Output("subsidence_mm", "subsidence_mm.tif", "subsidence", "mm", "final or cumulative subsidence, COG"),
    Output("subsidence_mm_yr", "subsidence_mm_yr.tif", "subsidence", "mm/yr", "subsidence rate (InSAR), COG"),
    Output("subsidence_boundary", "subsidence_boundary.geojson", "subsidence", "-", "the subsidence boundary polygon"),
    Output("subsidence_by_county", "subsidence_by_county.csv", "subsidence", "km2", "subsided area per county"),
    Output("pv_parcels_gpkg", "pv_parcels.gpkg", "pv", "km2, MW, GWh/yr, t CO2/yr", "eligible PV parcels, ranked"),
    Output("pv_parcels_parquet", "pv_parcels.parquet", "pv", "km2, MW, GWh/yr, t CO2/yr", "the same as GeoParquet"),
    Output("pv_by_county", "pv_by_county.csv", "pv", "km2, MW, GWh/yr, t CO2/yr", "PV per county and city, 5-95%"),
    Output("pv_exclusions", "pv_exclusions.csv", "pv", "pixels", "land each siting rule removed"),
    Output("targets", "targets.csv", "targets", "target units", "every target measured or explained"),
    Output("counties_parquet", "counties.parquet", "counties", "various", "the county layer with the key figures"),
    Output("counties_gpkg", "counties.gpkg", "counties", "various", "the same as GeoPackage"),
)

#: Written by the run itself, after the others.
PROVENANCE = "provenance.json"
#: The run's warnings (inputs quarantined, skipped or left out, with the reason), one per row,
#: written by the run after the steps for the report to show them (empty when there were none).
WARNINGS = "run_warnings.csv"


def output_of(name: str) -> Output | None:
    """The registry entry a file name belongs to (None for a file no step writes)."""
    for o in OUTPUTS:
        if o.regex().match(name):
            return o
    return None


def describe_outputs(folder, owned) -> tuple[list[dict], list[str]]:
    """(outputs, stale) of a run folder: every file a step of the run wrote or kept (``owned``:
    file names, from the step manifest) with its registry id, step, units, size and SHA-256 (id
    None for a file no entry declares: the tests keep that from happening); and the names of the
    other files (left from an older run).  Hidden files, ``provenance.json``, the run's warnings
    and the report (written after it) are not listed."""
    from geo_sink.io.fingerprint import sha256_file

    out, stale = [], []
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.name in (PROVENANCE, WARNINGS) or p.suffix == ".html":
            continue
        if p.name not in owned:
            stale.append(p.name)
            continue
        o = output_of(p.name)
        out.append({"file": p.name, "id": o.id if o else None, "step": o.step if o else None,
                    "units": o.units if o else None, "bytes": p.stat().st_size, "sha256": sha256_file(p, remember=False)})
    return out, stale
