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
