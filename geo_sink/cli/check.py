"""``geo-sink check``: validate a region project file without computing anything."""

from __future__ import annotations

import click

from geo_sink.project import load_project


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
def check(project):
    """Validate PROJECT (a region project YAML): keys, forms, years, every path, catalog ids
    and CRSs. All problems are listed together; exit status 3 if there are any."""
    p = load_project(project)
    s = p.spec
    click.echo(f"{p.path}: valid project {p.name!r}{' (SYNTHETIC DEMO DATA)' if s.synthetic else ''}")
    click.echo(f"  land cover years: {[lc.year for lc in s.landcover]}")
    if s.imagery:
        click.echo(f"  scenes: {len(s.imagery.scenes)}; inbox: {s.imagery.inbox}")
    click.echo(f"  targets: {', '.join(s.targets) or 'none'}; output: {s.output}")
