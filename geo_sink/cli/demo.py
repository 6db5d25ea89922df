"""``geo-sink demo``: the main job on the embedded default data."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.pipeline import run_demo


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("maps"), show_default=True, help="Output folder.")
def demo(out_dir: Path):
    """Run every analysis on the embedded default regions (石家庄市, 朔州市)."""
    for line in run_demo(out_dir):
        click.echo(line)
