"""``geo-sink areas``: km^2 of each land-cover class in each zone."""

from __future__ import annotations

import click

from geo_sink.cli.options import (TABLE, cache_option, cluster_options, open_cluster, crs_option, legend_option, level_option,
                                  name_field_option, output_option, zone_field_option)
from geo_sink.cli.progress import say
from geo_sink.runs.notices import notice


@click.command()
@click.argument("raster")
@click.argument("zones")
@legend_option
@zone_field_option
@name_field_option
@level_option
@crs_option
@click.option("--nodata", "extra_nodata", type=int, multiple=True,
              help="Extra nodata code (repeatable); the file's and the legend's always count.")
@cache_option
@output_option()
@click.option("--summary-out", type=TABLE, help="Per-zone summary table (.csv or .parquet).")
@cluster_options
def areas(raster, zones, legend_id, zone_field, name_field, level, crs, extra_nodata, cache,
          output, summary_out, workers, scheduler):
    """Area (km²) of each land-cover class in each zone.

    RASTER is a categorical raster file or a catalog dataset id (e.g. mcd12c1_2019_china).
    ZONES is a polygon file (GeoPackage, Shapefile, GeoJSON, GeoParquet) or a Chinese region
    name or adcode (朔州市, 140600, 河北省/石家庄市): its counties become the zones.

    OUTPUT has zone_id, zone_name, class_code, class_name, ecosystem, area_km2.
    """
    from geo_sink.catalog import load_catalog
    from geo_sink.cli.resolve import resolve_raster
    from geo_sink.io import load_zones, write_table
    from geo_sink.zonal import class_areas
    cat = load_catalog()
    path, leg, crs, label = resolve_raster(cat, raster, legend_id, crs)
    z = load_zones(zones, id_field=zone_field, name_field=name_field, level=level)
    with open_cluster(workers, scheduler) as client:
        res = class_areas(path, z, cat.legend(leg), crs=crs, nodata=list(extra_nodata), cache=cache,
                          client=client)
    write_table(res.areas, output)
    say(f"{label}: {len(z)} zones, {len(res.areas)} rows -> {output}")
    if summary_out:
        write_table(res.summary, summary_out)
        say(f"summary -> {summary_out}")
    if len(res.unknown_codes):
        notice(f"codes not in legend {leg}: "
               + ", ".join(f"{r.class_code} ({r.pixels} px, {r.area_km2:.3f} km²)"
                           for r in res.unknown_codes.itertuples()))
    worst = res.summary["closure_pct"].abs().max()
    say(f"accounted area closes within {worst:.4f}% of the geodesic zone areas")
