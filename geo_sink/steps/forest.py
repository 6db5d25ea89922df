"""Step ``forest``: forest coverage against the project's targets, judged only where the map can
see forest, and growing stock (蓄积量) against its targets."""

from __future__ import annotations

import pandas as pd

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext, study_latitude
from geo_sink.steps.landcover import coverage_guard


def catalog_measurability_rules(cat) -> pd.DataFrame:
    """The catalog's ``measurability_rules``, checked."""
    from geo_sink.measurability import check_rules
    path = cat.dataset_path("measurability_rules")
    return check_rules(pd.read_csv(path), str(path))


def measurability_rules(ctx: RunContext) -> pd.DataFrame:
    return catalog_measurability_rules(ctx.cat)


def raster_verdict(cat, indicator: str, path, crs, legend_id: str, zones, rules: pd.DataFrame):
    """Whether a land-cover file (``path``, its ``crs`` override, ``legend_id``) can judge
    ``indicator`` over ``zones``: its ground cell, measured at their latitude, against the rules."""
    from geo_sink.io.rasters import raster_info
    from geo_sink.measurability import cell_size, verdict
    grid = raster_info(path, crs=crs).grid
    return verdict(indicator, cell_size(grid.transform, grid.crs, study_latitude(zones)), rules,
                   cat.legend(legend_id).product_resolution_m)


def map_verdict(ctx: RunContext, indicator: str, year: int, rules: pd.DataFrame):
    """Whether the map of ``year`` can judge ``indicator`` (:func:`raster_verdict`)."""
    lc = ctx.landcover_of(year)
    return raster_verdict(ctx.cat, indicator, lc.path, lc.crs, lc.legend, ctx.zones, rules)


def first_unmeasurable(verdicts):
    """Of the verdicts of the maps one quantity is taken from (a sink, a transition), the first
    that is not measurable, else the last: such a quantity is as measurable as its coarsest map."""
    verdicts = list(verdicts)
    return next((v for v in verdicts if not v.measurable), verdicts[-1])


def context_only(v) -> str:
    """What a step's line adds about a figure whose map cannot carry it (``v``: its verdict)."""
    return "" if v.measurable else f"; context only, {v.note}"


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.measurability import rule_reason
    from geo_sink.sinks.forest import DEFINITION_NOTE, coverage_bracket, coverage_gap, forest_coverage

    land = up["landcover"]
    guard = coverage_guard(ctx, land)
    measured = {y: set(g.loc[g["measured"], "zone_id"]) for y, g in guard.items()}
    rules = measurability_rules(ctx)
    cov_targets = [t for t in ctx.project.targets if t.indicator == "forest_coverage"]
    frames = []
    verdicts = {}
    for lc in ctx.landcover:
        y = lc.year
        v = verdicts[y] = map_verdict(ctx, "forest_coverage", y, rules)
        areas, summary = land[y]["areas"], land[y]["summary"]
        cov = forest_coverage(areas, summary, measured=measured[y]).merge(
            coverage_bracket(areas, summary, ctx.cat.legend(lc.legend), measured[y]), on="zone_id", how="left").merge(
            guard[y][["zone_id", "covered_pct", "coverage_note"]], on="zone_id", how="left").assign(
            year=y, note=DEFINITION_NOTE, map_resolution_m=v.resolution_m, measurable=v.measurable,
            measurability_rule=rule_reason("forest_coverage", rules),
            bracket_note="context only: coverage under widening class definitions, never compared with a target")
        if not cov_targets:
            frames.append(cov.assign(measurability_note=v.note, measurability_note_zh=v.note_zh))
        for t in cov_targets:
            frames.append(coverage_gap(cov, t.value, v.measurable, v.note).assign(
                measurability_note_zh=v.note_zh, target_id=t.id, target_region=t.region, target_year=t.year,
                document=t.document))
    cov_all = None
    if frames:
        last = max(land)
        cov_all = pd.concat(frames, ignore_index=True).assign(synthetic=ctx.synthetic)
        ctx.put(cov_all, "forest_coverage.csv")
        last_v = verdicts[last]
        allrow = cov_all[(cov_all["zone_id"] == "ALL") & (cov_all["year"] == last)].iloc[0]
        line = f"{ctx.name}: map-derived forest coverage {allrow['coverage_pct']:.2f}% ({last})"
        if not last_v.measurable:
            line += (f", context only (forest / +shrub / +savanna: {allrow['coverage_forest_pct']:.2f}% / "
                     f"{allrow['coverage_forest_shrub_pct']:.2f}% / {allrow['coverage_forest_shrub_savanna_pct']:.2f}%); "
                     f"targets not judged: {last_v.note}")
        elif allrow["zones_left_out"]:
            line += (f" over the counties the map covers; leaves out {allrow['zones_left_out']}: no coverage of "
                     f"{ctx.name} as a whole ({last_v.note})")
        elif "target_pct" in cov_all:
            line += (f" vs target {allrow['target_pct']:g}%: gap {allrow['gap_pp']:.2f} pp, "
                     f"{allrow['forest_to_add_km2']:,.0f} km² of forest to add ({last_v.note})")
        yield line
    gs_targets = [t for t in ctx.project.targets if t.indicator == "forest_growing_stock"]
    if ctx.project.spec.growing_stock is None:
        if gs_targets:
            yield (f"{ctx.name}: growing-stock targets {[t.id for t in gs_targets]} not compared: "
                   "the project has no growing_stock raster or inventory table")
    else:
        yield from _growing_stock(ctx, gs_targets)
    return cov_all


def _growing_stock(ctx: RunContext, targets):
    """Growing stock totals (and BEF biomass carbon from an inventory) against the targets."""
    from geo_sink.sinks.carbon import constants
    from geo_sink.sinks.forest import growing_stock_carbon, growing_stock_gap, growing_stock_totals, read_inventory
    from geo_sink.zonal.continuous import zonal_density_sum

    gs, syn = ctx.project.spec.growing_stock, ctx.synthetic
    if gs.table is not None:
        inv = read_inventory(gs.table)
        bef = pd.read_csv(ctx.cat.dataset_path("bef_fang2001"))
        cf = constants(ctx.cat.dataset_path("carbon_constants"))["carbon_fraction_bef"]
        ctx.put(growing_stock_carbon(inv, bef, cf).assign(year=gs.year, synthetic=syn), "growing_stock_carbon.csv")
        totals = growing_stock_totals(inv)
        source = f"inventory {gs.table.name}"
    else:
        vol = zonal_density_sum(gs.raster, ctx.zones, client=ctx.client)
        totals = growing_stock_totals(vol.rename(columns={"total": "volume_m3"})[["zone_id", "volume_m3"]])
        source = f"raster {gs.raster.name} (m³/ha)"
    frames = [growing_stock_gap(totals, t.value).assign(target_id=t.id, target_year=t.year)
              for t in targets] or [totals]
    ctx.put(pd.concat(frames, ignore_index=True).assign(year=gs.year, synthetic=syn), "growing_stock.csv")
    allv = totals.set_index("zone_id").loc["ALL", "volume_1e4_m3"]
    line = f"{ctx.name}: growing stock {allv:,.1f} 万m³ ({gs.year}, {source})"
    for t in targets:
        line += f"; target {t.value:g} 万m³ ({t.year}): gap {t.value - allv:,.1f}"
    yield line


STEP = Step(
    "forest", _run, needs=("landcover",),
    project=("boundary", "landcover", "growing_stock", "targets", "synthetic"),
    roles=("landcover", "boundary", "growing_stock"),
    catalog=("dataset:measurability_rules", "dataset:analysis_parameters", "dataset:bef_fang2001",
             "dataset:carbon_constants", "legend:*"),
    outputs=("forest_coverage", "growing_stock", "growing_stock_carbon"),
    when=lambda ctx: bool(ctx.landcover), concurrent=True,
)
