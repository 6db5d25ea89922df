import pandas as pd
import pytest
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
    r = CliRunner().invoke(cli, ["areas", "mcd12c1_2019_china", "朔州县", "-o", str(tmp_path / "x.csv")])
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
    for region in ("石家庄市", "朔州市"):
        for name in ("carbon_stock.csv", "forest_coverage.csv"):
            df = pd.read_csv(tmp_path / region / name)
            assert (df.synthetic == (region == "朔州市")).all()
    cov = pd.read_csv(tmp_path / "石家庄市" / "forest_coverage.csv")
    assert set(cov.target_pct) == {43.0, 43.25} and (cov.note.str.contains("official")).all()
    # what geo-sink run would warn about is in the region's warnings table and its report
    said = pd.read_csv(tmp_path / "石家庄市" / "run_warnings.csv")["warning"].tolist()
    assert sorted(w.split(" (")[0].split("target ")[1] for w in said) == ["sjz_growing_stock_2025", "sjz_growing_stock_2030"]
    assert "<section id='gs-warnings'" in (tmp_path / "石家庄市.html").read_text(encoding="utf-8")
    for name in ("carbon_sink.csv", "transitions_2015_2020.csv", "wetlands.csv", "wetland_parks.csv",
                 "carbon_density_2020.vrt", "carbon_density_2020.csv", "counties.parquet", "growing_stock.csv",
                 "growing_stock_carbon.csv",
                 "subsidence_mm.tif", "subsidence_boundary.geojson", "subsidence_by_county.csv",
                 "pv_parcels.gpkg", "pv_parcels.parquet", "pv_by_county.csv", "pv_exclusions.csv"):
        assert (tmp_path / "朔州市" / name).exists(), name
    import geopandas as gpd
    import numpy as np
    g = gpd.read_parquet(tmp_path / "朔州市" / "pv_parcels.parquet")
    assert {"parcel_id", "county", "area_km2", "mean_slope_deg", "mean_subsidence_mm", "status", "road_km",
            "capacity_mw", "score", "rank"} <= set(g.columns)
    assert (g.area_km2 >= 0.05).all() and g["rank"].tolist() == list(range(1, len(g) + 1))
    np.testing.assert_allclose(g.capacity_mw, g.area_km2 * 40, rtol=1e-9)
    assert (tmp_path / "朔州市.html").exists() and (tmp_path / "石家庄市.html").exists()


def test_check_project(demo_project, tmp_path):
    r = CliRunner().invoke(cli, ["check", str(demo_project)])
    assert r.exit_code == 0 and "SYNTHETIC DEMO DATA" in r.output and "[2015, 2020]" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nboundary: {region: 朔州市}\noutput: o\nlandcover: [{year: 1700, path: a.tif}]\n",
                   encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(bad)])
    assert r.exit_code == EXIT_INPUT and "landcover.0.year" in r.output


def test_carbon_two_years_with_outputs(demo_project, tmp_path):
    import geopandas as gpd
    import rasterio
    d = demo_project.parent
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(cli, ["carbon", str(d / "landcover_clcd_2015.tif"), "朔州市", "--legend", "clcd",
                                 "--lulc-later", str(d / "landcover_clcd_2020.tif"), "--years", "2015", "2020",
                                 "--draws", "2000", "-o", str(out), "--geoparquet", str(tmp_path / "c.parquet"),
                                 "--density-cog", str(tmp_path / "d.tif")])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"zone_id": str})
    assert list(df.columns[:5]) == ["zone_id", "zone_name", "pool", "stock_mg_c", "stock_t_co2e"]
    assert {"sink_t_co2e_yr", "sink_t_co2e_yr_p05", "sink_t_co2e_yr_p95"} <= set(df.columns)
    assert set(df.pool) == {"above", "below", "soil", "dead", "total"} and df.zone_id.nunique() == 7
    assert df["measurable"].all() and "context only" not in r.output    # 30 m maps
    # six counties, all cool temperate dry, and the row of all zones from the joint draws
    assert (df.climate_zone == "cool_temperate_dry").all()
    tot = df[df.pool == "total"].set_index("zone_id")
    assert tot.loc["ALL", "stock_t_co2e"] == pytest_approx(tot.drop("ALL")["stock_t_co2e"].sum())
    assert tot.loc["ALL", "sink_t_co2e_yr_p95"] < tot.drop("ALL")["sink_t_co2e_yr_p95"].sum()
    g = gpd.read_parquet(tmp_path / "c.parquet")
    assert len(g) == 6 and g.crs is not None and "sink_t_co2e_yr" in g.columns
    with rasterio.open(tmp_path / "d.tif") as src:
        assert src.profile["tiled"] and src.overviews(1) and src.tags()["UNITS"] == "Mg C/ha"
        assert src.tags()["CLIMATE_ZONE"] == "cool_temperate_dry"
        # forest, IPCC 2006 cool temperate dry: (20/2 + 120/2) x 0.47 + (20x0.46/2 + 120x0.23/2) x 0.47 + 50 + 28
        assert src.read(1).max() == pytest_approx(32.9 + 8.648 + 50 + 28)


def test_carbon_climate_zone_override_and_pools_conflict(demo_project, tmp_path):
    d = demo_project.parent
    out = tmp_path / "w.csv"
    r = CliRunner().invoke(cli, ["carbon", str(d / "landcover_clcd_2020.tif"), "朔州市", "--legend", "clcd",
                                 "--climate-zone", "warm_temperate_dry", "--draws", "0", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"zone_id": str})
    assert (df.climate_zone == "warm_temperate_dry").all()
    r = CliRunner().invoke(cli, ["carbon", str(d / "landcover_clcd_2020.tif"), "朔州市", "--legend", "clcd",
                                 "--pools", "carbon_pools_clcd_cool_temperate_dry", "--climate-zone",
                                 "warm_temperate_dry", "-o", str(out)])
    assert r.exit_code == EXIT_INPUT and "exclude each other" in r.output


def test_carbon_years_need_later_map(tmp_path):
    r = CliRunner().invoke(cli, ["carbon", "mcd12c1_2019_china", "朔州市", "--years", "2015", "2020",
                                 "-o", str(tmp_path / "x.csv")])
    assert r.exit_code == EXIT_INPUT and "--lulc-later" in r.output


def test_reclamation_cli_strict_keeps_series(demo_project, tmp_path):
    import shutil
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["reclamation", str(demo_project), "--out", str(out), "--draws", "500"])
    assert r.exit_code == 0, r.output
    assert "60% bar" in r.output and "vegetated" in r.output
    series = (out / "fvc_series.csv").read_bytes()
    # a project copy with an extra, corrupt scene
    from tests.conftest import copy_scene, project_copy
    bad = tmp_path / "S2A_49SFJ_20240815_0_L2A"
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", bad)
    (bad / "SCL.tif").write_bytes(b"broken")
    f = project_copy(demo_project, tmp_path, lambda proj: proj["imagery"]["scenes"].append(
        {"path": str(bad), "product": "sentinel2_l2a", "date": "2024-08-15"}))
    r = CliRunner().invoke(cli, ["reclamation", str(f), "--out", str(out), "--strict"])
    assert r.exit_code == EXIT_INPUT and "SCL" in r.output
    assert (out / "fvc_series.csv").read_bytes() == series


def test_quiet_suppresses_step_lines(demo_project, tmp_path):
    from tests.conftest import project_copy
    f = project_copy(demo_project, tmp_path, lambda p: p.update(output=str(tmp_path / "o")))
    r = CliRunner().invoke(cli, ["-q", "update", str(f), "--draws", "200"])
    assert r.exit_code == 0 and r.output.strip() == ""
    r = CliRunner().invoke(cli, ["update", str(f), "--draws", "200"])
    assert r.exit_code == 0 and "up to date" in r.output


def test_quiet_leaves_out_information_lines(tmp_path):
    out = tmp_path / "a.csv"
    loud = CliRunner().invoke(cli, ["areas", "mcd12c1_2019_china", "朔州市", "-o", str(out)])
    quiet = CliRunner().invoke(cli, ["-q", "areas", "mcd12c1_2019_china", "朔州市", "-o", str(out)])
    assert loud.exit_code == quiet.exit_code == 0
    assert "6 zones" in loud.output and quiet.output == "" and out.exists()


def test_lazy_command_table_matches_the_commands():
    """Every command in the lazy table resolves, and its one-line help is the start of the
    command's own help (so ``geo-sink --help`` never drifts from the commands)."""
    import click

    from geo_sink.cli import COMMANDS
    for name, (_, _, short) in COMMANDS.items():
        cmd = cli.get_command(click.Context(cli), name)
        assert isinstance(cmd, click.Command) and cmd.name == name
        text = " ".join(cmd.help.split())
        assert text.startswith(short.removesuffix("...")), (name, short, text[:80])


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["update", "--help"], ["carbon", "--help"],
                                  ["areas", "--help"], ["demo", "--help"], ["regions", "--help"],
                                  ["reclamation", "--help"], ["report", "--help"], ["run"],
                                  ["run", "p.yaml", "--draws", "abc"], ["carbon", "a.tif", "z.gpkg", "--draws", "-1"]])
def test_help_and_argument_errors_import_no_heavy_library(args):
    """#17: help and argument errors answer before numba, geopandas, folium, dask, matplotlib,
    pvlib (or numpy, pandas, rasterio, pyproj, shapely) are imported."""
    import subprocess
    import sys
    heavy = ("numpy", "pandas", "rasterio", "geopandas", "numba", "pyproj", "shapely", "folium", "dask",
             "matplotlib", "pvlib", "xarray")
    code = ("import sys; from click.testing import CliRunner; from geo_sink.cli import cli; "
            f"r = CliRunner().invoke(cli, {args!r}); assert r.exit_code in (0, 2), (r.exit_code, r.output); "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_cli_leaves_the_final_garbage_collection_out():
    """``main`` ends with :func:`skip_final_collection`: every object left is frozen, so the
    interpreter's exit does not walk them (0.35-0.40 s after a province-scale run)."""
    import gc

    from geo_sink.cli import skip_final_collection
    assert gc.get_freeze_count() == 0
    try:
        skip_final_collection()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_carbon_from_a_coarse_map_is_flagged_context_only(tmp_path):
    """The 0.05° MODIS map: the stock keeps its values, every row flagged with the reason, and the
    command says so (a result, not a warning: exit status 0)."""
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(cli, ["carbon", "mcd12c1_2019_china", "石家庄市", "--draws", "200", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"zone_id": str})
    assert not df["measurable"].any() and df["stock_t_co2e"].notna().all()
    assert df["measurability_note"].str.contains("0.05° ≈ 4.4 × 5.5 km at 38.1°N").all()
    assert "the stock is context only, not measurable with this map" in r.output


def test_carbon_judges_each_map_from_its_own_file(tmp_path):
    """A 20 m first map and a 200 m later map resampled onto it (--align mode): the first
    stock is measurable, the later stock and the sink are not (the later map is judged from its
    own file, not from the resampled copy on the first map's cells)."""
    import numpy as np
    from geo_sink.io import load_boundaries
    from tests.conftest import write_raster
    zones = load_boundaries("石家庄市").query("zone_name == '井陉矿区'")
    zones.to_file(tmp_path / "z.gpkg")
    w, s, e, n = zones.total_bounds
    w, s, e, n = w - 0.01, s - 0.01, e + 0.01, n + 0.01
    for name, res in (("fine.tif", 0.0002), ("coarse.tif", 0.002)):
        shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
        write_raster(tmp_path / name, np.full(shape, 1, np.uint8), origin=(w, n), res=(res, res), nodata=0)
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(cli, ["carbon", str(tmp_path / "fine.tif"), str(tmp_path / "z.gpkg"), "--legend", "clcd",
                                 "--lulc-later", str(tmp_path / "coarse.tif"), "--align", "nearest",
                                 "--years", "2015", "2020", "--draws", "100", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"zone_id": str})
    assert df["measurable"].all() and not df["stock_later_measurable"].any() and not df["sink_measurable"].any()
    assert df["sink_measurability_note"].str.contains("0.002° ≈ 175 × 222 m").all()
    assert "the later stock is context only" in r.output and "the sink is context only" in r.output
    assert "the stock is context only" not in r.output
