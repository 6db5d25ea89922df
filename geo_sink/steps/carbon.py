"""Steps ``climate`` (each county's IPCC climate zone), ``carbon`` (stocks and stock-difference
sinks per county, IPCC Tier 1 defaults of each county's climate zone) and ``carbon_map`` (the
density map of the last year)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext, note_written
from geo_sink.steps.forest import context_only, first_unmeasurable, map_verdict, measurability_rules
from geo_sink.steps.landcover import coverage_guard


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


def with_measurability(table: pd.DataFrame, verdicts: dict) -> pd.DataFrame:
    """A stock table (``year``) or sink table (``year_from``, ``year_to``) with ``measurable`` and
    the reason (``measurability_note``, ``measurability_note_zh``) of the map of each year
    (``verdicts``: year -> :class:`geo_sink.measurability.Verdict` of ``land_cover_carbon``):
    a sink is measurable when both of its maps are, and its note is that of the first map that
    is not (else of the later map)."""
    if not len(table):
        return table
    if "year" in table.columns:
        chosen = [verdicts[int(y)] for y in table["year"]]
    else:
        chosen = [first_unmeasurable([verdicts[int(a)], verdicts[int(b)]])
                  for a, b in zip(table["year_from"], table["year_to"])]
    return table.assign(measurable=[v.measurable for v in chosen],
                        measurability_note=[v.note for v in chosen],
                        measurability_note_zh=[v.note_zh for v in chosen])


def _run_climate(ctx: RunContext, up: dict, key):
    """Each county's IPCC climate zone (nearest station's climate moved to the county's mean
    elevation, then the project's ``climate_zone`` overrides): one table the carbon steps read."""
    from geo_sink.sinks.carbon_run import county_climate_zones
    climate = county_climate_zones(ctx.zones, ctx.cat, ctx.project.spec.climate_zone)
    ctx.put(climate.assign(synthetic=ctx.synthetic), "climate_zones.csv")
    return climate
    yield  # a step is a generator (this one has nothing to say)


def _densities(ctx: RunContext, legend, codes, climate: pd.DataFrame):
    from geo_sink.sinks.carbon_run import density_for
    return density_for(ctx.cat, legend, codes, ctx.zones, edition=ctx.project.spec.ipcc_edition, climate=climate)


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.io.rasters import raster_info
    from geo_sink.measurability import change_problem, difference_problem
    from geo_sink.sinks.carbon import carbon_stock_series, constants
    from geo_sink.sinks.carbon_run import areas_by_ecosystem, ecosystem_legend

    lcs, land = ctx.landcover, up["landcover"]
    areas = {y: r["areas"] for y, r in land.items()}
    guard = coverage_guard(ctx, land)
    measured = {y: set(g.loc[g["measured"], "zone_id"]) for y, g in guard.items()}
    syn, total, name = ctx.synthetic, ctx.total, ctx.name
    co2 = constants(ctx.cat.dataset_path("carbon_constants"))["co2_per_c"]
    legends = sorted({lc.legend for lc in lcs})
    # maps in different legends are priced through the ecosystem classes the Tier 1 densities are
    # keyed by: a stock per year, but no stock-difference sink (difference_problem below)
    carbon_areas = {y: a[a["ecosystem"] != "unknown"] for y, a in areas.items()}
    if len(legends) == 1:
        legend = ctx.cat.legend(legends[0])
    else:
        legend = ecosystem_legend(ctx.cat, [ctx.cat.legend(x) for x in legends])
        carbon_areas = {y: areas_by_ecosystem(a, legend) for y, a in carbon_areas.items()}
        yield (f"{name}: land-cover years use different legends "
               f"({', '.join(f'{lc.year}: {lc.legend}' for lc in lcs)}): each year's stock from its map's ecosystem "
               "classes (the IPCC Tier 1 densities depend only on the class and the climate zone)")
    codes = sorted(set().union(*[set(a["class_code"]) for a in carbon_areas.values()]))
    dens, climate, tier1 = _densities(ctx, legend, codes, up["climate"])
    undecided = climate[climate["climate_zone"].isna()]
    if len(undecided):
        yield (f"{name}: no climate zone for {', '.join(undecided['zone_name'].astype(str))} "
               f"({undecided['climate_basis'].iloc[0]}); their carbon is left out: give climate_zone in the project")
    in_all = set.intersection(*measured.values())
    decided = climate.dropna(subset=["climate_zone"])
    decided = decided[decided["zone_id"].isin(in_all)]
    known = {y: a[a["zone_id"].isin(decided["zone_id"])] for y, a in carbon_areas.items()}
    if not len(decided):
        yield f"{name}: no county has a climate zone; carbon skipped"
        return None
    ctx.put(tier1.table_rows(dens.groups).assign(synthetic=syn), "carbon_parameters.csv")
    stocks, sinks = carbon_stock_series(known, dens, co2, draws=ctx.draws, total=total)
    grids = {lc.year: (raster_info(lc.path, crs=lc.crs).grid, lc.legend) for lc in lcs}
    problem = ((difference_problem(grids) or change_problem({lc.year: ctx.cat.legend(lc.legend) for lc in lcs}))
               if len(lcs) > 1 else None)
    if problem:
        sinks = sinks.iloc[0:0]
        yield f"{name}: no land-cover-change sink: {problem}"
    left = left_out_rows(ctx.zones, climate, in_all, guard)
    stocks, sinks = with_left_out(stocks, left, total[0]), with_left_out(sinks, left, total[0])
    rules = measurability_rules(ctx)
    verdicts = {lc.year: map_verdict(ctx, "land_cover_carbon", lc.year, rules) for lc in lcs}
    stocks, sinks = with_measurability(stocks, verdicts), with_measurability(sinks, verdicts)
    ctx.put(stocks.assign(synthetic=syn), "carbon_stock.csv")
    first, last = min(areas), max(areas)
    city = stocks[(stocks["pool"] == "total") & (stocks["year"] == last) & (stocks["zone_id"] == total[0])].iloc[0]
    iv = (f" (5-95% {city['stock_t_co2e_p05'] / 1e6:.1f}-{city['stock_t_co2e_p95'] / 1e6:.1f})"
          if "stock_t_co2e_p05" in city else "")
    zones_used = ", ".join(f"{g} ({(decided['climate_zone'] == g).sum()} counties)" for g in dens.groups)
    part = f" in the {len(decided)} counties with a value ({len(left)} left out)" if len(left) else ""
    yield (f"{name}: carbon stock {city['stock_t_co2e'] / 1e6:.1f} Mt CO2e{iv} in {last}{part} "
           f"(IPCC {tier1.edition} Tier 1 defaults of {zones_used}; {ctx.draws} Monte Carlo draws)"
           + context_only(verdicts[last]))
    if len(sinks):
        ctx.put(sinks.assign(synthetic=syn), "carbon_sink.csv")
        s = sinks[(sinks["pool"] == "total") & (sinks["year_from"] == first) & (sinks["year_to"] == last)
                  & (sinks["zone_id"] == total[0])].iloc[0]
        iv = (f" (5-95% {s['sink_t_co2e_yr_p05']:,.0f} to {s['sink_t_co2e_yr_p95']:,.0f})"
              if "sink_t_co2e_yr_p05" in s else "")
        coarse = first_unmeasurable([verdicts[first], verdicts[last]])
        yield (f"{name}: land-cover-change sink {first}-{last}: {s['sink_t_co2e_yr']:,.0f} t CO2e/yr{iv} over "
               + (f"the {len(decided)} counties with a value ({len(left)} left out)" if len(left) else "all counties")
               + context_only(coarse))
    return {"stocks": stocks, "sinks": sinks}


def _run_map(ctx: RunContext, up: dict, year: int):
    """The last year's total carbon density (Mg C/ha): a value table, and the map as the
    project's ``carbon_density_map`` asks (a VRT over the land-cover file, or a float COG)."""
    from geo_sink.sinks.carbon_run import density_table, write_density_maps

    lc = ctx.landcover_of(year)
    own = up["landcover"][year]["areas"]
    codes = sorted(set(own.loc[own["ecosystem"] != "unknown", "class_code"]))
    dens, climate, _ = _densities(ctx, ctx.cat.legend(lc.legend), codes, up["climate"])
    if climate["climate_zone"].isna().all() or not codes:
        return None
    names = dict(zip(ctx.zones["zone_id"], ctx.zones["zone_name"]))
    ctx.put(density_table(dens, ctx.cat.legend(lc.legend), names).assign(year=year, synthetic=ctx.synthetic),
            f"carbon_density_{year}.csv")
    form = ctx.project.spec.carbon_density_map
    if form != "none":
        written = write_density_maps(lc.path, ctx.out_dir / f"carbon_density_{year}.{'vrt' if form == 'vrt' else 'tif'}",
                                     dens, names, lc.synthetic, form=form)
        for path in written:
            note_written(path.name)
        yield (f"{ctx.name}: carbon density map {year} ({form.upper()}: "
               + ", ".join(p.name for p in written) + ")")
    return {"codes": codes}


#: What the densities read: the Tier 1 defaults and the pool formulas.
TIER1 = ("dataset:ipcc_tier1_defaults", "dataset:tier1_pool_formulas")


def _last_year(ctx: RunContext) -> list:
    return [ctx.landcover[-1].year] if ctx.landcover else []


CLIMATE = Step(
    "climate", _run_climate,
    project=("boundary", "climate_zone", "synthetic"), roles=("boundary",),
    # the climate-zone rule and stations, county elevations from pvlib's terrain grid
    catalog=("dataset:climate_parameters", "dataset:climate_stations", "dataset:pvlib_altitude"),
    outputs=("climate_zones",), when=lambda ctx: bool(ctx.landcover), concurrent=True,
)

CARBON = Step(
    "carbon", _run, needs=("landcover", "climate"),
    project=("boundary", "landcover", "ipcc_edition", "synthetic"),
    roles=("landcover", "boundary"),
    catalog=("dataset:carbon_constants", "dataset:analysis_parameters", *TIER1, "legend:*",
             "file:ecosystems.yaml", "dataset:measurability_rules"),
    outputs=("carbon_parameters", "carbon_stock", "carbon_sink"), draws=True,
    when=lambda ctx: bool(ctx.landcover), concurrent=True,
)

CARBON_MAP = Step(
    "carbon_map", _run_map, needs=("landcover", "climate"),
    project=("boundary", "ipcc_edition", "synthetic", "carbon_density_map"),
    catalog=(*TIER1, "legend:*"),
    outputs=("carbon_density_table", "carbon_density", "carbon_density_zone", "carbon_density_vrt",
             "carbon_density_zone_vrt"),
    keys=_last_year, upstream_keys=lambda ctx, year: [year], params=lambda ctx, year: repr(ctx.landcover_of(year)),
    files=lambda ctx, year: [ctx.landcover_of(year).path] + ctx.boundary_files(), concurrent=True,
)
