"""Can this map measure that target?  Cell size against the size of what a target counts.

A verdict (met / not met) is only as good as the map behind it: a 0.05 deg majority grid
(~5 km cells) cannot see fragmented mountain forest, so "0.54% forest coverage, 43% target not
met" from it is not a finding but an artefact.  This module decides, from the map itself,
whether a target can be judged, and says why not when it cannot.  The limits per indicator live
in ``data_catalog/measurability.csv`` with their reasons and sources; functions take them as
arguments.

All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj

from geo_sink.errors import InputDataError

RULE_COLUMNS = ["indicator", "max_cell_m", "feature", "reason", "feature_zh", "source", "status"]


@dataclass(frozen=True)
class CellSize:
    """Ground size of one grid cell.

    Attributes
    ----------
    dx_m, dy_m : float
        East-west and north-south size in metres (on a geographic grid: at ``lat_deg``, on the
        grid's ellipsoid).
    label : str
        How a reader should see it, e.g. ``0.05° ≈ 4.4 × 5.6 km at 38.0°N`` or ``30 m``.
    """

    dx_m: float
    dy_m: float
    label: str

    @property
    def max_m(self) -> float:
        """The longer side (m): what limits the smallest feature a cell can resolve."""
        return max(self.dx_m, self.dy_m)


def _km_or_m(v: float) -> str:
    return f"{v / 1000:.1f} km" if v >= 1000 else f"{v:.0f} m"


def cell_size(transform, crs, lat_deg: float | None = None) -> CellSize:
    """Ground size of a grid's cells.

    Parameters
    ----------
    transform : affine.Affine
        The grid's north-up transform.
    crs : CRS-like
        The grid's CRS.
    lat_deg : float, optional
        Latitude (deg) where a geographic grid's cells are measured (the study area's centre);
        required for geographic grids.

    Returns
    -------
    CellSize
        On a geographic grid ``dx = N(phi) cos(phi) dlon`` and ``dy = M(phi) dlat`` with the
        prime-vertical and meridional radii of curvature of the CRS's ellipsoid; on a projected
        grid the pixel size in metres.

    References
    ----------
    .. [1] Snyder, J. P. (1987). Map Projections: A Working Manual. USGS Professional Paper
       1395, eqs. 4-18 and 4-20 (radii of curvature M and N).
    """
    crs = pyproj.CRS.from_user_input(crs)
    a_px, e_px = abs(float(transform.a)), abs(float(transform.e))
    if crs.is_geographic:
        if lat_deg is None:
            raise ValueError("a geographic grid's cell size needs the latitude where it is measured")
        ell = crs.ellipsoid
        a = ell.semi_major_metre
        f = 1.0 / ell.inverse_flattening if ell.inverse_flattening else 0.0
        e2 = f * (2 - f)
        phi = np.radians(lat_deg)
        w = np.sqrt(1 - e2 * np.sin(phi) ** 2)
        n_rad = a / w
        m_rad = a * (1 - e2) / w ** 3
        dx = float(n_rad * np.cos(phi) * np.radians(a_px))
        dy = float(m_rad * np.radians(e_px))
        deg = f"{a_px:g}°" if np.isclose(a_px, e_px) else f"{a_px:g}° × {e_px:g}°"
        where = f"at {abs(lat_deg):.1f}°{'N' if lat_deg >= 0 else 'S'}"
        size = (f"{dx / 1000:.1f} × {dy / 1000:.1f} km" if min(dx, dy) >= 1000
                else f"{dx:.0f} × {dy:.0f} m")
        return CellSize(dx, dy, f"{deg} ≈ {size} {where}")
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    dx, dy = a_px * unit, e_px * unit
    label = _km_or_m(dx) if np.isclose(dx, dy) else f"{_km_or_m(dx)} × {_km_or_m(dy)}"
    return CellSize(float(dx), float(dy), label)


def grid_cell_size(grid) -> CellSize:
    """:func:`cell_size` of a :class:`geo_sink.grid.Grid`, a geographic grid measured at the
    latitude of its centre."""
    lat = None
    if grid.crs.is_geographic:
        t = grid.transform
        lat = float(t.f + t.e * grid.height / 2)
    return cell_size(grid.transform, grid.crs, lat)


@dataclass(frozen=True)
class Verdict:
    """Whether a target can be judged from a map, and why.

    Attributes
    ----------
    indicator : str
    measurable : bool
    resolution_m : float
        The map's effective resolution: the longer cell side, or the product's own resolution
        when that is coarser (a 500 m product resampled to 100 m still sees 500 m).
    limit_m : float
        The coarsest resolution at which the indicator is judged.
    note : str
        English reason, with the cell size.
    note_zh : str
        The same in Chinese.
    """

    indicator: str
    measurable: bool
    resolution_m: float
    limit_m: float
    note: str
    note_zh: str


def verdict(indicator: str, cell: CellSize, rules: pd.DataFrame,
            product_resolution_m: float | None = None) -> Verdict:
    """Decide whether ``indicator`` can be measured on a map with cells ``cell``.

    Parameters
    ----------
    indicator : str
        Target indicator (``forest_coverage``, ``wetland_area``, ...).
    cell : CellSize
    rules : DataFrame
        :data:`RULE_COLUMNS` (catalog ``measurability_rules``).
    product_resolution_m : float, optional
        The land-cover product's native resolution; the coarser of it and the cell counts.

    Returns
    -------
    Verdict
        Measurable when the effective resolution is at most the rule's ``max_cell_m``.  An
        indicator without a rule is measurable (nothing says otherwise), with a note saying so.
    """
    res = max(cell.max_m, float(product_resolution_m or 0.0))
    shown = cell.label if res == cell.max_m else f"{cell.label}; product resolution {_km_or_m(res)}"
    row = rules[rules["indicator"] == indicator]
    if not len(row):
        return Verdict(indicator, True, res, np.inf, f"no resolution rule for {indicator} (map cell {shown})",
                       f"{indicator} 无分辨率规则（像元 {shown}）")
    r = row.iloc[0]
    limit = float(r["max_cell_m"])
    if res <= limit:
        return Verdict(indicator, True, res, limit,
                       f"measurable: map cell {shown} <= {_km_or_m(limit)} limit for {r['feature']}",
                       f"可测算：像元 {shown} ≤ {_km_or_m(limit)}（{r['feature_zh']}）")
    return Verdict(indicator, False, res, limit,
                   f"not measurable with this map (cell {shown}): cells coarser than "
                   f"{_km_or_m(limit)} cannot resolve {r['feature']}",
                   f"无法用此图测算（像元 {shown}）：像元大于 {_km_or_m(limit)} 时无法分辨{r['feature_zh']}")


def rule_reason(indicator: str, rules: pd.DataFrame) -> str:
    """The long reason and source of an indicator's rule (for notes and the README)."""
    row = rules[rules["indicator"] == indicator]
    return "" if not len(row) else f"{row.iloc[0]['reason']} (source: {row.iloc[0]['source']})"


def check_rules(rules: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate a measurability rules table (columns, positive limits, one row per indicator)."""
    miss = [c for c in RULE_COLUMNS if c not in rules.columns]
    if miss:
        raise InputDataError(f"{source}: missing column(s) {miss}; expected {RULE_COLUMNS}")
    lim = pd.to_numeric(rules["max_cell_m"], errors="coerce")
    if lim.isna().any() or (lim <= 0).any():
        raise InputDataError(f"{source}: column 'max_cell_m' needs positive metres "
                             f"(rows {[i + 2 for i in rules.index[lim.isna() | (lim <= 0)]]})")
    dup = rules["indicator"][rules["indicator"].duplicated()].tolist()
    if dup:
        raise InputDataError(f"{source}: indicator(s) {dup} listed twice")
    return rules.assign(max_cell_m=lim)


def map_coverage(summary: pd.DataFrame, max_uncovered_pct: float) -> pd.DataFrame:
    """How much of each county a map covers with known classes, and whether that is enough.

    Parameters
    ----------
    summary : DataFrame
        The zonal summary (``zone_id, zone_name, zone_area_km2, covered_km2``; see
        :func:`geo_sink.zonal.class_areas`).
    max_uncovered_pct : float
        The share of a county (percent) the map may leave uncovered (outside its extent, nodata,
        codes not in the legend) before the county gets no value (catalog ``analysis_parameters``).

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, covered_pct, measured`` (bool) and ``coverage_note`` (why a county
        is left out; empty for measured ones).
    """
    area = summary["zone_area_km2"].to_numpy(dtype=float)
    cov = 100.0 * summary["covered_km2"].to_numpy(dtype=float) / np.where(area > 0, area, np.nan)
    ok = np.nan_to_num(100.0 - cov, nan=100.0) <= max_uncovered_pct
    note = np.where(ok, "", [f"the map covers {c:.1f}% of this county with known classes (more than "
                             f"{max_uncovered_pct:g}% uncovered): no value" for c in np.nan_to_num(cov)])
    return pd.DataFrame({"zone_id": summary["zone_id"].to_numpy(), "zone_name": summary["zone_name"].to_numpy(),
                         "covered_pct": cov, "measured": ok, "coverage_note": note})


def difference_problem(maps: dict) -> str | None:
    """Why two or more land-cover maps cannot be differenced (sinks, transitions), or None.

    Parameters
    ----------
    maps : {year: (Grid, legend_id)}

    Returns
    -------
    str or None
        A sentence naming each map's grid (CRS, cell size, extent) and legend when they differ:
        a stock difference between maps of other cells or legends measures the maps, not the land.
    """
    items = sorted(maps.items())
    (y0, (g0, l0)) = items[0]
    bad = [(y, g, l) for y, (g, l) in items[1:] if l != l0 or g.fingerprint() != g0.fingerprint()]
    if not bad:
        return None

    def desc(y, g, l):
        t = g.transform
        return (f"{y}: legend {l}, {g.crs.name}, cell {abs(t.a):g} x {abs(t.e):g}, {g.width} x {g.height} "
                f"from ({t.c:g}, {t.f:g})")

    return ("the maps differ (" + "; ".join(desc(*x) for x in [(y0, g0, l0)] + bad) + "): a difference of maps "
            "with other cells or legends measures the maps, not the land; resample one onto the other's grid and legend first")


def differing_versions(legends: dict):
    """``(legend, [(year, version), ...])`` when maps of one legend come from two or more product
    versions (the legend's ``versions``: ESA WorldCover 2020 v100, 2021 v200), else None.

    ``legends``: {year: Legend} of each year's map, by the project's year labels (a map labelled
    with a year the legend does not list is not judged)."""
    by_legend: dict[str, list] = {}
    for y, leg in sorted(legends.items()):
        v = leg.versions.get(int(y))
        if v is not None:
            by_legend.setdefault(leg.id, []).append((int(y), v, leg))
    for items in by_legend.values():
        if len({v for _, v, _ in items}) > 1:
            return items[0][2], [(y, v) for y, v, _ in items]
    return None


def versions_label(found) -> str:
    """``2020: v100, 2021: v200`` of :func:`differing_versions`' result."""
    return ", ".join(f"{y}: {v}" for y, v in found[1])


def version_problem(legends: dict) -> str | None:
    """Why maps of one product but different product versions cannot be differenced, or None.

    Parameters
    ----------
    legends : {year: Legend}
        The legend of each year's map (:func:`differing_versions`).

    Returns
    -------
    str or None
        A sentence naming the versions of each year and the legend's ``versions_note`` (the
        producer's caveat, with its source) when maps of one legend come from two versions: their
        difference holds the change of the algorithm as well as that of the land, in unknown
        shares.  A run then gives no stock-difference sink at all, as for maps on other grids
        (:func:`difference_problem`), even between other years of one version.
    """
    found = differing_versions(legends)
    if found is None:
        return None
    return f"the {found[0].name} maps are of different product versions ({versions_label(found)}): {found[0].versions_note}"


def not_for_change(legends: dict):
    """The legend, among those of two or more years' maps, whose producer says its maps are not
    for change between years (its ``change_note``), else None: one such map in a difference is
    enough (the producer's reason, the uncertainty of the labels of any one year, holds for a
    difference with a map of another product too).

    ``legends``: {year: Legend} of each year's map."""
    if len(legends) < 2:
        return None
    return next((leg for _, leg in sorted(legends.items()) if leg.change_note), None)


def change_bar(legends: dict):
    """Why maps of one product cannot be differenced, as ``(legend, versions)``, or None:
    ``versions`` None when its producer says its maps are not for change between years
    (:func:`not_for_change`, which comes first), else ``"2020: v100, 2021: v200"`` for two product
    versions (:func:`differing_versions`).  What every message about it is made from."""
    leg = not_for_change(legends)
    if leg is not None:
        return leg, None
    found = differing_versions(legends)
    return (found[0], versions_label(found)) if found is not None else None


def change_problem(legends: dict) -> str | None:
    """Why maps of one product cannot be differenced, or None (:func:`change_bar`): a sentence
    with the producer's words and source.  A run then gives no stock-difference sink, as for maps
    on other grids (:func:`difference_problem`)."""
    bar = change_bar(legends)
    if bar is None:
        return None
    leg, versions = bar
    if versions is None:
        return f"the {leg.name} maps are not for change between years: {leg.change_note}"
    return version_problem(legends)


def change_caveat(legends: dict) -> str:
    """A short note for a table of what two maps hold (a transition matrix) when they cannot be
    differenced (:func:`change_bar`), else ''."""
    bar = change_bar(legends)
    if bar is None:
        return ""
    leg, versions = bar
    if versions is None:
        return f"{leg.name}: its producer says the maps are not for change between years (legend {leg.id}: change_note)"
    return f"two versions of {leg.name} ({versions}): the change includes the algorithm's (legend {leg.id}: versions_note)"
