"""The CRS of a raster: an explicit one, the file's, or WGS 84 for the MODIS CMG artefact."""

from __future__ import annotations

import pyproj

from geo_sink.errors import CRSError


def is_modis_cmg_crs(crs: pyproj.CRS) -> bool:
    """True for the CRS GDAL gives MODIS CMG GeoTIFFs: geographic, 'Unknown based on Clarke 1866'.

    The MODIS Climate Modeling Grid is a plain geographic lat/lon grid; HDF-EOS files leave the
    GCTP spheroid unset and GDAL fills in Clarke 1866, so the datum is an artefact.
    """
    if not crs.is_geographic or crs.ellipsoid is None:
        return False
    datum = crs.datum.name if crs.datum is not None else ""
    return crs.ellipsoid.name.lower().startswith("clarke 1866") and datum.lower().startswith("unknown")



def resolve_crs(file_crs, path, crs: str | None = None) -> tuple[pyproj.CRS, str | None]:
    """The CRS to use for a raster: ``crs`` if given, else the file's; MODIS CMG -> WGS 84.

    Raises
    ------
    CRSError
        The file has no CRS and none was given.
    """
    if crs is not None:
        return pyproj.CRS.from_user_input(crs), None  # explicit: nothing to warn about
    if file_crs is None:
        raise CRSError(f"{path}: the raster has no CRS; give one explicitly (--crs / crs=)")
    pcrs = pyproj.CRS.from_user_input(file_crs.to_wkt() if hasattr(file_crs, "to_wkt") else file_crs)
    if is_modis_cmg_crs(pcrs):
        note = (f"{path}: CRS 'Unknown based on Clarke 1866 ellipsoid' is the MODIS CMG "
                "artefact; read as WGS 84 (EPSG:4326), longitude first")
        return pyproj.CRS.from_epsg(4326), note
    return pcrs, None
