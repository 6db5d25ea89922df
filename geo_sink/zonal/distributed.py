"""The zonal engine on a dask.distributed cluster.

The grid rows a ZoneIndex touches are cut into bands; each task opens the raster itself, reads
its band block by block (never the whole raster) and returns the (zones x codes) area matrix
of its band; the matrices add up.  Results equal the single-process path exactly up to the
order of floating-point additions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from geo_sink.zonal.engine import ClassAreaAccumulator
from geo_sink.zonal.zones import ZoneIndex


@lru_cache(maxsize=4)
def _load_index(path: str) -> ZoneIndex:
    return ZoneIndex.load(Path(path))


def band_areas(path, index, row_area: np.ndarray, rows: tuple[int, int],
               cols: tuple[int, int], block_rows: int, band: int = 1) -> np.ndarray:
    """Area matrix (m^2, zones x codes) of rows ``rows`` of the raster: one task's work.

    ``index`` is a ZoneIndex or the path of its cache file (loaded once per worker)."""
    from geo_sink.io.rasters import iter_row_blocks

    if not isinstance(index, ZoneIndex):
        index = _load_index(str(index))
    acc = ClassAreaAccumulator(index, row_area, col_offset=cols[0])
    # no read-ahead thread inside a task: the cluster's parallelism is one task per worker core
    for row0, block in iter_row_blocks(path, rows, cols, block_rows, band=band, readers=0):
        acc.add(block, row0)
    return acc.result_m2()


def distributed_areas(client, path, index: ZoneIndex, row_area: np.ndarray, rows: tuple[int, int],
                      cols: tuple[int, int], block_rows: int, band: int = 1, tasks_per_worker: int = 4,
                      index_file=None) -> np.ndarray:
    """Sum of :func:`band_areas` over row bands computed on ``client``'s workers.

    With ``index_file`` (the index's cache file, on a file system the workers share) each worker
    loads the index once instead of receiving it over the network."""
    n_workers = max(1, len(client.scheduler_info()["workers"]))
    n = max(1, n_workers * tasks_per_worker)
    r0, r1 = rows
    step = max(block_rows, -(-(r1 - r0) // n) // block_rows * block_rows or block_rows)
    # band edges on multiples of block_rows too, so no tile row is decoded by two tasks
    edges = [r0] + list(range((r0 // step + 1) * step, r1, step)) + [r1]
    bands = list(zip(edges[:-1], edges[1:]))
    idx = str(index_file) if index_file is not None else client.scatter(index, broadcast=True)
    ra = client.scatter(row_area, broadcast=True)
    futs = [client.submit(band_areas, str(path), idx, ra, b, cols, block_rows, band, pure=False) for b in bands]
    parts = client.gather(futs)
    k = max(p.shape[1] for p in parts)
    out = np.zeros((index.n_zones, k))
    for p in parts:
        out[:, : p.shape[1]] += p
    return out


def make_client(workers: int | None = None, scheduler: str | None = None):
    """A client on a new LocalCluster of ``workers`` single-threaded processes, or on ``scheduler``."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    import logging

    cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.WARNING)
    return Client(cluster)
