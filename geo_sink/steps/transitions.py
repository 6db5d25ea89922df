"""Step ``transitions``: the land-cover transition matrix per county between consecutive years
(one task per pair), and, without mine polygons, barren land revegetated as a reclamation proxy.

Its result is, for the years whose source it is (:func:`geo_sink.steps.landcover.source_pair`),
each map's class areas as the same pass sums them (the matrix's marginals, m^2 per county and
code) and its overlay for the report (the display sample taken from the blocks the pass read):
steps ``landcover`` and ``overlay`` take them from there rather than read the map again."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, pair: tuple[int, int]):
    from geo_sink.errors import InputDataError
    from geo_sink.io.display import display_codes, overlay_plan
    from geo_sink.measurability import change_caveat
    from geo_sink.steps.landcover import source_pair
    from geo_sink.steps.overlay import overlay_bounds
    from geo_sink.zonal.transitions import transition_pass

    a, b = ctx.landcover_of(pair[0]), ctx.landcover_of(pair[1])
    name, syn = ctx.name, ctx.synthetic
    box = overlay_bounds(ctx.zones)
    try:
        plans = [overlay_plan(lc.path, lc.crs, box) for lc in (a, b)]
        same = plans[0].window == plans[1].window and plans[0].read_shape == plans[1].read_shape
        tp = transition_pass(a.path, b.path, ctx.zones, ctx.cat.legend(a.legend), ctx.cat.legend(b.legend),
                             crs=a.crs, client=ctx.client, sample=plans[0].sample_positions() if same else None)
    except InputDataError as e:
        yield f"{name}: no transition matrix {a.year}-{b.year}: {e}"
        return None
    tr = tp.table
    # maps not for change (their producer's word, two versions): the matrix is what they say
    versions = change_caveat({lc.year: ctx.cat.legend(lc.legend) for lc in (a, b)})
    caveat = f"; {versions}" if versions else ""
    ctx.put(tr.assign(year_from=a.year, year_to=b.year, note=versions, synthetic=syn),
            f"transitions_{a.year}_{b.year}.csv")
    if ctx.project.spec.mines is None:
        from geo_sink.sinks.reclamation import reclamation_from_transitions
        from geo_sink.steps.forest import context_only, first_unmeasurable, map_verdict, measurability_rules
        rc = reclamation_from_transitions(tr)
        if len(rc):
            # mine platforms and slopes are tens of metres wide: the rule of their vegetation cover
            rules = measurability_rules(ctx)
            v = first_unmeasurable(map_verdict(ctx, "reclaimed_land_vegetation_cover", y, rules)
                                   for y in (a.year, b.year))
            ctx.put(rc.assign(year_from=a.year, year_to=b.year, synthetic=syn, measurable=v.measurable,
                              measurability_note=v.note, measurability_note_zh=v.note_zh,
                              note="map-derived: barren land that became vegetated (no mine polygons given)" + caveat),
                    f"reclamation_from_landcover_{a.year}_{b.year}.csv")
            yield (f"{name}: no mine polygons; land-cover proxy {a.year}-{b.year}: "
                   f"{rc['reclaimed_km2'].sum():.1f} of {rc['disturbed_km2'].sum():.1f} km² barren land revegetated"
                   + context_only(v) + caveat)
    changed, unseen = changed_km2(tr)
    yield (f"{name}: {changed:.1f} km² changed class {a.year}-{b.year} (transition matrix by county)"
           + (f"; {unseen:.1f} km² nodata in one year or both, not compared" if unseen > 0 else "") + caveat)
    # what the pass gives the years it is the source of (step landcover's source_pair): their
    # class areas (a year read with another CRS than the pair's, a per-year override, has areas
    # of its own) and their overlays (the sample reprojected as step overlay would)
    mine = [(lc, m2, smp, plan) for lc, m2, smp, plan in ((a, tp.from_m2, tp.from_sample, plans[0]),
                                                          (b, tp.to_m2, tp.to_sample, plans[1]))
            if source_pair(ctx, lc.year) == [pair]]
    return {"areas_m2": {lc.year: m2 for lc, m2, _, _ in mine if m2 is not None and lc.crs == a.crs},
            "overlays": {lc.year: display_codes(plan, smp) for lc, _, smp, plan in mine if smp is not None}}


def changed_km2(tr) -> tuple[float, float]:
    """(km² whose class differs between the two maps, km² with nodata on either side) of a
    transition table: a cell that is nodata in one year has no class there to compare."""
    nodata = (tr["from_ecosystem"] == "nodata") | (tr["to_ecosystem"] == "nodata")
    seen = tr[~nodata]
    return float(seen.loc[seen["from_code"] != seen["to_code"], "area_km2"].sum()), float(tr.loc[nodata, "area_km2"].sum())


def _pairs(ctx: RunContext) -> list[tuple[int, int]]:
    ys = [lc.year for lc in ctx.landcover]
    return list(zip(ys[:-1], ys[1:]))


STEP = Step(
    "transitions", _run, project=("boundary", "mines", "synthetic"),
    catalog=("legend:*", "dataset:measurability_rules"), outputs=("transitions", "reclamation_from_landcover"),
    keys=_pairs, params=lambda ctx, pair: [repr(ctx.landcover_of(y)) for y in pair],
    files=lambda ctx, pair: [ctx.landcover_of(y).path for y in pair] + ctx.boundary_files(),
    concurrent=True,
)
