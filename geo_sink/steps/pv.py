"""Step ``pv``: PV parcels on the subsidence land (exclusions, slope, minimum area), capacity,
yield per kWp (pvlib), energy and CO2 avoided per parcel, county and city."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, key):
    from geo_sink.pv.siting_run import run_pv

    land = up["subsidence"]
    for line in run_pv(ctx.project, ctx.zones, ctx.out_dir, land["w"], land["grid"], ctx.synthetic,
                       unit=land["unit"], in_sub=land["in_sub"]):
        yield f"{ctx.name}: {line}"
    return None


STEP = Step(
    "pv", _run, needs=("subsidence",),
    project=("boundary", "subsidence", "pv_constraints", "pv", "synthetic"),
    files=lambda ctx, key: [ctx.landcover[-1].path] + [p for p, (role, _, _) in ctx.inputs.items()
                                                        if role in ("boundary", "pv")],
    params=lambda ctx, key: repr(ctx.landcover[-1]),
    catalog=("dataset:pv_siting_parameters", "dataset:pv_energy_parameters", "dataset:pv_weather_climatology",
             "dataset:grid_emission_factors", "dataset:grid_combined_margin", "legend:*"),
    outputs=("pv_parcels_gpkg", "pv_parcels_parquet", "pv_by_county", "pv_exclusions"),
    when=lambda ctx: ctx.project.spec.subsidence is not None and bool(ctx.project.spec.landcover),
)
