"""Steps ``reclamation_rate`` (mine land reclamation rate per mine and county, now and at the end
of each year, from the mine polygons alone) and ``reclamation`` (the FVC series of reclaimed land:
one read per new scene, a scene already in the series kept by its content key; vegetation cover
against its bar and the reclaimed land's carbon).  A new scene runs the second only."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run_rate(ctx: RunContext, up: dict, key):
    from geo_sink.reclamation_run import reclamation_sites, write_rates

    sites = reclamation_sites(ctx.project, ctx.zones)
    for line in write_rates(sites, ctx.out_dir, ctx.synthetic, ctx.project.targets):
        yield f"{ctx.name}: {line}"
    return sites


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.reclamation_run import run_reclamation, write_cover
    from geo_sink.uncertainty import DEFAULT_SEED

    rec = run_reclamation(ctx.project, ctx.zones, ctx.out_dir, draws=min(ctx.draws, 20_000), seed=DEFAULT_SEED,
                          client=ctx.client, sites=up["reclamation_rate"])
    for line in write_cover(rec, ctx.out_dir, ctx.synthetic, ctx.project.targets):
        yield f"{ctx.name}: {line}"
    return None


RATE = Step(
    "reclamation_rate", _run_rate,
    project=("boundary", "mines", "targets", "synthetic"), roles=("boundary", "mines"),
    outputs=("reclamation_by_mine", "reclamation_by_county", "reclamation_by_mine_year", "reclamation_by_county_year"),
    when=lambda ctx: ctx.project.spec.mines is not None,
)

STEP = Step(
    "reclamation", _run, needs=("reclamation_rate",),
    project=("boundary", "mines", "imagery", "targets", "synthetic"),
    roles=("boundary", "scene"),
    catalog=("dataset:reclamation_parameters", "dataset:reclaimed_carbon", "dataset:carbon_constants",
             "dataset:measurability_rules"),
    outputs=("fvc_series", "vegetation_cover_by_county", "reclaimed_carbon", "reclaimed_carbon_by_county"),
    draws=True, carry=("fvc_series.csv",),
    when=lambda ctx: ctx.project.spec.mines is not None,
)
