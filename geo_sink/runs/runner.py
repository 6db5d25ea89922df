"""Full runs and incremental updates of a project, for the CLI and timers.

``run``: every analysis, the report, the ledger entry with input fingerprints.
``update``: compares the inputs with the last successful run; new inbox scenes only refresh
the FVC series (new rows) and the report; any other changed input re-runs everything; no
change does nothing.  Bad inbox scenes are quarantined and the rest goes on.  Results equal a
full run from scratch (tests/test_runs.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from geo_sink import __version__
from geo_sink.io.fingerprint import sha256_file
from geo_sink.io.scenes import SceneError, read_scene
from geo_sink.runs import ledger
from geo_sink.runs.lock import output_lock
from geo_sink.runs.scenes import inbox_scenes, project_scenes, quarantine


def project_inputs(project) -> dict[str, tuple[str, str, int]]:
    """{path: (role, sha256, bytes)} of every input file of a project."""
    from geo_sink.catalog import load_catalog
    from geo_sink.pipeline import landcover_inputs

    s = project.spec
    files: dict[str, str] = {}
    for lc in landcover_inputs(project, load_catalog()):
        files[str(lc.path)] = "landcover"
    for sc in project_scenes(project):
        for f in sorted(Path(sc.path).rglob("*")):
            if f.is_file():
                files[str(f)] = "scene"
    for sec, role in ((s.mines, "mines"), (s.subsidence, "subsidence"), (s.pv_constraints, "pv"),
                      (s.wetlands, "wetlands"), (s.growing_stock, "growing_stock"), (s.pv, "pv")):
        if sec is None:
            continue
        for v in sec.model_dump().values():
            if isinstance(v, Path) and v.is_file():
                files[str(v)] = role
    if s.boundary.file is not None:
        files[str(s.boundary.file)] = "boundary"
    files[str(project.path)] = "project"
    out = {p: (role, sha256_file(p), Path(p).stat().st_size) for p, role in files.items()}
    # the catalog's coefficients, legends and targets are inputs too: a changed one re-runs all
    cat = load_catalog()
    for rel, sha in cat.file_fingerprints().items():
        out[str(cat.root / rel)] = ("catalog", sha, (cat.root / rel).stat().st_size)
    return out


def check_inbox(project) -> list[str]:
    """Read every inbox scene once; quarantine those that fail, with the reason."""
    im = project.spec.imagery
    if im is None or im.inbox is None:
        return []
    lines = []
    scenes, odd = inbox_scenes(im.inbox)
    lines += [f"inbox: {o}" for o in odd]
    for sc in scenes:
        try:
            read_scene(sc.path, sc.product, sc.date)
        except SceneError as e:
            dest = quarantine(sc.path, im.inbox, str(e))
            lines.append(f"inbox: {sc.path.name} quarantined to {dest.parent} ({e})")
    return lines


def report_path(project) -> Path:
    return project.output / f"{project.name}.html"


def _full(project, draws: int, lang: str, client=None, inputs=None) -> Iterator[str]:
    from geo_sink.pipeline import run_project
    from geo_sink.report import build_report

    yield from run_project(project, project.output, draws=draws, client=client, inputs=inputs)
    html = build_report(project, project.output, report_path(project), lang=lang)
    yield f"report -> {html}"


def run(project, draws: int, lang: str = "zh", wait: float = 0.0, client=None) -> Iterator[str]:
    """A full run under the output lock, recorded in the ledger."""
    with output_lock(project.output, wait):
        rid = ledger.start(project.output, "run", str(project.path), __version__)
        try:
            lines = check_inbox(project)
            inputs = project_inputs(project)
            lines += list(_full(project, draws, lang, client, inputs))
        except Exception as e:
            ledger.finish(project.output, rid, "failed", f"{type(e).__name__}: {e}")
            raise
        ledger.finish(project.output, rid, "ok", f"{len(lines)} steps", inputs)
        yield from lines


def update(project, draws: int, lang: str = "zh", wait: float = 0.0, client=None) -> Iterator[str]:
    """Recompute what depends on inputs changed since the last successful run."""
    with output_lock(project.output, wait):
        lines = check_inbox(project)
        before = ledger.last_inputs(project.output)
        now = project_inputs(project)
        changed = {p for p, (_, sha, _) in now.items() if before.get(p) != sha} | (set(before) - set(now))
        if not before:
            kind, todo = "update", "full"
        elif not changed:
            yield from lines
            yield f"{project.name}: up to date (no input changed since the last run)"
            return
        elif all(now.get(p, ("scene",))[0] == "scene" for p in changed):
            kind, todo = "update", "scenes"
        else:
            kind, todo = "update", "full"
        rid = ledger.start(project.output, kind, str(project.path), __version__)
        try:
            if todo == "full":
                lines += list(_full(project, draws, lang, client, now))
            else:
                from geo_sink.pipeline import project_zones
                from geo_sink.catalog import load_catalog
                from geo_sink.reclamation_run import run_reclamation, write_reclamation
                from geo_sink.report import build_report
                from geo_sink.uncertainty import DEFAULT_SEED
                cat = load_catalog()
                rec = run_reclamation(project, project_zones(project), project.output,
                                      draws=min(draws, 20_000), seed=DEFAULT_SEED, client=client)
                lines += [f"{project.name}: {x}" for x in write_reclamation(
                    rec, project.output, project.spec.synthetic,
                    [cat.targets[t] for t in project.spec.targets if t in cat.targets])]
                lines.append(f"report -> {build_report(project, project.output, report_path(project), lang=lang)}")
            n_new = len({Path(p).parent for p in changed if now.get(p, ('',))[0] == 'scene'})
            msg = f"{todo}: {len(changed)} changed input file(s), {n_new} scene folder(s)"
        except Exception as e:
            ledger.finish(project.output, rid, "failed", f"{type(e).__name__}: {e}")
            raise
        ledger.finish(project.output, rid, "ok", msg, now)
        yield from lines
        yield f"{project.name}: {msg}"
