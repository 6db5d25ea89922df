"""``geo-sink pv``: subsidence land, eligible PV parcels, capacity, yield and CO2 by county."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.project import load_project
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's output).")
def pv(project, out_dir):
    """PV on the coal-mining subsidence land of PROJECT: subsidence (probability integral
    method or InSAR) as a COG, eligible parcels (GeoPackage, GeoParquet) ranked by score,
    county summary with capacity, energy and CO2 avoided (5-95%), and the new-energy targets."""
    from geo_sink.pipeline import project_zones
    from geo_sink.pv.subsidence_run import run_subsidence

    p = load_project(project)
    if p.spec.subsidence is None:
        raise click.UsageError(f"{project}: the project has no 'subsidence' section")
    out = out_dir or p.output
    out.mkdir(parents=True, exist_ok=True)
    for line in run_subsidence(p, project_zones(p), out, p.spec.synthetic):
        say(line)
    say(f"tables -> {out}")
