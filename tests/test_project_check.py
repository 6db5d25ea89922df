"""``load_project`` (``geo-sink check``) opens every referenced file and reports every problem of
their contents at once: mine fields and values, geometry types, rasters without CRS or with
several bands, land-cover codes outside the legend, scene folders without their band files."""

import json
import shutil

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml

from geo_sink.io.scenes import SceneError, read_scene, scene_band_problems
from geo_sink.project import ProjectError, load_project
from tests.conftest import project_copy, write_raster

S2 = "S2A_49SFJ_20220820_0_L2A"
LS = "LC09_L2SP_126032_20230810_20230812_02_T1"


def problems_of(path) -> list[str]:
    with pytest.raises(ProjectError) as e:
        load_project(path)
    return e.value.problems


def one(problems, *parts) -> str:
    """The single problem that contains every part."""
    hits = [p for p in problems if all(x in p for x in parts)]
    assert len(hits) == 1, (parts, problems)
    return hits[0]


@pytest.fixture
def vectors(demo_project):
    return demo_project.parent / "vectors"


def _mines_without_type_and_bad_vegetation(vectors, tmp_path):
    d = gpd.read_file(vectors / "mines_disturbed.geojson").drop(columns="type")
    d.to_file(tmp_path / "disturbed_no_type.geojson")
    r = gpd.read_file(vectors / "mines_reclaimed.geojson")
    r.loc[[0, 3], "vegetation"] = "bamboo"
    r.to_file(tmp_path / "reclaimed_bamboo.geojson")
    return tmp_path / "disturbed_no_type.geojson", tmp_path / "reclaimed_bamboo.geojson"


def _points(vectors, tmp_path):
    d = gpd.read_file(vectors / "mines_disturbed.geojson")
    d.assign(name=[f"{m}-{i}" for i, m in enumerate(d["mine"])], geometry=d.geometry.representative_point()).to_file(tmp_path / "mine_points.geojson")
    return tmp_path / "mine_points.geojson"


def _dem_without_crs(tmp_path):
    return write_raster(tmp_path / "dem_nocrs.tif", np.full((20, 20), 1200.0, np.float32), crs=None,
                        origin=(112.0, 40.0), res=(0.01, 0.01))


def _worldcover_map(tmp_path):
    codes = np.tile(np.array([10, 30, 40, 50, 60, 80], np.uint8), (60, 10))
    codes[:, :12] = 30
    return write_raster(tmp_path / "worldcover_codes.tif", codes, origin=(112.0, 40.0), res=(0.01, 0.01), nodata=0)


def _scene_without(demo_project, tmp_path, scene, pattern):
    dst = tmp_path / "scenes" / scene
    shutil.copytree(demo_project.parent / "scenes" / scene, dst)
    gone = next(dst.glob(pattern))
    gone.unlink()
    return dst


def test_mine_layer_without_type_and_with_a_bad_vegetation_in_one_error(demo_project, vectors, tmp_path):
    dist, rec = _mines_without_type_and_bad_vegetation(vectors, tmp_path)
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["mines"].update(
        disturbed=str(dist), reclaimed=str(rec))))
    assert len(probs) == 2, probs
    p = one(probs, "mines.disturbed", str(dist), "no field 'type'")
    assert "open_pit, waste_dump, subsidence" in p                          # what was expected
    p = one(probs, "mines.reclaimed", "field 'vegetation' of reclaimed_bamboo.geojson")
    assert "'bamboo' (2)" in p and "['forest', 'grassland', 'shrub']" in p and "reclaimed_carbon.csv" in p


def test_mine_values_names_types_and_unknown_mines(demo_project, vectors, tmp_path):
    d = gpd.read_file(vectors / "mines_disturbed.geojson")
    d.loc[0, "type"] = "open-pit"
    d.loc[1, "mine"] = None
    d.to_file(tmp_path / "d.geojson")
    r = gpd.read_file(vectors / "mines_reclaimed.geojson")
    r.loc[0, "mine"] = "无名矿"
    r["year"] = r["year"].astype(float)
    r.loc[1, "year"] = 2009.5
    r.to_file(tmp_path / "r.geojson")
    f = project_copy(demo_project, tmp_path, lambda p: p["mines"].update(
        disturbed=str(tmp_path / "d.geojson"), reclaimed=str(tmp_path / "r.geojson")))
    probs = problems_of(f)
    assert "'open-pit' (1)" in one(probs, "mines.disturbed", "field 'type'", "one of ['open_pit', 'waste_dump', 'subsidence']")
    one(probs, "mines.disturbed", "field 'mine'", "is empty in 1 row(s)")
    one(probs, "mines.reclaimed", "field 'year' of r.geojson must hold years", "2009.5")
    # a reclaimed mine no disturbed polygon names counts nowhere: a warning, once the rest is fixed
    d.loc[0, "type"], d.loc[1, "mine"] = "open_pit", d.loc[2, "mine"]
    d.to_file(tmp_path / "d.geojson")
    r.loc[1, "year"] = 2009
    r.to_file(tmp_path / "r.geojson")
    w = load_project(f).warnings
    assert any("mines.reclaimed: mine(s) ['无名矿']" in x and "no mine's or county's reclamation rate" in x for x in w), w


def test_dem_without_crs_names_pv_constraints_dem(demo_project, tmp_path):
    dem = _dem_without_crs(tmp_path)
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["pv_constraints"].update(dem=str(dem))))
    assert probs == [f"pv_constraints.dem: {dem} has no CRS (it would be placed at the wrong position); "
                     "write one into the file (gdal_edit.py -a_srs EPSG:...)"]


def test_multiband_dem_is_a_problem(demo_project, tmp_path):
    dem = write_raster(tmp_path / "dem3.tif", np.ones((3, 20, 20), np.float32)[0], origin=(112.0, 40.0),
                       res=(0.01, 0.01), count=3)
    with rasterio.open(dem, "r+") as dst:
        dst.write(np.ones((3, 20, 20), np.float32))
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["pv_constraints"].update(dem=str(dem))))
    one(probs, "pv_constraints.dem", "has 3 bands; expected a single-band raster")


@pytest.mark.parametrize("scene,pattern,band", [(S2, "B08.tif", "no B08 (NIR) band file (expected B08.tif, *_B08_10m.jp2 or *B08*.tif)"),
                                                (LS, "*_SR_B5.TIF", "no SR_B5 (NIR) band file (expected *_SR_B5.TIF or *_SR_B5.tif)"),
                                                (LS, "*_QA_PIXEL.TIF", "no QA_PIXEL (QA) band file")])
def test_scene_folder_without_a_band_file(demo_project, tmp_path, scene, pattern, band):
    folder = _scene_without(demo_project, tmp_path, scene, pattern)

    def edit(p):
        i = next(i for i, s in enumerate(p["imagery"]["scenes"]) if s["path"].endswith(scene))
        p["imagery"]["scenes"][i]["path"] = str(folder)
    probs = problems_of(project_copy(demo_project, tmp_path, edit))
    assert len(probs) == 1 and probs[0].startswith("imagery.scenes[") and f"].path: {folder}: {band}" in probs[0], probs
    # the reader looks for the same files and says the same
    with pytest.raises(SceneError) as e:
        read_scene(folder, "sentinel2_l2a" if scene == S2 else "landsat_c2_l2")
    assert str(e.value) == f"{folder}: {band}" or band in str(e.value)


def test_scene_band_problems_open_the_files(demo_project, tmp_path):
    folder = tmp_path / S2
    shutil.copytree(demo_project.parent / "scenes" / S2, folder)
    assert scene_band_problems(folder, "sentinel2_l2a") == []
    (folder / "SCL.tif").write_bytes(b"broken")
    assert scene_band_problems(folder, "sentinel2_l2a", open_files=False) == []
    (p,) = scene_band_problems(folder, "sentinel2_l2a")
    assert p.startswith(f"{folder / 'SCL.tif'}: unreadable band")
    (folder / "SCL.tif").unlink()
    shutil.copy(demo_project.parent / "scenes" / S2 / "SCL.tif", folder / "SCL.tif")
    with rasterio.open(folder / "B04.tif") as src:                # B08 on another grid than B04
        prof, a = src.profile, src.read(1)
    prof.update(width=a.shape[1] - 1)
    with rasterio.open(folder / "B08.tif", "w", **prof) as dst:
        dst.write(a[:, :-1], 1)
    assert scene_band_problems(folder, "sentinel2_l2a") == [f"{folder}: B04 and B08 are not on one grid"]


def test_inbox_scene_without_a_band_is_a_warning(demo_project, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    from tests.conftest import copy_scene
    bad = copy_scene(demo_project.parent / "scenes" / S2, inbox / "S2A_49SFJ_20240815_0_L2A")
    (bad / "SCL.tif").unlink()
    p = load_project(project_copy(demo_project, tmp_path, lambda p: p["imagery"].update(inbox=str(inbox))))
    w = [x for x in p.warnings if x.startswith("imagery.inbox:")]
    assert len(w) == 1 and f"{bad}: no SCL (scene classification) band file" in w[0] and "quarantine" in w[0]


def test_worldcover_codes_declared_clcd(demo_project, tmp_path):
    lc = _worldcover_map(tmp_path)
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["landcover"][1].update(path=str(lc))))
    p = one(probs, "landcover[1] (year 2020).path: is worldcover_codes.tif a map in legend 'clcd'?")
    assert "100.0% of the sampled valid cells" in p
    for code in ("10 (", "30 (", "40 (", "50 (", "60 (", "80 ("):
        assert code in p
    assert "30 (" in p.split(": ", 2)[2].split(",")[0]                    # most frequent first
    assert "'worldcover'" in p                                               # the legend the codes fit


def test_few_stray_codes_are_a_warning(demo_project, tmp_path):
    codes = np.tile(np.arange(1, 10, dtype=np.uint8), (100, 12))
    codes[:2, :50] = 200                                                     # 100 of 10,800 cells: 0.9%
    codes[50:, :] = np.where(codes[50:, :] == 5, 99, codes[50:, :])         # and a second stray code
    lc = write_raster(tmp_path / "clcd_stray.tif", codes, origin=(112.0, 40.0), res=(0.01, 0.01))
    p = load_project(project_copy(demo_project, tmp_path, lambda p: p["landcover"][0].update(path=str(lc))))
    (w,) = [x for x in p.warnings if x.startswith("landcover[0]")]
    assert "codes not in legend 'clcd'" in w and "99 (" in w and "200 (0.9%)" in w
    # one unknown code (a fill value not declared nodata), even a large share of the map: a warning
    codes = np.tile(np.arange(1, 10, dtype=np.uint8), (100, 12))
    codes[:, :40] = 255
    lc = write_raster(tmp_path / "clcd_fill.tif", codes, origin=(112.0, 40.0), res=(0.01, 0.01))
    p = load_project(project_copy(demo_project, tmp_path, lambda p: p["landcover"][0].update(path=str(lc))))
    (w,) = [x for x in p.warnings if x.startswith("landcover[0]")]
    assert "255 (37.0%)" in w and "gdal_edit.py -a_nodata 255" in w


def test_code_sample_of_a_large_tiled_map_ignores_averaged_overviews(tmp_path):
    from geo_sink.catalog import load_catalog
    from geo_sink.project import _legend_checks, _sample_cells
    a = np.zeros((2048, 2048), np.uint8)
    a[::2], a[1::2] = 1, 9                                                   # CLCD codes; their average is 5
    path = write_raster(tmp_path / "big.tif", a, origin=(112.0, 40.0), res=(0.0003, 0.0003), tiled=True)
    with rasterio.open(path, "r+") as dst:
        dst.build_overviews([2, 4], rasterio.enums.Resampling.average)
    with rasterio.open(path) as src:                                         # 16,384 blocks of 16 x 16
        v = _sample_cells(src)
    assert 0 < v.size <= 64 * 16 * 16 and set(np.unique(v)) <= {1, 9}
    assert _legend_checks(path, "k", "clcd", load_catalog()) == ([], [])
    probs, _ = _legend_checks(path, "k", "worldcover", load_catalog())
    assert len(probs) == 1 and "is big.tif a map in legend 'worldcover'?" in probs[0] and "'clcd'" in probs[0]


def test_point_layer_as_disturbed_mines(demo_project, vectors, tmp_path):
    pts = _points(vectors, tmp_path)
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["mines"].update(disturbed=str(pts))))
    assert probs == [f"mines.disturbed: {pts} holds Point geometry; expected polygons (Polygon or MultiPolygon)"]


def test_geometry_kinds_of_pv_constraints_and_mixed_layers(demo_project, vectors, tmp_path):
    roads = gpd.read_file(vectors / "roads.geojson")
    roads.assign(geometry=roads.geometry.representative_point()).to_file(tmp_path / "road_points.geojson")
    crop = gpd.read_file(vectors / "cropland.geojson").head(3)
    crop.assign(geometry=crop.geometry.boundary).to_file(tmp_path / "crop_lines.geojson")
    # GeoJSON with Polygon and MultiPolygon features declares no single type: the features decide
    wet = gpd.read_file(vectors / "wetland_parks.geojson")
    wet.loc[0, "geometry"] = shapely.MultiPolygon([wet.geometry.iloc[0]])
    wet.to_file(tmp_path / "wet_mixed.geojson")
    assert json.loads((tmp_path / "wet_mixed.geojson").read_text())["features"][0]["geometry"]["type"] == "MultiPolygon"
    settle = gpd.read_file(vectors / "settlements.geojson")                # village points are buffered: fine
    settle.assign(geometry=settle.geometry.representative_point()).to_file(tmp_path / "village_points.geojson")
    rivers = gpd.read_file(vectors / "rivers.geojson")
    mixed = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[rivers.geometry.iloc[0], rivers.geometry.iloc[0].centroid],
                             crs=rivers.crs)
    mixed.to_file(tmp_path / "river_mixed.geojson")

    def edit(p):
        p["pv_constraints"].update(roads=str(tmp_path / "road_points.geojson"), cropland=str(tmp_path / "crop_lines.geojson"),
                                   settlements=str(tmp_path / "village_points.geojson"),
                                   rivers=str(tmp_path / "river_mixed.geojson"))
        p["wetlands"]["file"] = str(tmp_path / "wet_mixed.geojson")
    probs = problems_of(project_copy(demo_project, tmp_path, edit))
    assert len(probs) == 3, probs
    one(probs, "pv_constraints.roads", "holds Point geometry; expected lines or polygons")
    one(probs, "pv_constraints.cropland", "holds LineString geometry; expected polygons")
    one(probs, "pv_constraints.rivers", "holds 1 LineString, 1 Point feature(s); expected lines or polygons")


def test_boundary_file_ids_and_geometry(tmp_path):
    write_raster(tmp_path / "lc.tif", np.ones((4, 4), np.uint8), origin=(112.0, 40.0), res=(0.01, 0.01))
    sq = [shapely.box(112 + i * 0.01, 39.97, 112.01 + i * 0.01, 40.0) for i in range(4)]
    gpd.GeoDataFrame({"code": ["a", "a", "b", None], "名称": ["甲", "乙", "丙", "丁"]}, geometry=sq,
                     crs=4326).to_file(tmp_path / "zones.geojson")
    gpd.GeoDataFrame({"code": ["a"], "名称": ["甲"]}, geometry=[shapely.Point(112, 40)],
                     crs=4326).to_file(tmp_path / "zone_points.geojson")
    gpd.GeoDataFrame({"code": [], "名称": []}, geometry=[], crs=4326).to_file(tmp_path / "no_zones.gpkg")

    def project(file, **more):
        data = {"name": "测试", "boundary": {"file": file, "id_field": "code", "name_field": "名称", **more},
                "landcover": [{"year": 2020, "path": "lc.tif", "legend": "clcd"}], "output": "out"}
        f = tmp_path / "p.yaml"
        f.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return f
    probs = problems_of(project("zones.geojson"))
    assert len(probs) == 2, probs
    one(probs, "boundary.file: field 'code' of zones.geojson must be unique", "'a' x2")
    one(probs, "boundary.file: field 'code' of zones.geojson is empty in 1 row(s)")
    assert problems_of(project("zone_points.geojson")) == [
        f"boundary.file: {tmp_path / 'zone_points.geojson'} holds Point geometry; expected polygons (Polygon or MultiPolygon)"]
    (p,) = problems_of(project("no_zones.gpkg"))
    assert p.startswith(f"boundary.file: {tmp_path / 'no_zones.gpkg'} holds no features")


def test_panel_fields_the_model_needs(demo_project, vectors, tmp_path):
    pan = gpd.read_file(vectors / "longwall_panels.geojson").drop(columns="depth_m")
    pan.loc[1, "dip_deg"] = 95.0
    pan.loc[2, "thickness_m"] = None
    pan.to_file(tmp_path / "panels.geojson")
    probs = problems_of(project_copy(demo_project, tmp_path, lambda p: p["subsidence"].update(panels=str(tmp_path / "panels.geojson"))))
    assert len(probs) == 3, probs
    one(probs, "subsidence.panels", "no field 'depth_m' (mean mining depth H, m; the panel model needs it)")
    one(probs, "subsidence.panels", "field 'dip_deg'", "0 to < 90 degrees", "95.0")
    one(probs, "subsidence.panels", "field 'thickness_m'", "(empty)")


def test_every_problem_at_once(demo_project, vectors, tmp_path):
    dist, rec = _mines_without_type_and_bad_vegetation(vectors, tmp_path)
    dem = _dem_without_crs(tmp_path)
    lc = _worldcover_map(tmp_path)
    s2 = _scene_without(demo_project, tmp_path, S2, "B08.tif")
    pts = _points(vectors, tmp_path)

    def edit(p):
        p["mines"].update(disturbed=str(dist), reclaimed=str(rec))
        p["pv_constraints"].update(dem=str(dem), settlements=str(tmp_path / "nowhere.geojson"))
        p["landcover"][1]["path"] = str(lc)
        i = next(i for i, s in enumerate(p["imagery"]["scenes"]) if s["path"].endswith(S2))
        p["imagery"]["scenes"][i]["path"] = str(s2)
        p["wetlands"]["file"] = str(pts)                                     # points as areas, here too
    probs = problems_of(project_copy(demo_project, tmp_path, edit))
    one(probs, "mines.disturbed", "no field 'type'")
    one(probs, "mines.reclaimed", "'bamboo'")
    one(probs, "pv_constraints.dem", "has no CRS")
    one(probs, "pv_constraints.settlements", "does not exist")
    one(probs, "landcover[1] (year 2020).path: is worldcover_codes.tif a map in legend 'clcd'?")
    one(probs, "imagery.scenes[", "no B08 (NIR) band file")
    one(probs, "wetlands.file", "holds Point geometry")
    assert len(probs) == 7, probs


def test_demo_project_is_clean_and_quick(demo_project):
    import time
    load_project(demo_project)
    t0 = time.perf_counter()
    p = load_project(demo_project)
    assert time.perf_counter() - t0 < 3.0
    assert p.warnings == []


def test_observed_years_after_this_year_are_refused(demo_project, tmp_path, monkeypatch):
    """A land-cover map or an inventory dated after this year is a typo (a 2099 map), said with
    its key; this year itself is fine (a map of the current year can exist)."""
    import geo_sink.project as gp

    def edit(p):
        p["landcover"][-1]["year"] = 2099
    probs = problems_of(project_copy(demo_project, tmp_path, edit))
    assert "2099 is after this year" in one(probs, "landcover[1] (year 2099).year")
    same = tmp_path / "same"
    same.mkdir()
    path = project_copy(demo_project, same)           # the demo: maps of 2015 and 2020, inventory of 2020
    monkeypatch.setattr(gp, "this_year", lambda: 2020)
    load_project(path)
    monkeypatch.setattr(gp, "this_year", lambda: 2019)
    probs = problems_of(path)
    assert "2020 is after this year (2019)" in one(probs, "landcover[1] (year 2020).year")
    assert "2020 is after this year (2019)" in one(probs, "growing_stock.year")
