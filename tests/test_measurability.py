"""Which targets a map can judge: cell sizes checked against geodesic distances, verdicts,
the forest-coverage verdict of the embedded regions end to end."""

import numpy as np
import pandas as pd
import pyproj
import pytest
import yaml
from affine import Affine

from geo_sink.measurability import RULE_COLUMNS, cell_size, check_rules, verdict
from geo_sink.sinks.forest import coverage_bracket, coverage_gap, forest_coverage
from tests.conftest import write_raster

RULES = pd.DataFrame([["forest_coverage", 100, "forest patches", "long reason", "森林斑块", "src", "convention"]],
                     columns=RULE_COLUMNS)


@pytest.mark.parametrize("lat", [18.0, 38.0, 53.0])
def test_geographic_cell_size_matches_geodesic_distances(lat):
    geod = pyproj.Geod(ellps="WGS84")
    c = cell_size(Affine(0.05, 0, 100.0, 0, -0.05, 60.0), "EPSG:4326", lat)
    # east-west: arc of the parallel (a geodesic over 0.05 deg differs by < 1e-6 of it)
    ew = geod.inv(110.0, lat, 110.05, lat)[2]
    ns = geod.inv(110.0, lat - 0.025, 110.0, lat + 0.025)[2]
    assert c.dx_m == pytest.approx(ew, rel=1e-5)
    assert c.dy_m == pytest.approx(ns, rel=1e-5)
    assert c.max_m == max(c.dx_m, c.dy_m)


def test_cell_labels_state_the_real_size():
    c = cell_size(Affine(0.05, 0, 100.0, 0, -0.05, 60.0), "EPSG:4326", 38.0)
    assert c.label == "0.05° ≈ 4.4 × 5.5 km at 38.0°N"
    albers = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"
    assert cell_size(Affine(30, 0, 0, 0, -30, 0), albers).label == "30 m"
    ft = cell_size(Affine(100, 0, 0, 0, -100, 0), "EPSG:2249")   # US survey feet
    assert ft.dx_m == pytest.approx(100 * 1200 / 3937)
    with pytest.raises(ValueError, match="latitude"):
        cell_size(Affine(0.05, 0, 100.0, 0, -0.05, 60.0), "EPSG:4326")


def test_verdicts_from_cell_and_product_resolution():
    coarse = verdict("forest_coverage", cell_size(Affine(0.05, 0, 100, 0, -0.05, 60), "EPSG:4326", 38.1), RULES)
    assert not coarse.measurable and coarse.limit_m == 100
    assert "not measurable with this map (cell 0.05° ≈ 4.4 × 5.5 km at 38.1°N)" in coarse.note
    assert coarse.note_zh.startswith("无法用此图测算（像元 0.05°")
    fine = cell_size(Affine(30, 0, 0, 0, -30, 0), "EPSG:3857")
    assert verdict("forest_coverage", fine, RULES, product_resolution_m=30).measurable
    # a 500 m product resampled onto a 30 m grid still sees 500 m
    v = verdict("forest_coverage", fine, RULES, product_resolution_m=500)
    assert not v.measurable and v.resolution_m == 500 and "product resolution 500 m" in v.note
    # exactly at the limit counts as measurable; no rule: measurable, and the note says so
    assert verdict("forest_coverage", cell_size(Affine(100, 0, 0, 0, -100, 0), "EPSG:3857"), RULES).measurable
    other = verdict("wetland_area", fine, RULES)
    assert other.measurable and "no resolution rule" in other.note


def test_rules_table_is_checked(catalog):
    rules = check_rules(pd.read_csv(catalog.dataset_path("measurability_rules")), "catalog")
    assert set(rules["indicator"]) >= {"forest_coverage", "wetland_area", "reclaimed_land_vegetation_cover"}
    assert (rules["source"].str.len() > 20).all()
    from geo_sink.errors import InputDataError
    with pytest.raises(InputDataError, match="max_cell_m"):
        check_rules(RULES.assign(max_cell_m=-1), "x.csv")
    with pytest.raises(InputDataError, match="listed twice"):
        check_rules(pd.concat([RULES, RULES]), "x.csv")


AREAS = pd.DataFrame({"zone_id": ["a"] * 4, "zone_name": ["甲"] * 4, "class_code": [4, 7, 9, 12],
                      "ecosystem": ["forest", "shrubland", "grassland", "cropland"],
                      "area_km2": [10.0, 5.0, 20.0, 65.0]})
SUMMARY = pd.DataFrame({"zone_id": ["a"], "zone_name": ["甲"], "zone_area_km2": [200.0]})


def test_not_measurable_gap_is_empty_never_zero_or_false():
    cov = forest_coverage(AREAS, SUMMARY)
    g = coverage_gap(cov, 43.0, measurable=False, note="why")
    assert g["gap_pp"].isna().all() and g["forest_to_add_km2"].isna().all()
    assert g["met"].isna().all() and str(g["met"].dtype) == "boolean"
    assert (g["status"] == "not_measurable").all() and (g["measurability_note"] == "why").all()
    m = coverage_gap(cov, 43.0).set_index("zone_id")
    assert m.loc["a", "gap_pp"] == pytest.approx(43 - 5.0)
    assert m.loc["a", "forest_to_add_km2"] == pytest.approx(86 - 10)
    assert m.loc["a", "status"] == "not_met" and not bool(m.loc["a", "met"])


def test_bracket_widens_by_shrub_then_savanna(catalog):
    b = coverage_bracket(AREAS, SUMMARY, catalog.legend("modis_igbp")).set_index("zone_id")
    # MODIS: 9 is "Savannas" (grassland ecosystem): counted only in the widest bracket
    assert b.loc["a", "coverage_forest_pct"] == pytest.approx(5.0)
    assert b.loc["a", "coverage_forest_shrub_pct"] == pytest.approx(7.5)
    assert b.loc["a", "coverage_forest_shrub_savanna_pct"] == pytest.approx(17.5)
    assert b.loc["ALL", "coverage_forest_shrub_savanna_pct"] == pytest.approx(17.5)


def test_shijiazhuang_on_modis_gets_no_verdict(tmp_path, catalog):
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    from geo_sink.report import build_report

    p = load_project(catalog.root / "regions" / "石家庄市.yaml")
    lines = list(run_project(p, tmp_path / "out", draws=200))
    cov = pd.read_csv(tmp_path / "out" / "forest_coverage.csv", dtype={"zone_id": str})
    assert len(cov) and not cov["measurable"].any()
    assert cov["gap_pp"].isna().all() and cov["forest_to_add_km2"].isna().all() and cov["met"].isna().all()
    assert (cov["status"] == "not_measurable").all()
    assert cov["measurability_note"].str.contains("0.05° ≈ 4.4 × 5.5 km").all()
    line = next(x for x in lines if "forest coverage" in x)
    assert "not measurable" in line and "km² of forest to add" not in line and "context only" in line
    # the carbon stock of the same map: its value, flagged context only with the reason
    st = pd.read_csv(tmp_path / "out" / "carbon_stock.csv", dtype={"zone_id": str})
    assert len(st) and not st["measurable"].any() and st["stock_t_co2e"].notna().all()
    assert st["measurability_note"].str.contains("0.05° ≈ 4.4 × 5.5 km").all()
    assert "context only, not measurable" in next(x for x in lines if "carbon stock" in x)
    html = build_report(p, tmp_path / "out", tmp_path / "r.html", lang="zh").read_text(encoding="utf-8")
    assert "无法用此图测算" in html and "未达到" not in html
    assert html.count("仅供参考：无法用此图测算（像元 0.05°") == 2     # the total's card and the county table
    assert "不含图件本身的误差" in html          # what every interval leaves out, under the totals
    en = build_report(p, tmp_path / "out", tmp_path / "r_en.html", lang="en").read_text(encoding="utf-8")
    assert "not measurable with this map" in en and "not met" not in en
    assert en.count("context only: not measurable with this map (cell 0.05°") == 2
    assert "the errors of the maps themselves" in en


def _two_year_project(tmp_path, res_deg: float, codes=(1, 2)):
    """井陉矿区 (70.9 km²) in two CLCD years on one grid of ``res_deg`` cells: ``codes[0]``
    (cropland), then ``codes[1]`` (forest) on its northern third; no mine polygons."""
    from geo_sink.io import load_boundaries
    w, s, e, n = load_boundaries("石家庄市").set_index("zone_name").loc["井陉矿区"].geometry.bounds
    w, s, e, n = w - 0.01, s - 0.01, e + 0.01, n + 0.01
    shape = (int(np.ceil((n - s) / res_deg)), int(np.ceil((e - w) / res_deg)))
    first = np.full(shape, codes[0], np.uint8)
    later = first.copy()
    later[: shape[0] // 3] = codes[1]
    for name, arr in (("a.tif", first), ("b.tif", later)):
        write_raster(tmp_path / name, arr, origin=(w, n), res=(res_deg, res_deg), nodata=0)
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "井陉矿区", "boundary": {"region": "井陉矿区", "level": "self"}, "output": "out",
        "landcover": [{"year": 2015, "path": "a.tif", "legend": "clcd"},
                      {"year": 2020, "path": "b.tif", "legend": "clcd"}]}, allow_unicode=True), encoding="utf-8")
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    lines = list(run_project(load_project(tmp_path / "p.yaml"), tmp_path / "out", draws=200))
    read = lambda name: pd.read_csv(tmp_path / "out" / name, dtype={"zone_id": str})  # noqa: E731
    return lines, read("carbon_stock.csv"), read("carbon_sink.csv")


@pytest.mark.parametrize("res_deg, measurable", [(0.0002, True), (0.002, False)])
def test_land_cover_carbon_is_context_only_on_a_coarse_map(tmp_path, res_deg, measurable):
    """The same two maps at ~20 m and ~200 m cells: the land-cover carbon stock and sink are
    measurable at 20 m; at 200 m (over the 100 m limit of the ``land_cover_carbon`` rule) their
    values stay, flagged context only with the reason, in the tables and the step lines."""
    lines, st, sk = _two_year_project(tmp_path, res_deg)
    for t in (st, sk):
        assert len(t) and (t["measurable"] == measurable).all()
    import geopandas as gpd
    layer = gpd.read_file(tmp_path / "out" / "counties.gpkg")     # the GIS layer says it too
    assert (layer["stock_measurable"] == measurable).all() and (layer["sink_measurable"] == measurable).all()
    assert (layer["coverage_measurable"] == measurable).all()   # forest's rule: 100 m too
    assert layer["stock_measurability_note"].str.startswith("measurable" if measurable else "not measurable").all()
    carbon_lines = [x for x in lines if "carbon stock" in x or "land-cover-change sink" in x]
    assert len(carbon_lines) == 2
    if measurable:
        assert st["measurability_note"].str.startswith("measurable: map cell").all()
        assert not any("context only" in x for x in carbon_lines)
    else:
        # 0.002 deg at 38.1 N: 0.002 x 111.0 km = 222 m north-south, 0.002 x 87.7 km = 175 m east-west
        assert st["measurability_note"].str.contains("0.002° ≈ 175 × 222 m at 38.1°N").all()
        assert st["measurability_note"].str.contains("cannot resolve the forest and wetland patches").all()
        assert st["measurability_note"].str.contains("100 m").all()
        assert st["measurability_note_zh"].str.contains("无法用此图测算").all()
        assert all("context only, not measurable with this map" in x for x in carbon_lines)
    from geo_sink.project import load_project
    from geo_sink.report import build_report
    html = build_report(load_project(tmp_path / "p.yaml"), tmp_path / "out", tmp_path / "r.html",
                        lang="zh").read_text(encoding="utf-8")
    # the county table's one note for both (their maps are the same), the cards' own notes
    assert ("碳储量 · 年碳汇：仅供参考：无法用此图测算（像元 0.002°" in html) is not measurable
    assert html.count("仅供参考：无法用此图测算") == (0 if measurable else 3)
    # the values are the map's, flagged or not: the sink of a third of the district turned forest
    tot = st[(st["pool"] == "total") & (st["zone_id"] == "130107")].drop_duplicates("year").set_index("year")["stock_t_co2e"]
    s = sk[(sk["pool"] == "total") & (sk["zone_id"] == "130107")]["sink_t_co2e_yr"].iloc[0]
    assert s == pytest.approx((tot[2020] - tot[2015]) / 5) and s > 0


def test_a_sink_is_measurable_only_when_both_maps_are():
    from geo_sink.measurability import Verdict
    from geo_sink.steps.carbon import with_measurability
    fine = Verdict("land_cover_carbon", True, 30.0, 100.0, "fine", "细")
    coarse = Verdict("land_cover_carbon", False, 500.0, 100.0, "coarse", "粗")
    sinks = pd.DataFrame({"year_from": [2010, 2015, 2010], "year_to": [2015, 2020, 2020]})
    got = with_measurability(sinks, {2010: coarse, 2015: fine, 2020: fine})
    assert got["measurable"].tolist() == [False, True, False]
    assert got["measurability_note"].tolist() == ["coarse", "fine", "coarse"]
    assert got["measurability_note_zh"].tolist() == ["粗", "细", "粗"]
    stocks = pd.DataFrame({"year": [2010, 2020]})
    assert with_measurability(stocks, {2010: coarse, 2020: fine})["measurable"].tolist() == [False, True]
    assert with_measurability(sinks.iloc[0:0], {}).empty


def test_version_problem_names_the_versions_and_the_producers_caveat(catalog):
    from geo_sink.measurability import version_problem
    wc, clcd = catalog.legend("worldcover"), catalog.legend("clcd")
    msg = version_problem({2021: wc, 2020: wc})
    assert "(2020: v100, 2021: v200)" in msg and "worldcover2021.esa.int" in msg
    assert "changes due to the used algorithms" in msg
    # one version, a year the legend does not list, a legend without versions: nothing to say
    assert version_problem({2020: wc}) is None and version_problem({2021: wc, 2022: wc}) is None
    assert version_problem({2015: clcd, 2020: clcd}) is None
    from pydantic import ValidationError
    from geo_sink.catalog.models import Legend
    with pytest.raises(ValidationError, match="versions_note"):
        Legend(**(wc.model_dump() | {"versions_note": None}))


def _worldcover_pair(tmp_path):
    """井陉矿区 in ESA WorldCover codes for 2020 and 2021 on one grid: cropland, then a third of
    it tree cover."""
    from geo_sink.io import load_boundaries
    w, s, e, n = load_boundaries("石家庄市").set_index("zone_name").loc["井陉矿区"].geometry.bounds
    w, s, e, n, res = w - 0.01, s - 0.01, e + 0.01, n + 0.01, 0.0002
    shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
    first = np.full(shape, 40, np.uint8)
    later = first.copy()
    later[: shape[0] // 3] = 10
    return [write_raster(tmp_path / name, arr, origin=(w, n), res=(res, res), nodata=0)
            for name, arr in (("wc2020.tif", first), ("wc2021.tif", later))]


def test_worldcover_2020_and_2021_give_no_sink_in_a_run(tmp_path):
    """ESA's v100 (2020) and v200 (2021) maps: each year's stock, a transition matrix that says
    what it holds, and no stock-difference sink (the algorithm's change is in it)."""
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    _worldcover_pair(tmp_path)
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "井陉矿区", "boundary": {"region": "井陉矿区", "level": "self"}, "output": "out",
        "landcover": [{"year": 2020, "path": "wc2020.tif", "legend": "worldcover"},
                      {"year": 2021, "path": "wc2021.tif", "legend": "worldcover"}]}, allow_unicode=True),
        encoding="utf-8")
    lines = list(run_project(load_project(tmp_path / "p.yaml"), tmp_path / "out", draws=100))
    out = tmp_path / "out"
    assert not (out / "carbon_sink.csv").exists()
    assert set(pd.read_csv(out / "carbon_stock.csv")["year"]) == {2020, 2021}
    msg = next(x for x in lines if "no land-cover-change sink" in x)
    assert "different product versions (2020: v100, 2021: v200)" in msg
    tr = pd.read_csv(out / "transitions_2020_2021.csv")
    assert (tr["note"] == "two versions of ESA WorldCover 10 m (2020: v100, 2021: v200): the change includes "
                          "the algorithm's (legend worldcover: versions_note)").all()
    changed = next(x for x in lines if "changed class 2020-2021" in x)
    assert "two versions of ESA WorldCover 10 m (2020: v100, 2021: v200)" in changed
    # the report says why there is no sink, and what the change layer holds
    from geo_sink.report import build_report
    html = build_report(load_project(tmp_path / "p.yaml"), out, tmp_path / "r.html", lang="zh").read_text(encoding="utf-8")
    assert "两期地图为同一产品的不同算法版本（2020: v100, 2021: v200）" in html
    assert "同一产品的两个算法版本（2020: v100, 2021: v200）：变化含算法差异" in html
    # the matrix itself is what the maps hold: a third of the district from cropland to trees
    moved = tr[(tr["from_code"] == 40) & (tr["to_code"] == 10)]["area_km2"].sum()
    assert 0 < moved < tr["area_km2"].sum()


def test_worldcover_2020_and_2021_are_refused_by_the_carbon_command(tmp_path):
    from click.testing import CliRunner
    from geo_sink.cli import cli
    from geo_sink.io import load_boundaries
    a, b = _worldcover_pair(tmp_path)
    load_boundaries("石家庄市").query("zone_name == '井陉矿区'").to_file(tmp_path / "z.gpkg")
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(cli, ["carbon", str(a), str(tmp_path / "z.gpkg"), "--legend", "worldcover",
                                 "--lulc-later", str(b), "--years", "2020", "2021", "--draws", "100", "-o", str(out)])
    assert r.exit_code == 3, r.output
    assert "different product versions (2020: v100, 2021: v200)" in r.output and "Nothing written" in r.output
    assert not out.exists()


@pytest.mark.parametrize("res_deg, measurable", [(0.0002, True), (0.0005, False)])
def test_reclamation_proxy_is_context_only_on_a_map_coarser_than_30_m(tmp_path, res_deg, measurable):
    """No mine polygons: barren land revegetated between two maps is a proxy, judged by the rule
    of reclaimed-land vegetation (30 m: platforms and slopes tens of metres wide). 0.0002° at
    38.1°N is 18 x 22 m, 0.0005° is 44 x 55 m."""
    lines, _, _ = _two_year_project(tmp_path, res_deg, codes=(7, 4))     # barren, then grassland
    rc = pd.read_csv(tmp_path / "out" / "reclamation_from_landcover_2015_2020.csv", dtype={"zone_id": str})
    assert (rc["measurable"] == measurable).all()
    line = next(x for x in lines if "land-cover proxy" in x)
    assert ("context only" in line) is not measurable
    if not measurable:
        assert rc["measurability_note"].str.contains("0.0005° ≈ 44 × 55 m at 38.1°N").all()
        assert "30 m" in line
    # what revegetated is the district north of the row where the later map turns grassland: its
    # geodesic area (the polygon cut by pyproj), independently of the grid
    from shapely.geometry import box
    from geo_sink.io import load_boundaries
    import pyproj
    geom = load_boundaries("石家庄市").set_index("zone_name").loc["井陉矿区"].geometry
    w, s, e, n = geom.bounds
    n += 0.01
    rows = int(np.ceil((n - (s - 0.01)) / res_deg))
    north = geom.intersection(box(w - 1, n - (rows // 3) * res_deg, e + 1, n))
    expected = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(north)[0]) / 1e6
    assert rc["reclaimed_km2"].sum() == pytest.approx(expected, rel=0.002)
    assert rc["disturbed_km2"].sum() == pytest.approx(
        abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6, rel=0.002)


def test_two_modis_years_give_no_sink_the_producer_says_not_for_change(tmp_path, catalog):
    """MCD12Q1's producer: not for post-classification change between years. Two MODIS-legend
    maps on one grid: each year's stock (context only: 500 m), a transition matrix with the
    note, no sink, and the carbon command refuses the pair."""
    from click.testing import CliRunner
    from geo_sink.cli import cli
    from geo_sink.io import load_boundaries
    from geo_sink.measurability import change_problem
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    m = catalog.legend("modis_igbp")
    assert "should not be used to determine post-classification land cover change" in change_problem({2015: m, 2020: m})
    # one MODIS map in a difference is enough (the labels of any one year); alone, nothing to say
    assert change_problem({2020: m}) is None and change_problem({2015: catalog.legend("clcd")}) is None
    assert "MODIS" in change_problem({2015: m, 2020: catalog.legend("clcd")})
    assert change_problem({2015: catalog.legend("clcd"), 2020: catalog.legend("clcd")}) is None
    zones = load_boundaries("石家庄市").query("zone_name == '井陉矿区'")
    w, s, e, n = zones.total_bounds
    w, s, e, n, res = w - 0.02, s - 0.02, e + 0.02, n + 0.02, 0.005
    shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
    a = write_raster(tmp_path / "m2015.tif", np.full(shape, 12, np.uint8), origin=(w, n), res=(res, res), nodata=255)
    later = np.full(shape, 12, np.uint8)
    later[: shape[0] // 2] = 4
    b = write_raster(tmp_path / "m2020.tif", later, origin=(w, n), res=(res, res), nodata=255)
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "井陉矿区", "boundary": {"region": "井陉矿区", "level": "self"}, "output": "out",
        "landcover": [{"year": 2015, "path": "m2015.tif", "legend": "modis_igbp"},
                      {"year": 2020, "path": "m2020.tif", "legend": "modis_igbp"}]}, allow_unicode=True), encoding="utf-8")
    lines = list(run_project(load_project(tmp_path / "p.yaml"), tmp_path / "out", draws=100))
    out = tmp_path / "out"
    assert not (out / "carbon_sink.csv").exists()
    assert "maps are not for change between years" in next(x for x in lines if "no land-cover-change sink" in x)
    tr = pd.read_csv(out / "transitions_2015_2020.csv")
    assert tr["note"].str.contains("its producer says the maps are not for change between years").all()
    from geo_sink.report import build_report
    html = build_report(load_project(tmp_path / "p.yaml"), out, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert "says its maps are not for post-classification change between years" in html       # the sink card
    assert "— the producer says these maps are not for post-classification change" in html     # the change layer
    zh = build_report(load_project(tmp_path / "p.yaml"), out, tmp_path / "r_zh.html", lang="zh").read_text(encoding="utf-8")
    assert "的产品方说明其逐年地图不能用于分类后变化分析，故不计算土地覆被变化碳汇" in zh
    assert "— 产品方说明其地图不能用于逐年的分类后变化分析" in zh
    # the API: the stocks, no sinks, and a warning saying why
    from geo_sink.sinks.carbon_run import NoSinkWarning, density_for, map_stock_series
    dens, _, _ = density_for(catalog, m, [4, 12], zones)
    with pytest.warns(NoSinkWarning, match="not for change between years"):
        st, sk, _ = map_stock_series({2015: a, 2020: b}, zones, m, dens, 44 / 12, draws=100)
    assert set(st["year"]) == {2015, 2020} and sk.empty
    zones.to_file(tmp_path / "z.gpkg")
    r = CliRunner().invoke(cli, ["carbon", str(a), str(tmp_path / "z.gpkg"), "--legend", "modis_igbp",
                                 "--lulc-later", str(b), "--years", "2015", "2020", "--draws", "100",
                                 "-o", str(tmp_path / "c.csv")])
    assert r.exit_code == 3 and "not for change between years" in r.output and not (tmp_path / "c.csv").exists()
    # a CLCD map at 30 m against the MODIS one, on another grid: refused before anything is resampled
    res2 = 0.0003
    shape2 = (int(np.ceil((n - s) / res2)), int(np.ceil((e - w) / res2)))
    c = write_raster(tmp_path / "c2020.tif", np.full(shape2, 2, np.uint8), origin=(w, n), res=(res2, res2), nodata=0)
    r = CliRunner().invoke(cli, ["carbon", str(a), str(tmp_path / "z.gpkg"), "--legend", "modis_igbp",
                                 "--lulc-later", str(c), "--legend-later", "clcd", "--align", "mode",
                                 "--years", "2015", "2020", "--draws", "100", "-o", str(tmp_path / "c.csv")])
    assert r.exit_code == 3 and "not for change between years" in r.output and not (tmp_path / "c.csv").exists()
    assert "resampl" not in r.output.split("Nothing written")[0].split("not for change")[0]
