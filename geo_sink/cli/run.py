"""``geo-sink run``, ``geo-sink update`` and ``geo-sink history``: the commands for timers."""

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
