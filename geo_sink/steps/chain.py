"""Declared steps and the loop that runs them (in the spirit of pvlib's ``ModelChain.run_model``
and InVEST's ``MODEL_SPEC``).

A :class:`Step` declares what it reads (project fields, input-file roles, catalog entries, the
steps before it) and which registered outputs it writes (:mod:`geo_sink.outputs`).  A step with
``keys`` runs as one task per key (a land-cover year, a pair of years).  :func:`run_steps` runs
the tasks in the declared order and fingerprints each one's inputs:

- the project fields it reads, the SHA-256 of the input files it reads, the number of Monte
  Carlo draws when it draws, a digest of geo-sink's source (:func:`geo_sink.io.fingerprint.code_digest`);
- the content (a SHA-256 of the pickled result) of every upstream task it reads, so a step
  whose upstream re-ran but came to the same result is not re-run;
- the catalog entries it read last time (recorded while it ran,
  :func:`geo_sink.catalog.loader.recording_reads`): an edited coefficient re-runs exactly the
  steps that read it.

A task whose fingerprint matches the one in the folder's manifest (``.steps/manifest.json``)
keeps its files and its result (``.steps/<task>.pkl``) from the previous run; any other task
removes the files it wrote last time and runs.  So ``geo-sink update`` recomputes what depends on
a change and nothing else, and its folder equals a full run's (tests/test_steps.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from geo_sink import __version__
from geo_sink.catalog.loader import recording_reads
from geo_sink.errors import InputDataError
from geo_sink.io.atomic import atomic_path
from geo_sink.io.fingerprint import code_digest, package_version, sha256_file
from geo_sink.runs.blas import one_blas_thread
from geo_sink.runs.malloc import share_one_malloc_arena
from geo_sink.steps.context import RunContext, writing

_log = logging.getLogger(__name__)

#: The hidden folder of step results and fingerprints inside an output folder.
STATE = ".steps"
MANIFEST = "manifest.json"


def _always(ctx: RunContext) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One analysis step.

    Attributes
    ----------
    name : str
    run : callable
        ``run(ctx, up, key)``: a generator that yields report lines and returns the step's
        result (pickled for later runs); ``up`` maps each needed step to its result (a dict by
        key for keyed steps).
    needs : tuple of str
        Steps whose results it reads.
    project : tuple of str
        Fields of the project file it reads (``targets`` includes the resolved targets and
        baselines).
    roles : tuple of str
        Roles of the input files it reads (:func:`geo_sink.steps.fingerprints.project_inputs`).
    catalog : tuple of str
        Catalog entries it may read, ``dataset:<id>`` or ``legend:*`` (documentation, checked
        by the tests against what it reads).
    outputs : tuple of str
        Ids of the output registry it writes.
    keys : callable, optional
        ``keys(ctx)``: one task per key.
    files : callable, optional
        ``files(ctx, key)``: the input files of one task (instead of all files of ``roles``).
    upstream_keys : callable, optional
        ``upstream_keys(ctx, key)``: the keys of keyed upstream steps a task reads (default all).
    draws : bool
        The step draws Monte Carlo samples (``ctx.draws`` is an input).
    when : callable
        ``when(ctx)``: whether the step applies to the project.
    concurrent : bool
        Its tasks may run beside other tasks, on threads (:func:`run_steps`; on a dask cluster
        ``ctx.client`` their raster passes go to it at once): for steps that write files only
        through ``ctx.put`` (or name them with :func:`geo_sink.steps.context.note_written`) and
        read no file another step writes.
    params : callable, optional
        ``params(ctx, key)``: further settings of one task that belong in its fingerprint (a
        year's legend and CRS).
    carry : tuple of str
        Files of its own it reads back when it runs again (the FVC series, reused per scene
        content): not removed before it runs.
    """

    name: str
    run: Callable
    needs: tuple[str, ...] = ()
    project: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    catalog: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    keys: Callable | None = None
    files: Callable | None = None
    upstream_keys: Callable | None = None
    draws: bool = False
    when: Callable = _always
    carry: tuple[str, ...] = ()
    params: Callable | None = None
    concurrent: bool = False


def task_id(step: Step, key) -> str:
    if key is None:
        return step.name
    parts = key if isinstance(key, tuple) else (key,)
    return "-".join([step.name, *map(str, parts)])


def result_digest(result) -> str:
    """SHA-256 of a step result by value: tables by their values, dtypes and labels, arrays by
    their bytes, geometries as WKB (a pickle would depend on which equal strings are one object)."""
    h = hashlib.sha256()
    _feed(h, result)
    return h.hexdigest()


def _feed(h, v) -> None:
    import numpy as np
    import pandas as pd

    h.update(type(v).__name__.encode())
    if isinstance(v, pd.DataFrame):
        geo = [c for c in v.columns if str(v[c].dtype) == "geometry"]
        # a plain frame: WKB bytes in a GeoDataFrame's geometry column make geopandas warn
        df = pd.DataFrame(v).assign(**{c: v[c].to_wkb() for c in geo}) if geo else v
        h.update(repr((list(map(str, df.columns)), list(map(str, df.dtypes)))).encode())
        h.update(pd.util.hash_pandas_object(df.astype({c: "object" for c in geo}), index=True).to_numpy().tobytes())
    elif isinstance(v, np.ndarray):
        h.update(repr((v.dtype.str, v.shape)).encode())
        h.update(np.ascontiguousarray(v).tobytes())
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        for f in dataclasses.fields(v):         # field by field: a repr would truncate a table
            _feed(h, f.name)
            _feed(h, getattr(v, f.name))
    elif isinstance(v, dict):
        for k in sorted(v, key=repr):
            _feed(h, k)
            _feed(h, v[k])
    elif isinstance(v, (list, tuple, set, frozenset)):
        for x in (sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v):
            _feed(h, x)
    else:
        h.update(repr(v).encode())


def _jsonable(v):
    return json.loads(json.dumps(v, default=str, sort_keys=True, ensure_ascii=False))


def input_files(ctx: RunContext, step: Step, key) -> dict[str, str]:
    """{path: sha256} of the input files a task reads."""
    if step.files is not None:
        from geo_sink.steps.fingerprints import dataset_files
        paths = {str(f) for p in step.files(ctx, key) for f in dataset_files(p)}   # with side files
        return {p: (ctx.inputs[p][1] if p in ctx.inputs else sha256_file(p)) for p in sorted(paths)}
    return {p: sha for p, (role, sha, _) in sorted(ctx.inputs.items()) if role in step.roles}


def task_fingerprint(ctx: RunContext, step: Step, key, upstream: dict[str, str]) -> str:
    """SHA-256 of everything a task reads but the catalog (checked apart, entry by entry)."""
    spec = ctx.spec_json
    doc = {"step": step.name, "key": _jsonable(key), "code": code_digest(),
           "project": {f: _jsonable(spec.get(f)) for f in step.project},
           "files": input_files(ctx, step, key), "upstream": upstream,
           "draws": ctx.draws if step.draws else None,
           "params": _jsonable(step.params(ctx, key)) if step.params is not None else None,
           # the region row's id and name (the project name when the boundary is a file)
           "total": list(ctx.total)}
    if "boundary" in step.project:
        doc["zones"] = ctx.zones_digest
    if "targets" in step.project:
        doc["resolved"] = [repr(t) for t in ctx.project.targets] + [repr(b) for b in ctx.project.baselines]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def catalog_digest(ctx: RunContext, item: str) -> str:
    """A catalog entry's content: a dataset's record and file (or its package's version), a
    legend, or a catalog file."""
    kind, name = item.split(":", 1)
    if kind == "file":
        f = ctx.cat.root / name
        return sha256_file(f) if f.is_file() else "gone"
    try:
        if kind == "legend":
            return hashlib.sha256(ctx.cat.legend(name).model_dump_json().encode()).hexdigest()
        ds = ctx.cat.dataset(name)
    except Exception:     # noqa: BLE001 - an entry removed from the catalog: re-run the step
        return "gone"
    h = hashlib.sha256(ds.model_dump_json().encode())
    if ds.package is not None:            # data inside an installed package: its version
        h.update(package_version(ds.package).encode())
    if ds.path is not None and (ctx.cat.root / ds.path).is_file():
        p = str(ctx.cat.root / ds.path)
        h.update((ctx.inputs[p][1] if p in ctx.inputs else sha256_file(p)).encode())
    return h.hexdigest()


def _snapshot(folder: Path) -> dict[str, tuple]:
    out = {}
    for e in os.scandir(folder):
        if e.is_file() and not e.name.startswith("."):
            st = e.stat()
            out[e.name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


def read_manifest(out_dir) -> dict:
    try:
        m = json.loads((Path(out_dir) / STATE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(m, dict) and m.get("code") == code_digest()
    return m.get("tasks", {}) if ok else {}


def forget(out_dir, step_names) -> list[str]:
    """Drop the tasks of ``step_names`` from a folder's manifest (with their results): for
    commands that rewrite a step's tables outside the steps (``geo-sink reclamation``, ``geo-sink
    pv``), so the next ``update`` runs those tasks again rather than keep what it recorded."""
    out_dir = Path(out_dir)
    path = out_dir / STATE / MANIFEST
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    tasks = m.get("tasks", {}) if isinstance(m, dict) else {}
    gone = [t for t, r in tasks.items() if r.get("step") in set(step_names)]
    for t in gone:
        del tasks[t]
        _remove(out_dir / STATE, [f"{t}.pkl"])
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    return gone


def load_result(out_dir: Path, tid: str):
    """(found, result) of a task from a folder's ``.steps/``."""
    try:
        with open(out_dir / STATE / f"{tid}.pkl", "rb") as f:
            return True, pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return False, None


def _remove(out_dir: Path, names) -> None:
    for n in names:
        try:
            (out_dir / n).unlink()
        except FileNotFoundError:
            pass


def step_threads(ctx: RunContext) -> int:
    """How many tasks run at once: one per core (at most 4: each raster pass holds its own
    blocks), 8 when the raster passes go to a dask cluster (the threads only wait on it)."""
    if ctx.client is not None:
        return 8
    env = os.environ.get("GEO_SINK_STEP_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise InputDataError(f"GEO_SINK_STEP_THREADS={env!r}: expected a whole number of threads "
                                 "(1 runs the steps one after the other)") from None
    return max(1, min(4, os.cpu_count() or 1))


def run_steps(ctx: RunContext, steps, threads: int | None = None) -> Iterator[str]:
    """Run (or keep) every task of ``steps``; yields the steps' lines in the declared order.  The
    return value (``StopIteration.value``) is ``{task id: record}`` (status ``ran`` or ``kept``,
    seconds, files, fingerprint), also written to ``.steps/manifest.json``.

    The tasks are the nodes of a dask graph run by dask's threaded scheduler on ``threads``
    threads (default :func:`step_threads`): a task of a ``concurrent`` step waits for the tasks it
    reads, so the land-cover years, the transitions, the overlays, the climate zones and the
    carbon of a run go side by side (the raster passes, the Monte Carlo and GDAL release the
    GIL).  A task of any other step waits for every task declared before it, and every task
    declared after it waits for it: it runs alone (it may write files other than through
    ``ctx.put``, found by comparing the folder before and after).  Lines come as tasks end, in
    the declared order.  When the caller stops (an interrupt), the tasks not yet started are
    skipped and the running ones end before this returns."""
    import functools
    import queue

    import dask.local
    import dask.threaded

    out_dir = Path(ctx.out_dir)
    (out_dir / STATE).mkdir(parents=True, exist_ok=True)
    old = read_manifest(out_dir)
    results: dict[str, object] = {}
    digests: dict[str, dict] = {}           # step name -> {task id: result digest}
    new: dict[str, dict] = {}
    t_start = time.perf_counter()
    active = [(s, s.keys(ctx) if s.keys is not None else [None]) for s in steps if s.when(ctx)]
    order = [(s, k, task_id(s, k)) for s, keys in active for k in keys]
    # tasks of the previous run that no longer exist (a year taken out, a section removed): their
    # files go first, so that no step of this run reads them and none of this run's files is
    # taken for theirs
    planned = {tid for _, _, tid in order}
    for tid, prev in old.items():
        if tid not in planned:
            _remove(out_dir, prev.get("files", []))
            _remove(out_dir / STATE, [f"{tid}.pkl"])
    for step, keys in active:
        if step.keys is not None:
            results[step.name] = {}
        digests[step.name] = {}
    threads = step_threads(ctx) if threads is None else max(1, int(threads))
    share_one_malloc_arena()
    if threads > 1:
        from geo_sink.io.rasters import quiet_array_datasets
        quiet_array_datasets()
    # what the tasks share, resolved once before any thread reads it
    ctx.zones, ctx.landcover, ctx.spec_json, ctx.zones_digest          # noqa: B018
    lock = threading.Lock()                 # results, digests, new
    stop = threading.Event()
    ended: queue.Queue = queue.Queue()
    lines_of: dict[str, list] = {}

    def plan(step: Step, key, tid: str):
        """Keep the task (its lines) or clear its old files for a run: (kept, lines or (up, fp))."""
        with lock:          # other tasks' results go into these dicts meanwhile
            up, updig = {}, {}
            for n in step.needs:
                if n not in results:
                    continue
                r = results[n]
                if isinstance(r, dict) and n in _keyed(steps) and step.upstream_keys is not None:
                    wanted = set(step.upstream_keys(ctx, key))
                    r = {k: v for k, v in r.items() if k in wanted}
                    updig.update({t: d for t, d in digests[n].items()
                                  if t in {task_id(_by_name(steps, n), k) for k in wanted}})
                else:
                    updig.update(digests[n])
                up[n] = r
            fp = task_fingerprint(ctx, step, key, updig)
            prev = old.get(tid)
            unchanged = (prev and prev.get("fingerprint") == fp
                         and all(catalog_digest(ctx, i) == d for i, d in prev.get("catalog", {}).items())
                         and all((out_dir / f).is_file() for f in prev.get("files", [])))
        if unchanged:
            kept, result = load_result(out_dir, tid)        # unpickled outside the lock
            if kept:
                with lock:
                    new[tid] = dict(prev, status="kept", seconds=0.0)
                    _keep(step, key, tid, result, new[tid]["result"], results, digests)
                return True, list(prev.get("lines", []))  # its findings and warnings, as a run says them
        if prev:
            _remove(out_dir, [f for f in prev.get("files", []) if f not in step.carry])
        # a run stopped after this task rewrote its files leaves the old manifest: without its
        # old result the task cannot be kept with the new files under the old fingerprint
        _remove(out_dir / STATE, [f"{tid}.pkl"])
        return False, (up, fp)

    running = threading.Condition()         # how many tasks are between start and end
    n_running = [0]

    errors: list[tuple[str, BaseException]] = []

    def one(step: Step, key, tid: str, alone: bool, *_upstream):
        """A node of the graph: keep the task or run it (``_upstream``: the tasks it waits for)."""
        _STEP_THREAD.on = True
        if not gate.enter(tid):
            return None
        with running:
            if stop.is_set():
                return None             # the gate is closed as well: its slot is of no use now
            n_running[0] += 1
        try:
            _one(step, key, tid, alone)
        except BaseException as e:
            with lock:
                errors.append((tid, e))
            raise
        finally:
            with running:
                n_running[0] -= 1
                running.notify_all()
            gate.leave(tid)

    def _one(step: Step, key, tid: str, alone: bool):
        kept, what = plan(step, key, tid)
        if kept:
            lines = what
        else:
            up, fp = what
            result, lines, reads, files, t0, t1 = _run_collected(ctx, step, up, key, t_start, alone)
            rec = _record(ctx, step, key, tid, fp, result, files, reads, t0, t1, lines)
            with lock:
                new[tid] = rec
                _keep(step, key, tid, result, rec["result"], results, digests)
        lines_of[tid] = lines
        ended.put(tid)
        return None

    # the graph: a task waits for the tasks it reads and for the last lone task before it; a
    # lone task waits for every task before it
    graph: dict = {}
    deps_of = {tid: _upstream_tasks(ctx, step, key, active) for step, key, tid in order}
    before_it: list[str] = []
    waits_of: dict[str, list] = {}
    barrier = None
    for step, key, tid in order:
        alone = not step.concurrent or threads == 1
        waits = list(before_it) if alone else sorted(deps_of[tid] | ({barrier} if barrier else set()))
        graph[tid] = (functools.partial(one, step, key, tid, alone), *waits)
        waits_of[tid] = waits
        before_it.append(tid)
        if alone:
            barrier = tid
    # every ready task is handed to a thread at once; the gate lets ``threads`` of them run at a
    # time, those on the longest remaining path first (dask's local scheduler has no priorities)
    pool_threads = max(1, min(len(graph), MAX_WAITING_TASKS)) if threads > 1 else 1
    gate = PriorityGate(threads, upward_ranks(waits_of, {tid: _cost(old.get(tid)) for _, _, tid in order}),
                        waits_of, threads=pool_threads)
    failed: list[BaseException] = []

    def drive():
        _STEP_THREAD.on = True
        pool = None
        try:
            # a thread per task that may be ready at once: the gate, not the pool, bounds the work
            pool = ThreadPoolExecutor(pool_threads, thread_name_prefix="geo-sink step") if threads > 1 else None
            if pool is not None:
                dask.threaded.get(graph, list(graph), num_workers=threads, pool=pool)
            else:
                dask.local.get_sync(graph, list(graph))
        except BaseException as e:     # noqa: BLE001 - handed to the caller below
            failed.append(e)
        finally:
            # dask returns at a task's error while others still run: start nothing more and
            # wait for them, so that no thread writes into the folder once the caller has it
            with running:
                stop.set()
                gate.close()
                running.wait_for(lambda: n_running[0] == 0)
            if pool is not None:
                pool.shutdown(wait=False)
            ended.put(None)

    done: set[str] = set()
    emitted = 0
    driver = threading.Thread(target=drive, name="geo-sink steps", daemon=True)
    blas = one_blas_thread()        # the steps' threads are the parallelism (geo_sink.runs.blas)
    blas.__enter__()
    driver.start()
    finished = False
    try:
        while (tid := ended.get()) is not None:
            done.add(tid)
            while emitted < len(order) and order[emitted][2] in done:      # in the declared order
                yield from lines_of.pop(order[emitted][2], [])
                emitted += 1
        finished = True
    finally:
        stop.set()                      # an interrupt: start nothing more, let the running end
        gate.close()
        # a generator dropped without close() may be finalised by the garbage collector on a
        # step thread, which the driver waits for: joining there would never return
        if not getattr(_STEP_THREAD, "on", False):
            driver.join()
            if failed or not finished:
                # the manifest stays the last complete run's: the tasks that ran here rewrote
                # their files, so their results must not be kept under its fingerprints
                _remove(out_dir / STATE, [f"{t}.pkl" for t, r in list(new.items()) if r["status"] == "ran"])
        blas.__exit__(None, None, None)
    if failed:
        for tid, e in errors[1:]:       # dask raises the first; the others are said
            _log.error("task %s failed too: %s: %s", tid, type(e).__name__, e)
        raise failed[0]
    new = {tid: new[tid] for _, _, tid in order if tid in new}
    # a file a step carries over from the last run (the FVC series) that no task of this run
    # owns (the step no longer applies) goes too
    owned = {f for r in new.values() for f in r["files"]}
    _remove(out_dir, [f for s in steps for f in s.carry if f not in owned])
    with atomic_path(out_dir / STATE / MANIFEST) as tmp:
        tmp.write_text(json.dumps({"geo_sink": __version__, "code": code_digest(), "tasks": new},
                                  ensure_ascii=False, indent=1),
                       encoding="utf-8")
    return new


#: Marks the threads that run a graph's tasks (and its driver).
_STEP_THREAD = threading.local()


def _upstream_tasks(ctx: RunContext, step: Step, key, active) -> set[str]:
    """The task ids a task reads: every task of each step it needs that runs here (of a keyed
    step only the keys ``upstream_keys`` names, when it names them)."""
    out = set()
    for other, keys in active:
        if other.name not in step.needs:
            continue
        if other.keys is not None and step.upstream_keys is not None:
            wanted = set(step.upstream_keys(ctx, key))
            keys = [k for k in keys if k in wanted]
        out |= {task_id(other, k) for k in keys}
    return out


def _noting(gen, lines: list):
    """``yield from gen``, noting each line it yields in ``lines``; returns gen's value."""
    while True:
        try:
            line = next(gen)
        except StopIteration as stop:
            return stop.value
        lines.append(line)
        yield line


def _drain(gen):
    """Run a generator to its end and return its value."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def _run_collected(ctx: RunContext, step: Step, up: dict, key, t_start: float, alone: bool = False):
    """One task: (result, lines, catalog reads, files written, start and end in seconds since
    the run started).  The files are those written through ``ctx.put`` (or named with
    ``note_written``); of a task that runs ``alone``, every file of the folder it changed."""
    folder = Path(ctx.out_dir)
    t0 = time.perf_counter() - t_start
    before = _snapshot(folder) if alone else None
    lines: list = []
    with recording_reads() as reads, writing() as noted:
        result = _drain(_noting(step.run(ctx, up, key), lines))
    if alone:
        after = _snapshot(folder)
        files = sorted(n for n, st in after.items() if before.get(n) != st)
    else:
        files = sorted(set(noted))
    return result, lines, reads, files, t0, time.perf_counter() - t_start


#: Most threads a run hands its ready tasks to (they wait in the :class:`PriorityGate`).
MAX_WAITING_TASKS = 64
#: Seconds assumed for a task no earlier run timed.
DEFAULT_TASK_COST = 0.1


def _cost(prev: dict | None) -> float:
    """Seconds a task is expected to take: what it took when it last ran (a kept task carries
    that time on), else :data:`DEFAULT_TASK_COST`."""
    c = (prev or {}).get("cost")
    return float(c) if isinstance(c, (int, float)) and c >= 0 else DEFAULT_TASK_COST


def upward_ranks(waits: dict[str, list], cost: dict[str, float]) -> dict[str, float]:
    """Each task's upward rank: its cost plus the largest rank of the tasks that wait for it, the
    seconds of the longest path from its start to the end of the run (the list-scheduling
    priority of Topcuoglu et al. 2002, HEFT).  ``waits``: task -> the tasks it waits for, in an
    order where every task comes after those it waits for.

    References
    ----------
    Topcuoglu, H., Hariri, S. & Wu, M.-Y. (2002). Performance-effective and low-complexity task
    scheduling for heterogeneous computing. IEEE Trans. Parallel Distrib. Syst. 13(3), 260-274.
    """
    rank: dict[str, float] = {}
    below: dict[str, float] = {t: 0.0 for t in waits}
    for t in reversed(list(waits)):
        rank[t] = cost.get(t, DEFAULT_TASK_COST) + below[t]
        for u in waits[t]:
            below[u] = max(below[u], rank[t])
    return rank


class PriorityGate:
    """At most ``slots`` tasks of a graph between :meth:`enter` and :meth:`leave`, the ready
    task of highest ``rank`` first.

    ``waits``: task -> the tasks it waits for.  A task is ready once every task it waits for
    has left; a free slot is held for the ready task of highest rank (ties: declared order)
    until it arrives, so that a task handed to a thread a moment earlier does not take the
    slot of a longer path, unless ``threads`` (those of the pool that calls :meth:`enter`) are
    all in the gate already: then no other task can arrive, and the best of those waiting
    goes.  :meth:`close` turns every waiting and later task away (``enter`` returns False)."""

    def __init__(self, slots: int, rank: dict[str, float], waits: dict[str, list], threads: int | None = None):
        self.slots = self.free = max(1, int(slots))
        self.closed = False
        self.threads = threads if threads is not None else len(waits) + 1
        self._arrived: set[str] = set()
        self._key = {t: (-rank.get(t, 0.0), i) for i, t in enumerate(waits)}
        self._left = {t: set(w) for t, w in waits.items()}
        self._after: dict[str, list] = {t: [] for t in waits}
        for t, w in waits.items():
            for u in w:
                self._after[u].append(t)
        self._ready = {t for t, w in self._left.items() if not w}
        self._cv = threading.Condition()

    def _next(self) -> str | None:
        full = len(self._arrived) + (self.slots - self.free) >= self.threads
        pool = self._arrived if full else self._ready
        return min(pool, key=self._key.__getitem__) if pool else None

    def enter(self, task: str) -> bool:
        with self._cv:
            if task not in self._key:          # not of the graph: no order to keep
                self._ready.add(task)
                self._key[task] = (0.0, len(self._key))
            self._arrived.add(task)
            self._cv.notify_all()               # a full pool may change who is next
            self._cv.wait_for(lambda: self.closed or (self.free > 0 and self._next() == task))
            self._arrived.discard(task)
            if self.closed:
                return False
            self._ready.discard(task)
            self.free -= 1
            self._cv.notify_all()       # the next in line may take another free slot
            return True

    def leave(self, task: str) -> None:
        with self._cv:
            self.free += 1
            for t in self._after.get(task, ()):
                self._left[t].discard(task)
                if not self._left[t]:
                    self._ready.add(t)
            self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            self.closed = True
            self._cv.notify_all()


def _record(ctx: RunContext, step: Step, key, tid: str, fp: str, result, files, reads, t0: float, t1: float,
            lines=()) -> dict:
    """The manifest entry of a task that ran; its result pickled beside the manifest."""
    out_dir = Path(ctx.out_dir)
    with atomic_path(out_dir / STATE / f"{tid}.pkl") as tmp:
        tmp.write_bytes(pickle.dumps(result, protocol=5))
    return {"step": step.name, "key": _jsonable(key), "fingerprint": fp, "files": list(files),
            "catalog": {f"{k}:{n}": catalog_digest(ctx, f"{k}:{n}") for k, n in sorted(reads)},
            "status": "ran", "seconds": round(t1 - t0, 4), "cost": round(t1 - t0, 4), "started_s": round(t0, 4), "finished_s": round(t1, 4),
            "lines": [str(x) for x in lines],
            # the result and the files written: a step that returns nothing but writes a changed
            # table still changes what its readers see
            "result": result_digest((result, [(f, sha256_file(out_dir / f, remember=False)) for f in files]))}


def _keep(step: Step, key, tid: str, result, digest: str, results: dict, digests: dict) -> None:
    digests[step.name][tid] = digest
    if step.keys is not None:
        results[step.name][key] = result
    else:
        results[step.name] = result


def _keyed(steps) -> set[str]:
    return {s.name for s in steps if s.keys is not None}


def _by_name(steps, name: str) -> Step:
    return next(s for s in steps if s.name == name)
