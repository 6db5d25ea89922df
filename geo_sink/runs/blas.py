"""The BLAS threads of a run whose steps go side by side on threads."""

from __future__ import annotations

import contextlib
import os

#: Environment variables by which a user chooses the BLAS threads: any of them set, geo-sink
#: leaves the BLAS as it is.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread():
    """Context in which the BLAS libraries loaded in this process (numpy's OpenBLAS or MKL) use
    one thread each, restored on exit (threadpoolctl); a null context when the environment
    chose their threads (:data:`BLAS_THREAD_VARIABLES`).

    A run's parallelism is its step threads and the Monte Carlo's own threads; OpenBLAS's
    threads on top of them busy-wait for work between the Monte Carlo's small matrix products
    and take the cores the other steps' threads need.  On the 2-core benchmark machine a
    province-scale run (``benchmarks/pipeline.py``) used 5.1-5.3 s of user CPU with OpenBLAS's
    2 threads against 4.3-4.8 s with one, and took 3.9-4.1 s against 3.6-4.0 s (4 runs each,
    2026-12-07).  This is what dask does for the processes of its workers (``OMP_NUM_THREADS``,
    ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` set to 1).
    """
    if any(v in os.environ for v in BLAS_THREAD_VARIABLES):
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas")
