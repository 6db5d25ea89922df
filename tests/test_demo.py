import json

import geopandas as gpd
import numpy as np
import rasterio

from geo_sink.demo import ensure_demo, is_valid
from geo_sink.io import load_boundaries
from geo_sink.io.rasters import catalog_raster
from geo_sink.project import load_project
from geo_sink.zonal import class_areas


def manifest(project_yaml):
    return json.loads((project_yaml.parent / "manifest.json").read_text(encoding="utf-8"))


def test_same_seed_gives_identical_bytes(demo_project, tmp_path):
    again = ensure_demo(root=tmp_path)
    a, b = manifest(demo_project)["files"], manifest(again)["files"]
    assert a.keys() == b.keys() and len(a) > 20
    assert {k: v["sha256"] for k, v in a.items()} == {k: v["sha256"] for k, v in b.items()}


def test_cache_is_reused_and_a_damaged_file_regenerates(demo_project, tmp_path):
    p = ensure_demo(root=tmp_path, seed=7)
    lc = p.parent / "landcover_clcd_2020.tif"
    mtime = lc.stat().st_mtime_ns
    assert ensure_demo(root=tmp_path, seed=7) == p and lc.stat().st_mtime_ns == mtime
    with open(lc, "r+b") as f:
        f.truncate(100)
    assert not is_valid(p.parent)
    ensure_demo(root=tmp_path, seed=7)
    assert is_valid(p.parent) and lc.stat().st_size > 100
    # another seed is another folder with other bytes
    assert manifest(p)["files"]["landcover_clcd_2020.tif"]["sha256"] != \
        manifest(demo_project)["files"]["landcover_clcd_2020.tif"]["sha256"]


def test_everything_generated_says_synthetic(demo_project):
    folder = demo_project.parent
    for tif in folder.rglob("*.tif"):
        with rasterio.open(tif) as src:
            assert src.tags()["SYNTHETIC"] == "true", tif
    for tif in folder.rglob("*.TIF"):
        with rasterio.open(tif) as src:
            assert src.tags()["SYNTHETIC"] == "true", tif
    for gj in folder.rglob("*.geojson"):
        data = json.loads(gj.read_text(encoding="utf-8"))
        assert "synthetic" in data["description"]
        assert all(f["properties"]["synthetic"] is True for f in data["features"]), gj
    assert load_project(demo_project).spec.synthetic
    assert "SYNTHETIC DEMO DATA" in demo_project.read_text(encoding="utf-8")
    assert manifest(demo_project)["synthetic"] is True


def test_catalog_marks_demo_datasets_synthetic(catalog):
    demo = [d for d in catalog.datasets.values() if d.generated_by == "geo_sink.demo"]
    assert len(demo) >= 4 and all(d.synthetic for d in demo)
    assert all("SYNTHETIC" in d.title for d in demo)


def test_landcover_shares_follow_modis(demo_project, catalog):
    """Each ecosystem's share of each county within 12 percentage points of MODIS 2019, and the
    same dominant ecosystem (the texture moves 8% + 3% of each class by design)."""
    zones = load_boundaries("朔州市")
    lc = load_project(demo_project).spec.landcover[-1]
    gen = class_areas(lc.path, zones, catalog.legend("clcd")).areas
    path, crs = catalog_raster(catalog, "mcd12c1_2019_china")
    mod = class_areas(path, zones, catalog.legend("modis_igbp"), crs=crs).areas

    def shares(a):
        w = a.pivot_table(index="zone_id", columns="ecosystem", values="area_km2", aggfunc="sum", fill_value=0.0)
        return w.div(w.sum(axis=1), axis=0) * 100
    g, m = shares(gen), shares(mod)
    cols = sorted(set(g.columns) | set(m.columns))
    g, m = g.reindex(columns=cols, fill_value=0.0), m.reindex(columns=cols, fill_value=0.0)
    assert (g - m).abs().to_numpy().max() < 12.0
    assert (g.idxmax(axis=1) == m.idxmax(axis=1)).all()


def test_reclamation_and_afforestation_between_years(demo_project, catalog):
    """2015 -> 2020: forest grows (afforestation) and reclaimed dump land turns from barren to
    vegetation inside the mine polygons."""
    p = load_project(demo_project)
    zones = load_boundaries("朔州市")
    leg = catalog.legend("clcd")
    a15, a20 = (class_areas(lc.path, zones, leg).areas for lc in p.spec.landcover)
    eco = lambda a, e: a.loc[a.ecosystem == e, "area_km2"].sum()
    assert eco(a20, "forest") > eco(a15, "forest") + 5.0
    rec = gpd.read_file(p.spec.mines.reclaimed)
    late = rec[(rec.year > 2015) & (rec.year <= 2020)]
    assert len(late) > 0
    # the part of late reclamation not already reclaimed earlier (strips overlap by design)
    early = rec[rec.year <= 2015].union_all()
    late = late.assign(geometry=late.geometry.difference(early))
    late = late[late.area > 0]
    z = late.assign(zone_id=[str(i) for i in range(len(late))], zone_name=late.mine)
    b15 = class_areas(p.spec.landcover[0].path, z, leg).areas
    b20 = class_areas(p.spec.landcover[1].path, z, leg).areas
    assert eco(b15, "barren") > 0.8 * b15.area_km2.sum()
    assert eco(b20, "barren") < 0.05 * b20.area_km2.sum()


def test_scene_encodings(demo_project):
    p = load_project(demo_project)
    by = {s.product: s for s in p.spec.imagery.scenes}
    s2 = [s for s in p.spec.imagery.scenes if s.product == "sentinel2_l2a"]
    new = [s for s in s2 if s.date.year >= 2022][0]
    with rasterio.open(new.path / "B04.tif") as src:
        assert src.tags()["BOA_ADD_OFFSET"] == "-1000" and src.crs.to_epsg() == 32649
        assert src.read(1).min() > 1000  # reflectance > 0 plus the offset
    ls = by["landsat_c2_l2"]
    qa = next(ls.path.glob("*_QA_PIXEL.TIF"))
    with rasterio.open(qa) as src:
        vals = set(np.unique(src.read(1)).tolist())
    assert {21824, 22280, 23888} <= vals  # clear, cloud, shadow
