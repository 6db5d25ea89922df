"""True areas on the ellipsoid: grid-cell areas and geodesic polygon areas.

Areas are never pixel counts times a nominal size: on a geographic grid every row has its
own cell area, computed in closed form on the grid's ellipsoid.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely


def _authalic_g(phi: np.ndarray, e: float) -> np.ndarray:
    """g(phi) = sin(phi)/(1 - e^2 sin^2 phi) + atanh(e sin phi)/e (the sphere's limit is 2 sin phi)."""
    s = np.sin(phi)
    if e == 0.0:
        return 2.0 * s
    es = e * s
    return s / (1.0 - es * es) + np.arctanh(es) / e


def quadrangle_area(lat1, lat2, dlon, a: float = 6378137.0, f: float = 1 / 298.257223563):
    """Area of the ellipsoidal quadrangle between two parallels and two meridians.

    Parameters
    ----------
    lat1, lat2 : array_like
        Bounding latitudes in degrees (order does not matter).
    dlon : array_like
        Longitude span in degrees.
    a : float
        Semi-major axis in metres (default WGS 84).
    f : float
        Flattening (default WGS 84).

    Returns
    -------
    numpy.ndarray
        Area in m^2: ``b^2 * dlon / 2 * |g(lat2) - g(lat1)|`` with
        ``g(phi) = sin phi / (1 - e^2 sin^2 phi) + atanh(e sin phi) / e``.

    References
    ----------
    .. [1] Snyder, J. P. (1987). Map Projections: A Working Manual. USGS Professional
       Paper 1395, eq. 3-12 (q, the authalic function; area = a^2 (1 - e^2) dlon (q2 - q1) / 2).
    """
    b2 = (a * (1.0 - f)) ** 2
    e = np.sqrt(f * (2.0 - f))
    p1 = np.radians(np.asarray(lat1, dtype=float))
    p2 = np.radians(np.asarray(lat2, dtype=float))
    return 0.5 * b2 * np.radians(np.abs(np.asarray(dlon, dtype=float))) * np.abs(
        _authalic_g(p2, e) - _authalic_g(p1, e))


def ellipsoid_of(crs) -> tuple[float, float]:
    """(semi-major axis m, flattening) of a CRS's ellipsoid."""
    ell = pyproj.CRS.from_user_input(crs).ellipsoid
    if ell is None:
        raise ValueError(f"CRS {crs} has no ellipsoid")
    inv_f = ell.inverse_flattening
    return ell.semi_major_metre, (0.0 if not inv_f else 1.0 / inv_f)


def geodesic_area(geoms, crs="EPSG:4326", densify_deg: float = 0.01) -> np.ndarray:
    """Geodesic area of polygons in m^2 (pyproj.Geod on the CRS's ellipsoid).

    Edges straight in longitude/latitude are first split every ``densify_deg`` degrees so that
    the geodesic edges pyproj integrates along follow them (matters for long east-west edges).

    Parameters
    ----------
    geoms : array of shapely geometries
        Polygons in a geographic CRS (longitude, latitude order).
    crs : CRS-like
        Their CRS; must be geographic.
    densify_deg : float
        Maximum segment length in degrees after densification.

    Returns
    -------
    numpy.ndarray
        Areas in m^2 (>= 0).
    """
    crs = pyproj.CRS.from_user_input(crs)
    if not crs.is_geographic:
        raise ValueError(f"geodesic_area needs geographic coordinates, got {crs.name}")
    a, f = ellipsoid_of(crs)
    geod = pyproj.Geod(a=a, f=f)
    geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
    dense = shapely.segmentize(geoms, densify_deg)
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) if g is not None and not g.is_empty
                     else 0.0 for g in dense])
