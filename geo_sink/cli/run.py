"""``geo-sink run``, ``geo-sink update``, ``geo-sink watch`` and ``geo-sink history``: the
commands for timers and services."""

from __future__ import annotations

import click

from geo_sink.cli.options import cluster_options, draws_option, open_cluster, wait_option
from geo_sink.cli.progress import echo_steps

from geo_sink.defaults import DEFAULT_DRAWS

lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)


def timer_command(f):
    """The shared signature of ``run`` and ``update``: PROJECT, --wait, --lang, --draws,
    --workers/--scheduler."""
    for deco in (cluster_options, draws_option(DEFAULT_DRAWS), lang_option, wait_option,
                 click.argument("project", type=click.Path(dir_okay=False)), click.command()):
        f = deco(f)
    return f


@timer_command
def run(project, wait, lang, draws, workers, scheduler):
    """Every analysis of PROJECT, its report and a ledger entry (inputs, version, outcome).
    The output folder is replaced as a whole at the end; a failed or stopped run leaves it as
    it was."""
    from geo_sink.project import load_project
    from geo_sink.runs.runner import run as do_run
    p = load_project(project)
    with open_cluster(workers, scheduler) as client:
        echo_steps(do_run(p, draws=draws, lang=lang, wait=wait, client=client), "run")


@timer_command
def update(project, wait, lang, draws, workers, scheduler):
    """Recompute only what new inputs change (new or changed inbox scenes: FVC series and
    report); do nothing when nothing changed. For cron or a systemd timer."""
    from geo_sink.project import load_project
    from geo_sink.runs.runner import update as do_update
    p = load_project(project)
    with open_cluster(workers, scheduler) as client:
        echo_steps(do_update(p, draws=draws, lang=lang, wait=wait, client=client), "update")


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--interval", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
              help="Seconds from the start of one check to the start of the next.")
@click.option("--cycles", type=click.IntRange(min=1), default=None,
              help="Stop after N checks (default: run until stopped by SIGTERM or Ctrl-C).")
@draws_option(DEFAULT_DRAWS)
@lang_option
@wait_option
def watch(project, interval, cycles, draws, lang, wait):
    """Keep PROJECT up to date in one long-lived process: every INTERVAL seconds, what
    `geo-sink update` does. Start-up and imports are paid once (a systemd service instead of a
    timer). A check that fails on bad input or storage is reported and the next one runs; the
    last of --cycles ends the command with its status. Stops cleanly on SIGTERM or Ctrl-C."""
    import time

    from geo_sink.catalog.loader import forget_loaded_catalogs
    from geo_sink.errors import GeoSinkError
    from geo_sink.project import load_project
    from geo_sink.runs.runner import update as do_update

    n = 0
    while True:
        n += 1
        started = time.monotonic()
        try:
            forget_loaded_catalogs()       # an edited coefficient is an input like any other
            echo_steps(do_update(load_project(project), draws=draws, lang=lang, wait=wait), "update")
        except GeoSinkError as e:          # bad input, storage, a locked folder: say it, try again
            if cycles is not None and n >= cycles:
                raise
            click.echo(f"geo-sink: error (check {n}; next in {interval:g} s): {e}", err=True)
        if cycles is not None and n >= cycles:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("-n", "limit", type=click.IntRange(min=1), default=20, show_default=True)
def history(project, limit):
    """The run ledger of PROJECT's output folder, newest first."""
    from geo_sink.project import load_project
    from geo_sink.runs.ledger import history as hist
    p = load_project(project)
    rows = hist(p.output, limit)
    if not rows:
        click.echo(f"{p.output}: no runs recorded")
    for rid, kind, started, finished, status, ver, msg in rows:
        click.echo(f"#{rid} {kind:<6} {status:<11} {started} -> {finished or '…'}  v{ver}  {msg or ''}")
