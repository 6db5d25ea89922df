"""``geo-sink check``: validate a region project file without computing anything."""

from __future__ import annotations

import click

from geo_sink.project import load_project
from geo_sink.runs.notices import notice


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
def check(project):
    """Validate PROJECT (a region project YAML): keys, forms, years, every path, catalog ids,
    the CRS of every raster and vector, the fields it names, scene dates, the output folder.
    All problems are listed together; exit status 3 if there are any, 10 if there are only
    warnings (e.g. a raster that holds nothing but nodata)."""
    p = load_project(project)
    s = p.spec
    click.echo(f"{p.path}: valid project {p.name!r}{' (SYNTHETIC DEMO DATA)' if s.synthetic else ''}")
    click.echo(f"  land cover years: {[lc.year for lc in s.landcover]}")
    if s.imagery:
        click.echo(f"  scenes: {len(s.imagery.scenes)}; inbox: {s.imagery.inbox}")
    click.echo(f"  region: {p.scope.describe()}, {len(p.scope.members)} unit(s); output: {s.output}")
    for t in p.targets:
        src = "catalog" if t.source.startswith("catalog") else "project"
        click.echo(f"  target {t.id} ({src}): {t.region} {t.indicator} {t.comparison} {t.value:g} {t.unit} by {t.year}"
                   + (f", applied from {t.applied_from}" if t.applied_from else ""))
    for b in p.baselines:
        click.echo(f"  baseline {b.id}: {b.region} {b.indicator} {b.value:g} {b.unit} ({b.year})"
                   + (f", {b.new_energy_share_pct:g}% new and clean energy" if b.new_energy_share_pct is not None else ""))
    if not p.targets:
        click.echo("  targets: none")
    for n in p.notes:
        click.echo(f"  note: {n}")
    for w in p.warnings:
        notice(w)
