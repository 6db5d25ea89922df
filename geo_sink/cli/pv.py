"""``geo-sink pv``: subsidence land, eligible PV parcels, capacity, yield and CO2 by county."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.cli.options import wait_option
from geo_sink.project import load_project
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's output).")
@wait_option
def pv(project, out_dir, wait):
    """PV on the coal-mining subsidence land of PROJECT: subsidence (probability integral
    method or InSAR) as a COG, eligible parcels (GeoPackage, GeoParquet) ranked by score,
    county summary with capacity, energy and CO2 avoided (5-95%), and the new-energy targets.
    Takes the output folder's lock; the folder is updated as a whole."""
    from geo_sink.steps import project_zones
    from geo_sink.steps.chain import forget
    from geo_sink.pv.subsidence_run import run_subsidence
    from geo_sink.runs.runner import locked, project_input_paths, project_warnings, transaction

    p = load_project(project)
    if p.spec.subsidence is None:
        raise click.UsageError(f"{project}: the project has no 'subsidence' section")
    out = out_dir or p.output
    with locked(out, wait, f"geo-sink pv {p.path}", project_input_paths(p)) as lines:
        for line in lines:
            say(line)
        project_warnings(p)
        with transaction(out, "pv", p.path, seed="copy") as tx:
            found = list(run_subsidence(p, project_zones(p), tx.path, p.spec.synthetic))
            forget(tx.path, ("subsidence", "pv", "targets"))   # the next update runs them again
            tx.message = "subsidence and PV tables"
    for line in found:
        say(line)
    say(f"tables -> {out}")
