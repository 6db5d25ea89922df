"""Running analyses for a region project, and the main job on the embedded default regions.

I/O and printing live here (and in the CLI), never in the analysis functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import pandas as pd

from geo_sink import __version__
from geo_sink.catalog import Catalog, load_catalog
from geo_sink.io import load_boundaries, read_zones, write_table
from geo_sink.io.atomic import atomic_path
from geo_sink.io.rasters import catalog_raster, raster_info
from geo_sink.project import Project, load_project
from geo_sink.errors import InputDataError
from geo_sink.sinks.carbon import carbon_stock_series, constants
from geo_sink.sinks.carbon_run import areas_by_ecosystem, density_for, ecosystem_legend, write_density_cogs
from geo_sink.measurability import cell_size, check_rules, difference_problem, map_coverage, rule_reason, verdict
from geo_sink.sinks.forest import (DEFINITION_NOTE, coverage_bracket, coverage_gap, forest_coverage, growing_stock_carbon,
                                   growing_stock_gap, growing_stock_totals, read_inventory)
from geo_sink.zonal.continuous import zonal_density_sum
from geo_sink.sinks.wetland import wetland_areas, wetland_fluxes, wetland_polygon_areas
from geo_sink.runs.notices import Notice
from geo_sink.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED
from geo_sink.zonal import class_areas
from geo_sink.zonal.transitions import transition_areas

SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA"


@dataclass(frozen=True)
class LandCoverInput:
    """One land-cover map of a project, resolved to a file."""

    year: int
    path: Path
    legend: str
    crs: str | None
    synthetic: bool
    label: str


def embedded_projects() -> list[Path]:
    """Project files of the embedded default regions (generating the 朔州市 demo data if needed)."""
    from geo_sink.demo import ensure_demo

    cat = load_catalog()
    return [cat.root / "regions" / "石家庄市.yaml", ensure_demo()]


def left_out_rows(zones: gpd.GeoDataFrame, climate: pd.DataFrame, measured: set, guard: dict) -> pd.DataFrame:
    """``zone_id, zone_name, note`` of the counties the carbon tables leave out, and why."""
    by_year = {y: g.set_index("zone_id") for y, g in sorted(guard.items())}
    clim = climate.set_index("zone_id")
    rows = []
    for zid, name in zip(zones["zone_id"], zones["zone_name"]):
        if zid not in measured:
            why = "; ".join(f"{y}: {g.loc[zid, 'coverage_note']}" for y, g in by_year.items() if not g.loc[zid, "measured"])
        elif pd.isna(clim.loc[zid, "climate_zone"]):
            why = clim.loc[zid, "climate_basis"]
        else:
            continue
        rows.append((zid, name, why))
    return pd.DataFrame(rows, columns=["zone_id", "zone_name", "note"])


def with_left_out(table: pd.DataFrame, left: pd.DataFrame, total_id: str) -> pd.DataFrame:
    """A carbon table plus empty (NaN) rows, with the reason in ``note``, for every county left
    out (every year or pair of years, every pool); the region row says which counties its sum
    leaves out."""
    if not len(table):
        return table
    table = table.assign(note="")
    if not len(left):
        return table
    keys = [c for c in ("year", "year_from", "year_to", "pool") if c in table.columns]
    out = pd.concat([table, table[keys].drop_duplicates().merge(left, how="cross")], ignore_index=True)
    out.loc[out["zone_id"] == total_id, "note"] = (
        "sum of the counties with a value; leaves out " + ", ".join(left["zone_name"].astype(str)))
    return out


def study_latitude(zones: gpd.GeoDataFrame) -> float:
    """Latitude (deg, WGS 84) of the centre of the zones' bounding box: where a geographic map's
    cells are measured for the resolution rules."""
    b = zones.to_crs(4326).total_bounds
    return float((b[1] + b[3]) / 2)


def project_zones(project: Project) -> gpd.GeoDataFrame:
    b = project.spec.boundary
    if b.region is not None:
        return load_boundaries(b.region, level=b.level)
    return read_zones(b.file, id_field=b.id_field, name_field=b.name_field, layer=b.layer)


def landcover_inputs(project: Project, cat: Catalog) -> list[LandCoverInput]:
    """The project's land-cover maps by year: those it lists, plus GeoTIFFs in its inbox whose
    name or tags give a year it does not list (:mod:`geo_sink.io.inbox`)."""
    out = []
    for lc in project.spec.landcover:
        if lc.dataset is not None:
            ds = cat.dataset(lc.dataset)
            path, crs = catalog_raster(cat, lc.dataset)
            out.append(LandCoverInput(lc.year, path, lc.legend or ds.legend, crs,
                                      ds.synthetic or lc.synthetic or project.spec.synthetic, ds.title))
        else:
            syn = lc.synthetic or project.spec.synthetic
            out.append(LandCoverInput(lc.year, lc.path, lc.legend, lc.crs, syn, lc.path.name))
    im = project.spec.imagery
    if im is not None and im.inbox is not None:
        from geo_sink.io.inbox import inbox_landcover
        listed = {x.year for x in out}
        for m in inbox_landcover(im.inbox, cat.legends)[0]:
            if m.year not in listed:     # a listed year wins; the runner moves the other aside
                listed.add(m.year)
                out.append(LandCoverInput(m.year, m.path, m.legend, None, m.synthetic or project.spec.synthetic,
                                          f"{m.path.name} (inbox)"))
    return sorted(out, key=lambda x: x.year)


def ecosystem_table(areas: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Wide table: km^2 per ecosystem class and county, plus the accounting columns."""
    wide = areas.pivot_table(index=["zone_id", "zone_name"], columns="ecosystem",
                             values="area_km2", aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{c}_km2" for c in wide.columns]
    return summary.set_index(["zone_id", "zone_name"]).join(wide).reset_index()


def run_project(project: Project, out_dir: Path, draws: int = DEFAULT_DRAWS, client=None,
                inputs: dict | None = None) -> Iterator[str]:
    """Every analysis that exists for a project; yields one line per step, writes under out_dir.

    ``client`` (a dask.distributed Client) runs the raster passes (class areas, transitions,
    growing-stock sums, one task per new scene of the FVC series) on its workers; the results
    are the same.  ``inputs`` are the input
    fingerprints (:func:`geo_sink.runs.runner.project_inputs`) when the caller has them already;
    ``provenance.json`` records them with the time, the code version and the catalog files."""
    import datetime as dt
    import time

    from geo_sink.pv.siting_run import ENERGY_SEED
    from geo_sink.runs.runner import project_inputs

    started = time.time()
    cat = load_catalog()
    zones = project_zones(project)
    out_dir = Path(out_dir)
    syn = project.spec.synthetic
    fingerprints = inputs if inputs is not None else project_inputs(project)
    provenance = {"project": str(project.path), "region": project.name, "geo_sink": __version__,
                  "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  "synthetic": syn, "draws": draws, "seed": DEFAULT_SEED, "pv_seed": ENERGY_SEED, "inputs": [], "outputs": [],
                  "input_files": {p: {"role": r, "sha256": h, "bytes": n}
                                  for p, (r, h, n) in sorted(fingerprints.items()) if r != "catalog"},
                  "catalog": {"root": str(cat.root),
                              "files": {str(Path(p).relative_to(cat.root).as_posix()): h
                                        for p, (r, h, _) in sorted(fingerprints.items()) if r == "catalog"}}}
    lcs = landcover_inputs(project, cat)

    def put(df, name):
        return write_table(df, out_dir / name)

    # 1. class areas per land-cover year
    areas, summaries = {}, {}
    for lc in lcs:
        res = class_areas(lc.path, zones, cat.legend(lc.legend), crs=lc.crs, client=client)
        areas[lc.year], summaries[lc.year] = res.areas, res.summary
        put(res.areas.assign(year=lc.year, synthetic=lc.synthetic), f"class_areas_{lc.year}.csv")
        put(ecosystem_table(res.areas, res.summary).assign(year=lc.year, synthetic=lc.synthetic),
            f"ecosystem_areas_{lc.year}.csv")
        provenance["inputs"].append({"kind": "landcover", "year": lc.year, "path": str(lc.path),
                                     "legend": lc.legend, "synthetic": lc.synthetic, "notes": res.notes})
        tag = SYNTHETIC_LABEL.lower() if lc.synthetic else "real data"
        yield (f"{project.name} {lc.year}: class areas of {len(zones)} counties from {lc.label} "
               f"({tag}); area closure within {res.summary['closure_pct'].abs().max():.4f}%")
    if not lcs:
        return
    # counties a map leaves uncovered beyond the tolerance get no value from it, never 0
    max_uncovered = float(pd.read_csv(cat.dataset_path("analysis_parameters")).set_index("name")
                          .loc["max_uncovered_pct", "value"])
    guard = {y: map_coverage(summaries[y], max_uncovered) for y in areas}
    measured = {y: set(g.loc[g["measured"], "zone_id"]) for y, g in guard.items()}
    for y, g in guard.items():
        if not g["measured"].all():
            yield (f"{project.name} {y}: no value for {', '.join(g.loc[~g['measured'], 'zone_name'].astype(str))}: "
                   f"the map leaves more than {max_uncovered:g}% of them uncovered (covered "
                   f"{', '.join(f'{c:.1f}%' for c in g.loc[~g['measured'], 'covered_pct'])})")
    grids = {lc.year: raster_info(lc.path, crs=lc.crs).grid for lc in lcs}
    # 2. carbon stocks and sinks, IPCC Tier 1 defaults of each county's climate zone
    co2 = constants(cat.dataset_path("carbon_constants"))["co2_per_c"]
    total = project.total_zone()
    legends = sorted({lc.legend for lc in lcs})
    # maps in different legends are priced through the ecosystem classes the Tier 1 densities are
    # keyed by: a stock per year, but no stock-difference sink (difference_problem below)
    carbon_areas = {y: a[a["ecosystem"] != "unknown"] for y, a in areas.items()}
    if len(legends) == 1:
        legend = cat.legend(legends[0])
    else:
        legend = ecosystem_legend(cat, [cat.legend(x) for x in legends])
        carbon_areas = {y: areas_by_ecosystem(a, legend) for y, a in carbon_areas.items()}
        yield (f"{project.name}: land-cover years use different legends "
               f"({', '.join(f'{lc.year}: {lc.legend}' for lc in lcs)}): each year's stock from its map's ecosystem "
               "classes (the IPCC Tier 1 densities depend only on the class and the climate zone)")
    codes = sorted(set().union(*[set(a["class_code"]) for a in carbon_areas.values()]))
    dens, climate, tier1 = density_for(cat, legend, codes, zones, climate_zone=project.spec.climate_zone,
                                       edition=project.spec.ipcc_edition)
    put(climate.assign(synthetic=syn), "climate_zones.csv")
    undecided = climate[climate["climate_zone"].isna()]
    if len(undecided):
        yield (f"{project.name}: no climate zone for {', '.join(undecided['zone_name'].astype(str))} "
               f"({undecided['climate_basis'].iloc[0]}); their carbon is left out: give climate_zone in the project")
    in_all = set.intersection(*measured.values())
    decided = climate.dropna(subset=["climate_zone"])
    decided = decided[decided["zone_id"].isin(in_all)]
    known = {y: a[a["zone_id"].isin(decided["zone_id"])] for y, a in carbon_areas.items()}
    if not len(decided):
        yield f"{project.name}: no county has a climate zone; carbon skipped"
    else:
        put(tier1.table_rows(dens.groups).assign(synthetic=syn), "carbon_parameters.csv")
        stocks, sinks = carbon_stock_series(known, dens, co2, draws=draws, total=total)
        problem = difference_problem({lc.year: (grids[lc.year], lc.legend) for lc in lcs}) if len(lcs) > 1 else None
        if problem:
            sinks = sinks.iloc[0:0]
            yield f"{project.name}: no land-cover-change sink: {problem}"
        left = left_out_rows(zones, climate, in_all, guard)
        stocks, sinks = with_left_out(stocks, left, total[0]), with_left_out(sinks, left, total[0])
        put(stocks.assign(synthetic=syn), "carbon_stock.csv")
        last = max(areas)
        city = stocks[(stocks["pool"] == "total") & (stocks["year"] == last) & (stocks["zone_id"] == total[0])].iloc[0]
        iv = (f" (5-95% {city['stock_t_co2e_p05'] / 1e6:.1f}-{city['stock_t_co2e_p95'] / 1e6:.1f})"
              if "stock_t_co2e_p05" in city else "")
        zones_used = ", ".join(f"{g} ({(decided['climate_zone'] == g).sum()} counties)" for g in dens.groups)
        part = f" in the {len(decided)} counties with a value ({len(left)} left out)" if len(left) else ""
        yield (f"{project.name}: carbon stock {city['stock_t_co2e'] / 1e6:.1f} Mt CO2e{iv} in {last}{part} "
               f"(IPCC {tier1.edition} Tier 1 defaults of {zones_used}; {draws} Monte Carlo draws)")
        if len(sinks):
            put(sinks.assign(synthetic=syn), "carbon_sink.csv")
            s = sinks[(sinks["pool"] == "total") & (sinks["year_from"] == min(areas)) & (sinks["year_to"] == last)
                      & (sinks["zone_id"] == total[0])].iloc[0]
            iv = (f" (5-95% {s['sink_t_co2e_yr_p05']:,.0f} to {s['sink_t_co2e_yr_p95']:,.0f})"
                  if "sink_t_co2e_yr_p05" in s else "")
            yield (f"{project.name}: land-cover-change sink {min(areas)}-{last}: "
                   f"{s['sink_t_co2e_yr']:,.0f} t CO2e/yr{iv} over "
                   + (f"the {len(decided)} counties with a value ({len(left)} left out)" if len(left) else "all counties"))
        last_lc = [lc for lc in lcs if lc.year == last][0]
        if len(legends) != 1:       # the density map needs the last map's own codes
            own = areas[last]
            dens = density_for(cat, cat.legend(last_lc.legend), sorted(set(own.loc[own["ecosystem"] != "unknown",
                                                                                      "class_code"])),
                               zones, climate_zone=project.spec.climate_zone, edition=project.spec.ipcc_edition)[0]
        write_density_cogs(last_lc.path, out_dir / f"carbon_density_{last}.tif", dens,
                           dict(zip(zones["zone_id"], zones["zone_name"])), last_lc.synthetic)
    # 3. forest coverage against the project's targets, judged only where the map can see forest
    rules = check_rules(pd.read_csv(cat.dataset_path("measurability_rules")), str(cat.dataset_path("measurability_rules")))
    lat = study_latitude(zones)
    verdicts = {lc.year: verdict("forest_coverage", cell_size(grids[lc.year].transform, grids[lc.year].crs, lat),
                                 rules, cat.legend(lc.legend).product_resolution_m) for lc in lcs}
    cov_targets = [t for t in project.targets if t.indicator == "forest_coverage"]
    cov_frames = []
    for lc in lcs:
        y, v = lc.year, verdicts[lc.year]
        cov = forest_coverage(areas[y], summaries[y], measured=measured[y]).merge(
            coverage_bracket(areas[y], summaries[y], cat.legend(lc.legend), measured[y]), on="zone_id", how="left").merge(
            guard[y][["zone_id", "covered_pct", "coverage_note"]], on="zone_id", how="left").assign(
            year=y, note=DEFINITION_NOTE, map_resolution_m=v.resolution_m, measurable=v.measurable,
            measurability_rule=rule_reason("forest_coverage", rules),
            bracket_note="context only: coverage under widening class definitions, never compared with a target")
        if not cov_targets:
            cov_frames.append(cov.assign(measurability_note=v.note, measurability_note_zh=v.note_zh))
        for t in cov_targets:
            cov_frames.append(coverage_gap(cov, t.value, v.measurable, v.note).assign(
                measurability_note_zh=v.note_zh, target_id=t.id, target_region=t.region, target_year=t.year, document=t.document))
    if cov_frames:
        cov_all = pd.concat(cov_frames, ignore_index=True).assign(synthetic=syn)
        put(cov_all, "forest_coverage.csv")
        last_v = verdicts[max(areas)]
        allrow = cov_all[(cov_all["zone_id"] == "ALL") & (cov_all["year"] == max(areas))].iloc[0]
        line = f"{project.name}: map-derived forest coverage {allrow['coverage_pct']:.2f}% ({max(areas)})"
        if not last_v.measurable:
            line += (f", context only (forest / +shrub / +savanna: {allrow['coverage_forest_pct']:.2f}% / "
                     f"{allrow['coverage_forest_shrub_pct']:.2f}% / {allrow['coverage_forest_shrub_savanna_pct']:.2f}%); "
                     f"targets not judged: {last_v.note}")
        elif allrow["zones_left_out"]:
            line += (f" over the counties the map covers; leaves out {allrow['zones_left_out']}: no coverage of "
                     f"{project.name} as a whole ({last_v.note})")
        elif "target_pct" in cov_all:
            line += (f" vs target {allrow['target_pct']:g}%: gap {allrow['gap_pp']:.2f} pp, "
                     f"{allrow['forest_to_add_km2']:,.0f} km² of forest to add ({last_v.note})")
        yield line
    gs_targets = [t for t in project.targets if t.indicator == "forest_growing_stock"]
    if project.spec.growing_stock is None:
        if gs_targets:
            yield (f"{project.name}: growing-stock targets {[t.id for t in gs_targets]} not compared: "
                   "the project has no growing_stock raster or inventory table")
    else:
        yield from _growing_stock(project, zones, cat, gs_targets, put, syn, client)
    # 4. wetlands
    last = max(areas)
    wet = wetland_areas(areas[last])
    rates = pd.read_csv(cat.dataset_path("accumulation_rates"))
    gwp = pd.read_csv(cat.dataset_path("gwp")).set_index("gas")["gwp"]
    if len(wet):
        wv = verdict("wetland_area", cell_size(grids[last].transform, grids[last].crs, lat), rules,
                     cat.legend([lc.legend for lc in lcs if lc.year == last][0]).product_resolution_m)
        flux = wetland_fluxes(wet, rates[rates["ecosystem"] == "wetland"], float(gwp["CH4"]), co2,
                              draws=draws, seed=DEFAULT_SEED, total=total).assign(
            year=last, measurable=wv.measurable, measurability_note=wv.note, synthetic=syn)
        put(flux, "wetlands.csv")
        t = flux[flux["zone_id"] == total[0]].iloc[0]
        yield (f"{project.name}: wetlands {t['area_km2']:.1f} km² ({last}): uptake "
               f"{t['co2_uptake_t_co2e_yr']:,.0f} t CO2e/yr, CH4 {t['ch4_t_co2e_yr']:,.0f} "
               f"t CO2e/yr (reported separately), net {t['net_t_co2e_yr']:,.0f}"
               + (f" (5-95% {t['net_t_co2e_yr_p05']:,.0f} to {t['net_t_co2e_yr_p95']:,.0f})" if draws else ""))
    else:
        yield f"{project.name}: no wetland classes in the {last} land cover"
    if project.spec.wetlands is not None:
        w = project.spec.wetlands
        parks = read_zones(w.file, id_field=w.name_field, name_field=w.name_field)
        pw = wetland_polygon_areas(parks.rename(columns={"zone_name": "name"}), zones, name_field="name")
        pf = wetland_fluxes(pw, rates[rates["ecosystem"] == "wetland"], float(gwp["CH4"]), co2,
                            draws=draws, seed=DEFAULT_SEED, total=total).assign(synthetic=syn)
        put(pf, "wetland_parks.csv")
        t = pf[pf["zone_id"] == total[0]]
        net = float(t["net_t_co2e_yr"].iloc[0]) if len(t) else 0.0
        yield (f"{project.name}: {pw['wetland_type'].nunique()} named wetland(s), {pw['area_km2'].sum():.1f} km²: "
               f"net {net:,.0f} t CO2e/yr after CH4")
    # 5. transitions between consecutive years
    for a, b in zip(lcs[:-1], lcs[1:]):
        try:
            tr = transition_areas(a.path, b.path, zones, cat.legend(a.legend), cat.legend(b.legend), crs=a.crs,
                                  client=client)
        except InputDataError as e:
            yield f"{project.name}: no transition matrix {a.year}-{b.year}: {e}"
            continue
        put(tr.assign(year_from=a.year, year_to=b.year, synthetic=syn), f"transitions_{a.year}_{b.year}.csv")
        if project.spec.mines is None:
            from geo_sink.sinks.reclamation import reclamation_from_transitions
            rc = reclamation_from_transitions(tr)
            if len(rc):
                put(rc.assign(year_from=a.year, year_to=b.year, synthetic=syn,
                              note="map-derived: barren land that became vegetated (no mine polygons given)"),
                    f"reclamation_from_landcover_{a.year}_{b.year}.csv")
                yield (f"{project.name}: no mine polygons; land-cover proxy {a.year}-{b.year}: "
                       f"{rc['reclaimed_km2'].sum():.1f} of {rc['disturbed_km2'].sum():.1f} km² barren land revegetated")
        changed = tr[tr["from_code"] != tr["to_code"]]["area_km2"].sum()
        yield f"{project.name}: {changed:.1f} km² changed class {a.year}-{b.year} (transition matrix by county)"
    # 6. mine reclamation
    if project.spec.mines is not None:
        from geo_sink.reclamation_run import run_reclamation, write_reclamation
        rec = run_reclamation(project, zones, out_dir, draws=min(draws, 20_000), seed=DEFAULT_SEED,
                              client=client)
        for line in write_reclamation(rec, out_dir, syn, project.targets):
            yield f"{project.name}: {line}"
    # 7. subsidence land (first step of PV siting)
    if project.spec.subsidence is not None:
        from geo_sink.pv.subsidence_run import run_subsidence
        for line in run_subsidence(project, zones, out_dir, syn):
            yield f"{project.name}: {line}"
    # 8. county layer
    layer = zones[["zone_id", "zone_name", "geometry"]].merge(
        summaries[last][["zone_id", "zone_area_km2"]], on="zone_id")
    if cov_frames:
        c = cov_all[(cov_all["year"] == last)].drop_duplicates("zone_id")[["zone_id", "forest_km2", "coverage_pct"]]
        layer = layer.merge(c, on="zone_id", how="left")
    if "stocks" in locals():
        st = stocks[(stocks["pool"] == "total") & (stocks["year"] == last)][
            ["zone_id", "climate_zone"] + [c for c in stocks.columns if c.startswith("stock_t_co2e")]]
        layer = layer.merge(st, on="zone_id", how="left")
        if len(sinks):
            sk = sinks[(sinks["pool"] == "total") & (sinks["year_from"] == min(areas)) & (sinks["year_to"] == last)][
                ["zone_id"] + [c for c in sinks.columns if c.startswith("sink_")]]
            layer = layer.merge(sk, on="zone_id", how="left")
    tt = write_targets(project, out_dir)
    if tt is not None:
        yield from target_lines(project, tt)
    put(layer.assign(synthetic=syn), "counties.parquet")
    put(layer.assign(synthetic=syn), "counties.gpkg")
    provenance["finished_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # every file this run wrote, through the output registry (reclamation and PV tables included);
    # files it did not write are named as stale, never as outputs
    from geo_sink.outputs import describe_outputs
    provenance["outputs"], provenance["stale_files"] = describe_outputs(out_dir, started)
    if provenance["stale_files"]:
        yield (f"{project.name}: {len(provenance['stale_files'])} file(s) in {out_dir} were not written by this run "
               f"(left from an older one): {', '.join(provenance['stale_files'][:5])}; see provenance.json")
    with atomic_path(out_dir / "provenance.json") as tmp:
        tmp.write_text(json.dumps(provenance, ensure_ascii=False, indent=1), encoding="utf-8")


def write_targets(project: Project, out_dir: Path) -> pd.DataFrame | None:
    """``targets.csv`` of a run folder: every target of the project measured from the folder's
    tables, or explained (:func:`geo_sink.targets.measure_targets`); None without targets."""
    from geo_sink.targets import measure_targets, read_result_tables
    if not project.targets:
        return None
    table = measure_targets(project.targets, project.baselines, read_result_tables(out_dir), project.scope)
    write_table(table.assign(synthetic=project.spec.synthetic), Path(out_dir) / "targets.csv")
    return table


def target_lines(project: Project, table: pd.DataFrame) -> Iterator[str]:
    """One line per target: measured value, status and reason."""
    for r in table.itertuples():
        val = "" if pd.isna(r.measured_value) else f"{r.measured_value:,.2f} {r.unit}" + (
            f" ({r.measured_year})" if pd.notna(r.measured_year) else "")
        gap = "" if pd.isna(r.gap) else f", gap {r.gap:,.2f}"
        yield (f"{project.name}: target {r.target_id} ({r.region} {r.indicator} {r.comparison} {r.target_value:g} "
               f"{r.unit} by {r.target_year}): {r.status.replace('_', ' ')}"
               + (f" at {val}" if val else "") + gap + (f" ({r.reason})" if r.reason else ""))


def _growing_stock(project, zones, cat, targets, put, syn, client=None) -> Iterator[str]:
    """Growing stock totals (and BEF biomass carbon from an inventory) against the targets."""
    gs = project.spec.growing_stock
    if gs.table is not None:
        inv = read_inventory(gs.table)
        bef = pd.read_csv(cat.dataset_path("bef_fang2001"))
        cf = constants(cat.dataset_path("carbon_constants"))["carbon_fraction_bef"]
        put(growing_stock_carbon(inv, bef, cf).assign(year=gs.year, synthetic=syn), "growing_stock_carbon.csv")
        totals = growing_stock_totals(inv)
        source = f"inventory {gs.table.name}"
    else:
        vol = zonal_density_sum(gs.raster, zones, client=client)
        totals = growing_stock_totals(vol.rename(columns={"total": "volume_m3"})[["zone_id", "volume_m3"]])
        source = f"raster {gs.raster.name} (m³/ha)"
    frames = [growing_stock_gap(totals, t.value).assign(target_id=t.id, target_year=t.year)
              for t in targets] or [totals]
    put(pd.concat(frames, ignore_index=True).assign(year=gs.year, synthetic=syn), "growing_stock.csv")
    allv = totals.set_index("zone_id").loc["ALL", "volume_1e4_m3"]
    line = f"{project.name}: growing stock {allv:,.1f} 万m³ ({gs.year}, {source})"
    for t in targets:
        line += f"; target {t.value:g} 万m³ ({t.year}): gap {t.value - allv:,.1f}"
    yield line


def run_demo(out_dir: Path, draws: int = DEFAULT_DRAWS, client=None) -> Iterator[str]:
    """The main job: every analysis that exists, for both embedded regions."""
    for path in embedded_projects():
        project = load_project(path)
        folder = Path(out_dir) / project.name
        if project.spec.synthetic:
            yield f"{project.name}: {SYNTHETIC_LABEL} (generated by geo_sink.demo into {path.parent})"
        from geo_sink.demo.scenes import BAD_INBOX_SCENE
        from geo_sink.runs.runner import check_inbox
        for line in check_inbox(project, expected=frozenset({BAD_INBOX_SCENE.name})):
            yield line if isinstance(line, Notice) else f"{project.name}: {line}"
        yield from run_project(project, folder, draws=draws, client=client)
        from geo_sink.report import build_reports
        zh, en = build_reports(project, folder, Path(out_dir) / f"{project.name}.html")
        yield (f"{project.name}: results in {folder}; report {zh} ({zh.stat().st_size / 1e6:.1f} MB), "
               f"in English {en.name}")
