"""One writer at a time per output folder: an exclusive ``flock`` on the ``lock`` file of the
output's state folder (``<parent>/.<name>.geo-sink/lock``; beside the output, not in it, since
the output folder is swapped as a whole at the end of a run)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from geo_sink.errors import GeoSinkError
from geo_sink.runs.faults import storage_error
from geo_sink.runs.staging import ensure_state_dir, state_dir

#: Exit status of a run that found the output folder locked by another run (EX_TEMPFAIL).
EXIT_LOCKED = 75


class LockedError(GeoSinkError, RuntimeError):
    """Another geo-sink run holds the output folder."""


def lock_path(folder) -> Path:
    return state_dir(folder) / "lock"


@contextlib.contextmanager
def output_lock(folder, wait: float = 0.0, holder: str | None = None):
    """Hold the folder's lock; wait up to ``wait`` seconds for it, else raise :class:`LockedError`.

    ``holder`` describes this process in the lock file (shown to whoever finds it locked)."""
    ensure_state_dir(folder)
    path = lock_path(folder)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise storage_error(e, path, "open the lock file") from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        who = path.read_text(encoding="utf-8", errors="replace").strip()
                    except OSError:
                        who = ""
                    raise LockedError(f"{Path(folder)} is being updated by {who or 'another process'}; "
                                      "try again later (or --wait SECONDS)") from None
                time.sleep(0.2)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}{f' ({holder})' if holder else ''}".encode())
        except OSError:
            pass  # the lock is held; the note for others is a courtesy
        yield path
    finally:
        os.close(fd)
