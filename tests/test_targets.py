"""Targets and baselines of a project: inline or from the catalog, placed on the project's own
region, measured or explained in targets.csv (issue #15)."""

import numpy as np
import pandas as pd
import pytest
import yaml

from geo_sink.project import ProjectError, load_project
from geo_sink.targets import ProjectBaseline, ProjectTarget, RegionScope, measure_targets, verdict_of
from tests.conftest import write_raster

XINZHOU = {"name": "忻州市", "boundary": {"region": "忻州市"}, "output": "out"}


def write_project(tmp_path, **keys):
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({**XINZHOU, **keys}, allow_unicode=True), encoding="utf-8")
    return tmp_path / "p.yaml"


def test_inline_targets_and_baselines_in_catalog_units(tmp_path):
    p = load_project(write_project(tmp_path, targets=[
        {"id": "xz_forest_2025", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025,
         "comparison": ">=", "document": "忻州市林业发展规划 (test)"},
        {"id": "xf_gs", "indicator": "forest_growing_stock", "value": 2_000_000, "unit": "m3", "year": 2030,
         "document": "test", "region": "忻府"}],
        baselines=[{"indicator": "installed_power_capacity", "region": "忻府区", "year": 2020, "value": 1200,
                    "unit": "MW", "new_energy_share_pct": 35, "document": "忻府区统计公报 (test)"}]))
    t = {x.id: x for x in p.targets}
    assert t["xz_forest_2025"].zone_id == "140900" and t["xz_forest_2025"].region == "忻州市"
    # 2,000,000 m3 = 200 x 10^4 m3, placed on 忻府区 (140902) from its suffix-less name
    assert t["xf_gs"].value == pytest.approx(200.0) and t["xf_gs"].unit == "10^4 m3"
    assert t["xf_gs"].zone_id == "140902"
    b = p.baselines[0]
    assert (b.zone_id, b.value, b.unit, b.new_energy_share_pct) == ("140902", pytest.approx(120.0), "10^4 kW", 35)


def test_a_catalog_target_of_another_region_is_an_error_naming_both(tmp_path):
    with pytest.raises(ProjectError) as e:
        load_project(write_project(tmp_path, targets=["sjz_forest_coverage_2025"]))
    msg = str(e.value)
    assert "石家庄市 (130100)" in msg and "忻州市 (140900)" in msg and "apply_to" in msg


def test_apply_to_holds_the_region_to_another_regions_target_and_says_so(tmp_path):
    p = load_project(write_project(tmp_path, targets=[{"id": "sjz_forest_coverage_2025", "apply_to": "忻府区"}]))
    t = p.targets[0]
    assert (t.zone_id, t.region, t.value) == ("140902", "忻府区", 43.0)
    assert t.applied_from == "石家庄市 (130100)" and t.source == "catalog:sjz_forest_coverage_2025"


def test_a_county_target_inside_the_project_needs_no_apply_to(tmp_path):
    p = load_project(write_project(tmp_path, targets=["xf_new_energy_share_2025"]))
    assert p.targets[0].zone_id == "140902" and p.targets[0].applied_from == ""
    # applying a target to its own region is allowed and is no borrowing
    q = load_project(write_project(tmp_path, targets=[{"id": "xf_new_energy_share_2025", "apply_to": "忻府区"}]))
    assert q.targets[0].zone_id == "140902" and q.targets[0].applied_from == ""


@pytest.mark.parametrize("entry, expected", [
    ({"id": "a", "indicator": "forest_coverage", "value": 30, "unit": "ha", "year": 2025, "document": "doc"},
     r"targets\[0\] \(a\)\.unit: unit 'ha' is not a unit of forest_coverage \(measured in percent\)"),
    ({"id": "a", "indicator": "forest_cover", "value": 30, "unit": "percent", "year": 2025, "document": "doc"},
     r"'forest_cover' is not a target indicator; expected one of \[.*'forest_coverage'"),
    ({"id": "a", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025, "document": "doc",
      "region": "朔州市"}, r"region: '朔州市' is neither the project's region 忻州市 \(140900\) nor one of its counties"),
    ({"id": "a", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025},
     r"targets\.0\.inline\.document: required key is missing"),
    ({"id": "sjz_forest_coverage_2025", "apply_to": "石家庄市"}, r"apply_to: '石家庄市' is neither the project's region"),
])
def test_bad_targets_are_named(tmp_path, entry, expected):
    with pytest.raises(ProjectError, match=expected):
        load_project(write_project(tmp_path, targets=[entry]))


def test_all_target_problems_at_once(tmp_path):
    with pytest.raises(ProjectError) as e:
        load_project(write_project(tmp_path, targets=[
            "sjz_forest_coverage_2025", "nope",
            {"id": "b", "indicator": "wetland_area", "value": 3, "unit": "percent", "year": 2030, "document": "doc"}],
            baselines=[{"indicator": "installed_power_capacity", "value": 1, "unit": "m3", "year": 2020,
                        "document": "doc"}]))
    assert len(e.value.problems) == 4


def test_catalog_baselines_of_the_region_are_found():
    from geo_sink.catalog import load_catalog
    from geo_sink.targets import resolve
    scope = RegionScope("朔州市", "140600", "140600", (("140603", "平鲁区"),))
    r = resolve(["sz_new_energy_share_2025"], [], load_catalog(), scope)
    assert {b.id for b in r.baselines} == {"sz_installed_capacity_2020", "sz_wind_pv_share_2020"}
    assert r.problems == []


@pytest.mark.parametrize("value, target, comp, met, gap", [
    (32.0, 30.0, ">=", True, -2.0), (28.0, 30.0, ">=", False, 2.0), (43.0, 43.25, "~", False, 0.25),
    (5.0, 10.0, "<=", True, -5.0), (12.0, 10.0, "<=", False, 2.0), (10.0, 10.0, "==", True, 0.0)])
def test_verdict_of(value, target, comp, met, gap):
    assert verdict_of(value, target, comp) == (met, pytest.approx(gap))


SCOPE = RegionScope("忻州市", "140900", "140900", (("140902", "忻府区"), ("140921", "定襄县")))


def target(indicator, value, zone="140900", unit="percent", comp=">="):
    return ProjectTarget("t", "r", zone, indicator, value, unit, 2025, comp, "target", "doc")


def test_new_energy_share_needed_mw_closed_form():
    """T = 120 x 10^4 kW = 1200 MW, 35% new energy (420 MW); 60% needs X with
    (420 + X) / (1200 + X) = 0.6, X = (720 - 420) / 0.4 = 750 MW; 150 MW of PV closes 20%."""
    b = [ProjectBaseline("b", "忻府区", "140902", "installed_power_capacity", 120.0, "10^4 kW", 2020, "doc", 35.0)]
    pv = pd.DataFrame({"zone_id": ["140902", "140900"], "level": ["county", "city"], "capacity_mw": [150.0, 150.0]})
    r = measure_targets([target("new_and_clean_energy_installed_share", 60.0, "140902")], b,
                        {"pv_by_county.csv": pv}, SCOPE).iloc[0]
    assert r["needed_mw"] == pytest.approx(750.0) and r["pv_mw"] == 150.0 and r["pv_closes_pct"] == pytest.approx(20.0)
    assert (r["status"], r["measured_value"], r["gap"], r["measured_year"]) == ("not_met", 35.0, pytest.approx(25.0), "2020")
    no_pv = measure_targets([target("new_and_clean_energy_installed_share", 60.0, "140902")], b, {}, SCOPE).iloc[0]
    assert no_pv["needed_mw"] == pytest.approx(750.0) and np.isnan(no_pv["pv_closes_pct"])
    # another region's baseline does not count
    other = measure_targets([target("new_and_clean_energy_installed_share", 60.0, "140900")], b, {}, SCOPE).iloc[0]
    assert other["status"] == "not_computed" and "no installed_power_capacity baseline for r" in other["reason"]


def coverage_table(**over):
    c = pd.DataFrame({"zone_id": ["140902", "140921", "ALL"], "year": 2020, "coverage_pct": [25.0, np.nan, 25.0],
                      "measurable": True, "measurability_note": "cell 30 m", "zones_left_out": ["", "", "定襄县"],
                      "coverage_note": ["", "the map covers 0.0% of 定襄县: no value", ""]})
    return c.assign(**over)


def test_forest_coverage_statuses():
    rows = measure_targets([target("forest_coverage", 20.0, "140902"), target("forest_coverage", 30.0, "140902"),
                            target("forest_coverage", 30.0, "140921"), target("forest_coverage", 30.0)],
                           [], {"forest_coverage.csv": coverage_table()}, SCOPE)
    assert rows["status"].tolist() == ["met", "not_met", "not_measurable", "not_measurable"]
    assert rows["gap"].iloc[:2].tolist() == [-5.0, 5.0]
    assert "covers 0.0% of 定襄县" in rows["reason"].iloc[2]
    assert "does not cover 定襄县" in rows["reason"].iloc[3] and np.isnan(rows["measured_value"].iloc[3])
    coarse = measure_targets([target("forest_coverage", 20.0, "140902")], [],
                             {"forest_coverage.csv": coverage_table(measurable=False, measurability_note="cell 5 km")},
                             SCOPE).iloc[0]
    assert coarse["status"] == "not_measurable" and coarse["reason"] == "cell 5 km"


def test_missing_inputs_are_not_computed_with_the_reason():
    rows = measure_targets([target("forest_growing_stock", 200.0, unit="10^4 m3"),
                            target("mine_land_reclamation_rate", 60.0),
                            target("reclaimed_land_vegetation_cover", 90.0),
                            target("forest_coverage", 30.0)], [], {}, SCOPE)
    assert (rows["status"] == "not_computed").all()
    assert rows["reason"].str.len().gt(10).all() and "mines" in rows["reason"].iloc[1]


def test_reclamation_rate_is_area_weighted_over_the_region():
    z = pd.DataFrame({"zone_id": ["140902", "140921"], "disturbed_km2": [10.0, 30.0], "reclaimed_km2": [8.0, 12.0]})
    rows = measure_targets([target("mine_land_reclamation_rate", 60.0), target("mine_land_reclamation_rate", 60.0, "140902")],
                           [], {"reclamation_by_county.csv": z}, SCOPE)
    assert rows["measured_value"].tolist() == [pytest.approx(50.0), pytest.approx(80.0)]
    assert rows["status"].tolist() == ["not_met", "met"]


@pytest.fixture(scope="module")
def xinzhou_run(tmp_path_factory):
    """The 忻州市 journey of issue #15: a hand-made map of 忻府区 alone (all forest), a project for
    the whole city with its own targets and a capacity baseline."""
    from geo_sink.io import load_boundaries
    from geo_sink.runs.runner import run

    tmp = tmp_path_factory.mktemp("xinzhou")
    b = load_boundaries("忻州市").set_index("zone_name").loc["忻府区"].geometry.bounds
    w, s, e, n = b[0] - 0.01, b[1] - 0.01, b[2] + 0.01, b[3] + 0.01
    res = 0.0008   # about 69 x 89 m: fine enough to judge forest coverage (<= 100 m)
    shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
    write_raster(tmp / "xinfu.tif", np.full(shape, 2, np.uint8), origin=(w, n), res=(res, res), nodata=0)
    p = load_project(write_project(tmp, landcover=[{"year": 2020, "path": "xinfu.tif", "legend": "clcd"}], targets=[
        {"id": "xf_forest", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025,
         "document": "test", "region": "忻府区"},
        {"id": "xz_forest", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025,
         "document": "test"},
        "xf_new_energy_share_2025",
        {"id": "xz_wetland", "indicator": "wetland_area", "value": 1000, "unit": "ha", "year": 2025, "document": "test"}],
        baselines=[{"indicator": "installed_power_capacity", "region": "忻府区", "year": 2020, "value": 120,
                    "unit": "10^4 kW", "new_energy_share_pct": 35, "document": "test"}]))
    lines = list(run(p, draws=200, lang="zh"))
    return p, lines


def test_xinzhou_journey_every_target_measured_or_explained(xinzhou_run):
    p, lines = xinzhou_run
    t = pd.read_csv(p.output / "targets.csv", dtype={"zone_id": str}).set_index("target_id")
    assert t.loc["xf_forest", "status"] == "met" and t.loc["xf_forest", "measured_value"] == pytest.approx(100, abs=0.05)
    assert t.loc["xz_forest", "status"] == "not_measurable" and "定襄县" in t.loc["xz_forest", "reason"]
    assert np.isnan(t.loc["xz_forest", "measured_value"])
    # 1200 MW at 35%: (0.6 x 1200 - 420) / 0.4 = 750 MW to build
    assert t.loc["xf_new_energy_share_2025", "needed_mw"] == pytest.approx(750.0)
    assert t.loc["xf_new_energy_share_2025", "status"] == "not_met"
    assert t.loc["xz_wetland", "status"] in ("not_measurable", "not_computed")
    assert set(t["status"]) <= {"met", "not_met", "not_measurable", "not_computed"}
    assert (t["reason"].fillna("").str.len() > 0).all()
    assert any("target xf_forest" in str(x) and "met at 100.00 percent" in str(x) for x in lines)
    # the city row of forest_coverage.csv covers 忻府区 only: no verdict, and the run's line says so
    cov = pd.read_csv(p.output / "forest_coverage.csv", dtype={"zone_id": str})
    allrow = cov[cov.zone_id == "ALL"]
    assert (allrow["status"] == "not_measurable").all() and allrow["gap_pp"].isna().all()
    assert allrow["measurability_note"].str.contains("leaves out").all()
    assert any("map-derived forest coverage" in str(x) and "leaves out 定襄县" in str(x) for x in lines)
    assert not any("vs target" in str(x) for x in lines)


def test_the_report_dashboard_is_drawn_from_targets_csv(xinzhou_run):
    p, _ = xinzhou_run
    html = (p.output / "忻州市.html").read_text(encoding="utf-8")
    assert "森林覆盖率" in html and "无法用此图测算" in html and "已达到" in html
    assert "新能源和清洁能源装机占比" in html and "forest_coverage" not in html.split("gs-targets")[1][:3000]


def test_the_report_answers_first_from_the_run_tables(xinzhou_run):
    """The summary band at the top: a card per target (status in words) and the region totals
    with their intervals, each number as the tables have it."""
    p, _ = xinzhou_run
    html = (p.output / "忻州市.html").read_text(encoding="utf-8")
    start = html.index("id='gs-summary'")
    summary = html[start:html.index("</section>", start)]
    t = pd.read_csv(p.output / "targets.csv").set_index("target_id")
    assert summary.count("class='gs-card gs-") == len(t) + summary.count("gs-card gs-total")
    assert "尚需新增装机: 750 MW" in summary and "未达到" in summary and "无法用此图测算" in summary
    st = pd.read_csv(p.output / "carbon_stock.csv", dtype={"zone_id": str})
    city = st[(st.zone_id == "140900") & (st.pool == "total")].iloc[0]
    assert f"{city['stock_t_co2e'] / 1e6:,.1f} Mt CO2e ({city['stock_t_co2e_p05'] / 1e6:,.1f}–" in summary
    assert "未含：定襄县" in summary          # the note of the sum, in the report's language
    assert "<title>忻州市 · 碳汇与目标评估报告</title>" in html


def test_update_with_an_inbox_and_no_mines_section_does_not_crash(demo_project, tmp_path):
    """Issue #15, first problem: ``update`` crashed (AttributeError on .disturbed) on a project
    with an imagery inbox and no mines section; ``check`` now says the scenes are not used and
    ``update`` says there is nothing to recompute."""
    from geo_sink.runs.runner import run, update
    from tests.conftest import copy_scene, project_copy

    inbox = tmp_path / "inbox"
    inbox.mkdir()

    def edit(q):
        for k in ("mines", "subsidence", "pv_constraints", "pv", "wetlands", "growing_stock"):
            q.pop(k, None)
        q["imagery"]["inbox"] = str(inbox)
        q["output"] = str(tmp_path / "out")

    p = load_project(project_copy(demo_project, tmp_path, edit))
    assert any("no 'mines' section" in w for w in p.warnings)
    list(run(p, draws=100))
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20240815_0_L2A")
    lines = [str(x) for x in update(load_project(p.path), draws=100)]
    assert any("nothing to recompute" in x for x in lines)


def test_every_county_in_a_table_and_the_tables_downloadable(xinzhou_run):
    import base64
    import re
    p, _ = xinzhou_run
    html = (p.output / "忻州市.html").read_text(encoding="utf-8")
    sec = html[html.index("id='gs-counties'"):html.index("id='gs-downloads'")]
    rows = re.findall(r"<tr><td data-v='([^']*)'>", sec)
    assert len(rows) == 14 and "忻府区" in rows and "定襄县" in rows
    dingxiang = sec[sec.index("<tr><td data-v='定襄县'>"):].split("</tr>")[0]
    assert "—" in dingxiang and "0.00" not in dingxiang          # no value, never 0
    links = dict(re.findall(r"<a download='([^']+)' href='data:text/csv;charset=utf-8;base64,([^']+)'>", html))
    assert {"targets.csv", "forest_coverage.csv", "carbon_stock.csv", "counties.csv"} <= set(links)
    assert base64.b64decode(links["targets.csv"]) == (p.output / "targets.csv").read_bytes()
    counties = pd.read_csv(__import__("io").BytesIO(base64.b64decode(links["counties.csv"])), dtype={"zone_id": str})
    assert len(counties) == 14 and pd.isna(counties.set_index("zone_name").loc["定襄县", "coverage_pct"])
