"""Step ``overlay``: each land-cover year at display size (class codes in Web Mercator over the
counties' bounding box, :func:`geo_sink.io.display.landcover_codes`), one task per year: from
the sample step ``transitions`` took in its pass over the map when it did, else read here.  No
file: the report draws them from the step results, so a year whose map did not change is not
read again when the report is rebuilt."""

from __future__ import annotations

from geo_sink.io.fingerprint import package_version
from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext
from geo_sink.steps.landcover import handed_on, source_pair


def overlay_bounds(zones) -> tuple[float, ...]:
    """The lon/lat box of the overlays: the counties' bounding box (WGS 84)."""
    return tuple(float(v) for v in zones.to_crs(4326).total_bounds)


def _run(ctx: RunContext, up: dict, year: int):
    from geo_sink.io.display import landcover_codes
    lc = ctx.landcover_of(year)
    box = overlay_bounds(ctx.zones)
    passed = handed_on(up, "overlays", year)
    codes, bounds = passed if passed is not None else landcover_codes(lc.path, lc.crs, box)
    return {"bounds_ll": box, "codes": codes, "bounds": bounds}
    yield  # a generator like every step


def relief_of(project, box: tuple, outline):
    """(RGBA, bounds, label) of the hillshade over ``box``, clipped to 0.02 deg around the
    region's ``outline`` (WGS 84; :func:`geo_sink.io.display.region_outline`), or None
    (:func:`geo_sink.io.relief.relief`)."""
    from geo_sink.io.display import MAX_OVERLAY_PX
    from geo_sink.io.relief import relief
    return relief(project, box, MAX_OVERLAY_PX, clip=outline.buffer(0.02))


def relief_and_outline(project, box: tuple, lonlat) -> dict:
    """The report's base from the counties ``lonlat`` (WGS 84): the hillshade (``shade``), the
    counties as drawn (``shown``: simplified) and the region's outline drawn over them."""
    from geo_sink.io.display import display_geometries, region_outline
    shown = display_geometries(lonlat)
    outline = region_outline(shown)
    return {"shade": relief_of(project, box, outline), "outline": outline, "shown": shown}


def _run_relief(ctx: RunContext, up: dict, key):
    box = overlay_bounds(ctx.zones)
    return {"bounds_ll": box, "zone_ids": [str(z) for z in ctx.zones["zone_id"]],
            **relief_and_outline(ctx.project, box, ctx.zones.to_crs(4326).geometry.values)}
    yield  # a generator like every step


def _dem(ctx: RunContext) -> list:
    pc = ctx.project.spec.pv_constraints
    return [pc.dem] if pc is not None and pc.dem is not None else []


RELIEF = Step(
    "relief", _run_relief, project=("boundary", "pv_constraints"), outputs=(),
    files=lambda ctx, key: _dem(ctx) + ctx.boundary_files(),
    params=lambda ctx, key: {"pvlib": package_version("pvlib")},     # its terrain grid when there is no DEM
    concurrent=True,
)

STEP = Step(
    "overlay", _run, needs=("transitions",), upstream_keys=source_pair,
    project=("boundary",), outputs=(),
    keys=lambda ctx: [lc.year for lc in ctx.landcover], params=lambda ctx, year: repr(ctx.landcover_of(year)),
    files=lambda ctx, year: [ctx.landcover_of(year).path] + ctx.boundary_files(), concurrent=True,
)
