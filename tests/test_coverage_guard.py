"""A county the map does not cover gets no coverage, stock or sink value (never 0), and the
region row says which counties its sum leaves out."""

import numpy as np
import pandas as pd
import pytest
import yaml

from geo_sink.measurability import map_coverage
from tests.conftest import write_raster


def test_map_coverage_tolerance():
    s = pd.DataFrame({"zone_id": ["a", "b", "c"], "zone_name": ["甲", "乙", "丙"],
                      "zone_area_km2": [100.0, 100.0, 100.0], "covered_km2": [99.6, 99.4, 0.0]})
    g = map_coverage(s, 0.5).set_index("zone_id")
    assert g["measured"].tolist() == [True, False, False]
    assert g.loc["b", "covered_pct"] == pytest.approx(99.4)
    assert "covers 99.4%" in g.loc["b", "coverage_note"] and g.loc["a", "coverage_note"] == ""


@pytest.fixture(scope="module")
def one_county_run(tmp_path_factory):
    """A hand-made map of 右玉县 only (forest at 0.001 deg) in a project for all of 朔州市."""
    from geo_sink.io import load_boundaries
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project

    tmp = tmp_path_factory.mktemp("guard")
    b = load_boundaries("朔州市").set_index("zone_name").loc["右玉县"].geometry.bounds
    w, s, e, n = b[0] - 0.01, b[1] - 0.01, b[2] + 0.01, b[3] + 0.01
    res = 0.001
    shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
    write_raster(tmp / "youyu.tif", np.full(shape, 2, np.uint8), origin=(w, n), res=(res, res), nodata=0)
    (tmp / "p.yaml").write_text(yaml.safe_dump({
        "name": "朔州试算", "boundary": {"region": "朔州市"}, "output": "out",
        "landcover": [{"year": 2020, "path": "youyu.tif", "legend": "clcd"}],
        "targets": []}, allow_unicode=True), encoding="utf-8")
    p = load_project(tmp / "p.yaml")
    lines = list(run_project(p, tmp / "out", draws=500))
    return tmp / "out", lines


def test_uncovered_counties_get_no_coverage(one_county_run):
    out, lines = one_county_run
    cov = pd.read_csv(out / "forest_coverage.csv", dtype={"zone_id": str}).set_index("zone_name")
    assert cov.loc["右玉县", "coverage_pct"] == pytest.approx(100.0, abs=0.01)
    others = cov.drop(index=["右玉县", "(all zones)"])
    assert len(others) == 5 and others["coverage_pct"].isna().all() and others["forest_km2"].isna().all()
    assert others["coverage_note"].str.contains("no value").all()
    allrow = cov.loc["(all zones)"]
    assert allrow["coverage_pct"] == pytest.approx(100.0, abs=0.01)        # 右玉县 alone, not 5 zeros
    assert allrow["zone_area_km2"] == pytest.approx(cov.loc["右玉县", "zone_area_km2"])
    assert set(allrow["zones_left_out"].split(", ")) == set(others.index)
    assert any("no value for" in x and "平鲁区" in x for x in lines)


def test_uncovered_counties_get_no_stock_and_the_city_row_says_so(one_county_run, catalog):
    out, _ = one_county_run
    st = pd.read_csv(out / "carbon_stock.csv", dtype={"zone_id": str})
    tot = st[st.pool == "total"].set_index("zone_name")
    assert tot.drop(index=["右玉县", "朔州市"])["stock_mg_c"].isna().all()
    assert (tot.drop(index=["右玉县", "朔州市"])["note"].str.contains("no value")).all()
    assert tot.loc["朔州市", "stock_mg_c"] == pytest.approx(tot.loc["右玉县", "stock_mg_c"])
    assert "leaves out" in tot.loc["朔州市", "note"] and "平鲁区" in tot.loc["朔州市", "note"]
    # 右玉县 all forest, cool temperate dry: area x total forest density
    from geo_sink.sinks.carbon_run import tier1_defaults
    dens = tier1_defaults(catalog).mean_densities("cool_temperate_dry", ["forest"]).sum()
    area_ha = pd.read_csv(out / "class_areas_2020.csv", dtype={"zone_id": str}).query("zone_name == '右玉县'")["area_km2"].sum() * 100
    assert tot.loc["右玉县", "stock_mg_c"] == pytest.approx(area_ha * dens, rel=1e-9)


def test_maps_on_other_grids_give_no_sink(tmp_path):
    """Two years on different cells: stocks per year, but no stock-difference sink, and the
    message names both grids."""
    from geo_sink.io import load_boundaries
    from geo_sink.measurability import difference_problem
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project

    w, s, e, n = load_boundaries("朔州市").set_index("zone_name").loc["右玉县"].geometry.bounds
    w, s, e, n = w - 0.01, s - 0.01, e + 0.01, n + 0.01
    for name, res, code in (("a.tif", 0.001, 4), ("b.tif", 0.002, 2)):
        shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
        write_raster(tmp_path / name, np.full(shape, code, np.uint8), origin=(w, n), res=(res, res), nodata=0)
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "右玉试算", "boundary": {"region": "右玉县", "level": "self"}, "output": "out",
        "landcover": [{"year": 2015, "path": "a.tif", "legend": "clcd"}, {"year": 2020, "path": "b.tif", "legend": "clcd"}]},
        allow_unicode=True), encoding="utf-8")
    lines = list(run_project(load_project(tmp_path / "p.yaml"), tmp_path / "out", draws=100))
    msg = next(x for x in lines if "no land-cover-change sink" in x)
    assert "cell 0.001 x 0.001" in msg and "cell 0.002 x 0.002" in msg
    assert not (tmp_path / "out" / "carbon_sink.csv").exists()
    st = pd.read_csv(tmp_path / "out" / "carbon_stock.csv")
    assert set(st["year"]) == {2015, 2020}
    from affine import Affine
    import pyproj
    from geo_sink.grid import Grid
    g = Grid(10, 10, Affine(30, 0, 0, 0, -30, 0), pyproj.CRS(3857))
    assert difference_problem({2015: (g, "clcd"), 2020: (g, "clcd")}) is None
    assert "legend worldcover" in difference_problem({2015: (g, "clcd"), 2020: (g, "worldcover")})
