"""``geo-sink carbon``: carbon stock by county and pool, and the sink between two years."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.catalog import load_catalog
from geo_sink.cli.options import (YEAR_RANGE, OutputFile, cache_option, cluster_options, crs_option, draws_option,
                                  legend_option, level_option, name_field_option, open_cluster, output_option,
                                  zone_field_option)
from geo_sink.cli.resolve import resolve_raster
from geo_sink.errors import InputDataError
from geo_sink.io import load_zones, write_table
from geo_sink.sinks.carbon import carbon_stock_series, constants, stock_and_sink_table
from geo_sink.sinks.carbon_run import density_for, write_density_cogs
from geo_sink.sinks.pools import read_pools
from geo_sink.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED
from geo_sink.zonal import class_areas
from geo_sink.cli.progress import say
from geo_sink.runs.notices import notice


@click.command()
@click.argument("lulc")
@click.argument("zones")
@legend_option
@click.option("--pools", "pools_arg", metavar="POOLS.csv",
              help="Carbon pools table (InVEST CSV: lucode, c_above, c_below, c_soil, c_dead in "
                   "Mg C/ha) for every county; default: IPCC Tier 1 defaults of each county's "
                   "climate zone (decided from the catalog's stations, see climate_zones in the README).")
@click.option("--climate-zone", "climate_zone", metavar="ZONE",
              help="IPCC climate zone for every county (e.g. warm_temperate_dry) instead of the decision.")
@click.option("--ipcc-edition", type=click.Choice(["2006", "2019"]), default="2006", show_default=True,
              help="IPCC Tier 1 defaults: the 2006 Guidelines or the 2019 Refinement where it changed them.")
@click.option("--lulc-later", metavar="LULC2", help="A later land-cover map on the same grid.")
@click.option("--years", nargs=2, type=click.IntRange(*YEAR_RANGE), metavar="Y1 Y2",
              help=f"Years of LULC and LULC2 ({YEAR_RANGE[0]}-{YEAR_RANGE[1]}).")
@zone_field_option
@name_field_option
@level_option
@crs_option
@draws_option(DEFAULT_DRAWS)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True)
@cache_option
@output_option(help="Tidy table: zone_id, zone_name, pool, stock_mg_c, stock_t_co2e, … (+ sink columns).")
@click.option("--geoparquet", type=OutputFile((".parquet", ".geoparquet"), "GeoParquet"),
              help="Totals per county with geometry (GeoParquet).")
@click.option("--density-cog", type=OutputFile((".tif", ".tiff"), "a Cloud-Optimized GeoTIFF"),
              help="Total carbon density of LULC (Mg C/ha) as a Cloud-Optimized GeoTIFF.")
@cluster_options
def carbon(lulc, zones, legend_id, pools_arg, climate_zone, ipcc_edition, lulc_later, years, zone_field, name_field,
           level, crs, draws, seed, cache, output, geoparquet, density_cog, workers, scheduler):
    """Carbon stock (Mg C, t CO2e) of each county by pool; with --lulc-later and --years, the
    annual sink (t CO2e/yr) by stock difference, with Monte Carlo 5-95% intervals."""
    if (lulc_later is None) != (not years):
        raise InputDataError("--lulc-later and --years Y1 Y2 go together")
    if years and years[1] <= years[0]:
        raise InputDataError(f"--years: the later year must be after the first, got {years[0]} {years[1]}")
    if climate_zone is not None:
        from geo_sink.sinks.climate import ZONES
        if climate_zone not in ZONES:
            raise click.BadParameter(f"{climate_zone!r} is not an IPCC climate zone; expected one of {list(ZONES)}",
                                     param_hint="--climate-zone")
    cat = load_catalog()
    path, leg_id, crs1, label = resolve_raster(cat, lulc, legend_id, crs)
    legend = cat.legend(leg_id)
    pools = None
    if pools_arg is not None:
        if climate_zone:
            raise InputDataError("--pools and --climate-zone exclude each other: a pools table is used for every county")
        pools = read_pools(cat.dataset_path(pools_arg) if pools_arg in cat.datasets else Path(pools_arg))
    co2 = constants(cat.dataset_path("carbon_constants"))["co2_per_c"]
    z = load_zones(zones, id_field=zone_field, name_field=name_field, level=level)
    y1, y2 = years if years else (0, None)
    maps = {y1: (path, crs1)}
    if lulc_later:
        p2, _, crs2, _ = resolve_raster(cat, lulc_later, leg_id, crs)
        maps[y2] = (p2, crs2)
    areas = {}
    with open_cluster(workers, scheduler) as client:
        for y, (p, c) in maps.items():
            res = class_areas(p, z, legend, crs=c, cache=cache, client=client)
            areas[y] = res.areas[res.areas["ecosystem"] != "unknown"]
            if len(res.unknown_codes):
                notice(f"{p}: codes not in legend {leg_id} left out of the stock: "
                       f"{res.unknown_codes['class_code'].tolist()}")
    codes = sorted(set().union(*[set(a["class_code"]) for a in areas.values()]))
    dens, climate, _ = density_for(cat, legend, codes, z, pools=pools, climate_zone=climate_zone,
                                   edition=ipcc_edition)
    if climate is not None:
        left = climate[climate["climate_zone"].isna()]
        if len(left):
            notice(f"no climate zone for {', '.join(left['zone_name'].astype(str))}: left out "
                   "(give --climate-zone)")
            areas = {y: a[~a["zone_id"].isin(left["zone_id"])] for y, a in areas.items()}
    stocks, sinks = carbon_stock_series(areas, dens, co2, draws=draws, seed=seed, total=("ALL", "(all zones)"))
    table = stock_and_sink_table(stocks, sinks, y1, y2)
    write_table(table, output)
    say(f"{label}: carbon stock of {len(z)} zones by pool ({', '.join(dens.groups)}) -> {output}")
    if geoparquet:
        tot = table[table["pool"] == "total"].drop(columns=["pool"])
        g = z[["zone_id", "geometry"]].merge(tot, on="zone_id")
        write_table(g, geoparquet)
        say(f"county totals -> {geoparquet}")
    if density_cog:
        for p in write_density_cogs(path, density_cog, dens, dict(zip(z["zone_id"], z["zone_name"]))):
            say(f"carbon density (Mg C/ha) -> {p}")
