import json

import geopandas as gpd
import numpy as np
import rasterio

from geo_sink.demo import ensure_demo, is_valid
from geo_sink.io import load_boundaries
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


def _shares(areas):
    w = areas.pivot_table(index="zone_id", columns="ecosystem", values="area_km2", aggfunc="sum", fill_value=0.0)
    return w


def test_landcover_is_calibrated_to_the_catalog_figures(demo_project, catalog):
    """The 2020 map's forest share of each county within 3 percentage points of its target (右玉县:
    the published 2021 森林覆盖率 32.81%), and the city's class shares within 3 pp of the third
    land survey shares the catalog gives (each row with its document)."""
    import pandas as pd
    cal = pd.read_csv(catalog.dataset_path("shuozhou_demo_calibration"), dtype={"zone_id": str})
    assert cal["source"].str.len().min() > 40 and set(cal["basis"]) >= {"published", "provincial stand-in"}
    zones = load_boundaries("朔州市")
    lc = load_project(demo_project).spec.landcover[-1]
    res = class_areas(lc.path, zones, catalog.legend("clcd"))
    w = _shares(res.areas)
    county = res.summary.set_index("zone_id")["zone_area_km2"]
    forest = cal[(cal.scope == "county") & (cal.ecosystem == "forest")].set_index("zone_id")["share_pct"]
    got = 100 * w["forest"] / county
    assert (got.loc[forest.index] - forest).abs().max() < 3.0, (got, forest)
    assert abs(got.loc["140623"] - 32.81) < 3.0
    city = 100 * w.sum() / county.sum()
    for r in cal[cal.scope == "city"].itertuples():
        assert abs(city[r.ecosystem] - r.share_pct) < 3.0, (r.ecosystem, city[r.ecosystem], r.share_pct)
    # placed by terrain: the basin counties hold more cropland than the upland ones
    crop = 100 * w["cropland"] / county
    assert crop.loc[["140602", "140621", "140681"]].min() > crop.loc[["140603", "140623"]].max()


def test_mines_rates_straddle_the_bar_and_reclaimed_cover_is_in_the_published_range(demo_project, catalog):
    """Per-mine reclamation rates on both sides of the plan's 60%; reclaimed dumps' mean FVC in the
    range 张泽民 et al. (2018) measured on the Antaibao dumps (0.26 for the west-dump extension to
    0.78 for tree-shrub-grass planting), about 70% of them vegetated, as they found (68-75%)."""
    import pandas as pd

    from geo_sink.steps import project_zones
    from geo_sink.reclamation_run import load_sites, reclaimed_pieces, update_series
    from geo_sink.sinks.reclamation import reclamation_rate
    p = load_project(demo_project)
    zones = project_zones(p)
    d, r = load_sites(p)
    per_mine, _ = reclamation_rate(d, r, zones)
    rates = per_mine.set_index("mine")["rate_pct"]
    assert rates.max() > 60.0 > rates.min()
    sites = pd.read_csv(catalog.dataset_path("pingshuo_demo_sites"))
    dumps = d[d["type"] == "waste_dump"].to_crs(32649)
    for row in sites[sites.type == "waste_dump"].itertuples():    # areas as the table says
        got = dumps[(dumps["mine"] == row.mine) & (dumps["part"] == row.part)].area.sum() / 1e6
        assert abs(got - row.area_km2) < 0.02 * row.area_km2 + 0.05, (row.part, got)
    params = dict(pd.read_csv(catalog.dataset_path("reclamation_parameters")).set_index("name")["value"])
    last = [s for s in p.spec.imagery.scenes if s.product == "landsat_c2_l2"]
    series, _ = update_series(None, last, reclaimed_pieces(r, d, zones), params)
    w = series["valid_km2"]
    mean_fvc = (series["mean_fvc"] * w).sum() / w.sum()
    vegetated = (series["share_vegetated_pct"] * w).sum() / w.sum()
    assert 0.26 <= mean_fvc <= 0.78 and 55.0 <= vegetated <= 85.0, (mean_fvc, vegetated)


def test_pv_case_exercises_every_siting_rule(demo_project, tmp_path):
    """Every rule removes land from the subsidence trough, and parcels above and below the
    minimum area remain (some dropped, some kept)."""
    import pandas as pd

    from geo_sink.steps import project_zones
    from geo_sink.pv.subsidence_run import run_subsidence
    p = load_project(demo_project)
    lines = run_subsidence(p, project_zones(p), tmp_path, True)
    ex = pd.read_csv(tmp_path / "pv_exclusions.csv").set_index("rule")["pixels_removed"]
    assert len(ex) == 4 and (ex > 0).all(), ex
    dropped = next(x for x in lines if "below" in x and "dropped" in x)
    n_all, n_small = (int(v) for v in __import__("re").findall(r"PV: (\d+) parcels, (\d+) below", dropped)[0])
    assert n_small >= 1 and n_all - n_small >= 2
    parcels = gpd.read_file(tmp_path / "pv_parcels.gpkg")
    assert parcels["area_km2"].min() >= 0.05 and parcels["area_km2"].max() > 2 * parcels["area_km2"].min()


def test_the_misfiled_inbox_scene_is_quarantined(demo_project, tmp_path):
    """The demo's inbox holds a scene whose folder name and STAC item disagree on the date: the
    runs move it to quarantine/ with the reason (and the demo's README says so)."""
    import shutil

    import yaml

    from geo_sink.demo.scenes import BAD_INBOX_SCENE
    from geo_sink.runs.runner import check_inbox
    from tests.conftest import project_copy
    assert BAD_INBOX_SCENE.name in (demo_project.parent / "README.md").read_text(encoding="utf-8")
    src = demo_project.parent / "inbox" / BAD_INBOX_SCENE.name
    if not src.exists():           # already consumed by a run in this session: use its quarantined copy
        src = demo_project.parent / "inbox" / "quarantine" / BAD_INBOX_SCENE.name
    inbox = tmp_path / "inbox"
    shutil.copytree(src, inbox / BAD_INBOX_SCENE.name)
    proj = project_copy(demo_project, tmp_path, lambda q: q["imagery"].update(inbox=str(inbox)))
    lines = check_inbox(load_project(proj))
    assert any(BAD_INBOX_SCENE.name in x and "quarantined" in x and "2021-09-05" in x for x in lines), lines
    assert (inbox / "quarantine" / BAD_INBOX_SCENE.name).is_dir() and not (inbox / BAD_INBOX_SCENE.name).exists()
    assert "2021-09-05" in (inbox / "quarantine" / f"{BAD_INBOX_SCENE.name}.reason.txt").read_text(encoding="utf-8")
    assert yaml.safe_load(proj.read_text(encoding="utf-8"))["imagery"]["inbox"] == str(inbox)


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
