"""Warnings a run must not keep to itself: quarantined or skipped scenes, skipped inputs, a
damaged ledger moved aside.

:func:`notice` hands the message to every listener (the command line prints one line on stderr,
even under ``-q``, and exits with "completed with warnings") and logs it; with no listener it is
only logged.  A :class:`Notice` is a ``str`` that a step generator can yield so that the command
line knows the line is a warning.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Callable

log = logging.getLogger("geo_sink")

_listeners: list[Callable[[str], None]] = []


class Notice(str):
    """A step line that is a warning (printed on stderr, counted for the exit status)."""


def notice(message: str) -> Notice:
    """Report a warning now; returns it as a :class:`Notice` (to yield as a step line too)."""
    message = Notice(message)
    if _listeners:
        for fn in list(_listeners):
            fn(message)
    else:
        log.warning("%s", message)
    return message


@contextlib.contextmanager
def listening(fn: Callable[[str], None]):
    """Call ``fn(message)`` for every :func:`notice` inside the block."""
    _listeners.append(fn)
    try:
        yield fn
    finally:
        _listeners.remove(fn)
