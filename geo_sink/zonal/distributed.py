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
               cols: tuple[int, int], block_rows: int, band: int = 1) -> np.ndarray:
    """Area matrix (m^2, zones x codes) of rows ``rows`` of the raster: one task's work."""
    from geo_sink.io.rasters import iter_row_blocks

    acc = ClassAreaAccumulator(_index(index), row_area, col_offset=cols[0])
    # no read-ahead thread inside a task: the cluster's parallelism is one task per worker core
    for row0, block in iter_row_blocks(path, rows, cols, block_rows, band=band, readers=0):
        acc.add(block, row0)
    return acc.result_m2()


def band_transitions(path_from, path_to, index, row_area: np.ndarray, rows: tuple[int, int],
                     cols: tuple[int, int], block_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone, from * 256 + to, m^2) triplets of the non-zero pair areas of rows ``rows``."""
    from geo_sink.zonal.transitions import pair_blocks

    acc = ClassAreaAccumulator(_index(index), row_area, col_offset=cols[0])
    acc.reserve(65536)
    for row0, pairs in pair_blocks(path_from, path_to, rows, cols, block_rows, readers=0):
        acc.add(pairs, row0)
    m = acc.result_m2()
    z, pair = np.nonzero(m > 0)
    return z, pair, m[z, pair]


def band_density(path, index, row_area: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
                 block_rows: int, nodata) -> np.ndarray:
    """(3 x zones) value x m^2, valid m^2 and nodata m^2 of rows ``rows`` (see
    :class:`geo_sink.zonal.continuous.DensityAccumulator`)."""
    from geo_sink.io.rasters import iter_row_blocks
    from geo_sink.zonal.continuous import DensityAccumulator

    acc = DensityAccumulator(_index(index), row_area, col_offset=cols[0], nodata=nodata)
    for row0, block in iter_row_blocks(path, rows, cols, block_rows, readers=0):
        acc.add(block, row0)
    return acc.sums()


def row_bands(rows: tuple[int, int], block_rows: int, n: int,
              weights: np.ndarray | None = None) -> list[tuple[int, int]]:
    """About ``n`` bands of ``rows`` with inner edges on multiples of ``block_rows`` (so no tile
    row is decoded by two tasks), cut at equal shares of ``weights`` (the work of each row,
    ``rows[1] - rows[0]`` values; default: equal rows)."""
    r0, r1 = rows
    n = max(1, n)
    if weights is None:
        per_band = -(-(r1 - r0) // n)
        step = max(1, -(-per_band // block_rows)) * block_rows
        edges = [r0] + list(range((r0 // step + 1) * step, r1, step)) + [r1]
        return list(zip(edges[:-1], edges[1:]))
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(weights, dtype=float))])
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n) / n) + r0
    snapped = np.round(cuts / block_rows).astype(int) * block_rows
    edges = sorted({r0, r1, *[int(e) for e in snapped if r0 < e < r1]})
    return list(zip(edges[:-1], edges[1:]))


def row_work(index: ZoneIndex, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """Relative work of each row of ``rows``: decoding the window's width plus counting the
    cells the zones cover in that row (runs and boundary cells), weighted alike."""
    r0, r1 = rows
    n = r1 - r0
    covered = np.bincount(index.run_row - r0, weights=index.run_c1 - index.run_c0, minlength=n)[:n]
    covered += np.bincount(index.b_row - r0, minlength=n)[:n]
    return (cols[1] - cols[0]) + covered


def _submit(client, index: ZoneIndex, index_file, row_area: np.ndarray):
    n_workers = max(1, len(client.scheduler_info()["workers"]))
    # hash=False: a unique key per call.  With content keys, a second call scattering the same
    # array races the release of the first call's future and its tasks lose their dependency.
    idx = str(index_file) if index_file is not None else client.scatter(index, broadcast=True, hash=False)
    ra = client.scatter(row_area, broadcast=True, hash=False)
    return n_workers, idx, ra


def distributed_areas(client, path, index: ZoneIndex, row_area: np.ndarray, rows: tuple[int, int],
                      cols: tuple[int, int], block_rows: int, band: int = 1, tasks_per_worker: int = 2,
                      index_file=None) -> np.ndarray:
    """Sum of :func:`band_areas` over row bands computed on ``client``'s workers."""
    n_workers, idx, ra = _submit(client, index, index_file, row_area)
    futs = [client.submit(band_areas, str(path), idx, ra, b, cols, block_rows, band, pure=False)
            for b in row_bands(rows, block_rows, n_workers * tasks_per_worker, row_work(index, rows, cols))]
    parts = client.gather(futs)
    out = np.zeros((index.n_zones, max(p.shape[1] for p in parts)))
    for p in parts:
        out[:, : p.shape[1]] += p
    return out


def distributed_transitions(client, path_from, path_to, index: ZoneIndex, row_area: np.ndarray,
                            rows: tuple[int, int], cols: tuple[int, int], block_rows: int,
                            tasks_per_worker: int = 2, index_file=None) -> np.ndarray:
    """Sum of :func:`band_transitions` as a dense (zones x 65536) matrix of m^2."""
    n_workers, idx, ra = _submit(client, index, index_file, row_area)
    futs = [client.submit(band_transitions, str(path_from), str(path_to), idx, ra, b, cols, block_rows,
                          pure=False)
            for b in row_bands(rows, block_rows, n_workers * tasks_per_worker, row_work(index, rows, cols))]
    out = np.zeros((index.n_zones, 65536))
    for z, pair, v in client.gather(futs):
        np.add.at(out, (z, pair), v)
    return out


def distributed_density(client, path, index: ZoneIndex, row_area: np.ndarray, rows: tuple[int, int],
                        cols: tuple[int, int], block_rows: int, nodata, tasks_per_worker: int = 2,
                        index_file=None) -> np.ndarray:
    """Sum of :func:`band_density` (3 x zones)."""
    n_workers, idx, ra = _submit(client, index, index_file, row_area)
    futs = [client.submit(band_density, str(path), idx, ra, b, cols, block_rows, nodata, pure=False)
            for b in row_bands(rows, block_rows, n_workers * tasks_per_worker, row_work(index, rows, cols))]
    return np.sum(client.gather(futs), axis=0)


#: glibc's mmap threshold (bytes) for the worker processes geo-sink starts.  dask sets
#: MALLOC_TRIM_THRESHOLD_ for its workers, which freezes glibc's mmap threshold at 128 KiB, so
#: every multi-MB block buffer is a fresh mmap and page-faults on first touch.  With 64 MiB the
#: buffers are reused from the heap: a warm class_areas pass on the benchmark raster took
#: 0.70 s instead of 0.82 s on 1 worker and 0.39 s instead of 0.45 s on 2 (interleaved medians
#: of 5, 2026-11-23).  Workers of an existing cluster (``scheduler``) keep their own settings.
WORKER_MMAP_THRESHOLD = 64 * 2**20


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
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
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


def close_client(client) -> None:
    """Close ``client`` and, when it started its own LocalCluster, the cluster too."""
    from dask.distributed import LocalCluster

    cluster = getattr(client, "cluster", None)
    client.close()
    if isinstance(cluster, LocalCluster):
        cluster.close()
