"""Fault injection: what an operator (or the machine) can do to a scheduled geo-sink run.

Every test asserts the documented exit status and message, that no traceback is printed, and
for the output folder that it is either the previous complete set (every file hashed before
and after) or the new complete set; and that the ledger tells the truth.

Run alone with ``python -m pytest -m faults`` (also part of the default run).  Real
subprocesses (``tests/fault_driver.py``: the ``geo-sink`` command line with a SIGKILL point),
real signals; a small tmpfs for "disk full" and read-only bind mounts when run as root.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_sink.cli import EXIT_BUG, EXIT_INPUT, EXIT_IO, EXIT_USAGE, EXIT_WARNINGS, cli
from geo_sink.io.fingerprint import sha256_file
from geo_sink.runs import ledger
from geo_sink.runs.lock import EXIT_LOCKED
from geo_sink.runs.staging import MARKER, state_dir
from geo_sink.steps.chain import STATE
from tests.conftest import copy_scene, inbox_project, project_copy, write_raster

pytestmark = pytest.mark.faults

DRAWS = 200
DRIVER = Path(__file__).with_name("fault_driver.py")
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ----------------------------------------------------------------------------- helpers

def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256."""
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def geo_sink(*args, kill_at: str = "", timeout: float = 180, preexec_fn=None, env=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, GEO_SINK_TEST_KILL_AT=kill_at, PYTHONPATH=str(DRIVER.parents[1]), PYTHONUNBUFFERED="1",
               **(env or {}))
    return subprocess.run([sys.executable, str(DRIVER), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, preexec_fn=preexec_fn)


def start(*args) -> subprocess.Popen:
    env = dict(os.environ, GEO_SINK_TEST_KILL_AT="", PYTHONPATH=str(DRIVER.parents[1]))
    return subprocess.Popen([sys.executable, str(DRIVER), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_for_staging(output: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Until the run ``proc`` holds the lock and writes its staging folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(state_dir(output).glob(f"new-{proc.pid}-*")):
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.returncode} {proc.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError("no staging folder appeared")


def statuses(output) -> list[str]:
    return [r[4] for r in ledger.history(output)]


def no_traceback(*texts):
    for t in texts:
        assert "Traceback" not in (t or ""), t


def leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in state_dir(output).iterdir() if p.name.startswith(("new-", "old-")))


@pytest.fixture(scope="module")
def base(demo_project, tmp_path_factory):
    """A project copy (with an inbox) and one complete run of it: output, state folder."""
    from geo_sink.project import load_project
    from geo_sink.runs.runner import run
    d = tmp_path_factory.mktemp("faults")
    path, inbox = inbox_project(demo_project, d)
    p = load_project(path)
    list(run(p, draws=DRAWS))
    return p


def complete(output: Path) -> None:
    """The folder holds one whole run: its marker, provenance, report and every table."""
    names = set(os.listdir(output))
    assert {MARKER, "provenance.json", "counties.gpkg", "fvc_series.csv", "pv_by_county.csv",
            "carbon_stock.csv", "朔州市.html"} <= names, names
    assert not any(n.startswith(".") and n not in (MARKER, STATE) for n in names), names   # no temporary files
    prov = json.loads((output / "provenance.json").read_text(encoding="utf-8"))
    assert {o["file"] for o in prov["outputs"]} <= names


# ----------------------------------------------------------------------------- command line

BAD_OPTIONS = [
    (["areas", "mcd12c1_2019_china", "朔州市", "--crs", "hello", "-o", "{t}/x.csv"], "'hello' is not a CRS"),
    (["carbon", "mcd12c1_2019_china", "朔州市", "--draws", "-5", "-o", "{t}/x.csv"], "-5 is not in the range"),
    (["areas", "mcd12c1_2019_china", "朔州市", "-o", "{t}/out.xlsx"], "must end in .csv or .parquet"),
    (["areas", "mcd12c1_2019_china", "朔州市", "-o", "{t}/x.csv", "--summary-out", "{t}/s.txt"], "must end in"),
    (["carbon", "mcd12c1_2019_china", "朔州市", "-o", "{t}/x.csv", "--geoparquet", "{t}/g.csv"], ".parquet"),
    (["carbon", "mcd12c1_2019_china", "朔州市", "-o", "{t}/x.csv", "--density-cog", "{t}/d.png"], ".tif"),
    (["carbon", "mcd12c1_2019_china", "朔州市", "--lulc-later", "x", "--years", "1700", "2020", "-o", "{t}/x.csv"],
     "1700 is not in the range"),
    (["carbon", "mcd12c1_2019_china", "朔州市", "--seed", "-1", "-o", "{t}/x.csv"], "-1 is not in the range"),
    (["areas", "mcd12c1_2019_china", "朔州市", "--scheduler", "nonsense", "-o", "{t}/x.csv"], "scheduler address"),
    (["areas", "mcd12c1_2019_china", "朔州市", "-o", "{t}/afile/x.csv"], "is a file, not a folder"),
    (["update", "{p}", "--wait", "-1"], "-1.0 is not in the range"),
    (["run", "{p}", "--draws", "-5"], "-5 is not in the range"),
    (["history", "{p}", "-n", "0"], "0 is not in the range"),
    (["report", "{p}", "-o", "{t}/r.txt"], ".html"),
    (["reclamation", "{p}", "--out", "{t}/afile"], "is a file"),
]


@pytest.mark.parametrize("argv,message", BAD_OPTIONS, ids=[" ".join(a[:1] + a[3:5]) for a, _ in BAD_OPTIONS])
def test_bad_options_are_usage_errors_before_any_work(argv, message, demo_project, tmp_path):
    (tmp_path / "afile").write_text("x")
    argv = [a.format(t=tmp_path, p=demo_project) for a in argv]
    t0 = time.monotonic()
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == EXIT_USAGE, r.output
    assert message in r.output and "Traceback" not in r.output
    assert time.monotonic() - t0 < 20                       # refused up front, nothing computed
    assert sorted(os.listdir(tmp_path)) == ["afile"]


def test_an_unexpected_exception_is_a_bug_with_a_traceback_only_under_v(monkeypatch, tmp_path):
    import geo_sink.io.boundaries as boundaries    # the command imports it when it runs

    def boom(*a, **k):
        raise RuntimeError("kaboom")
    monkeypatch.setattr(boundaries, "load_boundaries", boom)
    r = CliRunner().invoke(cli, ["regions", "140600"])
    assert r.exit_code == EXIT_BUG and "this is a bug" in r.output and "kaboom" in r.output
    assert "Traceback" not in r.output and "-v" in r.output
    r = CliRunner().invoke(cli, ["-v", "regions", "140600"])
    assert r.exit_code == EXIT_BUG and "Traceback" in r.output and "this is a bug" in r.output


def test_broken_pipe_is_no_traceback():
    """``geo-sink regions 140000 | head -0``: the reader went away."""
    env = dict(os.environ, PYTHONPATH=str(DRIVER.parents[1]))
    p = subprocess.Popen([sys.executable, str(DRIVER), "regions", "140000"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdout.close()                                        # the reader went away
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    no_traceback(err)
    assert p.returncode in (0, 141)


# ----------------------------------------------------------------------------- project files

def _project(demo_project, tmp_path, edit):
    return project_copy(demo_project, tmp_path, lambda p: (p.update(output=str(tmp_path / "out")), edit(p)))


def _check(path):
    r = CliRunner().invoke(cli, ["check", str(path)])
    assert "Traceback" not in r.output
    return r


def test_damaged_project_files_are_input_errors(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 10)
    r = _check(binary)
    assert r.exit_code == EXIT_INPUT and "not a UTF-8 text file" in r.output and str(binary) in r.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [\n", encoding="utf-8")
    r = _check(broken)
    assert r.exit_code == EXIT_INPUT and "not valid YAML" in r.output
    r = _check(tmp_path / "missing.yaml")
    assert r.exit_code == EXIT_INPUT and "does not exist" in r.output


def _no_crs(src: Path, dst: Path) -> Path:
    import rasterio
    with rasterio.open(src) as s:
        prof, a = s.profile, s.read(1)
    prof.pop("crs")
    with rasterio.open(dst, "w", **prof) as d:
        d.write(a, 1)
    return dst


def test_check_time_crs_fields_and_readability(demo_project, tmp_path):
    """A DEM or a vector without CRS, a corrupt vector, a missing field, years that are not years,
    a CRS string pyproj does not know: each named with its key at check time."""
    import geopandas as gpd
    d = demo_project.parent
    dem = _no_crs(d / "dem.tif", tmp_path / "dem_nocrs.tif")
    roads = gpd.read_file(d / "vectors/roads.geojson").set_crs(None, allow_override=True)
    roads.to_file(tmp_path / "roads_nocrs.gpkg")
    (tmp_path / "corrupt.geojson").write_text('{"type": "FeatureCollection", "features": [ {', encoding="utf-8")
    rec = gpd.read_file(d / "vectors/mines_reclaimed.geojson")
    rec.assign(year="abc").to_file(tmp_path / "badyear.geojson")
    rec.drop(columns="vegetation").to_file(tmp_path / "noveg.geojson")

    def edit(p):
        p["pv_constraints"]["dem"] = str(dem)
        p["pv_constraints"]["roads"] = str(tmp_path / "roads_nocrs.gpkg")
        p["mines"]["disturbed"] = str(tmp_path / "corrupt.geojson")
        p["mines"]["reclaimed"] = str(tmp_path / "badyear.geojson")
        p["wetlands"]["name_field"] = "名称"
    r = _check(_project(demo_project, tmp_path, edit))
    assert r.exit_code == EXIT_INPUT
    for part in ("pv_constraints.dem: " + str(dem) + " has no CRS",
                 "pv_constraints.roads: " + str(tmp_path / "roads_nocrs.gpkg") + " has no CRS",
                 "mines.disturbed: " + str(tmp_path / "corrupt.geojson") + " is not a readable vector file",
                 "wetlands.file: ", "has no field '名称'"):
        assert part in r.output, (part, r.output)
    r = _check(_project(demo_project, tmp_path, lambda p: p["landcover"][0].update(crs="hello")))
    assert r.exit_code == EXIT_INPUT and "landcover.0.crs: Value error, 'hello' is not a CRS" in r.output
    r = _check(_project(demo_project, tmp_path, lambda p: p["mines"].update(reclaimed=str(tmp_path / "badyear.geojson"))))
    assert r.exit_code == EXIT_INPUT and "field 'year' of badyear.geojson must hold years" in r.output
    r = _check(_project(demo_project, tmp_path, lambda p: p["mines"].update(reclaimed=str(tmp_path / "noveg.geojson"))))
    assert r.exit_code == EXIT_INPUT and "has no field 'vegetation'" in r.output


def test_scene_dates_output_and_name_at_check_time(demo_project, tmp_path):
    r = _check(_project(demo_project, tmp_path, lambda p: p["imagery"]["scenes"][0].update(date="2099-01-01")))
    assert r.exit_code == EXIT_INPUT and "project date 2099-01-01 is in the future" in r.output
    assert "its name says 2019-08-15" in r.output and "S2B_49SFJ_20190815_0_L2A.json datetime says 2019-08-15" in r.output
    (tmp_path / "afile").write_text("x")
    r = _check(project_copy(demo_project, tmp_path, lambda p: p.update(output=str(tmp_path / "afile"))))
    assert r.exit_code == EXIT_INPUT and f"output: {tmp_path / 'afile'} is a file, not a folder" in r.output
    r = _check(project_copy(demo_project, tmp_path, lambda p: p.update(output=str(tmp_path))))
    assert r.exit_code == EXIT_INPUT and "holds the input" in r.output
    r = _check(_project(demo_project, tmp_path, lambda p: p.update(name="../../evil/x")))
    assert r.exit_code == 0 and "'_.._evil_x.html' inside the output folder" in r.output


def test_all_nodata_raster_is_a_warning(demo_project, tmp_path):
    import rasterio
    d = demo_project.parent
    with rasterio.open(d / "landcover_clcd_2015.tif") as s:
        prof, a = s.profile, s.read(1)
    empty = tmp_path / "empty.tif"
    with rasterio.open(empty, "w", **dict(prof, nodata=255)) as dst:
        dst.write(np.full_like(a, 255), 1)
    r = _check(_project(demo_project, tmp_path, lambda p: p["landcover"][0].update(path=str(empty))))
    assert r.exit_code == EXIT_WARNINGS and "geo-sink: warning: landcover[0] (year 2015).path" in r.output
    assert "holds no data" in r.output


# ----------------------------------------------------------------------------- scenes

UTM = "EPSG:32649"


def _s2(folder: Path, baseline=None, when=None, tags=None, dtype=np.uint16, red=500, nodata=0,
        origin=(620000.0, 4370000.0)):
    """A 40 m Sentinel-2 L2A scene, by default inside the demo mines' reading window."""
    folder.mkdir(parents=True)
    for band, v in (("B04", red), ("B08", 3000)):
        a = np.full((4, 4), v, dtype)
        if nodata not in (0, None):
            a[0, :2] = nodata
        write_raster(folder / f"{band}.tif", a, crs=UTM, origin=origin, res=(10, 10), nodata=nodata)
        if tags:
            import rasterio
            with rasterio.open(folder / f"{band}.tif", "r+") as dst:
                dst.update_tags(**tags)
    write_raster(folder / "SCL.tif", np.full((2, 2), 4, np.uint8), crs=UTM, origin=origin, res=(20, 20))
    props = {}
    if baseline is not None:
        props["s2:processing_baseline"] = baseline
    if when is not None:
        props["datetime"] = when
    if props:
        (folder / f"{folder.name}.json").write_text(json.dumps({"properties": props}), encoding="utf-8")
    return folder


def test_scene_sanity_rules(tmp_path):
    from geo_sink.io.scenes import SceneError, read_scene
    # a baseline is a version, never a string comparison: "unknown" is an error, not >= "04.00"
    d = _s2(tmp_path / "S2A_49SFJ_20220820_0_L2A", baseline="unknown")
    with pytest.raises(SceneError, match="processing baseline 'unknown' is not a version"):
        read_scene(d, "sentinel2_l2a")
    d = _s2(tmp_path / "S2B_49SFJ_20190815_0_L2A", baseline="2.13")
    assert read_scene(d, "sentinel2_l2a").red[1, 1] == pytest.approx(0.05)       # (2, 13) < (4, 0): no offset
    d = _s2(tmp_path / "S2A_49SFJ_20230820_0_L2A", baseline="5.09", red=1500)
    assert read_scene(d, "sentinel2_l2a").red[1, 1] == pytest.approx(0.05)       # offset -1000
    # dates: future, before launch, name vs metadata vs project
    d = _s2(tmp_path / "S2A_49SFJ_20990101_0_L2A", baseline="05.00", red=1500)
    with pytest.raises(SceneError, match="date in the name 2099-01-01 is in the future"):
        read_scene(d, "sentinel2_l2a")
    d = _s2(tmp_path / "S2A_49SFJ_20140815_0_L2A", baseline="02.00")
    with pytest.raises(SceneError, match=r"before the launch of S2A \(2015-06-23\)"):
        read_scene(d, "sentinel2_l2a")
    d = _s2(tmp_path / "S2A_49SFJ_20220821_0_L2A", baseline="04.00", when="2022-08-20T03:15:49Z", red=1500)
    with pytest.raises(SceneError, match="datetime says 2022-08-20, its name says 2022-08-21"):
        read_scene(d, "sentinel2_l2a")
    with pytest.raises(SceneError, match="the project dates this scene 2022-08-22"):
        read_scene(d, "sentinel2_l2a", dt.date(2022, 8, 22))
    # reflectance out of the physical range after scaling: the offset applied to a pre-04.00 scene
    d = _s2(tmp_path / "S2B_49SFJ_20210815_0_L2A", tags={"BOA_ADD_OFFSET": "-1000"}, red=300)
    with pytest.raises(SceneError, match="red reflectance out of the physical range"):
        read_scene(d, "sentinel2_l2a")
    d = _s2(tmp_path / "S2B_49SFJ_20210816_0_L2A", tags={"BOA_ADD_OFFSET": "-1000", "PROCESSING_BASELINE": "03.01"})
    with pytest.raises(SceneError, match="contradicts processing baseline 03.01"):
        read_scene(d, "sentinel2_l2a")
    # a declared negative nodata value counts as nodata (int16 -9999)
    d = _s2(tmp_path / "S2B_49SFJ_20210817_0_L2A", baseline="03.00", dtype=np.int16, nodata=-9999)
    s = read_scene(d, "sentinel2_l2a")
    assert s.masked["nodata"] == 2 and np.isnan(s.red[0, :2]).all() and s.red[1, 1] == pytest.approx(0.05)
    # Landsat 4-7: another band layout
    lt = tmp_path / "LT05_L2SP_126032_20100810_20100812_02_T1"
    lt.mkdir()
    for b in ("SR_B4", "SR_B5", "QA_PIXEL"):
        write_raster(lt / f"{lt.name}_{b}.TIF", np.full((3, 3), 9091, np.uint16), crs=UTM, origin=(640000.0, 4370000.0), res=(30, 30))
    with pytest.raises(SceneError, match="LT05 is Landsat 4-7"):
        read_scene(lt, "landsat_c2_l2")


def test_a_changed_scene_is_read_again_and_a_removed_one_drops_out(demo_project, tmp_path):
    import rasterio

    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import SCENE_KEY, load_sites, reclaimed_pieces, update_series
    p = load_project(demo_project)
    d, r = load_sites(p)
    pieces = reclaimed_pieces(r, d, project_zones(p))
    params = {"ndvi_soil_percentile": 5, "ndvi_veg_percentile": 95, "fvc_vegetated_threshold": 0.3,
              "endmember_margin_km": 5}
    scenes = sorted(p.spec.imagery.scenes, key=lambda s: s.date)
    mine = copy_scene(scenes[1].path, tmp_path / "S2A_49SFJ_20240815_0_L2A")
    from types import SimpleNamespace
    extra = SimpleNamespace(path=mine, product="sentinel2_l2a", date=dt.date(2024, 8, 15))
    first, _ = update_series(None, scenes + [extra], pieces, params)
    with rasterio.open(mine / "B08.tif", "r+") as dst:             # the scene is re-delivered, changed
        dst.write((dst.read(1).astype(np.int32) * 9 // 10).astype(np.uint16), 1)
    second, _ = update_series(first, scenes + [extra], pieces, params)
    old, new = (x[x.scene == mine.name].reset_index(drop=True) for x in (first, second))
    assert (old[SCENE_KEY] != new[SCENE_KEY]).all() and not np.allclose(old.ndvi_veg, new.ndvi_veg)
    keep = second.scene != mine.name
    pd.testing.assert_frame_equal(second[keep].reset_index(drop=True), first[first.scene != mine.name].reset_index(drop=True))
    third, _ = update_series(second, scenes, pieces, params)       # the folder is gone
    assert mine.name not in set(third.scene)
    pd.testing.assert_frame_equal(third, second[keep].reset_index(drop=True))
    # rows of a series cut short are not trusted: the scene is measured again
    cut = third.drop(index=[0])
    again, _ = update_series(cut, scenes, pieces, params)
    pd.testing.assert_frame_equal(again, third)


def test_corrupt_stac_catalog_is_an_input_error(demo_project, tmp_path):
    (tmp_path / "catalog.json").write_text("{ not json", encoding="utf-8")
    f = _project(demo_project, tmp_path, lambda p: p["imagery"].update(stac=str(tmp_path / "catalog.json")))
    r = CliRunner().invoke(cli, ["reclamation", str(f), "--draws", "100"])
    assert r.exit_code == EXIT_INPUT and "not a readable static STAC catalog" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- folders and ledgers

def test_swap_with_two_renames_recovers_after_a_kill_between_them(tmp_path):
    from geo_sink.io import atomic
    from geo_sink.runs.staging import clean_leftovers
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old")
    sd = state_dir(out)
    sd.mkdir()
    (sd / "old-1-x").mkdir()                      # kill -9 after "out -> old-1-x", before "new -> out"
    (sd / "old-1-x" / "a.csv").write_text("previous")
    shutil.rmtree(out)
    (sd / "new-1-x").mkdir()
    lines = clean_leftovers(out)
    assert (out / "a.csv").read_text() == "previous" and not list(sd.iterdir())
    assert any("put back" in x for x in lines)
    new = sd / "new-2-y"
    new.mkdir()
    (new / "a.csv").write_text("new")
    assert atomic.swap_folder(new, out, sd / "old-2-y") in ("exchange", "rename")
    assert (out / "a.csv").read_text() == "new" and (sd / "old-2-y" / "a.csv").read_text() == "previous"


def test_output_folders_geo_sink_must_not_replace(tmp_path, demo_project):
    from geo_sink.errors import StorageError, UnsafeOutputError
    from geo_sink.runs.staging import check_target
    foreign = tmp_path / "photos"
    (foreign / "2023").mkdir(parents=True)
    (foreign / "notes.docx").write_text("x")
    with pytest.raises(UnsafeOutputError, match="not a geo-sink output folder"):
        check_target(foreign)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StorageError, match="is a file, not a folder"):
        check_target(tmp_path / "afile")
    with pytest.raises(StorageError, match="cannot be created"):
        check_target(tmp_path / "afile" / "out")
    f = project_copy(demo_project, tmp_path, lambda p: p.update(output=str(foreign)))
    r = CliRunner().invoke(cli, ["reclamation", str(f), "--draws", "100"])
    assert r.exit_code == EXIT_INPUT and "not a geo-sink output folder" in r.output
    assert sorted(os.listdir(foreign)) == ["2023", "notes.docx"]


def test_damaged_ledger_is_moved_aside_not_a_permanent_failure(tmp_path):
    from geo_sink.runs.notices import listening
    out = tmp_path / "out"
    rid = ledger.start(out, "run", "p.yaml", "x")
    ledger.finish(out, rid, "ok", "fine", {"a": ("project", "0" * 64, 1)})
    ledger.ledger_path(out).write_bytes(os.urandom(4096))
    from geo_sink.errors import StorageError
    with pytest.raises(StorageError, match="the run ledger is damaged"):
        ledger.history(out)
    seen = []
    with listening(seen.append):
        assert ledger.last_inputs(out) == {}                    # -> the next update runs in full
    assert len(seen) == 1 and "moved aside to ledger.sqlite.damaged-" in seen[0]
    assert ledger.history(out) == [] and len(list(state_dir(out).glob("ledger.sqlite.damaged-*"))) == 1


# ----------------------------------------------------------------------------- runs: kills and signals

@pytest.mark.parametrize("point", ["replace:3", "replace:7", "before-swap"])
def test_kill_9_leaves_the_previous_folder_byte_identical(base, point):
    out = base.output
    before = tree(out)
    r = geo_sink("-q", "reclamation" if point == "before-swap" else "run", base.path, "--draws", 150, kill_at=point)
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr)
    assert tree(out) == before
    # nobody told the ledger: "running", or "swapping" when the staging folder was complete
    assert statuses(out)[0] == ("swapping" if point == "before-swap" else "running")
    assert leftovers(out)                                           # the staging folder is still there


def test_kill_9_after_the_swap_leaves_the_new_set_and_the_ledger_is_settled(base):
    out = base.output
    before = tree(out)
    r = geo_sink("-q", "reclamation", base.path, "--draws", 150, kill_at="after-swap")
    assert r.returncode == -signal.SIGKILL, r.stderr
    now = tree(out)
    # the whole new set (the reclamation command forgets its steps' recorded results)
    assert now != before and set(now) == set(before) - {f"{STATE}/reclamation_rate.pkl", f"{STATE}/reclamation.pkl",
                                                        f"{STATE}/targets.pkl"}
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert statuses(out)[0] == "swapping" and ledger.history(out)[0][0] == marker["run_id"]
    r = geo_sink("-q", "update", base.path, "--draws", DRAWS)       # nothing changed: up to date
    assert r.returncode == 0, r.stderr
    assert ledger.history(out)[0][4] == "ok" and "finished its entry" in ledger.history(out)[0][6]
    assert leftovers(out) == [] and tree(out) == now


def test_kill_9_between_two_renames_and_after_ok_are_repaired_by_the_next_run(base):
    out = base.output
    before = tree(out)
    r = geo_sink("-q", "reclamation", base.path, "--draws", 150, kill_at="between-renames")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not out.exists()                                        # the instant between the renames
    r = CliRunner().invoke(cli, ["history", str(base.path)])       # reading does not repair
    assert r.exit_code == 0 and r.output.splitlines()[0].split()[2] == "swapping" and not out.exists()
    r = geo_sink("reclamation", base.path, "--draws", 150, kill_at="after-ok")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert "put back the previous output folder" in r.stdout
    assert any(n.startswith("old-") for n in leftovers(out))        # the previous folder, not yet deleted
    assert statuses(out)[:2] == ["ok", "interrupted"]
    complete(out)
    r = geo_sink("-q", "update", base.path, "--draws", DRAWS)
    assert r.returncode == 0 and leftovers(out) == [], r.stderr
    assert before.keys() == tree(out).keys()


def test_sigterm_and_sigint_stop_cleanly_while_other_writers_are_refused(base):
    out = base.output
    before = tree(out)
    parent = sorted(os.listdir(out.parent))
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        proc = start("-q", "run", base.path)                         # default draws: a long run
        try:
            wait_for_staging(out, proc)
            if sig == signal.SIGTERM:
                # every writing command takes the output lock
                for argv in (["report", base.path], ["reclamation", base.path], ["pv", base.path],
                             ["run", base.path], ["update", base.path]):
                    r = CliRunner().invoke(cli, [str(a) for a in argv])
                    assert r.exit_code == EXIT_LOCKED and "is being updated by pid" in r.output, (argv, r.output)
            time.sleep(1.0)
            proc.send_signal(sig)
            stdout, stderr = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == code, (proc.returncode, stderr)
        no_traceback(stderr)
        assert f"interrupted by {sig.name}" in stderr and stdout == ""
        assert tree(out) == before and leftovers(out) == []
        assert sorted(os.listdir(out.parent)) == parent             # no temporary file anywhere
        row = ledger.history(out)[0]
        assert row[4] == "interrupted" and sig.name in row[6]


def test_kill_9_during_an_update_after_an_input_changed(base):
    out = base.output
    before = tree(out)
    text = base.path.read_text(encoding="utf-8")
    base.path.write_text(text + "\n# edited\n", encoding="utf-8")   # an input changed: an update runs
    try:
        # other draws: the Monte Carlo steps run again, with so many draws that the kill lands in them
        proc = start("-q", "update", base.path, "--draws", 4_000_000)
        wait_for_staging(out, proc)
        time.sleep(3.0)
        proc.kill()
        proc.wait(timeout=30)
        assert tree(out) == before and statuses(out)[0] == "running"
    finally:
        base.path.write_text(text, encoding="utf-8")


# ----------------------------------------------------------------------------- the environment

def test_disk_full_while_writing_a_table(base, monkeypatch):
    out = base.output
    before = tree(out)
    real = pd.DataFrame.to_csv

    def full(self, path, *a, **k):
        if "class_areas_2020" in str(path):
            Path(path).write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *a, **k)
    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    r = CliRunner().invoke(cli, ["-q", "run", str(base.path), "--draws", str(DRAWS)])
    assert r.exit_code == EXIT_IO, r.output
    assert "no space left on the device" in r.output and "class_areas_2020" in r.output and "Traceback" not in r.output
    assert tree(out) == before and leftovers(out) == [] and statuses(out)[0] == "failed"


def test_file_size_limit_while_preparing_the_staging_folder(base):
    """A file size limit (EFBIG, like a full disk for one file) while the current output is copied
    into the staging folder, on a file system without hard links (``GEO_SINK_TEST_NO_LINKS``:
    every file is copied; the report, several MB, does not fit)."""
    import resource
    out = base.output
    before = tree(out)
    r = geo_sink("-q", "reclamation", base.path, "--draws", 150, env={"GEO_SINK_TEST_NO_LINKS": "1"},
                 preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)))
    assert r.returncode == EXIT_IO, r.stderr
    no_traceback(r.stderr)
    assert "cannot prepare the staging folder" in r.stderr and "ulimit -f" in r.stderr
    assert tree(out) == before and leftovers(out) == [] and statuses(out)[0] == "failed"


@pytest.fixture
def tmpfs(tmp_path, base):
    """A mounted tmpfs (root only) with room for the base output folder once and a half, not
    twice: sized from the folder, so smaller outputs (a better codec) do not make it roomy."""
    if not ROOT or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    size = sum(f.stat().st_size for f in Path(base.output).rglob("*") if f.is_file())
    mib = max(2, int(1.5 * size / 2**20) + 1)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_disk_full_on_a_small_tmpfs(base, tmpfs, tmp_path):
    """The output on a filesystem with room for the old folder but not for a second one."""
    import yaml
    shutil.copytree(base.output, tmpfs / "out")
    spec = yaml.safe_load(base.path.read_text(encoding="utf-8"))
    spec["output"] = str(tmpfs / "out")
    f = tmp_path / "on_tmpfs.yaml"
    f.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    before, used = tree(tmpfs / "out"), shutil.disk_usage(tmpfs).used
    r = geo_sink("-q", "run", f, "--draws", DRAWS)
    assert r.returncode == EXIT_IO, r.stderr
    no_traceback(r.stderr)
    assert str(tmpfs / "out") in r.stderr and ("no space left" in r.stderr or "(df)" in r.stderr)
    assert tree(tmpfs / "out") == before and leftovers(tmpfs / "out") == []
    assert statuses(tmpfs / "out")[0] == "failed"
    assert shutil.disk_usage(tmpfs).used <= used + (1 << 20)        # the staging folder is gone


def test_read_only_output_folder_refused_before_any_work(base):
    out = base.output
    before = tree(out)
    if ROOT:
        assert subprocess.run(["mount", "--bind", str(out), str(out)]).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro,bind", str(out)], check=True)
    else:
        os.chmod(out, 0o555)
    try:
        t0 = time.monotonic()
        for cmd in ("run", "update", "reclamation", "pv", "report"):
            r = CliRunner().invoke(cli, ["-q", cmd, str(base.path)])
            assert r.exit_code == EXIT_IO, r.output
            assert "Traceback" not in r.output and f"{out}: " in r.output
            assert "read-only file system" in r.output or "not writable" in r.output
        assert time.monotonic() - t0 < 30                                # refused before any work
    finally:
        if ROOT:
            subprocess.run(["umount", str(out)], check=True)
        else:
            os.chmod(out, 0o755)
    assert tree(out) == before


# ----------------------------------------------------------------------------- inputs under cron

def test_bad_inbox_scenes_under_q_one_line_each_and_exit_10(base, demo_project):
    inbox = base.spec.imagery.inbox
    src = demo_project.parent / "scenes"
    out = base.output
    before = tree(out)
    bad = {}
    g = copy_scene(src / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20240901_0_L2A")
    (g / "B08.tif").write_bytes(b"garbage")
    bad[g.name] = "unreadable band"
    bad[copy_scene(src / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20990101_0_L2A").name] = "in the future"
    bad[copy_scene(src / "S2B_49SFJ_20190815_0_L2A", inbox / "S2B_49SFJ_20160815_0_L2A").name] = "before the launch"
    shutil.copytree(src / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20240815_0_L2A")
    bad["S2A_49SFJ_20240815_0_L2A"] = "datetime says 2022-08-20"
    u = _s2(inbox / "S2B_49SFJ_20240905_0_L2A", baseline="unknown", when="2024-09-05T03:00:00Z")
    bad[u.name] = "processing baseline 'unknown'"
    far = _s2(inbox / "S2B_49SFJ_20240906_0_L2A", baseline="05.00", when="2024-09-06T03:00:00Z",
              origin=(660000.0, 4370000.0))                   # a neighbouring area, 20 km east of the window
    bad[far.name] = "the scene does not cover the reclaimed land and 5 km around it"
    lc = copy_scene(src / "LC09_L2SP_126032_20230810_20230812_02_T1", inbox / "LC09_L2SP_126032_20240810_20240812_02_T1")
    mtl = next(lc.glob("*_MTL.json"))
    doc = json.loads(mtl.read_text(encoding="utf-8"))
    doc["LANDSAT_METADATA_FILE"]["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]["REFLECTANCE_MULT_BAND_4"] = "2.75E-04"
    mtl.write_text(json.dumps(doc), encoding="utf-8")
    bad[lc.name] = "out of the physical range"
    (inbox / "not a scene").mkdir()
    r = geo_sink("-q", "update", base.path, "--draws", DRAWS)
    assert r.returncode == EXIT_WARNINGS, r.stderr
    assert r.stdout == ""
    no_traceback(r.stderr)
    warnings = [x for x in r.stderr.splitlines() if x.startswith("geo-sink: warning:")]
    assert len(warnings) == len(bad) + 1, r.stderr
    for name, why in bad.items():
        mine = [w for w in warnings if f"inbox: {name} quarantined" in w]
        assert len(mine) == 1 and why in mine[0], (name, r.stderr)
        assert (inbox / "quarantine" / f"{name}.reason.txt").exists()
    assert any("not a scene" in w and "moved aside" in w for w in warnings)
    assert (inbox / "quarantine" / "not a scene").is_dir() and not (inbox / "not a scene").exists()
    # the land-cover results are those of before (their steps kept: the quarantined scenes are not
    # inputs); the folder now says what was quarantined.  (Earlier tests of this module rewrite
    # the reclamation tables with `geo-sink reclamation`, which the update brings back to the
    # run's: those are left out of the comparison.)
    def results(t):
        return {k: v for k, v in t.items() if Path(k).suffix in (".csv", ".parquet", ".gpkg", ".tif", ".vrt", ".geojson")
                and not k.startswith(".") and k != "run_warnings.csv"
                and not k.startswith(("reclamation", "reclaimed", "fvc_", "vegetation_", "targets", "counties"))}
    assert results(tree(out)) == results(before)
    said = pd.read_csv(out / "run_warnings.csv")["warning"].tolist()
    assert all(any(f"inbox: {name} quarantined" in w for w in said) for name in bad)
    by = pd.read_csv(out / "reclaimed_carbon_by_county.csv")
    assert set(by.year) == {2023}                                    # not 2099
    shutil.rmtree(inbox / "quarantine")


def test_corrupt_series_and_ledger_recover_and_the_next_run_completes(base):
    out = base.output
    (out / "fvc_series.csv").write_bytes(b"\x00\xff garbage \xfe")    # damaged by hand
    r = geo_sink("-q", "reclamation", base.path, "--draws", 150)
    assert r.returncode == EXIT_WARNINGS, r.stderr
    no_traceback(r.stderr)
    assert "fvc_series.csv of the last run is unreadable" in r.stderr
    series = pd.read_csv(out / "fvc_series.csv")
    assert series.scene.nunique() == 4 and series.scene_key.notna().all()
    ledger.ledger_path(out).write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    r = geo_sink("history", base.path)
    assert r.returncode == EXIT_IO and "the run ledger is damaged" in r.stderr and str(ledger.ledger_path(out)) in r.stderr
    no_traceback(r.stderr)
    r = geo_sink("-q", "update", base.path, "--draws", DRAWS)
    assert r.returncode == EXIT_WARNINGS, r.stderr
    no_traceback(r.stderr)
    assert "moved aside" in r.stderr and r.stderr.count("geo-sink: warning:") == 1
    complete(out)
    rows = ledger.history(out)
    assert [(x[1], x[4]) for x in rows] == [("update", "ok")] and "(no earlier successful run in the ledger)" in rows[0][6]
    r = geo_sink("-q", "update", base.path, "--draws", DRAWS)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_project_name_is_never_a_path(base, tmp_path):
    import yaml
    spec = yaml.safe_load(base.path.read_text(encoding="utf-8"))
    spec["name"] = "../../evil"
    f = tmp_path / "evil.yaml"
    f.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    parent = sorted(os.listdir(base.output.parent))
    r = CliRunner().invoke(cli, ["-q", "report", str(f)])
    assert r.exit_code == 0, r.output
    assert (base.output / "_.._evil.html").exists()
    assert sorted(os.listdir(base.output.parent)) == parent and not list(tmp_path.parent.glob("evil*.html"))
    os.unlink(base.output / "_.._evil.html")
