"""The ``geo-sink`` command line: a thin layer over the Python API.

One module per command; options shared by several commands live in :mod:`geo_sink.cli.options`.
"""

from __future__ import annotations

import logging
import sys

import click

from geo_sink import __version__
from geo_sink.cli.areas import areas
from geo_sink.cli.carbon import carbon
from geo_sink.cli.check import check
from geo_sink.cli.demo import demo
from geo_sink.cli.pv import pv
from geo_sink.cli.reclamation import reclamation
from geo_sink.cli.regions import regions
from geo_sink.cli.report import report
from geo_sink.cli.run import history, run, update
from geo_sink.errors import GeoSinkError

#: Exit status for errors geo-sink raised on purpose (bad input, missing file, unknown region).
EXIT_INPUT = 3


class _Group(click.Group):
    def invoke(self, ctx):
        from geo_sink.runs.lock import EXIT_LOCKED, LockedError
        try:
            return super().invoke(ctx)
        except LockedError as e:
            click.echo(f"geo-sink: {e}", err=True)
            sys.exit(EXIT_LOCKED)
        except GeoSinkError as e:
            click.echo(f"geo-sink: error: {e}", err=True)
            sys.exit(EXIT_INPUT)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geo-sink")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Quiet: no progress or summary lines; log errors only.")
def cli(verbose: int, quiet: bool) -> None:
    """geo-sink: county carbon sinks, mine reclamation and PV siting against China's
    carbon-peak targets."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)


cli.add_command(areas)
cli.add_command(carbon)
cli.add_command(check)
cli.add_command(demo)
cli.add_command(pv)
cli.add_command(reclamation)
cli.add_command(regions)
cli.add_command(report)
cli.add_command(run)
cli.add_command(update)
cli.add_command(history)


def main() -> None:  # console-script entry point
    cli(prog_name="geo-sink")
