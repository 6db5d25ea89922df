"""Step ``counties``: the county layer with the key figures of the last year (area, forest
coverage, carbon stock and sink, each with whether its map can measure it), as GeoParquet and
GeoPackage."""

from __future__ import annotations

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def _run(ctx: RunContext, up: dict, key):
    land = up["landcover"]
    last = max(land)
    layer = ctx.zones[["zone_id", "zone_name", "geometry"]].merge(
        land[last]["summary"][["zone_id", "zone_area_km2"]], on="zone_id")
    cov = up.get("forest")
    if cov is not None:
        c = cov[cov["year"] == last].drop_duplicates("zone_id")[["zone_id", "forest_km2", "coverage_pct", "measurable"]]
        layer = layer.merge(c.rename(columns={"measurable": "coverage_measurable"}), on="zone_id", how="left")
    carbon = up.get("carbon")
    if carbon is not None:
        stocks, sinks = carbon["stocks"], carbon["sinks"]
        # each figure with whether its map can carry it (the carbon step's land_cover_carbon verdict)
        flag = {"measurable": "{}_measurable", "measurability_note": "{}_measurability_note"}
        st = stocks[(stocks["pool"] == "total") & (stocks["year"] == last)][
            ["zone_id", "climate_zone"] + [c for c in stocks.columns if c.startswith("stock_t_co2e")]
            + [c for c in flag if c in stocks.columns]]
        layer = layer.merge(st.rename(columns={k: v.format("stock") for k, v in flag.items()}), on="zone_id", how="left")
        if len(sinks):
            sk = sinks[(sinks["pool"] == "total") & (sinks["year_from"] == min(land)) & (sinks["year_to"] == last)][
                ["zone_id"] + [c for c in sinks.columns if c.startswith("sink_")] + [c for c in flag if c in sinks.columns]]
            layer = layer.merge(sk.rename(columns={k: v.format("sink") for k, v in flag.items()}), on="zone_id", how="left")
    ctx.put(layer.assign(synthetic=ctx.synthetic), "counties.parquet")
    ctx.put(layer.assign(synthetic=ctx.synthetic), "counties.gpkg")
    return None
    yield  # a generator like every step


STEP = Step(
    "counties", _run, needs=("landcover", "forest", "carbon"), project=("boundary", "synthetic"),
    roles=("boundary",), outputs=("counties_parquet", "counties_gpkg"),
    when=lambda ctx: bool(ctx.landcover), concurrent=True,
)
