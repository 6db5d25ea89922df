"""The pipeline as declared steps (#17): declarations, no import cycle, and an update that
recomputes exactly what depends on a change and equals a full run, for every kind of change."""

from __future__ import annotations

import ast
import json
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from geo_sink.outputs import OUTPUTS
from geo_sink.project import load_project
from geo_sink.steps import STEPS, run_project
from geo_sink.steps.chain import STATE, read_manifest
from tests.conftest import copy_scene, project_copy

DRAWS = 300
ROOT = Path(__file__).resolve().parents[1] / "geo_sink"


# --- declarations -------------------------------------------------------------------------

def test_steps_come_after_what_they_read_and_declare_registered_outputs():
    names = [s.name for s in STEPS]
    assert len(names) == len(set(names))
    for i, s in enumerate(STEPS):
        assert set(s.needs) <= set(names[:i]), (s.name, s.needs)
    ids = {o.id for o in OUTPUTS}
    declared = {o for s in STEPS for o in s.outputs}
    assert declared <= ids, declared - ids
    # every registered output is written by the step the registry names
    for o in OUTPUTS:
        owner = [s.name for s in STEPS if o.id in s.outputs]
        assert owner == [o.step], (o.id, owner, o.step)


def _import_graph() -> dict[str, set[str]]:
    mods = {}
    for p in ROOT.rglob("*.py"):
        name = ".".join(p.relative_to(ROOT.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("geo_sink"):
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(mods)
                graph[m] |= subs
                if node.module in mods and len(subs) < len(node.names):
                    graph[m].add(node.module)
            elif isinstance(node, ast.Import):
                graph[m] |= {a.name for a in node.names} & set(mods)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_the_package():
    """Module-level and function-level imports alike (``from pkg import submodule`` counts as
    the submodule)."""
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_report_and_steps_do_not_import_the_pipeline_or_the_runner():
    g = _import_graph()
    for m, deps in g.items():
        if m.startswith(("geo_sink.report", "geo_sink.steps")):
            assert not deps & {"geo_sink.pipeline", "geo_sink.runs.runner"}, (m, deps)


# --- one run of the demo, then an update per kind of change --------------------------------

@pytest.fixture
def demo(demo_project, tmp_path):
    """A private copy of the demo project (its land cover and inbox copied too), run once."""
    lc_dir = tmp_path / "lc"
    lc_dir.mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cat_copy = tmp_path / "catalog"

    def edit(p):
        for lc in p["landcover"]:
            src = (demo_project.parent / lc["path"]).resolve()
            shutil.copy2(src, lc_dir / src.name)
            lc["path"] = str(lc_dir / src.name)
        p["imagery"]["inbox"] = str(inbox)
        p["output"] = str(tmp_path / "out")
    path = project_copy(demo_project, tmp_path, edit)
    from geo_sink.catalog.loader import default_catalog_dir
    shutil.copytree(default_catalog_dir(), cat_copy)
    return path, inbox, cat_copy


def _run(path: Path, out: Path, seed_from: Path | None = None) -> dict:
    """run_project into ``out`` (seeded with hard links of ``seed_from``, as update seeds its
    staging folder); returns the step manifest."""
    from geo_sink.io.atomic import copy_folder
    out.mkdir(parents=True)
    if seed_from is not None:
        copy_folder(seed_from, out)
    list(run_project(load_project(path), out, draws=DRAWS))
    return read_manifest(out)


def _ran(manifest: dict) -> set[str]:
    return {t for t, r in manifest.items() if r["status"] == "ran"}


def assert_same_folder(a: Path, b: Path):
    """Every output of two run folders equal: tables and rasters byte for byte, GeoPackages
    (which carry their write time) by content."""
    names = {p.name for p in a.iterdir() if p.is_file()} - {"provenance.json"}
    assert names == {p.name for p in b.iterdir() if p.is_file()} - {"provenance.json"}
    for n in sorted(names):
        if n.endswith(".gpkg"):
            ga, gb = gpd.read_file(a / n), gpd.read_file(b / n)
            pd.testing.assert_frame_equal(pd.DataFrame(ga.drop(columns="geometry")),
                                          pd.DataFrame(gb.drop(columns="geometry")))
            assert ga.geometry.geom_equals_exact(gb.geometry, 0).all(), n
        else:
            assert (a / n).read_bytes() == (b / n).read_bytes(), n
    pa = json.loads((a / "provenance.json").read_text(encoding="utf-8"))
    pb = json.loads((b / "provenance.json").read_text(encoding="utf-8"))
    def shas(prov):
        return {o["file"]: o["sha256"] for o in prov["outputs"] if not o["file"].endswith(".gpkg")}
    assert shas(pa) == shas(pb) and {o["file"] for o in pa["outputs"]} == {o["file"] for o in pb["outputs"]}
    assert pa["stale_files"] == pb["stale_files"] == []


def _check(path, tmp_path, first, monkeypatch, cat_copy, expect_ran: set[str], name: str):
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    upd = _run(path, tmp_path / f"upd_{name}", seed_from=first)
    full = _run(path, tmp_path / f"full_{name}")
    assert _ran(full) == set(full)                      # a fresh folder runs every task
    assert _ran(upd) == expect_ran, repr(sorted(_ran(upd)))
    assert_same_folder(tmp_path / f"upd_{name}", tmp_path / f"full_{name}")
    return upd


def _first(demo, tmp_path, monkeypatch):
    path, inbox, cat_copy = demo
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    first = tmp_path / "first"
    m = _run(path, first)
    assert _ran(m) == set(m)
    return path, inbox, cat_copy, first, m


def test_no_change_keeps_every_task(demo, tmp_path, monkeypatch):
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    _check(path, tmp_path, first, monkeypatch, cat_copy, set(), "none")


def test_a_changed_land_cover_year(demo, tmp_path, monkeypatch):
    """A new version of the 2015 map: that year's areas, the carbon and forest tables that read
    every year, the transition matrix, the targets and the county layer; the 2020 areas and
    overlay are taken again from the pass that read both maps (step transitions), unchanged, so
    not the 2020 density map or wetlands (both of the last year), reclamation, subsidence or PV."""
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    lc = load_project(path).spec.landcover[0].path
    with rasterio.open(lc, "r+") as src:
        a = src.read(1)
        r, c = a.shape[0] // 2, a.shape[1] // 2
        a[r - 20:r + 20, c - 20:c + 20] = 2          # 1600 pixels in the middle become forest
        src.write(a, 1)
    _check(path, tmp_path, first, monkeypatch, cat_copy,
           {"landcover-2015", "carbon", "forest", "transitions-2015-2020", "targets", "counties", "overlay-2015",
            "landcover-2020", "overlay-2020"}, "lc")


def test_an_edited_coefficient_reruns_the_steps_that_read_it(demo, tmp_path, monkeypatch):
    """The CH4 global warming potential is read by the wetland step only (then the targets
    read the tables again)."""
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    gwp = cat_copy / "carbon" / "gwp.csv"
    t = pd.read_csv(gwp)
    t.loc[t["gas"] == "CH4", "gwp"] = t.loc[t["gas"] == "CH4", "gwp"] + 1
    t.to_csv(gwp, index=False)
    upd = _check(path, tmp_path, first, monkeypatch, cat_copy, {"wetland-2020", "targets"}, "coef")
    assert "dataset:gwp" in upd["wetland-2020"]["catalog"]


def test_a_new_scene_reruns_reclamation_only(demo, demo_project, tmp_path, monkeypatch):
    path, inbox, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20240815_0_L2A")
    _check(path, tmp_path, first, monkeypatch, cat_copy, {"reclamation", "targets"}, "scene")


def test_an_edited_target_reruns_the_steps_that_compare_with_targets(demo, tmp_path, monkeypatch):
    """A bar changed in the project file: forest coverage gaps, reclamation bars and targets."""
    import yaml
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = yaml.safe_load(path.read_text(encoding="utf-8"))
    p["targets"] = [t for t in p["targets"] if not (isinstance(t, str) and "new_energy_share_2030" in t)]
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    _check(path, tmp_path, first, monkeypatch, cat_copy, {"forest", "reclamation_rate", "reclamation", "targets"},
           "target")


def test_result_digest_is_by_value():
    """Equal tables built from distinct (or shared) string objects give one digest; a changed
    value, dtype or geometry another."""
    from shapely.geometry import Point

    from geo_sink.steps.chain import result_digest
    a = pd.DataFrame({"zone": ["平鲁区", "右玉县"], "km2": [1.0, 2.0]})
    same = "平鲁区"
    b = pd.DataFrame({"zone": [same, "".join(["右玉", "县"])], "km2": [1.0, 2.0]})
    assert result_digest({"t": a, "n": 1}) == result_digest({"n": 1, "t": b})
    assert result_digest(a) != result_digest(a.assign(km2=[1.0, 2.5]))
    assert result_digest(a) != result_digest(a.astype({"km2": "float32"}))
    g = gpd.GeoDataFrame({"x": [1]}, geometry=[Point(0, 0)], crs=4326)
    assert result_digest(g) == result_digest(g.copy()) != result_digest(g.set_geometry([Point(0, 1)]))
    from dataclasses import dataclass

    @dataclass
    class Box:                        # a dataclass is digested field by field, not by its repr
        t: pd.DataFrame
    big = pd.DataFrame({"v": np.arange(1000.0)})
    changed = big.copy()
    changed.loc[500, "v"] = -1.0      # a row a repr would leave out
    assert result_digest(Box(big)) == result_digest(Box(big.copy())) != result_digest(Box(changed))


def test_a_year_taken_out_removes_its_files(demo, tmp_path, monkeypatch):
    """The 2015 map taken out of the project: its tables and the transition matrix go; the
    folder equals a run of the one-year project.  2020's areas and overlay came from the pass
    over both maps: alone now, its map is read for them (the same areas to rounding), and the
    steps that read them run again."""
    import yaml
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = yaml.safe_load(path.read_text(encoding="utf-8"))
    p["landcover"] = p["landcover"][1:]
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    upd = _check(path, tmp_path, first, monkeypatch, cat_copy,
                 {"carbon", "forest", "targets", "counties", "landcover-2020", "overlay-2020", "carbon_map-2020",
                  "wetland-2020"}, "drop")
    assert "landcover-2015" not in upd and not list((tmp_path / "upd_drop").glob("*2015*"))
    assert not (tmp_path / "upd_drop" / STATE / "landcover-2015.pkl").exists()


def test_the_manifest_names_each_tasks_files_and_catalog_reads(demo, tmp_path, monkeypatch):
    """Every file of a run belongs to exactly one task; each task's catalog reads are among the
    entries its step declares (so the declarations document what the code does)."""
    from fnmatch import fnmatch
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    files = [f for r in m.values() for f in r["files"]]
    assert len(files) == len(set(files))
    on_disk = {p.name for p in first.iterdir() if p.is_file() and p.name != "provenance.json"}
    assert set(files) == on_disk
    steps = {s.name: s for s in STEPS}
    lc_datasets = {f"dataset:{lc.dataset}" for lc in load_project(path).spec.landcover if lc.dataset}
    for tid, r in m.items():
        declared = steps[r["step"]].catalog
        for item in r["catalog"]:
            ok = any(fnmatch(item, d) for d in declared) or (
                "dataset:<landcover dataset>" in declared and item in lc_datasets)
            assert ok, (tid, item, declared)


@pytest.mark.parametrize("folder", ["plain", "土地 覆盖 & <数据>"])
def test_density_vrt_equals_the_cog(tmp_path, folder):
    """The density map as a VRT over the class raster reads exactly as the float COG (nodata,
    codes without a density, the source's nodata code), also from a folder whose name holds
    Chinese, spaces and XML's special characters."""
    from geo_sink.io.rasters import write_cog_from, write_lut_vrt
    from tests.conftest import write_raster
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 12, (300, 200)).astype(np.uint8)
    (tmp_path / folder).mkdir()
    src = write_raster(tmp_path / folder / "lc.tif", codes, nodata=0, origin=(112.0, 39.5), res=(0.001, 0.001))
    lut = np.full(256, -1.0, np.float32)
    lut[1:10] = np.array([12.5, 0.0, 143.25, 33.0, 7.125, 60.0, 0.5, 88.0, 1e-3], np.float32)
    vrt = write_lut_vrt(src, tmp_path / "d.vrt", lut, nodata=-1.0, UNITS="Mg C/ha")
    cog = write_cog_from(src, tmp_path / "d.tif", lut, nodata=-1.0)
    with rasterio.open(vrt) as v, rasterio.open(cog) as c:
        a, b = v.read(1), c.read(1)
        assert v.nodata == c.nodata == -1.0 and v.tags()["UNITS"] == "Mg C/ha"
        assert v.transform == c.transform and v.crs == c.crs
    expected = np.where(codes == 0, -1.0, lut[codes]).astype(np.float32)
    assert np.array_equal(a, expected) and np.array_equal(b, expected)


@pytest.mark.parametrize("form", ["vrt", "cog", "none"])
def test_density_map_forms(demo_project, tmp_path, form):
    """``carbon_density_map``: the value table always; a VRT or a COG that read as the table
    applied to the last year's map; nothing more with 'none'."""
    from geo_sink.catalog import load_catalog
    from geo_sink.steps import RunContext, run_steps
    from geo_sink.steps.carbon import CARBON_MAP, CLIMATE
    from geo_sink.steps.landcover import STEP as LANDCOVER

    path = project_copy(demo_project, tmp_path, lambda p: p.update(carbon_density_map=form))
    project = load_project(path)
    out = tmp_path / "out"
    out.mkdir()
    list(run_steps(RunContext(project, load_catalog(), out, DRAWS), (LANDCOVER, CLIMATE, CARBON_MAP)))
    table = pd.read_csv(out / "carbon_density_2020.csv")
    assert set(table.columns) >= {"climate_zone", "class_code", "density_mg_c_ha", "valid_for"}
    maps = sorted(p.name for p in out.glob("carbon_density_2020.*") if p.suffix != ".csv")
    assert maps == ({"vrt": ["carbon_density_2020.vrt"], "cog": ["carbon_density_2020.tif"], "none": []}[form])
    if maps:
        lut = np.full(256, -1.0, np.float32)
        lut[table.class_code.to_numpy()] = table.density_mg_c_ha.to_numpy()
        with rasterio.open(project.spec.landcover[-1].path) as src:
            codes = src.read(1)
        with rasterio.open(out / maps[0]) as m:
            assert m.tags()["UNITS"] == "Mg C/ha"
            assert np.array_equal(m.read(1), lut[codes])


def test_report_draws_land_cover_from_the_overlay_steps(demo, tmp_path, monkeypatch):
    """The report takes each year's display codes and the relief from the ``overlay`` and
    ``relief`` steps' results (no raster read); without a year's result it reads the map itself,
    to the same picture."""
    import geo_sink.report.build as build
    from geo_sink.io.display import landcover_codes
    from geo_sink.report import build_report
    from geo_sink.steps.chain import load_result
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    project = load_project(path)

    def no_read(*a, **k):
        raise AssertionError("the report read a land-cover map")
    monkeypatch.setattr(build, "landcover_codes", no_read)
    import geo_sink.steps.overlay as overlay

    def no_relief(*a, **k):
        raise AssertionError("the report computed the relief")
    monkeypatch.setattr(overlay, "relief_and_outline", no_relief)
    monkeypatch.setattr(overlay, "relief_of", no_relief)
    import geo_sink.reclamation_run as rr

    def no_pieces(*a, **k):
        raise AssertionError("the report cut the reclaimed pieces again")
    monkeypatch.setattr(rr, "reclaimed_pieces", no_pieces)
    html = build_report(project, first, tmp_path / "r.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    # without the reclamation_rate step's result the report cuts the pieces itself, to the same page
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    (first / STATE / "reclamation_rate.pkl").rename(tmp_path / "rate.pkl")
    again = build_report(project, first, tmp_path / "r_cut.html").read_text(encoding="utf-8")
    (tmp_path / "rate.pkl").rename(first / STATE / "reclamation_rate.pkl")
    page = lambda h: re.sub(r"_[0-9a-f]{32}", "_id", h)  # noqa: E731  folium's element ids are random
    assert "FVC" in html and page(html) == page(again)
    monkeypatch.undo()
    # the outline the relief step hands on is the one the report draws when it computes it
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    relief = load_result(first, "relief")[1]
    counties = gpd.read_parquet(first / "counties.parquet").to_crs(4326)
    now = overlay.relief_and_outline(project, relief["bounds_ll"], counties.geometry.values)
    assert relief["outline"].equals_exact(now["outline"], 0)
    # and the counties as the report draws them, of these counties in this order, and the shade
    assert relief["zone_ids"] == [str(z) for z in counties["zone_id"]]
    assert all(shapely.equals_exact(relief["shown"], now["shown"], 0))
    assert np.array_equal(relief["shade"][0], now["shade"][0]) and relief["shade"][1:] == now["shade"][1:]
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    monkeypatch.setattr(build, "landcover_codes", no_read)
    (first / STATE / "overlay-2015.pkl").unlink()
    with pytest.raises(AssertionError, match="read a land-cover map"):
        build_report(project, first, tmp_path / "r2.html")
    lc = project.spec.landcover[1]
    res = load_result(first, "overlay-2020")[1]
    codes, bounds = landcover_codes(lc.path, None, res["bounds_ll"])
    assert np.array_equal(codes, res["codes"]) and np.allclose(bounds, res["bounds"])


def test_density_vrt_masks_what_the_sources_gdal_mask_masks(tmp_path):
    """A class raster without a nodata value but with an internal mask: the VRT's masked cells
    are nodata, as the COG's are."""
    from geo_sink.io.rasters import write_cog_from, write_lut_vrt
    codes = np.random.default_rng(4).integers(1, 9, (128, 96)).astype(np.uint8)
    valid = np.ones_like(codes, dtype=bool)
    valid[10:40, 20:50] = False
    path = tmp_path / "masked.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, "w", driver="GTiff", width=96, height=128, count=1, dtype="uint8", crs="EPSG:4326",
                           transform=rasterio.transform.from_origin(112.0, 39.5, 0.001, 0.001)) as dst:
            dst.write(codes, 1)
            dst.write_mask(valid)
    lut = np.full(256, -1.0, np.float32)
    lut[1:9] = np.arange(1, 9) * 10.5
    vrt = write_lut_vrt(path, tmp_path / "d.vrt", lut, nodata=-1.0)
    cog = write_cog_from(path, tmp_path / "d.tif", lut, nodata=-1.0)
    with rasterio.open(vrt) as v, rasterio.open(cog) as c:
        a, b = v.read(1), c.read(1)
    expected = np.where(valid, lut[codes], -1.0).astype(np.float32)
    assert np.array_equal(b, expected) and np.array_equal(a, expected)


def test_forget_drops_a_steps_tasks_so_the_next_run_makes_them_again(demo, tmp_path, monkeypatch):
    """``geo-sink reclamation`` / ``pv`` rewrite a step's tables outside the steps and forget
    its tasks: the next run of the folder runs those tasks (and only those) again."""
    from geo_sink.steps.chain import forget
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    assert forget(first, ("reclamation", "targets")) == ["reclamation", "targets"]
    assert not (first / STATE / "reclamation.pkl").exists() and "reclamation" not in read_manifest(first)
    again = tmp_path / "again"
    assert _ran(_run(path, again, seed_from=first)) == {"reclamation", "targets"}
    assert forget(tmp_path / "nowhere", ("pv",)) == []


def test_a_year_added_keeps_the_tables_the_new_last_year_writes(demo, tmp_path, monkeypatch):
    """A year added after the last: the wetland task moves to the new last year and writes the
    same file names; the old task's files are removed before, never after, it runs."""
    import yaml
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = yaml.safe_load(path.read_text(encoding="utf-8"))
    p["landcover"].append(dict(p["landcover"][-1], year=2022))
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    upd = _check(path, tmp_path, first, monkeypatch, cat_copy,
                 {"landcover-2022", "carbon", "carbon_map-2022", "forest", "wetland-2022", "transitions-2020-2022",
                  "targets", "counties", "overlay-2022", "pv"}, "add")
    assert "wetland-2020" not in upd and (tmp_path / "upd_add" / "wetlands.csv").is_file()
    assert upd["wetland-2022"]["files"] == ["wetland_parks.csv", "wetlands.csv"]


def test_a_side_file_of_a_map_is_an_input(demo, tmp_path, monkeypatch):
    """A GDAL ``.aux.xml`` beside a land-cover map (here declaring code 1 nodata) changes what
    the map reads as: the steps that read the map run again and equal a full run."""
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    lc = load_project(path).spec.landcover[0].path
    (lc.parent / (lc.name + ".aux.xml")).write_text(
        '<PAMDataset><PAMRasterBand band="1"><NoDataValue>1</NoDataValue></PAMRasterBand></PAMDataset>',
        encoding="utf-8")
    with rasterio.open(lc) as src:
        assert src.nodata == 1                          # GDAL reads it
    upd = _check(path, tmp_path, first, monkeypatch, cat_copy,
                 {"landcover-2015", "carbon", "forest", "transitions-2015-2020", "targets", "counties", "overlay-2015"},
                 "aux")      # the pass over both maps gives what it gave: 2020's areas are kept
    assert upd["landcover-2015"]["status"] == "ran"


def test_the_boundary_files_side_files_and_the_project_name(demo_project, tmp_path, monkeypatch):
    """A shapefile boundary: a county renamed in its ``.dbf`` (the ``.shp`` unchanged) and the
    project renamed (the name of the region rows when the boundary is a file) each run the
    steps again; each update equals a full run."""
    import yaml

    from geo_sink.catalog.loader import default_catalog_dir
    from geo_sink.steps import project_zones
    catalog = default_catalog_dir()
    zones = project_zones(load_project(demo_project))
    shp = tmp_path / "zones" / "counties.shp"
    shp.parent.mkdir()
    zones[["zone_id", "zone_name", "geometry"]].to_file(shp, encoding="utf-8")

    def edit(p):
        p["boundary"] = {"file": str(shp), "id_field": "zone_id", "name_field": "zone_name"}
        p["output"] = str(tmp_path / "out")
        p["targets"] = []
    path = project_copy(demo_project, tmp_path, edit)
    first = tmp_path / "first"
    every = set(_run(path, first))          # the counties are read by every step
    before = shp.read_bytes()
    renamed = zones[["zone_id", "zone_name", "geometry"]].copy()
    renamed.loc[renamed.index[0], "zone_name"] = "新名县"
    renamed.to_file(shp, encoding="utf-8")
    assert shp.read_bytes() == before                   # only the .dbf changed
    _check(path, tmp_path, first, monkeypatch, catalog, every, "dbf")
    assert "新名县" in pd.read_csv(tmp_path / "upd_dbf" / "class_areas_2020.csv")["zone_name"].values
    p = yaml.safe_load(path.read_text(encoding="utf-8"))
    p["name"] = "改名项目"
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    _check(path, tmp_path, tmp_path / "upd_dbf", monkeypatch, catalog, every, "name")
    stock = pd.read_csv(tmp_path / "upd_name" / "carbon_stock.csv", dtype={"zone_id": str})
    assert "改名项目" in set(stock.loc[stock.zone_id == "ALL", "zone_name"])


def test_a_section_removed_takes_its_tables_and_carried_series_with_it(demo, tmp_path, monkeypatch):
    """``mines`` taken out of the project: the reclamation tables and the FVC series (which a run
    carries over for reuse) go, in an update and in a run seeded like ``geo-sink run``."""
    import shutil

    import yaml
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = yaml.safe_load(path.read_text(encoding="utf-8"))
    del p["mines"]
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    # the transitions task writes the land-cover proxy now: the years' areas and overlays it
    # hands on are taken again (no map read), unchanged, so nothing after them runs
    _check(path, tmp_path, first, monkeypatch, cat_copy,
           {"transitions-2015-2020", "targets", "landcover-2015", "landcover-2020", "overlay-2015", "overlay-2020"},
           "mines")
    out = tmp_path / "upd_mines"
    assert not list(out.glob("reclamation_by_*")) and not (out / "fvc_series.csv").exists()
    assert (out / "reclamation_from_landcover_2015_2020.csv").is_file()      # the land-cover proxy instead
    seeded = tmp_path / "seeded"           # geo-sink run: an empty folder but for the FVC series
    seeded.mkdir()
    shutil.copy2(first / "fvc_series.csv", seeded / "fvc_series.csv")
    list(run_project(load_project(path), seeded, draws=DRAWS))
    assert not (seeded / "fvc_series.csv").exists()


def test_update_runs_the_monte_carlo_again_for_other_draws(demo, tmp_path, monkeypatch):
    """No input changed but ``--draws``: the steps that draw run again (the runner does not call
    that 'up to date'), the others are kept."""
    from geo_sink.runs.runner import run, update
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = load_project(path)
    list(run(p, draws=DRAWS))
    assert "up to date" in list(update(p, draws=DRAWS))[-1]
    out = list(update(p, draws=DRAWS + 1))
    assert f"draws {DRAWS} -> {DRAWS + 1}" in out[-1], out[-1]
    ran = _ran(read_manifest(p.output))
    assert {"carbon", "wetland-2020", "reclamation"} <= ran and "landcover-2015" not in ran, ran


def test_update_after_other_code_runs_every_step_from_an_empty_folder(demo, tmp_path, monkeypatch):
    """A folder whose manifest other code wrote (an upgrade, a patched file): update runs every
    step into an empty staging folder, so no file of the old run survives (a year taken out at
    the same time leaves nothing behind)."""
    import json

    import yaml

    from geo_sink.runs.runner import run, update
    path, _, cat_copy, first, m = _first(demo, tmp_path, monkeypatch)
    p = load_project(path)
    list(run(p, draws=DRAWS))
    mf = p.output / STATE / "manifest.json"
    doc = json.loads(mf.read_text(encoding="utf-8"))
    doc["code"] = "0" * 64
    mf.write_text(json.dumps(doc), encoding="utf-8")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["landcover"] = spec["landcover"][1:]
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    out = list(update(load_project(path), draws=DRAWS))
    assert "from other code: every step runs" in out[-1], out[-1]
    assert not list(p.output.glob("*2015*")) and not (p.output / "carbon_sink.csv").exists()
    assert _ran(read_manifest(p.output)) == set(read_manifest(p.output))


def test_ecosystem_table_with_codes_outside_the_legend(tmp_path, catalog):
    """A map with a code the legend does not have (a new user's stray 42): the wide table has
    the summary's ``unknown_km2`` once, equal to the area of those cells, and one column per
    ecosystem of the known codes (this raised 'columns overlap' before)."""
    from geo_sink.io import load_boundaries
    from geo_sink.steps.landcover import ecosystem_table
    from geo_sink.zonal import class_areas
    from tests.conftest import write_raster
    zones = load_boundaries("山西省/朔州市", level="county")
    w, s, e, n = zones.total_bounds
    a = np.full((400, 500), 2, np.uint8)          # forest
    a[:, :250] = 1                                # cropland
    a[100:140, 200:300] = 42                      # not a CLCD code
    res = class_areas(write_raster(tmp_path / "lc.tif", a, nodata=0, origin=(w - 0.01, n + 0.01),
                                   res=((e - w + 0.02) / 500, (n - s + 0.02) / 400)),
                      zones, catalog.legend("clcd"))
    t = ecosystem_table(res.areas, res.summary)
    assert list(t.columns).count("unknown_km2") == 1 and {"cropland_km2", "forest_km2"} <= set(t.columns)
    unknown = res.areas[res.areas.ecosystem == "unknown"].groupby("zone_id").area_km2.sum()
    got = t.set_index("zone_id").unknown_km2
    assert unknown.sum() > 0 and np.allclose(got.reindex(unknown.index), unknown)
    known = res.areas[res.areas.ecosystem == "forest"].groupby("zone_id").area_km2.sum()
    assert np.allclose(t.set_index("zone_id").forest_km2.reindex(known.index), known)


# --- the scheduler: tasks side by side on threads, steps that must run alone alone -------------

def _toy_steps(log: list):
    """A (two keys, side by side), B (reads A), C (alone: writes a file itself), D (side by
    side, but declared after C)."""
    import time as _time

    from geo_sink.steps.chain import Step

    def a(ctx, up, key):
        _time.sleep(0.3)
        ctx.put(pd.DataFrame({"k": [key]}), f"a_{key}.csv")
        yield f"A{key}"
        return key * 10

    def b(ctx, up, key):
        yield f"B sums {sum(up['a'].values())}"
        return sum(up["a"].values())

    def c(ctx, up, key):
        _time.sleep(0.2)
        (Path(ctx.out_dir) / "c.txt").write_text("written directly", encoding="utf-8")
        yield "C"

    def d(ctx, up, key):
        yield "D"
    return (Step("a", a, keys=lambda ctx: [1, 2], concurrent=True), Step("b", b, needs=("a",), concurrent=True),
            Step("c", c), Step("d", d, concurrent=True))


@pytest.mark.parametrize("threads", [1, 2])
def test_steps_without_a_task_end_at_once(demo_project, tmp_path, threads):
    """A keyed step with no keys: no task, no thread pool of 0 threads (it raised outside the
    driver's cleanup and the caller waited for ever); the run returns an empty record."""
    import threading

    from geo_sink.catalog import load_catalog
    from geo_sink.steps import RunContext, run_steps
    from geo_sink.steps.chain import Step

    def a(ctx, up, key):
        yield "A"
    out = tmp_path / "out"
    out.mkdir()
    ctx = RunContext(load_project(demo_project), load_catalog(), out, 0)
    got = {}

    def go():
        gen = run_steps(ctx, (Step("a", a, keys=lambda ctx: [], concurrent=True),), threads=threads)
        got["lines"] = list(_noted(gen, got))

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "run_steps did not return"
    assert got == {"lines": [], "record": {}}


def _noted(gen, into: dict):
    """Yield a generator's items; its return value goes to into['record']."""
    while True:
        try:
            yield next(gen)
        except StopIteration as stop:
            into["record"] = stop.value
            return


@pytest.mark.parametrize("threads", [1, 2])
def test_scheduler_overlaps_what_may_and_keeps_the_declared_order(demo_project, tmp_path, threads):
    """With 2 threads the two A tasks run at once (their spans overlap); C, which writes a file
    itself, runs alone (no span overlaps it) and D, declared after it, starts after it ends.
    Lines come in the declared order and every task's files are its own, threads or not."""
    from geo_sink.catalog import load_catalog
    from geo_sink.steps import RunContext, run_steps

    project = load_project(demo_project)
    out = tmp_path / "out"
    out.mkdir()
    gen = run_steps(RunContext(project, load_catalog(), out, 0), _toy_steps([]), threads=threads)
    lines = []
    try:
        while True:
            lines.append(next(gen))
    except StopIteration as stop:
        rec = stop.value
    assert lines == ["A1", "A2", "B sums 30", "C", "D"]
    assert list(rec) == ["a-1", "a-2", "b", "c", "d"]
    assert rec["a-1"]["files"] == ["a_1.csv"] and rec["a-2"]["files"] == ["a_2.csv"]
    assert rec["c"]["files"] == ["c.txt"] and rec["b"]["files"] == rec["d"]["files"] == []
    span = {t: (r["started_s"], r["finished_s"]) for t, r in rec.items()}
    overlap = span["a-2"][0] < span["a-1"][1] and span["a-1"][0] < span["a-2"][1]
    assert overlap == (threads == 2)
    assert all(s[1] <= span["c"][0] or s[0] >= span["c"][1] for t, s in span.items() if t != "c")
    assert span["d"][0] >= span["c"][1] and span["b"][0] >= max(span["a-1"][1], span["a-2"][1])


def test_a_failing_task_on_a_thread_fails_the_run(demo_project, tmp_path):
    """An exception in a task that ran on a thread reaches the caller (after the other running
    tasks end), with no manifest written."""
    from geo_sink.catalog import load_catalog
    from geo_sink.steps import RunContext, run_steps
    from geo_sink.steps.chain import MANIFEST, Step

    def bad(ctx, up, key):
        time.sleep(0.1)             # both A tasks have started (they sleep 0.3 s)
        raise ValueError("broken step")
        yield

    steps = (*_toy_steps([])[:1], Step("bad", bad, concurrent=True))
    out = tmp_path / "out"
    out.mkdir()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="broken step"):
        # 3 threads: "bad" fails while both A tasks sleep before writing
        list(run_steps(RunContext(load_project(demo_project), load_catalog(), out, 0), steps, threads=3))
    # the A tasks had ended (their files written) before the error reached the caller, who may
    # now remove the folder without a thread still writing into it
    assert (out / "a_1.csv").is_file() and (out / "a_2.csv").is_file()
    assert time.perf_counter() - t0 >= 0.3
    assert not (out / STATE / MANIFEST).exists()


def test_a_failed_run_leaves_nothing_to_keep_under_the_last_complete_runs_fingerprints(demo_project, tmp_path):
    """Inputs A (complete run), then B (a later task fails: the manifest stays A's, but V's file
    now holds B), then A again: V runs again instead of being kept with B's file."""
    from geo_sink.catalog import load_catalog
    from geo_sink.steps import RunContext, run_steps
    from geo_sink.steps.chain import Step

    value = ["A"]

    def v(ctx, up, key):
        ctx.put(pd.DataFrame({"v": [value[0]]}), "v.csv")
        yield f"V {value[0]}"
        return value[0]

    def boom(ctx, up, key):
        if value[0] == "B":
            raise ValueError("stopped")
        yield "ok"

    steps = (Step("v", v, params=lambda ctx, key: value[0], concurrent=True), Step("boom", boom, needs=("v",)))
    out = tmp_path / "out"
    out.mkdir()

    def run():
        gen = run_steps(RunContext(load_project(demo_project), load_catalog(), out, 0), steps, threads=2)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            return stop.value

    assert run()["v"]["status"] == "ran"
    value[0] = "B"
    with pytest.raises(ValueError, match="stopped"):
        run()
    assert pd.read_csv(out / "v.csv")["v"].tolist() == ["B"]
    value[0] = "A"
    assert run()["v"]["status"] == "ran"
    assert pd.read_csv(out / "v.csv")["v"].tolist() == ["A"]


def test_a_thread_count_that_is_not_a_number_is_refused_naming_the_variable(demo_project, tmp_path, monkeypatch):
    from geo_sink.catalog import load_catalog
    from geo_sink.errors import InputDataError
    from geo_sink.steps import RunContext
    from geo_sink.steps.chain import step_threads

    ctx = RunContext(load_project(demo_project), load_catalog(), tmp_path, 0)
    monkeypatch.setenv("GEO_SINK_STEP_THREADS", "3")
    assert step_threads(ctx) == 3
    monkeypatch.setenv("GEO_SINK_STEP_THREADS", "two")
    with pytest.raises(InputDataError, match="GEO_SINK_STEP_THREADS='two': expected a whole number"):
        step_threads(ctx)


# --- task order and BLAS threads ------------------------------------------------------------

def test_upward_rank_is_the_longest_path_to_the_end():
    """Hand-computed on a diamond with a tail: a (1 s) feeds b (3 s) and c (1 s), both feed
    d (2 s); e (0.5 s) stands alone.  rank(d) = 2, rank(b) = 5, rank(c) = 3, rank(a) = 1 + 5."""
    from geo_sink.steps.chain import upward_ranks
    waits = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}
    cost = {"a": 1.0, "b": 3.0, "c": 1.0, "d": 2.0, "e": 0.5}
    assert upward_ranks(waits, cost) == {"a": 6.0, "b": 5.0, "c": 3.0, "d": 2.0, "e": 0.5}


def test_priority_gate_admits_the_longest_path_first_and_holds_a_slot_for_it():
    """One slot: of the tasks ready at the start the highest rank goes first even when it comes
    last; when 'a' leaves, 'b' (now ready, rank 5) gets the slot before 'e' (rank 0.5), which
    was waiting already, although 'b' arrives later; 'close' turns away whoever waits."""
    import threading

    from geo_sink.steps.chain import PriorityGate
    waits = {"a": [], "b": ["a"], "e": [], "z": []}
    gate = PriorityGate(1, {"a": 6.0, "b": 5.0, "e": 0.5, "z": 0.1}, waits)
    entered, lock = [], threading.Lock()

    def task(name, hold=0.0):
        if gate.enter(name):
            with lock:
                entered.append(name)
            time.sleep(hold)
            gate.leave(name)
        else:
            with lock:
                entered.append(f"{name} turned away")

    t_e = threading.Thread(target=task, args=("e",))
    t_e.start()
    time.sleep(0.05)
    assert entered == []                    # 'a' is ready and ranks higher: the slot waits for it
    t_a = threading.Thread(target=task, args=("a", 0.05))
    t_a.start()
    t_a.join()
    time.sleep(0.05)
    assert entered == ["a"]                 # 'b' is ready now and ranks above 'e'
    t_b = threading.Thread(target=task, args=("b",))
    t_b.start()
    t_b.join()
    t_e.join(timeout=5)
    assert entered == ["a", "b", "e"]
    gate.close()
    task("z")
    assert entered[-1] == "z turned away"


def test_a_run_uses_one_blas_thread_unless_the_environment_chose(monkeypatch):
    from threadpoolctl import threadpool_info

    from geo_sink.runs.blas import BLAS_THREAD_VARIABLES, one_blas_thread
    for v in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(v, raising=False)
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("numpy has no BLAS that threadpoolctl sees")
    before = [i["num_threads"] for i in blas]
    with one_blas_thread():
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with one_blas_thread() as limits:
        assert limits is None               # contextlib.nullcontext: the user's choice stands


def test_priority_gate_lets_the_waiting_go_when_no_other_task_can_arrive():
    """A pool of 2 threads given 'y', 'x' and 'big' (all ready) in that order: 'y' and 'x' take
    its threads and wait in the gate while 'big', the highest rank, waits for a thread.  The
    gate must not hold the slot for 'big' (that would never end): 'x', the best of those that
    can arrive, goes; its thread then brings 'big', which goes before 'y'."""
    from concurrent.futures import ThreadPoolExecutor

    from geo_sink.steps.chain import PriorityGate
    waits = {"big": [], "x": [], "y": []}
    gate = PriorityGate(1, {"big": 9.0, "x": 2.0, "y": 1.0}, waits, threads=2)
    entered = []

    def task(name):
        assert gate.enter(name)
        entered.append(name)
        time.sleep(0.02)
        gate.leave(name)

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(task, n) for n in ("y", "x")]
        time.sleep(0.1)                 # both threads in the gate before 'big' is handed over
        futures.append(pool.submit(task, "big"))
        for f in futures:
            f.result(timeout=5)
    assert entered == ["x", "big", "y"]


def test_changed_area_leaves_nodata_out():
    """Hand-made table: 2 km² forest -> cropland and 3 km² cropland -> water change class; 7 km²
    unchanged; 11 km² nodata -> forest and 13 km² cropland -> nodata are not compared."""
    from geo_sink.steps.transitions import changed_km2
    tr = pd.DataFrame({"from_code": [2, 1, 2, 0, 1], "to_code": [1, 5, 2, 2, 0],
                       "from_ecosystem": ["forest", "cropland", "forest", "nodata", "cropland"],
                       "to_ecosystem": ["cropland", "water", "forest", "forest", "nodata"],
                       "area_km2": [2.0, 3.0, 7.0, 11.0, 13.0]})
    assert changed_km2(tr) == (5.0, 24.0)
