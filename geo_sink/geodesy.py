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


#: Longitude width (deg) of the strips a polygon wider than this is cut into before its geodesic
#: area is taken: a ring's signed area on the ellipsoid is defined modulo the ellipsoid's area
#: (pyproj reduces it to +-half of it), and edges on the -180 and 180 meridians coincide, so a
#: polygon around the globe measured in one piece comes out as ~0 (the whole-globe box) or
#: wrapped (anything above half the ellipsoid).  Each strip is at most a quarter of it.
STRIP_DEG = 90.0


def geodesic_area(geoms, crs="EPSG:4326", densify_deg: float = 0.01) -> np.ndarray:
    """Geodesic area of polygons in m^2 (pyproj.Geod on the CRS's ellipsoid).

    Edges straight in longitude/latitude are first split every ``densify_deg`` degrees so that
    the geodesic edges pyproj integrates along follow them (matters for long east-west edges).
    Rings are oriented first (shells counter-clockwise, holes clockwise), since pyproj adds the
    signed areas of a polygon's rings: a hole wound like its shell would otherwise count as land.
    Invalid polygons are made valid first (:func:`geo_sink.io.vectors.make_valid`: a bow-tie
    counts both lobes, overlapping parts once).
    Polygons more than :data:`STRIP_DEG` wide are measured in strips of that width (up to the
    whole ellipsoid).

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
    out = np.zeros(len(geoms))
    present = np.array([g is not None for g in geoms], dtype=bool)
    present[present] = ~shapely.is_empty(geoms[present])
    if not present.any():
        return out
    use = geoms[present]
    bad = ~shapely.is_valid(use)
    if bad.any():   # densifying an invalid polygon (GEOS) would keep only part of it
        from geo_sink.io.vectors import make_valid
        use = use.copy()
        use[bad] = [make_valid(g) for g in use[bad]]
    oriented = shapely.orient_polygons(use, exterior_cw=False)
    bounds = shapely.bounds(oriented)
    wide = (bounds[:, 2] - bounds[:, 0]) > STRIP_DEG
    dense = shapely.segmentize(oriented, densify_deg)
    areas = np.array([geod.geometry_area_perimeter(g)[0] for g in dense])
    for i in np.flatnonzero(wide):
        areas[i] = _strip_area(oriented[i], bounds[i], geod, densify_deg)
    out[present] = np.abs(areas)
    return out


def _strip_area(geom, bounds, geod: pyproj.Geod, densify_deg: float) -> float:
    """Geodesic area (m^2) of a wide polygon, the sum over strips :data:`STRIP_DEG` wide."""
    x0 = np.floor(bounds[0] / STRIP_DEG) * STRIP_DEG
    total = 0.0
    for left in np.arange(x0, bounds[2], STRIP_DEG):
        part = shapely.intersection(geom, shapely.box(left, bounds[1] - 1.0, left + STRIP_DEG, bounds[3] + 1.0))
        if part.is_empty:
            continue
        part = shapely.orient_polygons(part, exterior_cw=False)
        total += geod.geometry_area_perimeter(shapely.segmentize(part, densify_deg))[0]
    return total
