"""Surface subsidence over longwall panels: the probability integral method (概率积分法).

For a rectangular panel of extracted thickness ``m`` (m) at mean depth ``H`` (m) in a seam
dipping ``alpha``, the final subsidence at a surface point with coordinates (x along strike,
y along dip, in metres, panel frame) is

    W(x, y) = W0 * Cx(x) * Cy(y),              W0 = m * q * cos(alpha)
    Cx(x) = 1/2 [erf(sqrt(pi) (x - x1) / r) - erf(sqrt(pi) (x - x2) / r)],    r = H / tan(beta)
    Cy(y) = 1/2 [erf(sqrt(pi) (y - y1 - H1 cot(theta)) / r1) - erf(sqrt(pi) (y - y2 - H2 cot(theta)) / r2)]

with the panel edges moved inwards by the inflection offset ``s`` (x1 = xa + s, x2 = xb - s,
likewise in y), ``H1``/``H2`` the depths of the up-dip and down-dip edges, ``r1 = H1/tan(beta)``,
``r2 = H2/tan(beta)`` and ``theta = 90 deg - k * alpha`` the propagation angle.  Subsidence of
several panels adds up (superposition).  Positive values are downward movement (mm).

References
----------
.. [1] Liu Baochen, Liao Guohua (1965). Basic laws of surface movement in coal mining areas
   (煤矿地表移动的基本规律), China Industry Press: the probability integral method.
.. [2] 国家安全监管总局等 (2017). 建筑物、水体、铁路及主要井巷煤柱留设与压煤开采规范.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

SQRT_PI = np.sqrt(np.pi)


@dataclass(frozen=True)
class Panel:
    """One longwall panel in a local metric frame.

    Attributes
    ----------
    x0, x1 : float
        Extent along strike (m).
    y0, y1 : float
        Extent along dip (m); y increases down-dip.
    thickness_m, depth_m, dip_deg : float
        Extracted thickness m, mean depth H, seam dip alpha.
    """

    x0: float
    x1: float
    y0: float
    y1: float
    thickness_m: float
    depth_m: float
    dip_deg: float


@dataclass(frozen=True)
class PIMParameters:
    """Probability-integral parameters (catalog ``subsidence_parameters``)."""

    q: float
    tan_beta: float
    s_over_h: float
    k_theta: float


def max_subsidence_mm(thickness_m, q, dip_deg) -> np.ndarray:
    """W0 = m q cos(alpha), in mm."""
    return 1000.0 * np.asarray(thickness_m, float) * q * np.cos(np.radians(dip_deg))


def subsidence_mm(x: np.ndarray, y: np.ndarray, panel: Panel, p: PIMParameters) -> np.ndarray:
    """Final subsidence (mm, positive down) of one panel at points (x, y) of its frame."""
    a = np.radians(panel.dip_deg)
    H = panel.depth_m
    w_dip = panel.y1 - panel.y0
    H1 = H - 0.5 * w_dip * np.sin(a)
    H2 = H + 0.5 * w_dip * np.sin(a)
    if H1 <= 0:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"panel too steep or shallow: up-dip edge depth {H1:.1f} m <= 0")
    r, r1, r2 = H / p.tan_beta, H1 / p.tan_beta, H2 / p.tan_beta
    s = p.s_over_h * H
    theta = np.radians(90.0 - p.k_theta * panel.dip_deg)
    cot = np.cos(theta) / np.sin(theta)
    cx = 0.5 * (erf(SQRT_PI * (x - (panel.x0 + s)) / r) - erf(SQRT_PI * (x - (panel.x1 - s)) / r))
    cy = 0.5 * (erf(SQRT_PI * (y - (panel.y0 + s) - H1 * cot) / r1)
                - erf(SQRT_PI * (y - (panel.y1 - s) - H2 * cot) / r2))
    return max_subsidence_mm(panel.thickness_m, p.q, panel.dip_deg) * cx * cy


def los_to_vertical(los_mm, incidence_deg) -> np.ndarray:
    """Vertical displacement from line-of-sight displacement, assuming no horizontal motion:
    ``d_v = d_los / cos(incidence)`` (same unit and sign as the input, mm or mm/yr)."""
    return np.asarray(los_mm, float) / np.cos(np.radians(incidence_deg))


#: Units a deformation raster or a boundary threshold can carry: cumulative displacement or rate.
UNITS = ("mm", "mm/yr")

#: What ``sign`` means: the sign subsidence (downward motion) has in the raster.  SBAS/LiCSBAS
#: line-of-sight products give motion away from the satellite as negative, so subsidence is
#: negative there ("negative", the default); a map of subsidence drawn positive down is
#: "positive".
SIGNS = ("negative", "positive")


def subsidence_positive_down(values, sign: str) -> np.ndarray:
    """Deformation with subsidence positive and uplift negative (same unit as the input).

    >>> subsidence_positive_down(np.array([-12.0, 3.0]), "negative").tolist()
    [12.0, -3.0]
    """
    if sign not in SIGNS:
        raise ValueError(f"sign must be 'negative' or 'positive' (the sign of subsidence in the raster), got {sign!r}")
    v = np.asarray(values, float)
    return -v if sign == "negative" else v


def in_unit(values, unit: str, to_unit: str, years: float | None = None) -> np.ndarray:
    """Deformation (positive down) expressed in ``to_unit``: a rate (mm/yr) acting over ``years``
    is ``rate x years`` mm; a cumulative value (mm) over ``years`` is ``mm / years`` mm/yr.

    >>> float(in_unit(15.0, "mm/yr", "mm", years=2.0))
    30.0
    """
    for u in (unit, to_unit):
        if u not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {u!r}")
    v = np.asarray(values, float)
    if unit == to_unit:
        return v
    if years is None or not years > 0:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"a deformation in {unit} cannot be compared with a threshold in {to_unit} "
                             f"without 'years' (the time span over which the rate acts)")
    return v * years if unit == "mm/yr" else v / years


def subsidence_mask(values, unit: str, threshold: float, threshold_unit: str,
                    years: float | None = None) -> np.ndarray:
    """Pixels where subsidence (positive down) reaches the boundary threshold in its own unit.

    Uplift (negative values) never counts, whatever the threshold; NaN never counts.  A DataArray
    ``values`` (an InSAR map) gives a uint8 mask DataArray on its grid.

    >>> subsidence_mask(np.array([12.0, -30.0, 4.0, np.nan]), "mm/yr", 10.0, "mm/yr").tolist()
    [True, False, False, False]
    """
    if not threshold > 0:
        raise ValueError(f"the boundary threshold must be positive (subsidence), got {threshold}")
    v = in_unit(values, unit, threshold_unit, years)
    with np.errstate(invalid="ignore"):
        out = np.nan_to_num(v, nan=-np.inf) >= threshold
    from geo_sink.dataarrays import is_dataarray
    if is_dataarray(values):
        from geo_sink.pv.siting import mask_dataarray
        return mask_dataarray(values, out, name="subsidence_land", meanings="outside subsided",
                              long_name=f"subsidence >= {threshold:g} {threshold_unit}")
    return out


def panel_frame(rect, dip_azimuth_deg: float | None = None):
    """Strike/dip frame of a (rotated) rectangular panel polygon in a metric CRS.

    Returns ``(origin, u_strike, u_dip, length, width)``: the long side is the strike
    direction; the dip direction is the perpendicular that points to ``dip_azimuth_deg``
    (degrees clockwise from grid north) when given, else the one pointing south.
    """
    import shapely

    mrr = shapely.minimum_rotated_rectangle(rect)
    c = np.asarray(mrr.exterior.coords)[:4]
    e1, e2 = c[1] - c[0], c[2] - c[1]
    if np.hypot(*e1) < np.hypot(*e2):
        e1, e2 = e2, e1
    length, width = np.hypot(*e1), np.hypot(*e2)
    us = e1 / length
    ud = np.array([-us[1], us[0]])
    want = (np.array([np.sin(np.radians(dip_azimuth_deg)), np.cos(np.radians(dip_azimuth_deg))])
            if dip_azimuth_deg is not None else np.array([0.0, -1.0]))
    if ud @ want < 0:
        ud = -ud
    centre = np.asarray(mrr.centroid.coords[0])
    origin = centre - us * length / 2 - ud * width / 2
    return origin, us, ud, length, width


def subsidence_grid(panels, params: PIMParameters, grid) -> np.ndarray:
    """Final subsidence (mm, float32) of all panels on a metric grid (superposition).

    Parameters
    ----------
    panels : GeoDataFrame in ``grid.crs`` with ``thickness_m, depth_m, dip_deg`` (and optionally
        ``dip_azimuth_deg``)
    params : PIMParameters
    grid : Grid (projected, metres), or a DataArray on such a grid (then the result is a DataArray
        on it, ``units`` "mm")
    """
    from geo_sink.errors import InputDataError

    need = ["thickness_m", "depth_m", "dip_deg"]
    for col in need:
        if col not in panels.columns:
            raise InputDataError(f"longwall panels: missing field {col!r} (needed: {need})")
        bad = panels[col].isna() | (panels[col] < 0)
        if bad.any():
            raise InputDataError(f"longwall panels: field {col!r} missing or negative for panel(s) "
                                 f"{list(panels.index[bad])[:5]}")
    from geo_sink.dataarrays import is_dataarray, like, north_up
    if is_dataarray(grid):
        view, g, _, _ = north_up(grid)
        return like(view, subsidence_grid(panels, params, g), name="subsidence", units="mm",
                    long_name="final subsidence, probability integral method (positive down)")
    t = grid.transform
    xs = t.c + (np.arange(grid.width) + 0.5) * t.a
    ys = t.f + (np.arange(grid.height) + 0.5) * t.e
    X, Y = np.meshgrid(xs, ys)
    out = np.zeros(X.shape)
    for _, row in panels.iterrows():
        az = row["dip_azimuth_deg"] if "dip_azimuth_deg" in panels.columns and np.isfinite(row["dip_azimuth_deg"]) else None
        o, us, ud, length, width = panel_frame(row.geometry, az)
        px = (X - o[0]) * us[0] + (Y - o[1]) * us[1]
        py = (X - o[0]) * ud[0] + (Y - o[1]) * ud[1]
        pan = Panel(0.0, length, 0.0, width, float(row["thickness_m"]), float(row["depth_m"]), float(row["dip_deg"]))
        out += subsidence_mm(px, py, pan, params)
    return out.astype(np.float32)


def subsided_area(w_mm: np.ndarray, grid, threshold_mm: float = 10.0, mask: np.ndarray | None = None):
    """Polygons (grid CRS) where subsidence >= ``threshold_mm`` (the 10 mm boundary by default),
    or where ``mask`` is true when it is given (e.g. from :func:`subsidence_mask`)."""
    import rasterio.features
    import shapely

    mask = (np.asarray(mask, bool) if mask is not None else np.nan_to_num(w_mm) >= threshold_mm).astype(np.uint8)
    geoms = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(mask, mask=mask.astype(bool),
                                                                             transform=grid.transform) if v == 1]
    return shapely.union_all(geoms) if geoms else shapely.Polygon()
