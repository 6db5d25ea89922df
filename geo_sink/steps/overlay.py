"""Step ``overlay``: each land-cover year at display size (class codes in Web Mercator over the
counties' bounding box, :func:`geo_sink.io.display.landcover_codes`), one task per year.  No
file: the report draws them from the step results, so a year whose map did not change is not
read again when the report is rebuilt."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def overlay_bounds(zones) -> tuple[float, ...]:
    """The lon/lat box of the overlays: the counties' bounding box (WGS 84)."""
    return tuple(float(v) for v in zones.to_crs(4326).total_bounds)


def _run(ctx: RunContext, up: dict, year: int):
    from geo_sink.io.display import landcover_codes
    lc = ctx.landcover_of(year)
    box = overlay_bounds(ctx.zones)
    codes, bounds = landcover_codes(lc.path, lc.crs, box)
    return {"bounds_ll": box, "codes": codes, "bounds": bounds}
    yield  # a generator like every step


STEP = Step(
    "overlay", _run, project=("boundary",), outputs=(),
    keys=lambda ctx: [lc.year for lc in ctx.landcover], params=lambda ctx, year: repr(ctx.landcover_of(year)),
    files=lambda ctx, year: [ctx.landcover_of(year).path] + (
        [ctx.project.spec.boundary.file] if ctx.project.spec.boundary.file is not None else []),
)
