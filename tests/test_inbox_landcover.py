"""New land-cover years through the inbox (issue #15): a GeoTIFF whose name or tags give its
year and legend joins the run's series; anything not understood is moved aside with the reason."""

import numpy as np
import pandas as pd
import pytest
import yaml

from geo_sink.io.inbox import InboxLandCover, classify_landcover_file
from tests.conftest import write_raster

LEGENDS = ("clcd", "worldcover", "globeland30", "modis_igbp")


def tif(tmp_path, name, crs="EPSG:4326", **tags):
    p = write_raster(tmp_path / name, np.ones((4, 4), np.uint8), crs=crs, origin=(112.0, 38.5), res=(0.001, 0.001),
                     nodata=0)
    if tags:
        import rasterio
        with rasterio.open(p, "r+") as ds:
            ds.update_tags(**tags)
    return p


@pytest.mark.parametrize("name, year, legend, basis", [
    ("CLCD_v01_2021_albert.tif", 2021, "clcd", "name"),
    ("ESA_WorldCover_10m_2021_v200_N36E111_Map.tif", 2021, "worldcover", "name"),
    ("GLC30_2020_N49_35.tif", 2020, "globeland30", "name"),
    ("landcover_clcd_2015.tif", 2015, "clcd", "name"),
])
def test_year_and_legend_from_product_names(tmp_path, name, year, legend, basis):
    m = classify_landcover_file(tif(tmp_path, name), LEGENDS)
    assert isinstance(m, InboxLandCover) and (m.year, m.legend, m.basis) == (year, legend, basis)


def test_tags_give_year_and_legend(tmp_path):
    m = classify_landcover_file(tif(tmp_path, "xinfu_map.tif", YEAR="2022", LEGEND="worldcover",
                                    GEO_SINK_SYNTHETIC="true"), LEGENDS)
    assert (m.year, m.legend, m.basis, m.synthetic) == (2022, "worldcover", "tags", True)


@pytest.mark.parametrize("name, tags, crs, reason", [
    ("landcover_2020.tif", {}, "EPSG:4326", "no legend"),
    ("clcd_map.tif", {}, "EPSG:4326", "no year"),
    ("clcd_2015_2020_change.tif", {}, "EPSG:4326", "several [2015, 2020]"),
    ("CLCD_v01_2021_albert.tif", {"YEAR": "2020"}, "EPSG:4326", "its name says [2021] but its YEAR tag 2020"),
    ("CLCD_v01_2021_albert.tif", {"LEGEND": "worldcover"}, "EPSG:4326", "legend ['clcd'] but its LEGEND tag"),
    ("x_2021.tif", {"LEGEND": "corine"}, "EPSG:4326", "'corine' is not a catalog legend"),
    ("CLCD_v01_2021_albert.tif", {}, None, "no CRS"),
    ("landcover_clcd_2099.tif", {}, "EPSG:4326", "2099 is after this year"),
    ("xinfu_map.tif", {"YEAR": "2099", "LEGEND": "clcd"}, "EPSG:4326", "2099 is after this year"),
])
def test_files_not_understood_say_why(tmp_path, name, tags, crs, reason):
    res = classify_landcover_file(tif(tmp_path, name, crs=crs, **tags), LEGENDS)
    assert isinstance(res, str) and reason in res


def test_a_text_file_is_not_understood(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert "not a scene folder or a land-cover GeoTIFF" in classify_landcover_file(tmp_path / "notes.txt", LEGENDS)


@pytest.fixture(scope="module")
def inbox_run(tmp_path_factory):
    """忻府区 with a listed 2015 map (all cropland) and, in the inbox, a CLCD 2020 map (the
    northern half forest), a text file and a folder that is no scene."""
    from geo_sink.io import load_boundaries
    from geo_sink.project import load_project
    from geo_sink.runs.runner import run

    tmp = tmp_path_factory.mktemp("inbox")
    b = load_boundaries("忻府区").geometry.iloc[0].bounds
    w, s, e, n = b[0] - 0.01, b[1] - 0.01, b[2] + 0.01, b[3] + 0.01
    res = 0.0008
    shape = (int(np.ceil((n - s) / res)), int(np.ceil((e - w) / res)))
    crop = np.ones(shape, np.uint8)
    later = crop.copy()
    later[: shape[0] // 2] = 2
    write_raster(tmp / "xinfu_2015.tif", crop, origin=(w, n), res=(res, res), nodata=0)
    inbox = tmp / "inbox"
    inbox.mkdir()
    write_raster(inbox / "CLCD_v01_2020_albert.tif", later, origin=(w, n), res=(res, res), nodata=0)
    (inbox / "readme.txt").write_text("maps from the bureau")
    (inbox / "old_stuff").mkdir()
    (tmp / "p.yaml").write_text(yaml.safe_dump({
        "name": "忻府区", "boundary": {"region": "忻府区"}, "output": "out",
        "landcover": [{"year": 2015, "path": "xinfu_2015.tif", "legend": "clcd"}],
        "imagery": {"inbox": "inbox"}}, allow_unicode=True), encoding="utf-8")
    before = (tmp / "p.yaml").read_bytes()
    p = load_project(tmp / "p.yaml")
    lines = [str(x) for x in run(p, draws=100)]
    return tmp, p, lines, before


def test_inbox_map_joins_the_series_and_the_project_file_is_unchanged(inbox_run):
    tmp, p, lines, before = inbox_run
    out = p.output
    assert (out / "class_areas_2020.csv").is_file() and (out / "transitions_2015_2020.csv").is_file()
    tr = pd.read_csv(out / "transitions_2015_2020.csv")
    # half of the map went from cropland (1) to forest (2): the changed area is about half the county
    changed = tr[(tr.from_code == 1) & (tr.to_code == 2)]["area_km2"].sum()
    total = tr["area_km2"].sum()
    assert 0.3 < changed / total < 0.7
    assert (tmp / "p.yaml").read_bytes() == before
    assert any("CLCD_v01_2020_albert.tif used as land-cover year 2020 (legend clcd, from its name)" in x for x in lines)
    from geo_sink.runs import ledger
    ev = ledger.events(out)
    assert any(k == "landcover_from_inbox" and item.endswith("CLCD_v01_2020_albert.tif") for _, k, item, _ in ev)


def test_what_the_inbox_does_not_understand_is_moved_aside_with_the_reason(inbox_run):
    tmp, _, lines, _ = inbox_run
    q = tmp / "inbox" / "quarantine"
    assert (q / "readme.txt").is_file() and (q / "old_stuff").is_dir()
    assert "not a scene folder or a land-cover GeoTIFF" in (q / "readme.txt.reason.txt").read_text(encoding="utf-8")
    assert "not a Sentinel-2 L2A or Landsat C2 L2 scene folder" in (q / "old_stuff.reason.txt").read_text(encoding="utf-8")
    assert sum("moved aside" in x for x in lines) == 2


def test_an_inbox_map_of_a_listed_year_is_moved_aside(inbox_run):
    from geo_sink.project import load_project
    from geo_sink.runs.runner import update
    tmp, p, _, _ = inbox_run
    import shutil
    shutil.copy(tmp / "xinfu_2015.tif", tmp / "inbox" / "landcover_clcd_2015.tif")
    lines = [str(x) for x in update(load_project(p.path), draws=100)]
    assert any("land-cover year 2015 is already in the project (landcover[0])" in x for x in lines)
    assert (tmp / "inbox" / "quarantine" / "landcover_clcd_2015.tif").is_file()
    # nothing to recompute, but the folder says what was moved aside (run_warnings.csv, report)
    assert "recomputed: nothing" in lines[-1]
    import pandas as pd
    said = pd.read_csv(p.output / "run_warnings.csv")["warning"].tolist()
    assert any("landcover_clcd_2015.tif" in w and "already in the project" in w for w in said)
    assert any("up to date" in str(x) for x in update(load_project(p.path), draws=100))     # said once


def test_a_worldcover_year_in_a_clcd_project_gets_its_stock_but_no_sink(tmp_path):
    """Grid and legend guard (#15) in a project: 2015 in CLCD, 2020 the same land in WorldCover
    codes (forest 2 -> 10, cropland 1 -> 40) on the same grid.  Each year's stock is priced by
    its ecosystem classes, so both years' stocks are equal; a stock difference across legends
    is refused with both legends named."""
    from geo_sink.project import load_project
    from geo_sink.runs.runner import run

    w, n, res = 112.50, 38.50, 0.0008
    a = np.ones((300, 400), np.uint8)
    a[:150] = 2
    write_raster(tmp_path / "clcd_2015.tif", a, origin=(w, n), res=(res, res), nodata=0)
    b = np.where(a == 2, 10, 40).astype(np.uint8)
    write_raster(tmp_path / "wc_2020.tif", b, origin=(w, n), res=(res, res), nodata=0)
    import geopandas as gpd
    import shapely
    gpd.GeoDataFrame({"code": ["A"], "name": ["甲"]}, geometry=[shapely.box(w + 0.02, n - 0.22, w + 0.3, n - 0.02)],
                     crs=4326).to_file(tmp_path / "z.gpkg")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "测试", "boundary": {"file": "z.gpkg", "id_field": "code", "name_field": "name"}, "output": "out",
        "climate_zone": "warm_temperate_dry",
        "landcover": [{"year": 2015, "path": "clcd_2015.tif", "legend": "clcd"},
                      {"year": 2020, "path": "wc_2020.tif", "legend": "worldcover"}]}, allow_unicode=True),
        encoding="utf-8")
    p = load_project(tmp_path / "p.yaml")
    lines = [str(x) for x in run(p, draws=0)]
    st = pd.read_csv(p.output / "carbon_stock.csv", dtype={"zone_id": str})
    tot = st[(st.pool == "total") & (st.zone_id == "A")].set_index("year")["stock_mg_c"]
    assert tot.loc[2015] > 0 and tot.loc[2020] == pytest.approx(tot.loc[2015], rel=1e-12)
    assert not (p.output / "carbon_sink.csv").exists()
    assert any("different legends (2015: clcd, 2020: worldcover)" in x for x in lines)
    assert any("no land-cover-change sink" in x and "legend clcd" in x and "legend worldcover" in x for x in lines)
    assert (p.output / "carbon_density_2020.vrt").is_file() and (p.output / "carbon_density_2020.csv").is_file()
