"""Step ``landcover``: the area of every class per county, one task per land-cover year.

A year that step ``transitions`` read (in the pair with the year before it, or the first year
in the pair with the next) takes its areas from that pass's marginal
(:func:`geo_sink.zonal.areas.class_areas_from_m2`): its map is read once for both.  A year
alone, or on another grid than its neighbour, is read here."""

from __future__ import annotations

import pandas as pd

from geo_sink.steps.chain import Step
from geo_sink.steps.context import SYNTHETIC_LABEL, RunContext


def ecosystem_table(areas: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Wide table: km^2 per ecosystem class and county, plus the accounting columns (codes not in
    the legend are the summary's ``unknown_km2``, not an ecosystem column of their own)."""
    known = areas[areas["ecosystem"] != "unknown"]
    wide = known.pivot_table(index=["zone_id", "zone_name"], columns="ecosystem",
                             values="area_km2", aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{c}_km2" for c in wide.columns]
    return summary.set_index(["zone_id", "zone_name"]).join(wide).reset_index()


def coverage_guard(ctx: RunContext, results: dict) -> dict:
    """{year: the counties each map covers enough to be measured} (``map_coverage``): a county
    the map leaves uncovered beyond ``max_uncovered_pct`` gets no value from it, never 0."""
    from geo_sink.measurability import map_coverage
    limit = ctx.parameter("max_uncovered_pct")
    return {y: map_coverage(r["summary"], limit) for y, r in results.items()}


def source_pair(ctx: RunContext, year: int) -> list[tuple[int, int]]:
    """The transition pair whose pass gives ``year``'s areas: (the year before, year), or for the
    first year (year, the next); [] for a project of one year."""
    ys = [lc.year for lc in ctx.landcover]
    i = ys.index(year)
    if i > 0:
        return [(ys[i - 1], year)]
    return [(year, ys[1])] if len(ys) > 1 else []


def handed_on(up: dict, what: str, year: int):
    """What step ``transitions`` handed on for ``year`` under ``what`` (``areas_m2``,
    ``overlays``) in the results ``up`` of a task that reads its source pair, or None."""
    for r in (up.get("transitions") or {}).values():
        if isinstance(r, dict) and year in r[what]:
            return r[what][year]
    return None


def _run(ctx: RunContext, up: dict, year: int):
    from geo_sink.zonal import class_areas
    from geo_sink.zonal.areas import class_areas_from_m2
    lc = ctx.landcover_of(year)
    legend = ctx.cat.legend(lc.legend)
    passed = handed_on(up, "areas_m2", year)
    if passed is not None:
        res = class_areas_from_m2(lc.path, ctx.zones, legend, passed, crs=lc.crs)
        a, b = source_pair(ctx, year)[0]
        res.notes.append(f"class areas summed in the {a}-{b} transition pass (its marginal for {year})"
                         + (" on the dask cluster" if ctx.client is not None else ""))
    else:
        res = class_areas(lc.path, ctx.zones, legend, crs=lc.crs, client=ctx.client)
    ctx.put(res.areas.assign(year=year, synthetic=lc.synthetic), f"class_areas_{year}.csv")
    ctx.put(ecosystem_table(res.areas, res.summary).assign(year=year, synthetic=lc.synthetic),
            f"ecosystem_areas_{year}.csv")
    tag = SYNTHETIC_LABEL.lower() if lc.synthetic else "real data"
    yield (f"{ctx.name} {year}: class areas of {len(ctx.zones)} counties from {lc.label} "
           f"({tag}); area closure within {res.summary['closure_pct'].abs().max():.4f}%")
    guard = coverage_guard(ctx, {year: {"summary": res.summary}})[year]
    if not guard["measured"].all():
        limit = ctx.parameter("max_uncovered_pct")
        yield (f"{ctx.name} {year}: no value for {', '.join(guard.loc[~guard['measured'], 'zone_name'].astype(str))}: "
               f"the map leaves more than {limit:g}% of them uncovered (covered "
               f"{', '.join(f'{c:.1f}%' for c in guard.loc[~guard['measured'], 'covered_pct'])})")
    # the zone cache's state ("zone index built" / "reused") is not part of the result: a warm
    # cache must not make the steps that read these areas run again
    notes = [n for n in res.notes if not n.startswith("zone index")]
    return {"areas": res.areas, "summary": res.summary, "notes": notes,
            "input": {"kind": "landcover", "year": year, "path": str(lc.path), "legend": lc.legend,
                      "synthetic": lc.synthetic, "notes": notes}}


STEP = Step(
    "landcover", _run, needs=("transitions",), upstream_keys=source_pair, project=("boundary", "synthetic"),
    catalog=("legend:*", "dataset:analysis_parameters", "dataset:<landcover dataset>"),
    outputs=("class_areas", "ecosystem_areas"), concurrent=True,
    keys=lambda ctx: [lc.year for lc in ctx.landcover], params=lambda ctx, year: repr(ctx.landcover_of(year)),
    files=lambda ctx, year: [ctx.landcover_of(year).path] + ctx.boundary_files(),
)
