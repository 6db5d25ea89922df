import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_sink.cli import cli
from geo_sink.project import load_project
from geo_sink.runs import ledger
from geo_sink.runs.lock import EXIT_LOCKED, output_lock
from geo_sink.runs.runner import run, update
from tests.conftest import copy_scene, inbox_project, project_copy

DRAWS = 300


@pytest.fixture
def proj(demo_project, tmp_path):
    path, inbox = inbox_project(demo_project, tmp_path)
    return load_project(path), inbox


def new_scene(demo_project, inbox, name="S2A_49SFJ_20240815_0_L2A"):
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", inbox / name)
    return inbox / name


def series(p):
    s = pd.read_csv(p.output / "fvc_series.csv", dtype={"zone_id": str})
    return s.drop(columns=[c for c in ("synthetic",) if c in s]).sort_values(["date", "polygon_id"]).reset_index(drop=True)


def test_update_does_only_what_changed_and_equals_a_full_run(proj, demo_project, tmp_path):
    p, inbox = proj
    lines = list(run(p, draws=DRAWS))
    assert any("report ->" in x for x in lines)
    assert "up to date" in list(update(p, draws=DRAWS))[-1]
    stock_mtime = (p.output / "carbon_stock.csv").stat().st_mtime_ns
    before = series(p)
    new_scene(demo_project, inbox)
    out = list(update(p, draws=DRAWS))
    assert out[-1].endswith("1 scene folder(s); recomputed: reclamation, targets"), out[-1]
    after = series(p)
    assert set(after.date) - set(before.date) == {"2024-08-15"}
    pd.testing.assert_frame_equal(after[after.date != "2024-08-15"].reset_index(drop=True), before)
    assert (p.output / "carbon_stock.csv").stat().st_mtime_ns == stock_mtime   # untouched
    assert "up to date" in list(update(p, draws=DRAWS))[-1]                    # twice: nothing
    # a full run from scratch with the same inputs gives the same series
    def edit(q):
        q["imagery"]["inbox"] = str(inbox)
        q["output"] = str(tmp_path / "scratch")
    other = tmp_path / "other"
    other.mkdir()
    q = load_project(project_copy(demo_project, other, edit))
    list(run(q, draws=DRAWS))
    pd.testing.assert_frame_equal(series(q), after)
    kinds = [(r[1], r[4]) for r in ledger.history(p.output)]
    assert kinds == [("update", "ok"), ("run", "ok")]
    added = ledger.events(p.output, ledger.history(p.output)[0][0])
    assert ("scene_added", "S2A_49SFJ_20240815_0_L2A") in [(k, i) for _, k, i, _ in added]
    # the scene is delivered again with other data: its rows are measured again (not kept)
    import numpy as np
    import rasterio
    scene = inbox / "S2A_49SFJ_20240815_0_L2A"
    with rasterio.open(scene / "B08.tif", "r+") as dst:
        dst.write((dst.read(1).astype(np.int32) * 9 // 10).astype(np.uint16), 1)
    out = list(update(p, draws=DRAWS))
    assert any("read again (files changed): S2A_49SFJ_20240815_0_L2A" in x for x in out), out
    again = series(p)
    assert not np.allclose(again[again.date == "2024-08-15"].ndvi_veg, after[after.date == "2024-08-15"].ndvi_veg)
    pd.testing.assert_frame_equal(again[again.date != "2024-08-15"].reset_index(drop=True), before)
    rid = ledger.history(p.output)[0][0]
    assert [(k, i) for _, k, i, _ in ledger.events(p.output, rid)] == [("scene_reread", "S2A_49SFJ_20240815_0_L2A")]
    # the folder is removed: its rows drop out of the series, and the ledger says so
    shutil.rmtree(scene)
    out = list(update(p, draws=DRAWS))
    assert any("removed (no longer an input): S2A_49SFJ_20240815_0_L2A" in x for x in out), out
    pd.testing.assert_frame_equal(series(p), before)
    rid = ledger.history(p.output)[0][0]
    assert [(k, i) for _, k, i, _ in ledger.events(p.output, rid)] == [("scene_removed", "S2A_49SFJ_20240815_0_L2A")]


def test_corrupt_inbox_scene_is_quarantined(proj, demo_project):
    p, inbox = proj
    list(run(p, draws=DRAWS))
    bad = new_scene(demo_project, inbox, "S2B_49SFJ_20240901_0_L2A")
    (bad / "B08.tif").write_bytes(b"garbage")
    good = new_scene(demo_project, inbox, "S2A_49SFJ_20240815_0_L2A")
    out = list(update(p, draws=DRAWS))
    assert any("S2B_49SFJ_20240901_0_L2A quarantined" in x for x in out)
    assert (inbox / "quarantine" / "S2B_49SFJ_20240901_0_L2A.reason.txt").exists()
    assert "2024-08-15" in set(series(p).date) and "2024-09-01" not in set(series(p).date)
    assert good.exists()


def test_second_run_on_a_locked_folder_exits_75(proj):
    p, _ = proj
    with output_lock(p.output):
        r = CliRunner().invoke(cli, ["update", str(p.path)])
    assert r.exit_code == EXIT_LOCKED and "being updated" in r.output
    r = CliRunner().invoke(cli, ["history", str(p.path)])
    assert r.exit_code == 0 and "no runs recorded" in r.output


def test_killed_run_leaves_outputs_whole_and_next_run_completes(proj):
    import signal
    import subprocess
    import sys
    import time
    p, _ = proj
    list(run(p, draws=DRAWS))
    whole = {f.name: f.read_bytes() for f in p.output.glob("*.csv")}
    proc = subprocess.Popen([sys.executable, "-m", "geo_sink.cli", "run", str(p.path), "--draws", str(DRAWS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    now = {f.name: f.read_bytes() for f in p.output.glob("*.csv")}
    assert now == whole or proc.returncode == 0               # the old set, byte for byte (or the new one)
    assert [r[4] for r in ledger.history(p.output)][0] in ("running", "swapping", "ok")
    list(run(p, draws=DRAWS))                             # the lock died with the process
    statuses = [r[4] for r in ledger.history(p.output)]
    assert statuses[0] == "ok" and statuses[1] in ("interrupted", "ok")


def test_static_stac_catalog_scenes(demo_project, tmp_path):
    import datetime as dt
    import pystac
    from geo_sink.runs.scenes import stac_scenes
    folder = tmp_path / "S2A_49SFJ_20240815_0_L2A"
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", folder)
    cat = pystac.Catalog(id="pingshuo", description="scenes")
    item = pystac.Item(id=folder.name, geometry=None, bbox=None, datetime=dt.datetime(2024, 8, 15, 3, 15),
                       properties={"platform": "sentinel-2a"})
    for key, f in (("red", "B04.tif"), ("nir", "B08.tif"), ("scl", "SCL.tif")):
        item.add_asset(key, pystac.Asset(href=str(folder / f)))
    cat.add_item(item)
    cat.normalize_and_save(str(tmp_path / "stac"), catalog_type=pystac.CatalogType.SELF_CONTAINED)
    scenes, odd = stac_scenes(tmp_path / "stac" / "catalog.json")
    assert odd == [] and len(scenes) == 1
    assert (scenes[0].path, scenes[0].product, scenes[0].date) == (folder, "sentinel2_l2a", dt.date(2024, 8, 15))


def test_provenance_and_a_changed_coefficient_reruns_the_steps_that_read_it(proj, tmp_path, monkeypatch):
    """provenance.json names every input with its SHA-256, the catalog files, the code version and
    times; a coefficient edited in the catalog is an input change: update re-runs the steps that
    read it (the reclaimed-land rates: reclamation, then the targets)."""
    import json

    import geopandas as gpd

    from geo_sink import __version__
    from geo_sink.catalog.loader import default_catalog_dir
    from geo_sink.io.fingerprint import sha256_file
    cat_copy = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), cat_copy)
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    p, _ = proj
    list(run(p, draws=DRAWS))
    prov = json.loads((p.output / "provenance.json").read_text(encoding="utf-8"))
    assert prov["geo_sink"] == __version__ and prov["started_utc"] <= prov["finished_utc"]
    assert prov["input_files"][str(p.path)]["sha256"] == sha256_file(p.path)
    assert {r["role"] for r in prov["input_files"].values()} >= {"project", "landcover", "scene", "mines"}
    rates = cat_copy / "reclamation" / "reclaimed_carbon.csv"
    assert prov["catalog"]["files"]["reclamation/reclaimed_carbon.csv"] == sha256_file(rates)
    g = gpd.read_file(p.output / "counties.gpkg")
    assert "平鲁区" in set(g.zone_name) and g.crs.to_epsg() == 4326
    assert "up to date" in list(update(p, draws=DRAWS))[-1]
    before = pd.read_csv(p.output / "reclaimed_carbon_by_county.csv")
    df = pd.read_csv(rates)
    df.loc[(df.vegetation == "grassland") & (df.pool == "biomass"), "rate_mg_c_ha_yr"] = 0.4
    df.to_csv(rates, index=False)
    out = list(update(p, draws=DRAWS))
    assert out[-1].endswith("recomputed: reclamation, targets"), out[-1]
    after = pd.read_csv(p.output / "reclaimed_carbon_by_county.csv")
    assert (after.sink_t_co2e_yr >= before.sink_t_co2e_yr).all() and (after.cumulative_t_co2e > before.cumulative_t_co2e).any()


def test_provenance_lists_every_file_the_run_wrote_and_names_stale_ones(demo_project, tmp_path):
    """#17, the output registry: every file a run of the demo writes (reclamation, subsidence and
    PV tables included) is declared in geo_sink.outputs and listed in provenance.json with its
    id, step and SHA-256; a file left in the folder by an older run is named as stale."""
    import json
    import os

    from geo_sink.io.fingerprint import sha256_file
    from geo_sink.outputs import OUTPUTS, output_of
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    out = tmp_path / "out"
    out.mkdir()
    (out / "old_table.csv").write_text("a\n1\n", encoding="utf-8")
    os.utime(out / "old_table.csv", (1e9, 1e9))
    lines = list(run_project(load_project(demo_project), out, draws=200))
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    files = {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")} - {
        "provenance.json", "old_table.csv"}
    listed = {o["file"]: o for o in prov["outputs"]}
    assert set(listed) == files and len(files) >= 30
    assert all(o["id"] is not None for o in listed.values())
    for name, o in listed.items():
        assert output_of(name).id == o["id"] and o["sha256"] == sha256_file(out / name)
    assert {"reclamation", "subsidence", "pv", "carbon", "targets"} <= {o["step"] for o in listed.values()}
    assert prov["stale_files"] == ["old_table.csv"]
    assert any("old_table.csv" in x and "not written by this run" in x for x in lines)
    # every pattern is distinct, and a year or zone fills its placeholder only
    assert len({o.id for o in OUTPUTS}) == len(OUTPUTS)
    assert output_of("carbon_density_2020.tif").id == "carbon_density"
    assert output_of("carbon_density_2020_warm_temperate_dry.tif").id == "carbon_density_zone"
    assert output_of("transitions_2015_2020.csv").id == "transitions" and output_of("transitions_15_20.csv") is None


def test_inbox_scenes_are_decoded_once(proj, demo_project, monkeypatch):
    """An update decodes only new or changed inbox scenes: a scene read and found usable before,
    its files unchanged, is not read again; a changed one is."""
    import geo_sink.runs.runner as runner
    p, inbox = proj
    new_scene(demo_project, inbox)
    list(run(p, draws=DRAWS))
    reads, areas = [], []
    real = runner.check_scene
    monkeypatch.setattr(runner, "check_scene", lambda path, product, area: reads.append(path.name)
                        or areas.append(area) or real(path, product, area))
    assert "up to date" in list(update(p, draws=DRAWS))[-1]
    assert reads == []
    second = new_scene(demo_project, inbox, "S2A_49SFJ_20240901_0_L2A")
    list(update(p, draws=DRAWS))
    assert reads == [second.name]
    # read over the window the analysis reads: the reclaimed land and the catalog's margin
    assert areas[0].label == "the reclaimed land and 5 km around it"
    import numpy as np
    import rasterio
    with rasterio.open(second / "B08.tif", "r+") as dst:
        dst.write((dst.read(1).astype(np.int32) * 9 // 10).astype(np.uint16), 1)
    reads.clear()
    list(update(p, draws=DRAWS))
    assert reads == [second.name]


def test_an_update_hashes_only_the_files_that_changed(proj, demo_project, monkeypatch):
    """The input digests are kept beside the output folder: an update in a new process after one
    scene landed reads for a digest that scene's files only, not every input again; a changed
    file written again is hashed again."""
    import os

    import geo_sink.io.fingerprint as fp
    p, inbox = proj
    monkeypatch.setattr(fp, "SETTLED_NS", -10**12)      # the files were written moments ago
    new_scene(demo_project, inbox)
    list(run(p, draws=DRAWS))
    hashed = []
    real = fp._hash
    monkeypatch.setattr(fp, "_hash", lambda path: hashed.append(path) or real(path))
    fp.forget_digests()                                  # a new process
    second = new_scene(demo_project, inbox, "S2A_49SFJ_20240901_0_L2A")
    last = list(update(p, draws=DRAWS))[-1]
    assert "1 scene folder(s)" in last
    inputs = {os.path.realpath(f) for f in p.output.parent.rglob("*") if f.is_file()} - {
        os.path.realpath(f) for f in p.output.rglob("*")}
    read = {os.path.realpath(f) for f in hashed} & inputs      # not the files the update wrote
    assert read == {os.path.realpath(f) for f in second.iterdir()}
    assert not [f for f in hashed if "data_catalog" in Path(f).parts]     # nor the coefficients
    # a file written again is hashed again (here with the same bytes: nothing to recompute)
    band = second / "B04.tif"
    hashed.clear()
    fp.forget_digests()
    band.write_bytes(band.read_bytes())
    assert "up to date" in list(update(p, draws=DRAWS))[-1]
    assert {os.path.realpath(f) for f in hashed} & inputs == {os.path.realpath(band)}


def test_watch_updates_when_a_scene_lands_and_sees_an_edited_coefficient(proj, demo_project, tmp_path, monkeypatch):
    """``geo-sink watch`` in one process: the first check runs everything (no earlier run), a
    scene that lands before the second is taken in (its date in the FVC series), a coefficient
    edited in the catalog before the third reruns the steps that read it (the catalog is read
    again at each check), and a fourth check finds everything up to date."""
    import json
    import time

    from geo_sink.catalog.loader import default_catalog_dir
    p, inbox = proj
    cat_copy = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), cat_copy)
    monkeypatch.setenv("GEO_SINK_CATALOG", str(cat_copy))
    pauses = []

    def between_checks(seconds):
        pauses.append(seconds)
        if len(pauses) == 1:
            new_scene(demo_project, inbox)
        elif len(pauses) == 2:
            gwp = cat_copy / "carbon" / "gwp.csv"
            t = pd.read_csv(gwp)
            t.loc[t["gas"] == "CH4", "gwp"] += 1
            t.to_csv(gwp, index=False)
    monkeypatch.setattr(time, "sleep", between_checks)
    r = CliRunner().invoke(cli, ["watch", str(p.path), "--interval", "5", "--cycles", "4", "--draws", str(DRAWS)])
    assert r.exit_code == 0, r.output
    assert len(pauses) == 3 and all(0 <= s <= 5 for s in pauses)
    assert "2024-08-15" in set(series(p).date)
    msgs = [row[6] or "" for row in ledger.history(p.output, 10)][::-1]    # oldest first
    assert len(msgs) == 3, msgs          # a check with nothing to do writes no ledger row
    assert "recomputed: reclamation, targets" in msgs[1]
    assert "recomputed: wetland-2020, targets" in msgs[2]
    assert r.output.rstrip().endswith("up to date (no input changed since the last run)")
    steps = {s["task"]: s for s in json.loads((p.output / "provenance.json").read_text(encoding="utf-8"))["steps"]}
    assert steps["wetland-2020"]["status"] == "ran" and steps["reclamation"]["status"] == "kept"


def test_watch_reports_a_bad_check_and_goes_on(proj, monkeypatch):
    """A check that fails on bad input (the project file broken between checks) is said on
    stderr and the watcher goes on; fixed, the next check runs; the last check's error is the
    command's status."""
    import time
    p, _ = proj
    good = p.path.read_text(encoding="utf-8")
    pauses = []

    def between_checks(seconds):
        pauses.append(seconds)
        p.path.write_text("landcover: [\n" if len(pauses) == 1 else good, encoding="utf-8")
    monkeypatch.setattr(time, "sleep", between_checks)
    r = CliRunner().invoke(cli, ["watch", str(p.path), "--interval", "2", "--cycles", "3", "--draws", str(DRAWS)])
    assert r.exit_code == 0, r.output
    assert "error (check 2; next in 2 s)" in r.output and "not valid YAML" in r.output
    p.path.write_text("landcover: [\n", encoding="utf-8")
    monkeypatch.setattr(time, "sleep", lambda s: None)
    r = CliRunner().invoke(cli, ["watch", str(p.path), "--cycles", "1"])
    assert r.exit_code == 3 and "not valid YAML" in r.output


def test_series_events_tell_a_skipped_scene_from_a_removed_one(proj, demo_project, tmp_path):
    from geo_sink.runs.runner import _series_events
    p, inbox = proj
    still = new_scene(demo_project, inbox).name
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    pd.DataFrame({"scene": [still, "GONE_20200101", "KEPT_20210101"], "scene_key": ["a", "b", "c"]}).to_csv(before)
    pd.DataFrame({"scene": ["KEPT_20210101"], "scene_key": ["c"]}).to_csv(after)
    events, lines = _series_events(before, after, p)
    assert sorted(events) == [("scene_removed", "GONE_20200101", "b"), ("scene_skipped", still, "a")]
    assert any("skipped this time" in x and still in x for x in lines)
    assert any("no longer an input" in x and "GONE_20200101" in x for x in lines)


def test_the_runs_warnings_are_in_its_folder_and_at_the_top_of_the_report(proj, demo_project):
    """A quarantined inbox scene is a warning of the run: in run_warnings.csv with its reason and
    path, and in the report under the summary with file names only; a later run without
    warnings leaves an empty table and no section."""
    p, inbox = proj
    bad = copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20990101_0_L2A")
    lines = list(run(p, draws=DRAWS))
    assert any("S2A_49SFJ_20990101_0_L2A" in x and "in the future" in x for x in lines)
    w = pd.read_csv(p.output / "run_warnings.csv")["warning"].tolist()
    assert len(w) == 1 and "in the future" in w[0] and str(inbox) in w[0]
    page = (p.output / f"{p.file_stem}.html").read_text(encoding="utf-8")
    section = page[page.index("<section id='gs-warnings'"):]
    section = section[:section.index("</section>")]
    assert "本次运行的警告 (1)" in section and "S2A_49SFJ_20990101_0_L2A" in section and "in the future" in section
    assert str(inbox) not in section                                       # no machine path in the report
    assert page.index("id='gs-summary'") < page.index("id='gs-warnings'") < page.index("id='gs-bottom'")
    import json
    prov = json.loads((p.output / "provenance.json").read_text(encoding="utf-8"))
    assert "run_warnings.csv" not in [o["file"] for o in prov["outputs"]] + prov["stale_files"]
    assert not bad.exists()
    list(run(p, draws=DRAWS))
    assert pd.read_csv(p.output / "run_warnings.csv").empty
    assert "<section id='gs-warnings'" not in (p.output / f"{p.file_stem}.html").read_text(encoding="utf-8")


def test_file_names_only_cuts_posix_and_windows_paths():
    from geo_sink.report.build import file_names_only
    assert file_names_only(r"bad band C:\data\S2\B08.tif (see D:\q\x.reason.txt)") == "bad band B08.tif (see x.reason.txt)"
    # the project's folders, spaces and all, become their names
    line = "quarantined to /d/My Scenes/inbox/quarantine (/d/My Scenes/inbox/S2A_1/B04.tif: bad)"
    assert file_names_only(line, ["/d/My Scenes/inbox"]) == "quarantined to inbox/quarantine (inbox/S2A_1/B04.tif: bad)"
    assert file_names_only("/d/My Scenes/inboxes/x.tif", ["/d/My Scenes/inbox"]).endswith("inboxes/x.tif")
    # what is not an absolute path stays as it is
    text = "12 t CO2e/yr, 3 t C/ha/yr, 2022/08/20, https://docs.x.org/a/b.html, scenes/S2A/B04.tif, 场景/数据/影像, 5-95%"
    assert file_names_only(text) == text


def test_an_update_that_only_quarantines_says_so_in_the_folder(proj, demo_project):
    """A scene quarantined by an update with nothing else new: the update is not 'up to date'
    and silent, the folder is rewritten with every step kept, so that the warning reaches
    run_warnings.csv, the report and the ledger; the results stay those of the run."""
    p, inbox = proj
    list(run(p, draws=DRAWS))
    before = pd.read_csv(p.output / "carbon_stock.csv")
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", inbox / "S2A_49SFJ_20990101_0_L2A")
    lines = list(update(p, draws=DRAWS))
    assert not any("up to date" in x for x in lines)
    assert "recomputed: nothing" in lines[-1]
    w = pd.read_csv(p.output / "run_warnings.csv")["warning"].tolist()
    assert len(w) == 1 and "S2A_49SFJ_20990101_0_L2A" in w[0] and "in the future" in w[0]
    assert "S2A_49SFJ_20990101_0_L2A" in (p.output / f"{p.file_stem}.html").read_text(encoding="utf-8")
    assert any(kind == "warning" and "in the future" in detail for _, kind, _, detail in ledger.events(p.output))
    pd.testing.assert_frame_equal(pd.read_csv(p.output / "carbon_stock.csv"), before)
    assert "up to date" in list(update(p, draws=DRAWS))[-1]              # said once
