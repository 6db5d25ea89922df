"""``geo-sink report``: the offline HTML map report of a region project."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.cli.options import OutputFile, wait_option
from geo_sink.project import load_project
from geo_sink.cli.progress import say


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="zh", show_default=True,
              help="Report language; 'both' writes the Chinese report and <name>.en.html, each linking the other.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the project's result tables (default: the project's output; "
                   "computed first when missing).")
@click.option("-o", "--output", type=OutputFile((".html", ".htm"), "an HTML file"),
              help="HTML file (default: <results>/<project name>.html, beside the tables).")
@wait_option
def report(project, lang, results, output, wait):
    """Write one self-contained HTML report (Leaflet inlined, no network) for PROJECT.  Takes
    the results folder's lock; a report inside the folder is swapped in with it."""
    from geo_sink.steps import run_project
    from geo_sink.runs.runner import (locked, project_input_paths, project_warnings, report_path, transaction,
                                      warn_skipped, write_warnings)
    from geo_sink.runs.staging import real_output

    p = load_project(project)
    results = results or p.output
    out = Path(output) if output else report_path(p, results)
    root = real_output(results)
    target = real_output(out.parent) / out.name
    inside = root in target.parents
    with locked(results, wait, f"geo-sink report {p.path}", project_input_paths(p)) as lines:
        for line in lines:
            say(line)
        earlier = list(lines) + project_warnings(p)
        compute = not (root / "counties.parquet").exists()
        if inside or compute:
            with transaction(results, "report", p.path, seed="empty" if compute else "copy") as tx:
                if compute:
                    computed = warn_skipped(list(run_project(p, tx.path)))
                    for line in computed:
                        say(line)
                    write_warnings(tx.path, [*earlier, *computed])
                _write(p, tx.path, tx.path / target.relative_to(root) if inside else target, lang)
                tx.message = f"report {out.name}" + (" (results computed first)" if compute else "")
        else:
            _write(p, results, target, lang)
    say(f"report -> {out} ({target.stat().st_size / 1e6:.1f} MB)")


def _write(project, results, target, lang):
    from geo_sink.report import build_report, build_reports
    if lang == "both":
        return build_reports(project, results, target)
    return [build_report(project, results, target, lang=lang)]
