"""``geo-sink run``, ``geo-sink update`` and ``geo-sink history``: the commands for timers."""

from __future__ import annotations

import click

from geo_sink.cli.options import cluster_options
from geo_sink.cli.progress import echo_steps

from geo_sink.project import load_project
from geo_sink.uncertainty import DEFAULT_DRAWS

wait_option = click.option("--wait", type=float, default=0.0, show_default=True,
                           help="Seconds to wait for another run on the same output folder "
                                "(then exit with status 75).")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
draws_option = click.option("--draws", type=int, default=DEFAULT_DRAWS, show_default=True)


def timer_command(f):
    """The shared signature of ``run`` and ``update``: PROJECT, --wait, --lang, --draws,
    --workers/--scheduler."""
    for deco in (cluster_options, draws_option, lang_option, wait_option,
                 click.argument("project", type=click.Path(dir_okay=False)), click.command()):
        f = deco(f)
    return f


@timer_command
def run(project, wait, lang, draws, workers, scheduler):
    """Every analysis of PROJECT, its report and a ledger entry (inputs, version, outcome)."""
    from geo_sink.runs.runner import run as do_run
    from geo_sink.zonal.distributed import cluster
    with cluster(workers, scheduler) as client:
        echo_steps(do_run(load_project(project), draws=draws, lang=lang, wait=wait, client=client), "run")


@timer_command
def update(project, wait, lang, draws, workers, scheduler):
    """Recompute only what new inputs change (new inbox scenes: FVC series and report); do
    nothing when nothing changed. For cron or a systemd timer."""
    from geo_sink.runs.runner import update as do_update
    from geo_sink.zonal.distributed import cluster
    with cluster(workers, scheduler) as client:
        echo_steps(do_update(load_project(project), draws=draws, lang=lang, wait=wait, client=client), "update")


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("-n", "limit", type=int, default=20, show_default=True)
def history(project, limit):
    """The run ledger of PROJECT's output folder, newest first."""
    from geo_sink.runs.ledger import history as hist
    p = load_project(project)
    rows = hist(p.output, limit)
    if not rows:
        click.echo(f"{p.output}: no runs recorded")
    for rid, kind, started, finished, status, ver, msg in rows:
        click.echo(f"#{rid} {kind:<6} {status:<7} {started} -> {finished or '…'}  v{ver}  {msg or ''}")
