"""Step ``subsidence``: the subsidence land (InSAR raster or longwall panels, probability
integral method), its boundary and the subsided area per county."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.pv.subsidence_run import subsidence_land

    lines, land = subsidence_land(ctx.project, ctx.zones, ctx.out_dir, ctx.synthetic)
    for line in lines:
        yield f"{ctx.name}: {line}"
    return land


STEP = Step(
    "subsidence", _run, project=("boundary", "subsidence", "synthetic"),
    roles=("boundary", "subsidence"), catalog=("dataset:subsidence_parameters",),
    outputs=("subsidence_mm", "subsidence_mm_yr", "subsidence_boundary", "subsidence_by_county"),
    when=lambda ctx: ctx.project.spec.subsidence is not None,
)
