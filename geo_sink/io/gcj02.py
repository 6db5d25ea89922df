"""GCJ-02 ("Mars coordinates") <-> WGS 84, vectorised.

GCJ-02 is the obfuscated datum that maps published in China (Amap/高德, Tencent) use.  The
forward transform WGS 84 -> GCJ-02 is a published closed formula (the constants below: the
Krasovsky 1940 semi-major axis and eccentricity squared, and two trigonometric polynomials in
the offset from 105 E, 35 N).  The inverse has no closed form; :func:`gcj02_to_wgs84` solves it
by fixed-point iteration to below ``tol`` degrees (1e-9 deg ~ 0.1 mm).

References
----------
.. [1] Wikipedia, "Restrictions on geographic data in China", section "Coordinate systems".
.. [2] The open implementation "eviltransform" (googollee/eviltransform), which documents the
   same formula and its iterative inverse.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0                      # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323        # Krasovsky 1940 first eccentricity squared


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS 84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq + common
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq + common
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqm = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqm) * pi)
    dlon = dlon * 180.0 / (_A / sqm * np.cos(rad) * pi)
    return dlon, dlat


def in_china_box(lon, lat) -> np.ndarray:
    """True where (lon, lat) lies in the box where GCJ-02 applies (72.004-137.8347 E, 0.8293-55.8271 N)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude/latitude (deg) to GCJ-02 (deg); points outside China pass unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 coordinates in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 coordinates in degrees.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = in_china_box(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, tol: float = 1e-9, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude/latitude (deg) to WGS 84 (deg), inverse of :func:`wgs84_to_gcj02`.

    Fixed-point iteration ``w <- g - delta(w)`` starting from ``w = g``; it contracts
    quickly because the offset changes by < 1e-3 of its size over its own magnitude.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.
    tol : float
        Stop when the largest forward-transform residual is below this (deg).
    max_iter : int
        Upper bound on iterations.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS 84 coordinates in degrees.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    inside = in_china_box(glon, glat)
    for _ in range(max_iter):
        dlon, dlat = _delta(wlon, wlat)
        rlon = wlon + dlon - glon
        rlat = wlat + dlat - glat
        wlon = np.where(inside, wlon - rlon, glon)
        wlat = np.where(inside, wlat - rlat, glat)
        if max(np.max(np.abs(rlon), initial=0.0), np.max(np.abs(rlat), initial=0.0)) < tol:
            break
    return wlon, wlat


def _xy_func(fn):
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return apply


def geometry_gcj02_to_wgs84(geoms):
    """Apply :func:`gcj02_to_wgs84` to every vertex of shapely geometries (array or scalar)."""
    import shapely

    return shapely.transform(geoms, _xy_func(gcj02_to_wgs84))


def geometry_wgs84_to_gcj02(geoms):
    """Apply :func:`wgs84_to_gcj02` to every vertex of shapely geometries (array or scalar)."""
    import shapely

    return shapely.transform(geoms, _xy_func(wgs84_to_gcj02))
