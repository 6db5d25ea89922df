"""Clean stops: SIGTERM (what systemd sends), SIGINT (Ctrl-C) and SIGHUP become a
:class:`~geo_sink.errors.RunInterrupted` raised in the main thread, so every ``finally`` runs:
the staging folder is removed, the ledger row says "interrupted", the lock is released.

Inside :func:`critical` (the swap of the output folder and its ledger entries) a signal is held
back and raised when the block ends, so a stop never falls between the swap and the ledger.
A second signal while the first is being handled is ignored (the cleanup finishes).
"""

from __future__ import annotations

import contextlib
import signal
import threading

from geo_sink.errors import RunInterrupted

SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGINT", None),
                            getattr(signal, "SIGHUP", None)) if s is not None)
#: Exit status after a signal: 128 + the signal number (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
EXIT_SIGNAL_BASE = 128

_state = {"critical": 0, "pending": None, "fired": None}


def _handler(signum, frame):
    if _state["fired"] is not None:
        return                       # already stopping: let the cleanup finish
    if _state["critical"]:
        _state["pending"] = signum   # raised when the critical block ends
        return
    _state["fired"] = signum
    raise RunInterrupted(signum)


@contextlib.contextmanager
def handling():
    """Install the handlers for the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.update(critical=0, pending=None, fired=None)
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        _state.update(critical=0, pending=None, fired=None)


@contextlib.contextmanager
def critical():
    """Hold signals back for the block; a held one is raised at its end."""
    _state["critical"] += 1
    try:
        yield
    finally:
        _state["critical"] -= 1
        if not _state["critical"] and _state["pending"] is not None and _state["fired"] is None:
            signum, _state["pending"] = _state["pending"], None
            _state["fired"] = signum
            raise RunInterrupted(signum)


def fired() -> int | None:
    """The signal that stopped the run, if any."""
    return _state["fired"]
