"""Full runs and incremental updates of a project, for the CLI and timers.

``run``: every analysis, the report, the ledger entry with input fingerprints.
``update``: compares the inputs with the last successful run; new or changed inbox scenes only
refresh the FVC series and the report; any other changed input re-runs everything; no change
does nothing.  Bad inbox scenes are quarantined and the rest goes on.  Results equal a full run
from scratch (tests/test_runs.py).

Every command that writes an output folder goes through :func:`transaction`: the output lock,
the leftovers of a killed run removed, a ledger row, a staging folder beside the output that
is swapped in whole at the end (:mod:`geo_sink.runs.staging`).  A failure or a signal leaves the
previous folder byte-identical and the ledger row ``failed`` / ``interrupted``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path
from typing import Iterator

from geo_sink import __version__
from geo_sink.errors import GeoSinkError, RunInterrupted, StorageError
from geo_sink.runs.faults import storage_error, storage_message
from geo_sink.steps.fingerprints import project_inputs
from geo_sink.io.scenes import SceneError, check_scene
from geo_sink.runs import ledger
from geo_sink.runs.lock import output_lock
from geo_sink.runs.notices import Notice, notice
from geo_sink.runs.scenes import duplicate_scenes, inbox_scenes, quarantine, stac_scenes
from geo_sink.runs.staging import MARKER, SERIES, Staging, check_target, clean_leftovers

log = logging.getLogger(__name__)


def project_input_paths(project) -> list[Path]:
    """Every file or folder a project reads (to keep them out of the output folder)."""
    s = project.spec
    paths = [project.path] + [lc.path for lc in s.landcover if lc.path is not None]
    if s.imagery is not None:
        paths += [sc.path for sc in s.imagery.scenes] + [p for p in (s.imagery.inbox, s.imagery.stac) if p]
    for sec in (s.mines, s.subsidence, s.pv_constraints, s.wetlands, s.growing_stock, s.pv):
        if sec is not None:
            paths += [v for v in sec.model_dump().values() if isinstance(v, Path)]
    if s.boundary.file is not None:
        paths.append(s.boundary.file)
    return paths


def project_warnings(project) -> list[str]:
    """The warnings of the project check (e.g. an all-nodata raster), as notices."""
    return [notice(w) for w in getattr(project, "warnings", [])]


def check_inbox(project, expected: frozenset = frozenset()) -> list[str]:
    """Read every inbox scene once; quarantine those that fail, with the reason.  STAC scenes
    that cannot be used are reported (a STAC catalog is not moved).  ``expected``: names of
    scene folders placed to be quarantined (the demo's mis-filed scene), reported as plain lines
    rather than warnings."""
    im = project.spec.imagery
    if im is None:
        return []
    lines = []
    if im.stac is not None:
        lines += [notice(f"STAC: {o}") for o in stac_scenes(im.stac)[1]]
    lines += [notice(x) for x in duplicate_scenes(project)]
    if im.inbox is None:
        return lines
    scenes, odd = inbox_scenes(im.inbox)
    lines += _move_aside(odd, im.inbox)
    lines += inbox_landcover_lines(project)
    checked = _checked_scenes(project)
    area, area_key = _scene_area(project) if scenes else (None, "")
    for sc in scenes:
        key = _check_key(sc.path, area_key)
        if key is not None and checked.get(sc.path.name) == key:
            continue                                 # read and found usable before, unchanged since
        try:
            check_scene(sc.path, sc.product, area)   # the date is the one in its name
            if key is not None:
                checked[sc.path.name] = key
        except SceneError as e:
            try:
                dest = quarantine(sc.path, im.inbox, str(e))
            except StorageError as q:
                lines.append(notice(f"inbox: {sc.path.name} is not usable ({e}) and stays in the inbox: {q}; "
                                    "it is skipped"))
                continue
            line = f"inbox: {sc.path.name} quarantined to {dest.parent} ({e})"
            lines.append(f"{line}, as the demo intends" if sc.path.name in expected else notice(line))
    _save_checked_scenes(project, {s.path.name: checked[s.path.name] for s in scenes if s.path.name in checked})
    return lines


#: The SHA-256 of every input file of the last run, with the file's status when it was hashed
#: (:mod:`geo_sink.io.fingerprint`): an update hashes only the files that changed since.
DIGESTS = "digests.json"


def remember_digests(project, inputs: dict) -> None:
    """Keep the digests of a run's input files beside its output folder for the next run
    (best effort: a state folder that cannot be written only costs the next run the hashing)."""
    from geo_sink.io.fingerprint import save_digests
    from geo_sink.runs.staging import ensure_state_dir
    try:
        save_digests(ensure_state_dir(project.output) / DIGESTS, inputs)
    except (OSError, StorageError) as e:
        log.warning("could not record the input digests: %s", e)


#: Inbox scenes read and found usable, by folder name: the content of their files and the code
#: that checked them (so an update decodes only new or changed scenes, not the whole inbox).
CHECKED = "inbox_checked.json"


def _scene_area(project) -> tuple:
    """(area, key): where the inbox scenes are checked, the area the analysis reads them over
    (:func:`geo_sink.reclamation_run.project_scene_area`), and what it is as text."""
    from geo_sink.reclamation_run import project_scene_area
    area = project_scene_area(project)
    return area, repr(area)


def _check_key(folder: Path, area_key: str = "") -> str | None:
    import hashlib

    from geo_sink.io.fingerprint import code_digest
    from geo_sink.io.scenes import scene_fingerprint
    try:
        return hashlib.sha256(f"{scene_fingerprint(folder)}:{code_digest()}:{area_key}".encode()).hexdigest()
    except OSError:
        return None


def _checked_scenes(project) -> dict:
    import json

    from geo_sink.runs.staging import state_dir
    try:
        d = json.loads((state_dir(project.output) / CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return d if isinstance(d, dict) else {}


def _save_checked_scenes(project, checked: dict) -> None:
    """Best effort: a state folder that cannot be written only costs the next update a read."""
    import json

    from geo_sink.io.atomic import atomic_path
    from geo_sink.runs.staging import ensure_state_dir
    try:
        with atomic_path(ensure_state_dir(project.output) / CHECKED) as tmp:
            tmp.write_text(json.dumps(checked, ensure_ascii=False, indent=1), encoding="utf-8")
    except (OSError, StorageError) as e:
        log.warning("could not record the checked inbox scenes: %s", e)


def _move_aside(entries, inbox: Path) -> list[str]:
    """Quarantine inbox entries that are not understood, one notice each with the reason."""
    lines = []
    for path, why in entries:
        try:
            dest = quarantine(path, inbox, why)
        except StorageError as q:
            lines.append(notice(f"inbox: {path.name}: {why}; it stays in the inbox ({q}) and is not used"))
            continue
        lines.append(notice(f"inbox: {path.name} moved aside to {dest.parent}: {why}"))
    return lines


def inbox_landcover_lines(project) -> list[str]:
    """Land-cover GeoTIFFs in the inbox: each new year is added to this run's series (the
    project file is not rewritten; the ledger records it); files not understood, or of a year
    the project lists already, are moved aside with the reason."""
    from geo_sink.catalog import load_catalog
    from geo_sink.io.inbox import inbox_landcover
    im = project.spec.imagery
    found, odd = inbox_landcover(im.inbox, load_catalog().legends)
    listed = {lc.year: i for i, lc in enumerate(project.spec.landcover)}
    dup = [(m.path, f"land-cover year {m.year} is already in the project (landcover[{listed[m.year]}]); to replace "
                    "that map, edit the project file") for m in found if m.year in listed]
    lines = _move_aside(odd + dup, im.inbox)
    for m in found:
        if m.year not in listed:
            lines.append(f"inbox: {m.path.name} used as land-cover year {m.year} (legend {m.legend}, from its "
                         f"{m.basis}); the project file is unchanged: add it under landcover: to keep it there")
    return lines


def inbox_landcover_events(project) -> list[tuple[str, str, str]]:
    """Ledger events of the inbox land-cover years a run used."""
    from geo_sink.catalog import load_catalog
    from geo_sink.steps.context import landcover_inputs
    return [("landcover_from_inbox", str(lc.path), f"year {lc.year}, legend {lc.legend}")
            for lc in landcover_inputs(project, load_catalog()) if lc.label.endswith("(inbox)")]


def report_path(project, folder: Path | None = None) -> Path:
    """The report of a project: ``<output>/<project name as a file name>.html``."""
    return Path(folder or project.output) / f"{project.file_stem}.html"


def _safe(fn, *args, **kw) -> None:
    """A ledger write on the way out of a failure: never hide the failure itself."""
    try:
        fn(*args, **kw)
    except BaseException as e:  # noqa: BLE001 - a second fault while reporting the first
        log.error("could not record the run's outcome in the ledger: %s", e)


class Transaction:
    """What a writing command tells :func:`transaction` about its run."""

    def __init__(self, output: Path, run_id: int, kind: str, staging: Staging):
        self.output, self.run_id, self.kind, self.staging = output, run_id, kind, staging
        self.inputs: dict | None = None
        self.message = ""
        self.events: list[tuple[str, str, str]] = []

    @property
    def path(self) -> Path:
        """The staging folder to write into."""
        return self.staging.path


@contextlib.contextmanager
def locked(output, wait: float = 0.0, holder: str | None = None, inputs=()):
    """The output lock, after refusing an output that cannot or must not be replaced, with the
    leftovers of a killed run removed; yields those lines."""
    check_target(output, inputs)
    with output_lock(output, wait, holder=holder):
        from geo_sink.io.fingerprint import load_digests
        from geo_sink.runs.staging import state_dir
        load_digests(state_dir(output) / DIGESTS)     # files unchanged since the last run: not hashed again
        lines = clean_leftovers(output)
        lines += ledger.settle(output)
        yield lines


@contextlib.contextmanager
def transaction(output, kind: str, project_path, seed: str = "empty"):
    """A ledger row and a staging folder (call under :func:`locked`); the folder is swapped in
    when the block ends normally, else removed and the row marked failed or interrupted."""
    output = Path(output)
    rid = ledger.start(output, kind, str(project_path), __version__)
    tx = None
    try:
        with Staging(output, seed) as st:
            tx = Transaction(output, rid, kind, st)
            yield tx
            st.commit({"run_id": rid, "kind": kind, "geo_sink": __version__, "project": str(project_path)},
                      before=lambda: ledger.swapping(output, rid, tx.message, tx.inputs, tx.events),
                      after=lambda: ledger.finish(output, rid, "ok"))
    except (RunInterrupted, KeyboardInterrupt) as e:
        if tx is None or not tx.staging.committed:
            name = getattr(e, "signame", "SIGINT")
            _safe(ledger.finish, output, rid, "interrupted",
                  f"{name}: stopped cleanly; the output folder was left as it was")
        raise
    except BaseException as e:
        if tx is None or not tx.staging.committed:
            _safe(ledger.finish, output, rid, "failed", f"{type(e).__name__}: {e}")
        if isinstance(e, Exception) and not isinstance(e, GeoSinkError) and storage_message(e) is not None:
            raise storage_error(e, output, "complete the new output folder") from e
        raise


def _series_events(before: Path, after: Path, project=None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Scenes added, read again (their files changed) and removed between two FVC series; a
    scene whose rows went while it is still one of ``project``'s scenes was skipped this time
    (its warning says why), not removed."""
    import pandas as pd

    from geo_sink.reclamation_run import SCENE_KEY

    def keys(path):
        try:
            df = pd.read_csv(path, usecols=lambda c: c in ("scene", SCENE_KEY), dtype=str)
        except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return {}
        if "scene" not in df:
            return {}
        k = df[SCENE_KEY] if SCENE_KEY in df else pd.Series([""] * len(df))
        return dict(zip(df["scene"], k))

    old, new = keys(before) if before.exists() else {}, keys(after) if after.exists() else {}
    ev = [("scene_added", s, new[s]) for s in sorted(set(new) - set(old))]
    ev += [("scene_reread", s, new[s]) for s in sorted(set(new) & set(old)) if new[s] != old[s]]
    inputs = set()
    if project is not None:
        from geo_sink.runs.scenes import project_scenes
        inputs = {Path(sc.path).name for sc in project_scenes(project)}
    ev += [("scene_skipped" if s in inputs else "scene_removed", s, old[s]) for s in sorted(set(old) - set(new))]
    lines = []
    if any(e[0] == "scene_reread" for e in ev):
        lines.append("FVC series: read again (files changed): " + ", ".join(e[1] for e in ev if e[0] == "scene_reread"))
    if any(e[0] == "scene_skipped" for e in ev):
        lines.append("FVC series: rows dropped, the scene skipped this time (see its warning): "
                     + ", ".join(e[1] for e in ev if e[0] == "scene_skipped"))
    if any(e[0] == "scene_removed" for e in ev):
        lines.append("FVC series: removed (no longer an input): " + ", ".join(e[1] for e in ev if e[0] == "scene_removed"))
    return ev, lines


def _steps(project, folder: Path, draws: int, lang: str, client=None, inputs=None, earlier=()) -> Iterator[str]:
    """The project's steps into ``folder`` (a task whose inputs did not change since the run
    the folder was seeded from is kept; lines that say an input was left out are warnings),
    the run's warnings (``earlier`` ones, e.g. the inbox check's, and the steps') for the report,
    then the report."""
    from geo_sink.report import build_report
    from geo_sink.steps import run_project

    lines = warn_skipped(list(run_project(project, folder, draws=draws, client=client, inputs=inputs)))
    yield from lines
    write_warnings(folder, [*earlier, *lines])
    build_report(project, folder, report_path(project, folder), lang=lang)
    yield f"report -> {report_path(project)}"


def write_warnings(folder: Path, lines: list[str]) -> None:
    """The warnings among a run's ``lines`` (its notices, and the step lines that say an input
    was left out: :data:`SKIPPED`) as a table in its folder (:data:`geo_sink.outputs.WARNINGS`,
    one ``warning`` per row, empty when there were none), for the report and the planner."""
    import pandas as pd

    from geo_sink.io import write_table
    from geo_sink.outputs import WARNINGS
    said = [str(x) for x in lines if isinstance(x, Notice) or SKIPPED.search(x)]
    write_table(pd.DataFrame({"warning": said}, dtype=object), Path(folder) / WARNINGS)


#: Step lines of the analyses that say an input (a scene, a county, a year pair) was left out:
#: warnings, so that ``-q`` still prints them and the exit status says "completed with warnings".
SKIPPED = re.compile(r": skipped \(|every scene is read again|carbon skipped|is left out|: no value for |"
                     r"no transition matrix|no land-cover-change sink|\): not computed")


def warn_skipped(lines: list[str]) -> list[str]:
    """Step lines that say an input was skipped or left out are warnings too."""
    return [notice(x) if not isinstance(x, Notice) and SKIPPED.search(x) else x for x in lines]


def run(project, draws: int, lang: str = "zh", wait: float = 0.0, client=None) -> Iterator[str]:
    """A full run under the output lock, recorded in the ledger, swapped in whole."""
    out = project.output
    with locked(out, wait, f"geo-sink run {project.path}", project_input_paths(project)) as lines:
        lines = list(lines) + project_warnings(project)
        with transaction(out, "run", project.path) as tx:
            lines += check_inbox(project)
            tx.inputs = project_inputs(project)
            remember_digests(project, tx.inputs)
            lines += list(_steps(project, tx.path, draws, lang, client, tx.inputs, earlier=lines))
            tx.events, more = _series_events(out / SERIES, tx.path / SERIES, project)
            lines += more
            n_warn = sum(isinstance(x, Notice) for x in lines)
            tx.message = f"{len(lines)} steps" + (f", {n_warn} warning(s)" if n_warn else "")
            tx.events += [("warning", "", str(x)) for x in lines if isinstance(x, Notice)]
            tx.events += inbox_landcover_events(project)
    yield from lines


def _output_complete(project) -> bool:
    """The output folder holds a finished run: its marker, report, provenance and every output
    the provenance lists (a planner may have deleted one)."""
    import json
    out = Path(project.output)
    if not ((out / MARKER).is_file() and report_path(project).is_file()):
        return False
    try:
        outputs = json.loads((out / "provenance.json").read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    # entries are {"file": ..., "id": ...} (geo_sink.outputs); plain names from older geo-sink
    return all((out / (o["file"] if isinstance(o, dict) else o)).is_file() for o in outputs)


def update(project, draws: int, lang: str = "zh", wait: float = 0.0, client=None) -> Iterator[str]:
    """Recompute what depends on inputs changed since the last successful run: the folder is
    seeded with the previous run (hard links) and every step whose fingerprint did not change
    is kept (:mod:`geo_sink.steps.chain`); the result equals a full run."""
    out = project.output
    with locked(out, wait, f"geo-sink update {project.path}", project_input_paths(project)) as lines:
        lines = list(lines) + project_warnings(project)
        inbox = check_inbox(project)
        lines += inbox
        # a scene quarantined now is said once: the folder is rewritten (every step kept) so that its
        # warning reaches run_warnings.csv, the report and the ledger
        news = any(isinstance(x, Notice) for x in inbox)
        before = ledger.last_inputs(out)
        now = project_inputs(project)
        remember_digests(project, now)
        changed = {p for p, (_, sha, _) in now.items() if before.get(p) != sha} | (set(before) - set(now))
        why = ""
        from geo_sink.steps.chain import read_manifest
        last_draws = _last_draws(out)
        if not before or not _output_complete(project) or not read_manifest(out):
            seed = "empty"
            why = (" (no earlier successful run in the ledger)" if not before else
                   " (the output folder was missing or incomplete)" if not _output_complete(project) else
                   " (the folder's step manifest is missing or from other code: every step runs)")
        elif not changed and last_draws == draws and not news:
            yield from lines
            yield f"{project.name}: up to date (no input changed since the last run)"
            return
        elif (changed and last_draws == draws and project.spec.mines is None and not news
              and all(now.get(p, ("scene",))[0] == "scene" for p in changed)):
            yield from lines
            yield notice(f"{project.name}: {len(changed)} scene file(s) changed, but scenes are used only for the "
                         "vegetation cover of reclaimed mine land and the project has no 'mines' section: "
                         "nothing to recompute")
            return
        else:
            seed = "copy"
        with transaction(out, "update", project.path, seed=seed) as tx:
            tx.inputs = now
            step_lines = list(_steps(project, tx.path, draws, lang, client, now, earlier=lines))
            lines += step_lines
            tx.events, more = _series_events(out / SERIES, tx.path / SERIES, project)
            lines += more
            n_new = len({Path(p).parent for p in changed if now.get(p, ('',))[0] == 'scene'})
            ran = _ran_steps(tx.path)
            draws_note = f", draws {last_draws} -> {draws}" if last_draws not in (None, draws) else ""
            msg = (f"{len(changed)} changed input file(s), {n_new} scene folder(s){draws_note}{why}; recomputed: "
                   + (", ".join(ran) if ran else "nothing"))
            n_warn = sum(isinstance(x, Notice) for x in lines)
            tx.message = msg + (f", {n_warn} warning(s)" if n_warn else "")
            tx.events += [("warning", "", str(x)) for x in lines if isinstance(x, Notice)]
            tx.events += inbox_landcover_events(project)
    yield from lines
    yield f"{project.name}: {msg}"


def _last_draws(folder: Path) -> int | None:
    """The Monte Carlo draws of the run that wrote ``folder`` (its provenance), if known."""
    import json
    try:
        return int(json.loads((Path(folder) / "provenance.json").read_text(encoding="utf-8"))["draws"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _ran_steps(folder: Path) -> list[str]:
    """The tasks a run in ``folder`` ran (not kept), from its step manifest."""
    from geo_sink.steps.chain import read_manifest
    return [t for t, r in read_manifest(folder).items() if r.get("status") == "ran"]
