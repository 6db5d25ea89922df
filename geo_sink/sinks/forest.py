"""Forest coverage against targets, and biomass carbon from growing stock (BEF method).

Map-derived forest coverage is not the official 森林覆盖率: the official figure counts land
with canopy closure >= 0.2 plus, in dry counties, 国家特别规定灌木林地 (special shrubland), from
forest inventories; a land-cover map at 30 m-500 m sees a different thing.  Every output says
which definition it used (``definition`` column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFINITION_NOTE = ("map-derived coverage (land-cover classes counted as forest / county area); "
                   "differs from the official 森林覆盖率 (inventory, canopy >= 0.2, special shrubland "
                   "counted in dry counties)")


@dataclass(frozen=True)
class ForestDefinition:
    """Which land cover counts as forest.

    Attributes
    ----------
    ecosystems : tuple of str
        Ecosystem classes counted (default forest only).
    extra_codes : tuple of int
        Further legend codes counted (e.g. a shrub class treated as special shrubland).
    """

    ecosystems: tuple[str, ...] = ("forest",)
    extra_codes: tuple[int, ...] = ()

    def describe(self) -> str:
        s = "+".join(self.ecosystems)
        if self.extra_codes:
            s += f" + codes {list(self.extra_codes)}"
        return s

    def selects(self, areas: pd.DataFrame) -> pd.Series:
        return areas["ecosystem"].isin(self.ecosystems) | areas["class_code"].isin(self.extra_codes)


def forest_coverage(areas: pd.DataFrame, summary: pd.DataFrame,
                    definition: ForestDefinition = ForestDefinition(), measured=None) -> pd.DataFrame:
    """Forest area and coverage per zone, plus a row for all zones together.

    Parameters
    ----------
    areas : DataFrame
        Tidy class areas (``zone_id, zone_name, class_code, ecosystem, area_km2``).
    summary : DataFrame
        Zone summary with ``zone_area_km2`` (geodesic county area).
    definition : ForestDefinition
    measured : collection of zone_id, optional
        The zones the map covers (:func:`geo_sink.measurability.map_coverage`); the others get
        no forest area or coverage (NaN, never 0) and stay out of the ``ALL`` row, whose
        ``zones_left_out`` names them.  Default: every zone.

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, forest_km2, zone_area_km2, coverage_pct, definition,
        zones_left_out``; the last row has zone_id ``ALL``.
    """
    f = areas[definition.selects(areas)].groupby("zone_id")["area_km2"].sum()
    out = summary[["zone_id", "zone_name", "zone_area_km2"]].copy()
    inside = np.ones(len(out), bool) if measured is None else out["zone_id"].isin(set(measured)).to_numpy()
    out["forest_km2"] = np.where(inside, out["zone_id"].map(f).fillna(0.0).to_numpy(), np.nan)
    left = ", ".join(out.loc[~inside, "zone_name"].astype(str))
    total = pd.DataFrame({"zone_id": ["ALL"], "zone_name": ["(all zones)"],
                          "zone_area_km2": [out.loc[inside, "zone_area_km2"].sum()],
                          "forest_km2": [out.loc[inside, "forest_km2"].sum()] if inside.any() else [np.nan]})
    out = pd.concat([out, total], ignore_index=True)
    out["coverage_pct"] = 100.0 * out["forest_km2"] / out["zone_area_km2"]
    out["definition"] = definition.describe()
    out["zones_left_out"] = ""
    out.loc[out["zone_id"] == "ALL", "zones_left_out"] = left
    return out[["zone_id", "zone_name", "forest_km2", "zone_area_km2", "coverage_pct", "definition", "zones_left_out"]]


def coverage_bracket(areas: pd.DataFrame, summary: pd.DataFrame, legend, measured=None) -> pd.DataFrame:
    """Coverage under three widening forest definitions, per zone and for all zones: context.

    Where a map cannot measure forest coverage, what it can say is a bracket: the share of
    forest classes; forest plus shrubland (China's statistic counts 国家特别规定灌木林地 in dry
    counties); and forest plus shrubland plus savanna classes (sparse tree cover the map may
    have put there).  A bracket is labelled as context, never compared with a target.

    Parameters
    ----------
    areas : DataFrame
        Tidy class areas (``zone_id, class_code, ecosystem, area_km2``).
    summary : DataFrame
        ``zone_id, zone_name, zone_area_km2``.
    legend : Legend
        The map's legend; savanna classes are those whose name contains "savanna" and that are
        not already forest.
    measured : collection of zone_id, optional
        As in :func:`forest_coverage`.

    Returns
    -------
    DataFrame
        ``zone_id, coverage_forest_pct, coverage_forest_shrub_pct,
        coverage_forest_shrub_savanna_pct`` (the last row ``ALL``).
    """
    savanna = [c.code for c in legend.classes if "savanna" in c.name.lower() and c.ecosystem != "forest"]
    steps = {"coverage_forest_pct": ForestDefinition(("forest",)),
             "coverage_forest_shrub_pct": ForestDefinition(("forest", "shrubland")),
             "coverage_forest_shrub_savanna_pct": ForestDefinition(("forest", "shrubland"), tuple(savanna))}
    out = None
    for col, d in steps.items():
        c = forest_coverage(areas, summary, d, measured)[["zone_id", "coverage_pct"]].rename(columns={"coverage_pct": col})
        out = c if out is None else out.merge(c, on="zone_id", how="left")
    return out


def coverage_gap(coverage: pd.DataFrame, target_pct: float, measurable: bool = True,
                 note: str = "") -> pd.DataFrame:
    """Gap to a coverage target: percentage points and km^2 of forest to add, and the verdict.

    ``gap_pp = target - coverage`` (positive: below target);
    ``forest_to_add_km2 = max(0, target/100 x area - forest)``; ``met = coverage >= target``.

    Parameters
    ----------
    coverage : DataFrame from :func:`forest_coverage`
    target_pct : float
    measurable : bool
        False when the map cannot measure forest coverage (:func:`geo_sink.measurability.verdict`):
        then ``gap_pp`` and ``forest_to_add_km2`` are empty (NaN) and ``met`` is <NA>, never 0
        or False, and ``status`` says ``not_measurable``.  The same for a zone without a coverage
        value and for the ``ALL`` row when it leaves counties out (``zones_left_out``).
    note : str
        Why (the verdict's note), kept in ``measurability_note``.

    Returns
    -------
    DataFrame
        coverage + ``target_pct, gap_pp, forest_to_add_km2, met`` (nullable boolean),
        ``status`` (``met`` | ``not_met`` | ``not_measurable``), ``measurability_note``.
    """
    out = coverage.copy()
    out["target_pct"] = target_pct
    # a zone without a coverage value (the map does not cover it) gets no verdict either
    judged = np.asarray(measurable, bool) & out["coverage_pct"].notna().to_numpy()
    # a region row that leaves counties out is not the region: no verdict for it either
    if "zones_left_out" in out:
        judged &= out["zones_left_out"].fillna("").astype(str).eq("").to_numpy()
    cov = out["coverage_pct"].to_numpy(dtype=float)
    out["gap_pp"] = np.where(judged, target_pct - cov, np.nan)
    out["forest_to_add_km2"] = np.where(
        judged, np.maximum(0.0, target_pct / 100.0 * out["zone_area_km2"] - out["forest_km2"]), np.nan)
    out["met"] = pd.array([bool(c >= target_pct) if j else pd.NA for c, j in zip(cov, judged)], dtype="boolean")
    out["status"] = np.where(judged, np.where(cov >= target_pct, "met", "not_met"), "not_measurable")
    out["measurability_note"] = note
    if "zones_left_out" in out:
        partial = out["zones_left_out"].fillna("").astype(str).ne("")
        out.loc[partial, "measurability_note"] = ("no verdict for the region as a whole: the map leaves out "
                                                  + out.loc[partial, "zones_left_out"].astype(str))
    return out


def bef_biomass(volume_m3_ha, a, b):
    """Stand biomass (Mg dry matter/ha) from growing stock with the continuous BEF method.

    ``B = a V + b`` (Fang et al. 2001), V in m^3/ha.

    References
    ----------
    .. [1] Fang, J., Chen, A., Peng, C., Zhao, S. & Ci, L. (2001). Changes in forest biomass
       carbon storage in China between 1949 and 1998. Science 292, 2320-2322.
    """
    return np.asarray(a, dtype=float) * np.asarray(volume_m3_ha, dtype=float) + np.asarray(b, dtype=float)


def growing_stock_carbon(inventory: pd.DataFrame, bef: pd.DataFrame, carbon_fraction: float) -> pd.DataFrame:
    """Biomass carbon per zone and forest type from a growing-stock inventory.

    Parameters
    ----------
    inventory : DataFrame
        ``zone_id, forest_type, area_ha, volume_m3`` (total growing stock of that type in the zone).
    bef : DataFrame
        ``forest_type, a, b`` (catalog ``bef_fang2001``).
    carbon_fraction : float
        t C per t dry biomass (catalog ``carbon_constants``).

    Returns
    -------
    DataFrame
        inventory columns + ``volume_m3_ha, biomass_mg, biomass_carbon_mg_c``; biomass =
        area x (a x volume/area + b) = a x volume + b x area.
    """
    unknown = sorted(set(inventory["forest_type"]) - set(bef["forest_type"]))
    if unknown:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"growing-stock inventory: forest types {unknown} have no BEF "
                             f"coefficients; known: {sorted(bef['forest_type'])}")
    m = inventory.merge(bef[["forest_type", "a", "b"]], on="forest_type", how="left")
    m["volume_m3_ha"] = m["volume_m3"] / m["area_ha"]
    m["biomass_mg"] = m["area_ha"] * bef_biomass(m["volume_m3_ha"], m["a"], m["b"])
    m["biomass_carbon_mg_c"] = m["biomass_mg"] * carbon_fraction
    return m.drop(columns=["a", "b"])


def growing_stock_totals(inventory: pd.DataFrame) -> pd.DataFrame:
    """Growing stock per zone and for all zones, in m^3 and 10^4 m^3 (万立方米, as the targets)."""
    per = inventory.groupby("zone_id", sort=False)["volume_m3"].sum().reset_index()
    per = pd.concat([per, pd.DataFrame({"zone_id": ["ALL"], "volume_m3": [per["volume_m3"].sum()]})],
                    ignore_index=True)
    per["volume_1e4_m3"] = per["volume_m3"] / 1e4
    return per


def growing_stock_gap(totals: pd.DataFrame, target_1e4_m3: float) -> pd.DataFrame:
    """All-zones growing stock against a target in 10^4 m^3: ``gap_1e4_m3 = target - total``."""
    out = totals.copy()
    out["target_1e4_m3"] = target_1e4_m3
    out["gap_1e4_m3"] = target_1e4_m3 - out["volume_1e4_m3"]
    out["met"] = out["volume_1e4_m3"] >= target_1e4_m3
    return out


def read_inventory(path) -> pd.DataFrame:
    """A growing-stock inventory CSV: ``zone_id, forest_type, area_ha, volume_m3`` (checked)."""
    from geo_sink.sinks.pools import read_table
    from geo_sink.errors import InputDataError

    df = read_table(path, ["zone_id", "forest_type", "area_ha", "volume_m3"])
    df["zone_id"] = df["zone_id"].astype(str)
    for col in ("area_ha", "volume_m3"):
        num = pd.to_numeric(df[col], errors="coerce")
        if num.isna().any() or (num < 0).any() or (col == "area_ha" and (num == 0).any()):
            rows = df.index[num.isna() | (num < 0) | ((num == 0) & (col == "area_ha"))].tolist()
            raise InputDataError(f"{path}: column {col!r} needs positive numbers; bad row(s) "
                                 f"{[i + 2 for i in rows[:5]]}")
        df[col] = num
    return df
