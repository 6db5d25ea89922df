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
