"""The zonal engine on a dask.distributed cluster.

The grid rows a ZoneIndex touches are cut into bands; each task opens its raster(s) itself,
reads its band block by block (never the whole raster) and returns a partial result that adds
up: the (zones x codes) area matrix of :func:`band_areas`, the sparse pair areas of
:func:`band_transitions`, or the per-zone sums of :func:`band_density`.  Results equal the
single-process path up to the order of floating-point additions.

Tasks receive the ZoneIndex either as the path of its cache folder (loaded once per worker, the
cheap way when workers share a file system) or as a scattered object.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from geo_sink.zonal.engine import ClassAreaAccumulator
from geo_sink.zonal.zones import ZoneIndex


@lru_cache(maxsize=4)
def _load_index(path: str) -> ZoneIndex:
    return ZoneIndex.load(Path(path))


def _index(index) -> ZoneIndex:
    return index if isinstance(index, ZoneIndex) else _load_index(str(index))


def band_areas(path, index, row_area: np.ndarray, rows: tuple[int, int],
               cols: tuple[int, int], block_rows: int, band: int = 1, shift: int = 0) -> np.ndarray:
    """Area matrix (m^2, zones x codes) of rows ``rows`` of the raster: one task's work.

    ``shift``: the code layout of :func:`geo_sink.io.rasters.iter_code_blocks` (1: column 0 holds
    the masked cells and an out-of-range nodata, column c + 1 code c), as in the single-process pass."""
    from geo_sink.io.rasters import iter_code_blocks

    acc = ClassAreaAccumulator(_index(index), row_area, col_offset=cols[0])
    # no read-ahead thread inside a task: the cluster's parallelism is one task per worker core
    for row0, block in iter_code_blocks(path, rows, cols, block_rows, band=band, readers=0, reuse=True,
                                        shift=shift):
        acc.add(block, row0)
    return acc.result_m2()


def band_transitions(path_from, path_to, index, row_area: np.ndarray, rows: tuple[int, int],
                     cols: tuple[int, int], block_rows: int,
                     fills: tuple = (None, None)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone, from * 256 + to, m^2) triplets of the non-zero pair areas of rows ``rows``
    (``fills``: see :func:`geo_sink.zonal.transitions.pair_blocks`)."""
    from geo_sink.io.rasters import pair_blocks

    acc = ClassAreaAccumulator(_index(index), row_area, col_offset=cols[0])
    for row0, block_from, block_to in pair_blocks(path_from, path_to, rows, cols, block_rows, readers=0,
                                                  fills=fills):
        acc.add(block_from, row0, block_to)
    return acc.nonzero_m2()


def band_density(path, index, row_area: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
                 block_rows: int, nodata, masks: bool = False) -> np.ndarray:
    """(3 x zones) value x m^2, valid m^2 and nodata m^2 of rows ``rows`` (see
    :class:`geo_sink.zonal.continuous.DensityAccumulator`); ``masks``: the band has a GDAL mask,
    whose masked cells count as nodata."""
    from geo_sink.io.rasters import iter_row_blocks
    from geo_sink.zonal.engine import DensityAccumulator

    acc = DensityAccumulator(_index(index), row_area, col_offset=cols[0], nodata=nodata)
    if masks:
        for row0, block, valid in iter_row_blocks(path, rows, cols, block_rows, readers=0, reuse=True, masks=True):
            acc.add(block, row0, valid)
    else:
        for row0, block in iter_row_blocks(path, rows, cols, block_rows, readers=0, reuse=True):
            acc.add(block, row0)
    return acc.sums()


def row_bands(rows: tuple[int, int], block_rows: int, n: int,
              weights: np.ndarray | None = None) -> list[tuple[int, int]]:
    """About ``n`` bands of ``rows`` with inner edges on multiples of ``block_rows`` (so no tile
    row is decoded by two tasks), cut at equal shares of ``weights`` (the work of each row,
    ``rows[1] - rows[0]`` values; default: equal rows).  Bands that snapping to ``block_rows``
    leaves empty are dropped."""
    r0, r1 = rows
    n = max(1, n)
    w = np.ones(r1 - r0) if weights is None else np.asarray(weights, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n) / n) + r0
    snapped = np.round(cuts / block_rows).astype(int) * block_rows
    edges = sorted({r0, r1, *[int(e) for e in snapped if r0 < e < r1]})
    return list(zip(edges[:-1], edges[1:]))


def row_work(index: ZoneIndex, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """Relative work of each row of ``rows``: decoding the window's width plus counting the
    cells the zones cover in that row (runs and boundary cells), weighted alike."""
    r0, r1 = rows
    covered = np.zeros(r1 - r0)
    per_row = index.cells_per_row[r0:r1]
    covered[: len(per_row)] = per_row
    return (cols[1] - cols[0]) + covered


def cluster_threads(client) -> tuple[int, int]:
    """(workers, worker threads) of ``client``'s cluster, all of them (some dask releases cap
    ``scheduler_info()`` at 5 workers)."""
    nthreads = client.nthreads()
    return len(nthreads), sum(nthreads.values())


#: Row bands per worker thread.  One: the scheduler hands each worker ceil(1.1 x threads) tasks
#: at once (dask's worker-saturation), so a second band per single-threaded worker is queued on
#: that worker and never rebalanced; it only adds a task's messaging (~2.5 ms) and a pause between
#: the worker's two tasks (~3 ms).  Interleaved A/B on the benchmark raster (15 pairs a run, 4
#: runs, 2026-12-01), 1 against 2 bands a thread: 2 workers 166/173, 202/218, 174/180 and
#: 178/185 ms, 1 worker 293/298, 309/317, 306/310 and 306/310 ms.  The bands are cut at equal
#: estimated work (:func:`row_work`); the two bands of that pass took 141-148 and 149-152 ms.
TASKS_PER_WORKER = 1


def _plan(client, index: ZoneIndex, index_file, row_area: np.ndarray, rows: tuple[int, int],
          cols: tuple[int, int], block_rows: int, tasks_per_worker: int, threads: int | None = None):
    """The index as tasks take it (its cache folder's path, loaded once per worker, or without
    one the index scattered to every worker), the row areas (8 bytes a row, sent with each task:
    cheaper than a scatter round trip) and ``tasks_per_worker`` bands of equal work per worker
    thread (``threads``: the cluster's, asked when not given)."""
    threads = max(1, threads if threads is not None else cluster_threads(client)[1])
    # hash=False: a unique key per call.  With content keys, a second call scattering the same
    # object races the release of the first call's future and its tasks lose their dependency.
    idx = str(index_file) if index_file is not None else client.scatter(index, broadcast=True, hash=False)
    bands = row_bands(rows, block_rows, threads * tasks_per_worker, row_work(index, rows, cols))
    return idx, np.asarray(row_area, dtype=np.float64), bands


def _run_bands(client, func, lead: tuple, bands: list, tail: tuple) -> list:
    """``func(*lead, band, *tail)`` for each band on ``client``'s workers, submitted as one graph.

    One graph is one message to the scheduler, so every worker starts at once.  Separate
    ``client.submit`` calls each send a message, and the client's batched stream holds each one
    after the first for its 10 ms interval: the second worker started up to 13 ms after the first,
    about 8% of a 2-worker pass over the benchmark raster (2026-12-01)."""
    n = len(bands)
    columns = [[a] * n for a in lead] + [list(bands)] + [[a] * n for a in tail]
    return client.gather(client.map(func, *columns, pure=False))


def distributed_areas(client, path, index: ZoneIndex, row_area: np.ndarray, rows: tuple[int, int],
                      cols: tuple[int, int], block_rows: int, band: int = 1,
                      tasks_per_worker: int = TASKS_PER_WORKER, index_file=None, threads: int | None = None,
                      shift: int = 0) -> np.ndarray:
    """Sum of :func:`band_areas` over row bands computed on ``client``'s workers (``threads``:
    the cluster's worker threads, asked when not given; ``shift``: the code layout)."""
    idx, ra, bands = _plan(client, index, index_file, row_area, rows, cols, block_rows, tasks_per_worker,
                           threads)
    parts = _run_bands(client, band_areas, (str(path), idx, ra), bands, (cols, block_rows, band, shift))
    out = np.zeros((index.n_zones, max(p.shape[1] for p in parts)))
    for p in parts:
        out[:, : p.shape[1]] += p
    return out


def distributed_transitions(client, path_from, path_to, index: ZoneIndex, row_area: np.ndarray,
                            rows: tuple[int, int], cols: tuple[int, int], block_rows: int,
                            tasks_per_worker: int = TASKS_PER_WORKER, index_file=None,
                            fills: tuple = (None, None)) -> np.ndarray:
    """Sum of :func:`band_transitions`: (zone, from * 256 + to, m^2) of every pair with area > 0,
    by zone then pair."""
    idx, ra, bands = _plan(client, index, index_file, row_area, rows, cols, block_rows, tasks_per_worker)
    parts = list(_run_bands(client, band_transitions, (str(path_from), str(path_to), idx, ra), bands,
                            (cols, block_rows, tuple(fills))))
    key = np.concatenate([z.astype(np.int64) * 65536 + pair for z, pair, _ in parts]) if parts else np.zeros(0, np.int64)
    val = np.concatenate([v for *_, v in parts]) if parts else np.zeros(0)
    keys, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv.reshape(-1), weights=val, minlength=len(keys))
    return keys // 65536, keys % 65536, sums


def distributed_density(client, path, index: ZoneIndex, row_area: np.ndarray, rows: tuple[int, int],
                        cols: tuple[int, int], block_rows: int, nodata, tasks_per_worker: int = TASKS_PER_WORKER,
                        index_file=None, masks: bool = False) -> np.ndarray:
    """Sum of :func:`band_density` (3 x zones)."""
    idx, ra, bands = _plan(client, index, index_file, row_area, rows, cols, block_rows, tasks_per_worker)
    return np.sum(_run_bands(client, band_density, (str(path), idx, ra), bands,
                             (cols, block_rows, nodata, masks)), axis=0)


#: glibc's malloc thresholds (bytes) for the worker processes geo-sink starts.  dask sets
#: MALLOC_TRIM_THRESHOLD_=64 KiB for its workers, which freezes glibc's mmap threshold at
#: 128 KiB and gives every freed block buffer back to the OS, so each multi-MB buffer is a fresh
#: mmap or heap extension that page-faults on first touch (~17,000 minor faults per pass over the
#: benchmark raster).  With both at 64 MiB the buffers are reused from the heap: a warm pass took
#: 0.70 s instead of 0.82 s on 1 worker and 0.39 s instead of 0.45 s on 2 with the mmap
#: threshold alone (interleaved medians of 5, 2026-11-23); adding the trim threshold took the
#: faults from ~17,000 to 25 per pass on 1 worker.  Workers of an existing cluster
#: (``scheduler``) keep their own settings.
WORKER_MMAP_THRESHOLD = 64 * 2**20
WORKER_TRIM_THRESHOLD = 64 * 2**20

#: dask settings for the LocalCluster geo-sink starts (it has no dashboard to feed).  dask's
#: defaults wake every scheduler, nanny and worker event loop every 20 ms (tick), poll memory
#: every 100 ms and sample each worker's stack every 10 ms (profiler); on a machine with as many
#: cores as workers each wake-up pre-empts a band task.  Measured on 2 cores (2 workers, one pass
#: over the benchmark raster, medians of 9, 2026-11-23): ~220 involuntary context switches in the
#: band tasks with the defaults, ~65 with these; task CPU time unchanged.
QUIET_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def _dask_log_level() -> int:
    """dask's own log level under geo-sink's: its INFO chatter (scheduler and nanny start-up,
    connections) only with -vv (DEBUG); otherwise WARNING, or ERROR under -q."""
    import logging

    root = logging.getLogger().getEffectiveLevel()
    return root if root <= logging.DEBUG else max(root, logging.WARNING)


def make_client(workers: int | None = None, scheduler: str | None = None):
    """A client on a new LocalCluster of ``workers`` single-threaded processes, or on ``scheduler``."""
    import logging

    import dask

    level = _dask_log_level()
    name = logging.getLevelName(level).lower()
    # the config reaches distributed's logging set-up when it is first imported (here) and the
    # worker processes; an already imported distributed gets the level directly
    with dask.config.set({"logging.distributed": name}):
        from dask.distributed import Client, LocalCluster
        logging.getLogger("distributed").setLevel(level)
        if scheduler:
            return Client(scheduler)
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
        environ.setdefault("MALLOC_MMAP_THRESHOLD_", WORKER_MMAP_THRESHOLD)
        environ["MALLOC_TRIM_THRESHOLD_"] = max(int(environ.get("MALLOC_TRIM_THRESHOLD_", 0)),
                                                WORKER_TRIM_THRESHOLD)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ, **QUIET_CLUSTER_CONFIG}):
            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=level)
        return Client(cluster)


@contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None):
    """Context: a client on a new LocalCluster (``workers``) or an existing ``scheduler``; None
    when neither is given (single process).  A cluster started here is closed on exit."""
    if not workers and not scheduler:
        yield None
        return
    client = make_client(workers, scheduler)
    try:
        yield client
    finally:
        close_client(client)


def _silence_distributed_logs() -> None:
    """Run on a worker of a cluster about to close: only CRITICAL from dask from now on."""
    import logging
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def quiet_shutdown(client) -> None:
    """Silence the dask logs of the worker processes of ``client``'s cluster before it closes.

    A worker that sends its heartbeat while the scheduler shuts down logs "Failed to communicate
    with scheduler during heartbeat" at ERROR (seen once in a full test run of a 2-worker
    LocalCluster on a busy 2-core machine, 2026-12-07): a race of the shutdown, after every result
    is in, that a cron run would report as an error.  Only for a LocalCluster started here (an
    existing scheduler's workers are not ours); its scheduler and nannies live in this process,
    whose log level stays the caller's; a worker already gone is no error."""
    try:
        client.run(_silence_distributed_logs)
    except Exception:  # noqa: BLE001 - a worker already closing: nothing to quiet
        pass


def close_client(client) -> None:
    """Close ``client`` and, when it started its own LocalCluster, the cluster too (its workers'
    shutdown logs silenced first: :func:`quiet_shutdown`)."""
    from dask.distributed import LocalCluster

    cluster = getattr(client, "cluster", None)
    if isinstance(cluster, LocalCluster):
        quiet_shutdown(client)
    client.close()
    if isinstance(cluster, LocalCluster):
        cluster.close()
