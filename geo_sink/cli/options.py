"""Options shared by several geo-sink commands, each validated before any work starts (a bad
value is a usage error, exit status 2, naming the option and what was expected)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import click

#: Upper bound of ``--draws`` (the Monte Carlo arrays grow with it).
MAX_DRAWS = 10_000_000
#: Years geo-sink accepts for land-cover maps and sinks (as in project files).
YEAR_RANGE = (1985, 2100)


def _crs(ctx, param, value):
    if value is None:
        return None
    import pyproj
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise click.BadParameter(f"{value!r} is not a CRS pyproj understands (e.g. EPSG:4326, EPSG:32649, a WKT "
                                 "or PROJ string)") from None
    return value


def _scheduler(ctx, param, value):
    if value is None:
        return None
    if not re.fullmatch(r"((tcp|tls|ucx|ws|wss|inproc)://)?[^\s:/]+(:\d{1,5})?", value) or (
            "://" not in value and ":" not in value):
        raise click.BadParameter(f"{value!r} is not a dask scheduler address (e.g. tcp://10.0.0.5:8786)")
    return value


class OutputFile(click.Path):
    """An output file whose suffix says its format; its folder may be created but no part of the
    path may be a file."""

    def __init__(self, suffixes: tuple[str, ...], what: str):
        super().__init__(dir_okay=False, path_type=Path)
        self.suffixes, self.what = suffixes, what

    def convert(self, value, param, ctx):
        p = super().convert(value, param, ctx)
        if p.suffix.lower() not in self.suffixes:
            self.fail(f"{p}: the file name must end in {' or '.join(self.suffixes)} ({self.what}); "
                      f"{p.suffix or 'no suffix'} is not written", param, ctx)
        anc = p.absolute().parent
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if not anc.is_dir():
            self.fail(f"{p}: {anc} is a file, not a folder", param, ctx)
        return p


TABLE = OutputFile((".csv", ".parquet"), "a table: CSV or Parquet")

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
crs_option = click.option("--crs", metavar="CRS", callback=_crs,
                          help="CRS for a raster that has none (e.g. EPSG:4326).")
cache_option = click.option("--cache/--no-cache", default=True, show_default=True,
                            help="Reuse the zone rasterisation cached on disk for this grid.")
seed_option = click.option("--seed", type=click.IntRange(0, 2**32 - 1), metavar="N", help="Random seed (0 .. 2^32-1).")
wait_option = click.option("--wait", type=click.FloatRange(min=0), default=0.0, show_default=True,
                           help="Seconds to wait for another run on the same output folder "
                                "(then exit with status 75).")


def draws_option(default: int):
    return click.option("--draws", type=click.IntRange(0, MAX_DRAWS), default=default, show_default=True,
                        help=f"Monte Carlo draws for the 5-95% intervals (0: none; at most {MAX_DRAWS:,}).")


def output_option(required: bool = True, help: str = "Output table (.csv or .parquet).") -> click.Option:
    return click.option("-o", "--output", type=TABLE, required=required, help=help)


def cluster_options(f):
    """``--workers N`` (start a dask LocalCluster) and ``--scheduler ADDRESS`` (join one)."""
    f = click.option("--scheduler", metavar="ADDRESS", callback=_scheduler,
                     help="Run the raster passes on an existing dask scheduler (tcp://host:8786).")(f)
    f = click.option("--workers", type=click.IntRange(min=1),
                     help="Run the raster passes on a dask LocalCluster of N worker processes.")(f)
    return f


@contextlib.contextmanager
def open_cluster(workers, scheduler):
    """:func:`geo_sink.zonal.distributed.cluster`, with a scheduler that cannot be reached or a
    cluster that cannot start reported as an environment error (exit status 74)."""
    from geo_sink.errors import StorageError
    from geo_sink.zonal.distributed import cluster

    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(cluster(workers, scheduler))
        except (OSError, ValueError, RuntimeError) as e:
            what = f"the dask scheduler {scheduler}" if scheduler else f"a dask LocalCluster of {workers} workers"
            raise StorageError(f"cannot connect to {what}: {type(e).__name__}: {e}; start it, check the "
                               "address, or run without --scheduler/--workers") from None
        yield client
