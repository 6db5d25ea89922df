"""One run at a time per output folder: an exclusive ``flock`` on ``<output>/.geo-sink.lock``."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from geo_sink.errors import GeoSinkError

#: Exit status of a run that found the output folder locked by another run (EX_TEMPFAIL).
EXIT_LOCKED = 75


class LockedError(GeoSinkError, RuntimeError):
    """Another geo-sink run holds the output folder."""


@contextlib.contextmanager
def output_lock(folder, wait: float = 0.0):
    """Hold the folder's lock; wait up to ``wait`` seconds for it, else raise :class:`LockedError`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".geo-sink.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = Path(path).read_text(encoding="utf-8", errors="replace").strip() or "another process"
                    raise LockedError(f"{folder} is being updated by {holder}; try again later "
                                      f"(or --wait SECONDS)") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        yield path
    finally:
        os.close(fd)
