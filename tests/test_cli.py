import pandas as pd
from click.testing import CliRunner

from geo_sink.cli import EXIT_INPUT, cli


def test_areas_on_catalog_dataset_and_region_name(tmp_path):
    out, summ = tmp_path / "a.csv", tmp_path / "s.csv"
    r = CliRunner().invoke(cli, ["areas", "mcd12c1_2019_china", "朔州市", "-o", str(out),
                                 "--summary-out", str(summ)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"zone_id": str})
    assert list(df.columns) == ["zone_id", "zone_name", "class_code", "class_name", "ecosystem", "area_km2"]
    assert set(df.zone_name) == {"朔城区", "平鲁区", "山阴县", "应县", "右玉县", "怀仁市"}
    s = pd.read_csv(summ)
    assert {"zone_area_km2", "covered_km2", "nodata_km2", "outside_km2"} <= set(s.columns)
    assert df.area_km2.sum() == pytest_approx(s.covered_km2.sum() + s.unknown_km2.sum())


def pytest_approx(x):
    import pytest
    return pytest.approx(x, rel=1e-6)


def test_unknown_region_exit_code_and_message(tmp_path):
    r = CliRunner().invoke(cli, ["areas", "mcd12c1_2019_china", "朔州", "-o", str(tmp_path / "x.csv")])
    assert r.exit_code == EXIT_INPUT
    assert "朔州市" in r.output and not (tmp_path / "x.csv").exists()


def test_raster_file_needs_legend(tmp_path, catalog):
    path = catalog.dataset_path("mcd12c1_2019_china")
    r = CliRunner().invoke(cli, ["areas", str(path), "朔州市", "-o", str(tmp_path / "x.csv")])
    assert r.exit_code == EXIT_INPUT and "--legend" in r.output


def test_regions_lists_counties():
    r = CliRunner().invoke(cli, ["regions", "140600"])
    assert r.exit_code == 0 and "平鲁区" in r.output and "140603" in r.output


def test_demo_writes_both_regions(tmp_path):
    r = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for region, year, synthetic in (("石家庄市", 2019, False), ("朔州市", 2015, True), ("朔州市", 2020, True)):
        df = pd.read_csv(tmp_path / region / f"ecosystem_areas_{year}.csv")
        assert (df.closure_pct.abs() < 0.05).all()
        assert (df.synthetic == synthetic).all()
    assert "SYNTHETIC DEMO DATA" in r.output


def test_check_project(demo_project, tmp_path):
    r = CliRunner().invoke(cli, ["check", str(demo_project)])
    assert r.exit_code == 0 and "SYNTHETIC DEMO DATA" in r.output and "[2015, 2020]" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nboundary: {region: 朔州市}\noutput: o\nlandcover: [{year: 1700, path: a.tif}]\n",
                   encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(bad)])
    assert r.exit_code == EXIT_INPUT and "landcover.0.year" in r.output
