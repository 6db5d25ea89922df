"""Step ``transitions``: the land-cover transition matrix per county between consecutive years
(one task per pair), and, without mine polygons, barren land revegetated as a reclamation proxy."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, pair: tuple[int, int]):
    from geo_sink.errors import InputDataError
    from geo_sink.zonal.transitions import transition_areas

    a, b = ctx.landcover_of(pair[0]), ctx.landcover_of(pair[1])
    name, syn = ctx.name, ctx.synthetic
    try:
        tr = transition_areas(a.path, b.path, ctx.zones, ctx.cat.legend(a.legend), ctx.cat.legend(b.legend),
                              crs=a.crs, client=ctx.client)
    except InputDataError as e:
        yield f"{name}: no transition matrix {a.year}-{b.year}: {e}"
        return None
    ctx.put(tr.assign(year_from=a.year, year_to=b.year, synthetic=syn), f"transitions_{a.year}_{b.year}.csv")
    if ctx.project.spec.mines is None:
        from geo_sink.sinks.reclamation import reclamation_from_transitions
        rc = reclamation_from_transitions(tr)
        if len(rc):
            ctx.put(rc.assign(year_from=a.year, year_to=b.year, synthetic=syn,
                              note="map-derived: barren land that became vegetated (no mine polygons given)"),
                    f"reclamation_from_landcover_{a.year}_{b.year}.csv")
            yield (f"{name}: no mine polygons; land-cover proxy {a.year}-{b.year}: "
                   f"{rc['reclaimed_km2'].sum():.1f} of {rc['disturbed_km2'].sum():.1f} km² barren land revegetated")
    changed = tr[tr["from_code"] != tr["to_code"]]["area_km2"].sum()
    yield f"{name}: {changed:.1f} km² changed class {a.year}-{b.year} (transition matrix by county)"
    return None


def _pairs(ctx: RunContext) -> list[tuple[int, int]]:
    ys = [lc.year for lc in ctx.landcover]
    return list(zip(ys[:-1], ys[1:]))


STEP = Step(
    "transitions", _run, project=("boundary", "mines", "synthetic"),
    catalog=("legend:*",), outputs=("transitions", "reclamation_from_landcover"),
    keys=_pairs, params=lambda ctx, pair: [repr(ctx.landcover_of(y)) for y in pair],
    files=lambda ctx, pair: [ctx.landcover_of(y).path for y in pair] + ctx.boundary_files(),
    concurrent=True,
)
