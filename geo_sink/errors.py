"""The one error hierarchy of geo-sink.

Every error raised on purpose by geo-sink derives from :class:`GeoSinkError`
and from the builtin that matches what went wrong, so callers can catch
either ``GeoSinkError`` or the usual ``ValueError`` / ``OSError`` /
``LookupError``.  Messages name the file, the field and what was expected.
"""

from __future__ import annotations


class GeoSinkError(Exception):
    """Base class of all geo-sink errors."""


class CatalogError(GeoSinkError, ValueError):
    """An entry of ``data_catalog/`` is missing a field or has a wrong value."""


class LegendError(CatalogError):
    """A land-cover legend is unknown or malformed."""


class InputDataError(GeoSinkError, ValueError):
    """A user-supplied file exists but its content is not what was expected."""


class CRSError(InputDataError):
    """A coordinate reference system is missing, unusable or mismatched."""


class GeometryError(InputDataError):
    """A geometry is empty, invalid beyond repair or of the wrong type."""


class MissingInputError(GeoSinkError, FileNotFoundError):
    """A file or package resource that geo-sink needs does not exist."""


class UnknownRegionError(GeoSinkError, LookupError):
    """A region name or adcode matches no, or more than one, boundary."""

    def __init__(self, message: str, candidates: list[str] | None = None):
        super().__init__(message)
        self.candidates = list(candidates or [])

    def __str__(self) -> str:  # LookupError would quote the message like KeyError
        return self.args[0]


class StorageError(GeoSinkError, OSError):
    """The machine refused what a run needs: a disk that is full, a folder that is read-only or
    not writable, a path that is a file where a folder is needed, a damaged database.  The
    message names the path and what to do (exit status 74 from the command line)."""


class UnsafeOutputError(InputDataError):
    """An output folder geo-sink would replace as a whole holds something that is not geo-sink's
    (the project's inputs, or files of another program)."""


class RunInterrupted(BaseException):
    """A signal (SIGTERM, SIGINT, SIGHUP) stopped a run; raised in the main thread by the
    command line's signal handlers so that every ``finally`` cleans up.  Not an ``Exception``:
    no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        import signal
        self.signum = int(signum)
        try:
            self.signame = signal.Signals(signum).name
        except ValueError:
            self.signame = f"signal {signum}"
        super().__init__(f"interrupted by {self.signame}")
