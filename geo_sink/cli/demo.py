"""``geo-sink demo``: the main job on the embedded default data."""

from __future__ import annotations

from pathlib import Path

import click

from geo_sink.cli.options import cluster_options, open_cluster
from geo_sink.cli.progress import echo_steps


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("maps"), show_default=True, help="Output folder.")
@click.option("--regenerate", is_flag=True, help="Regenerate the 朔州市 synthetic demo data.")
@cluster_options
def demo(out_dir: Path, regenerate: bool, workers, scheduler):
    """Run every analysis on the embedded default regions: 石家庄市 (real MODIS 2019 land
    cover) and 朔州市 (SYNTHETIC DEMO DATA generated on first use into the user cache).
    Takes the output folder's lock (one demo at a time per folder)."""
    from geo_sink.pipeline import run_demo
    from geo_sink.runs.lock import output_lock
    if regenerate:
        from geo_sink.demo import ensure_demo
        ensure_demo(force=True)
    with output_lock(out_dir, holder="geo-sink demo"), open_cluster(workers, scheduler) as client:
        echo_steps(run_demo(out_dir, client=client), "demo")
