"""``geo-sink report``: the offline HTML map report of a region project."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.project import load_project
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--results", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the project's result tables (default: the project's output; "
                   "computed first when missing).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file (default: <results>/../<region>.html).")
def report(project, lang, results, output):
    """Write one self-contained HTML report (Leaflet inlined, no network) for PROJECT."""
    from geo_sink.pipeline import run_project
    from geo_sink.report import build_report

    p = load_project(project)
    results = results or p.output
    if not (results / "counties.parquet").exists():
        for line in run_project(p, results):
            say(line)
    out = output or results.parent / f"{p.name}.html"
    build_report(p, results, out, lang=lang)
    say(f"report -> {out} ({out.stat().st_size / 1e6:.1f} MB)")
