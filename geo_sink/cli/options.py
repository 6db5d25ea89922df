"""Options shared by several geo-sink commands."""

from __future__ import annotations

from pathlib import Path

import click

legend_option = click.option(
    "--legend", "legend_id", metavar="NAME",
    help="Land-cover legend id from data_catalog/legends (worldcover, clcd, modis_igbp, "
         "globeland30); default: the catalog dataset's legend.")
zone_field_option = click.option("--zone-field", metavar="FIELD",
                                 help="Zone id field of a zone file (default: row number).")
name_field_option = click.option("--name-field", metavar="FIELD",
                                 help="Zone name field of a zone file (default: the id).")
level_option = click.option(
    "--level", type=click.Choice(["county", "city", "province", "self"]), default="county",
    show_default=True, help="For a Chinese region name: which units inside it are the zones.")
crs_option = click.option("--crs", metavar="CRS",
                          help="CRS for a raster that has none (e.g. EPSG:4326).")
cache_option = click.option("--cache/--no-cache", default=True, show_default=True,
                            help="Reuse the zone rasterisation cached on disk for this grid.")


def output_option(required: bool = True, help: str = "Output table (.csv or .parquet).") -> click.Option:
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        required=required, help=help)


def cluster_options(f):
    """``--workers N`` (start a dask LocalCluster) and ``--scheduler ADDRESS`` (join one)."""
    f = click.option("--scheduler", metavar="ADDRESS",
                     help="Run the raster passes on an existing dask scheduler (tcp://host:8786).")(f)
    f = click.option("--workers", type=click.IntRange(min=1),
                     help="Run the raster passes on a dask LocalCluster of N worker processes.")(f)
    return f
