"""Step ``reclamation``: mine land reclamation rate, the FVC series of reclaimed land (one read
per new scene; a scene already in the series is kept by its content key), vegetation cover
against its bar and the reclaimed land's carbon."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.reclamation_run import run_reclamation, write_reclamation
    from geo_sink.uncertainty import DEFAULT_SEED

    rec = run_reclamation(ctx.project, ctx.zones, ctx.out_dir, draws=min(ctx.draws, 20_000), seed=DEFAULT_SEED,
                          client=ctx.client)
    for line in write_reclamation(rec, ctx.out_dir, ctx.synthetic, ctx.project.targets):
        yield f"{ctx.name}: {line}"
    return None


STEP = Step(
    "reclamation", _run,
    project=("boundary", "mines", "imagery", "targets", "synthetic"),
    roles=("boundary", "mines", "scene"),
    catalog=("dataset:reclamation_parameters", "dataset:reclaimed_carbon", "dataset:carbon_constants",
             "dataset:measurability_rules"),
    outputs=("reclamation_by_mine", "reclamation_by_county", "reclamation_by_mine_year",
             "reclamation_by_county_year", "fvc_series", "vegetation_cover_by_county", "reclaimed_carbon",
             "reclaimed_carbon_by_county"),
    draws=True, carry=("fvc_series.csv",),
    when=lambda ctx: ctx.project.spec.mines is not None,
)
