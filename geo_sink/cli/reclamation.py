"""``geo-sink reclamation``: reclamation rate, vegetation cover and reclaimed-land carbon."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.catalog import load_catalog
from geo_sink.cli.options import cluster_options
from geo_sink.pipeline import project_zones
from geo_sink.project import load_project
from geo_sink.reclamation_run import run_reclamation, write_reclamation
from geo_sink.uncertainty import DEFAULT_SEED
from geo_sink.zonal.distributed import cluster
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's output).")
@click.option("--draws", type=int, default=20_000, show_default=True)
@click.option("--strict", is_flag=True, help="Fail on a bad scene instead of skipping it.")
@cluster_options
def reclamation(project, out_dir, draws, strict, workers, scheduler):
    """Reclamation rate per mine and county (vs the 60% bar), FVC of reclaimed land from every
    scene of PROJECT (the series grows with new scenes; old rows are kept), and the carbon
    reclaimed land takes up."""
    p = load_project(project)
    if p.spec.mines is None:
        raise click.UsageError(f"{project}: the project has no 'mines' section")
    out = out_dir or p.output
    with cluster(workers, scheduler) as client:
        res = run_reclamation(p, project_zones(p), out, draws=draws, seed=DEFAULT_SEED,
                              on_error="raise" if strict else "skip", client=client)
    cat = load_catalog()
    for line in write_reclamation(res, out, p.spec.synthetic, [cat.targets[t] for t in p.spec.targets if t in cat.targets]):
        say(line)
    say(f"tables -> {out}")
