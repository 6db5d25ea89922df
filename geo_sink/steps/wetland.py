"""Step ``wetland``: wetland areas of the last map's wetland classes and of named wetland
polygons, their CO2 uptake and CH4 (reported separately), net."""

from __future__ import annotations

import pandas as pd

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext
from geo_sink.steps.forest import map_verdict, measurability_rules


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.io import read_zones
    from geo_sink.sinks.carbon import constants
    from geo_sink.sinks.wetland import wetland_areas, wetland_fluxes, wetland_polygon_areas
    from geo_sink.uncertainty import DEFAULT_SEED

    land = up["landcover"]
    last = max(land)
    name, syn, total, draws = ctx.name, ctx.synthetic, ctx.total, ctx.draws
    co2 = constants(ctx.cat.dataset_path("carbon_constants"))["co2_per_c"]
    wet = wetland_areas(land[last]["areas"])
    rates = pd.read_csv(ctx.cat.dataset_path("accumulation_rates"))
    rates = rates[rates["ecosystem"] == "wetland"]
    gwp = pd.read_csv(ctx.cat.dataset_path("gwp")).set_index("gas")["gwp"]
    if len(wet):
        wv = map_verdict(ctx, "wetland_area", last, measurability_rules(ctx))
        flux = wetland_fluxes(wet, rates, float(gwp["CH4"]), co2, draws=draws, seed=DEFAULT_SEED, total=total).assign(
            year=last, measurable=wv.measurable, measurability_note=wv.note, synthetic=syn)
        ctx.put(flux, "wetlands.csv")
        t = flux[flux["zone_id"] == total[0]].iloc[0]
        yield (f"{name}: wetlands {t['area_km2']:.1f} km² ({last}): uptake "
               f"{t['co2_uptake_t_co2e_yr']:,.0f} t CO2e/yr, CH4 {t['ch4_t_co2e_yr']:,.0f} "
               f"t CO2e/yr (reported separately), net {t['net_t_co2e_yr']:,.0f}"
               + (f" (5-95% {t['net_t_co2e_yr_p05']:,.0f} to {t['net_t_co2e_yr_p95']:,.0f})" if draws else ""))
    else:
        yield f"{name}: no wetland classes in the {last} land cover"
    w = ctx.project.spec.wetlands
    if w is not None:
        parks = read_zones(w.file, id_field=w.name_field, name_field=w.name_field)
        pw = wetland_polygon_areas(parks.rename(columns={"zone_name": "name"}), ctx.zones, name_field="name")
        pf = wetland_fluxes(pw, rates, float(gwp["CH4"]), co2, draws=draws, seed=DEFAULT_SEED,
                            total=total).assign(synthetic=syn)
        ctx.put(pf, "wetland_parks.csv")
        t = pf[pf["zone_id"] == total[0]]
        net = float(t["net_t_co2e_yr"].iloc[0]) if len(t) else 0.0
        yield (f"{name}: {pw['wetland_type'].nunique()} named wetland(s), {pw['area_km2'].sum():.1f} km²: "
               f"net {net:,.0f} t CO2e/yr after CH4")
    return None


STEP = Step(
    "wetland", _run, needs=("landcover",),
    project=("boundary", "wetlands", "synthetic"),
    roles=("boundary", "wetlands"),
    catalog=("dataset:carbon_constants", "dataset:accumulation_rates", "dataset:gwp", "dataset:measurability_rules",
             "legend:*"),
    outputs=("wetlands", "wetland_parks"), draws=True,
    keys=lambda ctx: [ctx.landcover[-1].year] if ctx.landcover else [],
    upstream_keys=lambda ctx, year: [year], params=lambda ctx, year: repr(ctx.landcover_of(year)),
    files=lambda ctx, year: [ctx.landcover_of(year).path] + [
        p for p, (role, _, _) in ctx.inputs.items() if role in ("boundary", "wetlands")],
    concurrent=True,
)
