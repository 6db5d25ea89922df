"""Step ``targets``: every target of the project measured from the tables the other steps wrote,
or explained (:func:`geo_sink.targets.measure_targets`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_sink.steps.chain import Step
from geo_sink.steps.context import RunContext


def write_targets(project, out_dir: Path) -> pd.DataFrame | None:
    """``targets.csv`` of a run folder: every target of the project measured from the folder's
    tables, or explained; None without targets."""
    from geo_sink.io import write_table
    from geo_sink.targets import measure_targets, read_result_tables
    if not project.targets:
        return None
    table = measure_targets(project.targets, project.baselines, read_result_tables(out_dir), project.scope)
    write_table(table.assign(synthetic=project.spec.synthetic), Path(out_dir) / "targets.csv")
    return table


def target_lines(project, table: pd.DataFrame):
    """One line per target: measured value, status and reason."""
    for r in table.itertuples():
        val = "" if pd.isna(r.measured_value) else f"{r.measured_value:,.2f} {r.unit}" + (
            f" ({r.measured_year})" if pd.notna(r.measured_year) else "")
        gap = "" if pd.isna(r.gap) else f", gap {r.gap:,.2f}"
        yield (f"{project.name}: target {r.target_id} ({r.region} {r.indicator} {r.comparison} {r.target_value:g} "
               f"{r.unit} by {r.target_year}): {r.status.replace('_', ' ')}"
               + (f" at {val}" if val else "") + gap + (f" ({r.reason})" if r.reason else ""))


def _run(ctx: RunContext, up: dict, key):
    table = write_targets(ctx.project, ctx.out_dir)
    if table is not None:
        yield from target_lines(ctx.project, table)
    return table


STEP = Step(
    "targets", _run,
    needs=("landcover", "carbon", "forest", "wetland", "transitions", "reclamation_rate", "reclamation", "subsidence",
           "pv"),
    project=("boundary", "targets", "baselines", "synthetic"),
    # the catalog's targets, indicators and units are read when the project is loaded: the
    # resolved targets are in the fingerprint, the indicator and unit tables as files
    files=lambda ctx, key: [ctx.cat.root / n for n in ("indicators.csv", "units.csv", "targets.yaml")],
    outputs=("targets",),
    when=lambda ctx: bool(ctx.project.targets),
)
