"""The ``geo-sink`` command line: a thin layer over the Python API.

One module per command; options shared by several commands live in :mod:`geo_sink.cli.options`.

Exit status (also in the README, for cron and systemd units):

====  =====================================================================================
0     success
10    completed with warnings (a scene quarantined or skipped, an input left out, a damaged
      ledger replaced): the outputs are complete, one ``geo-sink: warning:`` line each on stderr
2     bad command line (unknown option, an option value out of range, a wrong output suffix)
3     bad input: the project file, a data file or an argument (the message names file and field)
70    internal error: a bug in geo-sink (``-v`` prints the traceback)
74    environment / I/O error: disk full, permission denied, read-only folder, a file where a
      folder should be, a damaged database; the message names the path and what to do
75    the output folder is locked by another geo-sink run (try again later, or ``--wait``)
129   stopped by SIGHUP, 130 by SIGINT (Ctrl-C), 143 by SIGTERM: stopped cleanly, the output
      folder holds the previous complete run
====  =====================================================================================
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

import click

from geo_sink import __version__
from geo_sink.errors import GeoSinkError, RunInterrupted, StorageError

#: The commands: name -> (module, function, the one-line help ``geo-sink --help`` lists).  A
#: command's module (and numpy, pandas, rasterio, geopandas behind it) is imported only when
#: that command runs or shows its own help; ``tests/test_cli.py`` keeps the one-liners equal to
#: the commands' docstrings.
COMMANDS = {
    "areas": ("geo_sink.cli.areas", "areas", "Area (km²) of each land-cover class in each zone."),
    "carbon": ("geo_sink.cli.carbon", "carbon", "Carbon stock (Mg C, t CO2e) of each county by pool; with..."),
    "check": ("geo_sink.cli.check", "check", "Validate PROJECT (a region project YAML): keys, forms, years,..."),
    "demo": ("geo_sink.cli.demo", "demo", "Run every analysis on the embedded default regions: 石家庄市..."),
    "history": ("geo_sink.cli.run", "history", "The run ledger of PROJECT's output folder, newest first."),
    "init": ("geo_sink.cli.init", "init", "Write a commented starter project file for REGION (a Chinese..."),
    "pv": ("geo_sink.cli.pv", "pv", "PV on the coal-mining subsidence land of PROJECT: subsidence..."),
    "reclamation": ("geo_sink.cli.reclamation", "reclamation", "Reclamation rate per mine and county (vs the 60%..."),
    "regions": ("geo_sink.cli.regions", "regions", "List the counties (or cities) of REGION, with area and..."),
    "report": ("geo_sink.cli.report", "report", "Write one self-contained HTML report (Leaflet inlined, no..."),
    "run": ("geo_sink.cli.run", "run", "Every analysis of PROJECT, its report and a ledger entry (inputs,..."),
    "update": ("geo_sink.cli.run", "update", "Recompute only what new inputs change (new or changed inbox..."),
    "watch": ("geo_sink.cli.run", "watch", "Keep PROJECT up to date in one long-lived process: every..."),
}

EXIT_OK = 0
#: Completed, with warnings (quarantined/skipped scenes, skipped inputs, a replaced ledger).
EXIT_WARNINGS = 10
#: Bad command line (click's usage errors).
EXIT_USAGE = 2
#: Exit status for errors geo-sink raised on purpose (bad input, missing file, unknown region).
EXIT_INPUT = 3
#: A bug: an exception geo-sink did not expect (EX_SOFTWARE).
EXIT_BUG = 70
#: The environment refused: disk full, permission, read-only, path is a file, damaged database (EX_IOERR).
EXIT_IO = 74
#: Stdout closed under us (``geo-sink history | head -1``): 128 + SIGPIPE.
EXIT_PIPE = 141


def _input_library_error(e: BaseException) -> bool:
    """Errors of the raster/vector libraries about a file's content (an input problem)."""
    mods = {str(x.__module__).split(".")[0] for x in type(e).__mro__}
    return bool(mods & {"rasterio", "pyogrio", "fiona", "pyproj", "shapely", "pystac"})


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _Group(click.Group):
    """The top-level group: commands imported on demand (:data:`COMMANDS`), one error handler."""

    def list_commands(self, ctx):
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        import importlib
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(n, COMMANDS[n][2] if n in COMMANDS else self.commands[n].get_short_help_str())
                for n in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        from geo_sink.runs import signals
        from geo_sink.runs.faults import storage_message
        from geo_sink.runs.lock import EXIT_LOCKED, LockedError
        from geo_sink.runs.notices import listening

        verbose = ctx.params.get("verbose", 0)
        warnings: list[str] = []

        def on_notice(message: str) -> None:
            warnings.append(message)
            click.echo(f"geo-sink: warning: {message}", err=True)

        def fail(code: int, message: str):
            click.echo(f"geo-sink: {message}", err=True)
            sys.exit(code)

        try:
            with signals.handling(), listening(on_notice):
                rv = super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except (RunInterrupted, KeyboardInterrupt) as e:
            signum = getattr(e, "signum", 2)
            name = getattr(e, "signame", "SIGINT")
            fail(128 + signum, f"interrupted by {name}: stopped cleanly, temporary files removed; the output "
                               "folder holds the last complete run (see geo-sink history)")
        except LockedError as e:
            fail(EXIT_LOCKED, str(e))
        except StorageError as e:
            fail(EXIT_IO, f"error: {e}")
        except GeoSinkError as e:
            fail(EXIT_INPUT, f"error: {e}")
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(EXIT_PIPE)
        except MemoryError:
            fail(EXIT_IO, "error: out of memory (lower --draws, or run on a machine with more memory)")
        except Exception as e:  # noqa: BLE001 - the one top-level handler
            import sqlite3
            msg = storage_message(e) if isinstance(e, (OSError, sqlite3.Error)) or _input_library_error(e) else None
            if msg is not None:
                fail(EXIT_IO, f"error: {msg}")
            if _input_library_error(e):
                fail(EXIT_INPUT, f"error: cannot use an input: {type(e).__name__}: {e}")
            if isinstance(e, (OSError, sqlite3.Error)):
                fail(EXIT_IO, f"error: {type(e).__name__}: {e}")
            if verbose:
                traceback.print_exc(file=sys.stderr)
            fail(EXIT_BUG, f"internal error (this is a bug): {type(e).__name__}: {e}; "
                           + ("please report it with the traceback above" if verbose else
                              "run again with -v for the traceback and please report it"))
        if warnings:
            if not ctx.find_root().params.get("quiet"):
                click.echo(f"geo-sink: completed with {len(warnings)} warning(s)", err=True)
            sys.exit(EXIT_WARNINGS)
        return rv


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geo-sink")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug); tracebacks of internal errors.")
@click.option("-q", "--quiet", is_flag=True,
              help="Quiet: no progress or summary lines; errors and warnings (one line each) only.")
def cli(verbose: int, quiet: bool) -> None:
    """geo-sink: county carbon sinks, mine reclamation and PV siting against China's
    carbon-peak targets."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)




def main() -> None:  # console-script entry point
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # a C/ASCII locale never makes a name crash
        except (AttributeError, ValueError):
            pass
    from geo_sink.runs.malloc import share_one_malloc_arena
    share_one_malloc_arena()        # before any thread allocates (steps run on threads)
    try:
        cli(prog_name="geo-sink")
    finally:
        skip_final_collection()


def skip_final_collection() -> None:
    """Let the interpreter's exit skip the cyclic garbage collection over every object left
    (``gc.freeze``): after a run, pandas', numba's and folium's objects made it 0.35-0.40 s of
    the process's 3.5 s (exit measured after the command returned, 2026-12-07), for nothing,
    the files being closed by then.  Reference counts still free what they free."""
    import gc
    gc.freeze()
