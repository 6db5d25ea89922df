"""``geo-sink reclamation``: reclamation rate, vegetation cover and reclaimed-land carbon."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.cli.options import cluster_options, draws_option, open_cluster, wait_option
from geo_sink.runs.notices import notice
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's output).")
@draws_option(20_000)
@click.option("--strict", is_flag=True, help="Fail on a bad scene instead of skipping it.")
@wait_option
@cluster_options
def reclamation(project, out_dir, draws, strict, wait, workers, scheduler):
    """Reclamation rate per mine and county (vs the 60% bar), FVC of reclaimed land from every
    scene of PROJECT (the series keeps the rows of unchanged scenes, reads new and changed ones,
    drops removed ones), and the carbon reclaimed land takes up.  Takes the output folder's
    lock; the folder is updated as a whole."""
    from geo_sink.steps import project_zones
    from geo_sink.steps.chain import forget
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import run_reclamation, write_reclamation
    from geo_sink.runs.runner import SKIPPED, locked, project_input_paths, project_warnings, transaction
    from geo_sink.uncertainty import DEFAULT_SEED
    p = load_project(project)
    if p.spec.mines is None:
        raise click.UsageError(f"{project}: the project has no 'mines' section")
    out = out_dir or p.output
    with open_cluster(workers, scheduler) as client, \
            locked(out, wait, f"geo-sink reclamation {p.path}", project_input_paths(p)) as lines:
        for line in lines:
            say(line)
        project_warnings(p)
        with transaction(out, "reclamation", p.path, seed="copy") as tx:
            res = run_reclamation(p, project_zones(p), tx.path, draws=draws, seed=DEFAULT_SEED,
                                  on_error="raise" if strict else "skip", client=client)
            found = write_reclamation(res, tx.path, p.spec.synthetic, p.targets)
            forget(tx.path, ("reclamation_rate", "reclamation", "targets"))   # the next update runs them again
            tx.message = f"reclamation tables, {len(res.problems)} problem(s)"
    for line in found:
        (notice if SKIPPED.search(line) else say)(line)
    say(f"tables -> {out}")
