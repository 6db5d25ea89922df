"""A project's steps run into an output folder, with its ``provenance.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from geo_sink import __version__
from geo_sink.catalog import load_catalog
from geo_sink.io.atomic import atomic_path
from geo_sink.project import Project
from geo_sink.steps import (carbon, counties, forest, landcover, overlay, pv, reclamation, subsidence, targets,
                            transitions, wetland)
from geo_sink.steps.chain import Step, load_result, run_steps
from geo_sink.steps.context import RunContext
from geo_sink.defaults import DEFAULT_DRAWS, DEFAULT_SEED, ENERGY_SEED

#: Every step, in an order where each comes after the steps it reads; the steps that run beside
#: others (``concurrent``) first, those that run alone (they write files of their own, or read the
#: folder: the targets) after them (:func:`geo_sink.steps.chain.run_steps`).
STEPS: tuple[Step, ...] = (transitions.STEP, landcover.STEP, carbon.CLIMATE, carbon.CARBON, carbon.CARBON_MAP, forest.STEP,
                           wetland.STEP, counties.STEP, overlay.STEP, overlay.RELIEF,
                           reclamation.RATE, reclamation.STEP, subsidence.STEP, pv.STEP, targets.STEP)


def run_project(project: Project, out_dir: Path, draws: int = DEFAULT_DRAWS, client=None,
                inputs: dict | None = None) -> Iterator[str]:
    """Every analysis that exists for a project (:data:`geo_sink.steps.STEPS`); yields the steps'
    lines, writes under out_dir.

    A step whose inputs did not change since the run that wrote ``out_dir`` (its fingerprint in
    ``out_dir/.steps/manifest.json``) keeps its files and result; so a folder seeded with the
    previous run is brought up to date by running only what depends on a change.  ``client`` (a
    dask.distributed Client) runs the raster passes (class areas, transitions, growing-stock
    sums, one task per new scene of the FVC series) on its workers; the results are the same.
    ``inputs`` are the input fingerprints (:func:`geo_sink.steps.fingerprints.project_inputs`)
    when the caller has them already; ``provenance.json`` records them with the time, the code
    version, the catalog files and every step (ran or kept, seconds)."""
    import datetime as dt

    from geo_sink.outputs import describe_outputs
    from geo_sink.steps.fingerprints import project_inputs

    cat = load_catalog()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprints = inputs if inputs is not None else project_inputs(project)
    provenance = {"project": str(project.path), "region": project.name, "geo_sink": __version__,
                  "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  "synthetic": project.spec.synthetic, "draws": draws, "seed": DEFAULT_SEED, "pv_seed": ENERGY_SEED,
                  "inputs": [], "outputs": [],
                  "input_files": {p: {"role": r, "sha256": h, "bytes": n}
                                  for p, (r, h, n) in sorted(fingerprints.items()) if r != "catalog"},
                  "catalog": {"root": str(cat.root),
                              "files": {str(Path(p).relative_to(cat.root).as_posix()): h
                                        for p, (r, h, _) in sorted(fingerprints.items()) if r == "catalog"}}}
    ctx = RunContext(project, cat, out_dir, draws, client, fingerprints)
    tasks = yield from run_steps(ctx, STEPS)
    for tid, rec in tasks.items():
        if rec["step"] == "landcover":
            ok, res = load_result(out_dir, tid)
            if ok and res is not None:
                provenance["inputs"].append(res["input"])
    kept = [t for t, r in tasks.items() if r["status"] == "kept"]
    if kept:
        yield f"{project.name}: kept from the previous run (inputs unchanged): {', '.join(kept)}"
    provenance["steps"] = [{"task": t, "step": r["step"], "key": r["key"], "status": r["status"],
                            "seconds": r["seconds"], "fingerprint": r["fingerprint"], "files": r["files"],
                            "catalog": sorted(r["catalog"])} for t, r in tasks.items()]
    provenance["finished_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # every file the steps wrote or kept, through the output registry; files no step owns are
    # named as stale, never as outputs
    owned = {f for r in tasks.values() for f in r["files"]}
    provenance["outputs"], provenance["stale_files"] = describe_outputs(out_dir, owned)
    if provenance["stale_files"]:
        yield (f"{project.name}: {len(provenance['stale_files'])} file(s) in {out_dir} were not written by this run "
               f"(left from an older one): {', '.join(provenance['stale_files'][:5])}; see provenance.json")
    with atomic_path(out_dir / "provenance.json") as tmp:
        tmp.write_text(json.dumps(provenance, ensure_ascii=False, indent=1), encoding="utf-8")
