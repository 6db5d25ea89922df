"""The raster passes on a dask LocalCluster of 2 workers equal the single-process path."""

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_sink.zonal import class_areas
from geo_sink.zonal.continuous import zonal_density_sum
from geo_sink.zonal.distributed import row_bands
from geo_sink.zonal.transitions import transition_areas
from tests.conftest import write_raster
from tests.test_carbon import zones
from tests.test_zonal_areas import shuozhou, synthetic_lc  # noqa: F401  (module fixtures)

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"


@pytest.fixture(scope="module")
def client():
    from geo_sink.zonal.distributed import close_client, make_client
    c = make_client(workers=2)
    yield c
    close_client(c)


@pytest.mark.parametrize("rows, block, n", [((0, 100), 16, 8), ((5, 101), 16, 4), ((3, 9), 16, 8),
                                            ((0, 1000), 7, 3), ((10, 11), 4, 2)])
def test_row_bands_cover_rows_once_on_block_edges(rows, block, n):
    b = row_bands(rows, block, n)
    assert b[0][0] == rows[0] and b[-1][1] == rows[1]
    assert all(x[1] == y[0] for x, y in zip(b[:-1], b[1:]))
    assert all(s < e for s, e in b)
    assert all(s % block == 0 for s, _ in b[1:])   # inner edges on block multiples
    assert len(b) <= n + 1


def test_class_areas_on_two_workers(client, synthetic_lc, shuozhou, catalog):  # noqa: F811
    ref = class_areas(synthetic_lc, shuozhou, catalog.legend("clcd"), block_rows=16)
    got = class_areas(synthetic_lc, shuozhou, catalog.legend("clcd"), block_rows=16, client=client)
    assert "computed on 2 dask worker(s)" in got.notes
    pd.testing.assert_frame_equal(ref.areas, got.areas, rtol=1e-12)
    pd.testing.assert_frame_equal(ref.summary, got.summary, rtol=1e-12)


class GraphCounter:
    """Scheduler plugin recording how many tasks each graph a client sends holds."""

    name = "geo-sink-test-graph-counter"

    def __init__(self):
        self.graphs = []

    def update_graph(self, scheduler, *, tasks, **kwargs):
        self.graphs.append(len(tasks))


def test_band_tasks_reach_the_scheduler_as_one_graph(client, synthetic_lc, shuozhou, catalog):  # noqa: F811
    """All bands in one message, so both workers start at once (separate submits wait out the
    client's 10 ms batching interval one after another): one band per single-threaded worker."""
    from distributed.diagnostics.plugin import SchedulerPlugin

    name = GraphCounter.name
    # the scheduler gets a copy of the plugin (functions sent to it are pickled)
    client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.add_plugin(
        type("Counter", (GraphCounter, SchedulerPlugin), {})()))
    try:
        class_areas(synthetic_lc, shuozhou, catalog.legend("clcd"), block_rows=16, client=client)
        graphs = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.plugins[name].graphs)
    finally:
        client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.remove_plugin(name))
    assert graphs == [2]


def test_transitions_on_two_workers(client, tmp_path, catalog):
    rng = np.random.default_rng(11)
    a = rng.choice(np.array([1, 2, 4, 5, 0], dtype=np.uint8), size=(200, 160))
    b = a.copy()
    b[rng.random(a.shape) < 0.3] = 2
    pa = write_raster(tmp_path / "a.tif", a, origin=(112.0, 40.0), res=(0.002, 0.002), nodata=0, tiled=True)
    pb = write_raster(tmp_path / "b.tif", b, origin=(112.0, 40.0), res=(0.002, 0.002), nodata=0, tiled=True)
    z = zones([shapely.Point(112.15, 39.8).buffer(0.12), shapely.box(112.0, 39.62, 112.1, 39.75)], "EPSG:4326")
    ref = transition_areas(pa, pb, z, catalog.legend("clcd"), catalog.legend("clcd"), cache=tmp_path / "c")
    got = transition_areas(pa, pb, z, catalog.legend("clcd"), catalog.legend("clcd"), cache=tmp_path / "c",
                           client=client)
    assert len(ref) == 18   # per zone: 5 from-codes x (unchanged, ->2), minus 2->2 counted once
    key = ["zone_id", "from_code", "to_code"]
    pd.testing.assert_frame_equal(ref.sort_values(key).reset_index(drop=True),
                                  got.sort_values(key).reset_index(drop=True), rtol=1e-12)


@pytest.mark.parametrize("cache", [True, False])
def test_density_sum_on_two_workers(client, tmp_path, cache):
    """Growing stock (m3/ha) with nodata, on an Albers grid; the index is a cache file or scattered."""
    rng = np.random.default_rng(2)
    v = rng.uniform(0, 150, size=(300, 240)).astype(np.float32)
    v[rng.random(v.shape) < 0.05] = -1
    path = write_raster(tmp_path / "gs.tif", v, crs=ALBERS, origin=(0, 30000), res=(100, 100), nodata=-1,
                        tiled=True)
    import geopandas as gpd
    z = gpd.GeoDataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"]},
                         geometry=[shapely.Point(12000, 15000).buffer(9000), shapely.box(50, 50, 8000, 29000)],
                         crs=ALBERS)
    c = tmp_path / "cache" if cache else False
    ref = zonal_density_sum(path, z, cache=c)
    got = zonal_density_sum(path, z, cache=c, client=client)
    pd.testing.assert_frame_equal(ref, got, rtol=1e-12)
    assert (ref.nodata_km2 > 0).all()


def test_pipeline_on_two_workers_equals_single_process(client, demo_project, tmp_path):
    """The 朔州市 demo (two CLCD years, transitions) through run_project with and without a cluster."""
    from geo_sink.pipeline import run_project
    from geo_sink.project import load_project
    p = load_project(demo_project)
    list(run_project(p, tmp_path / "one", draws=200))
    list(run_project(p, tmp_path / "two", draws=200, client=client))
    for name in ("class_areas_2015.csv", "class_areas_2020.csv", "transitions_2015_2020.csv",
                 "carbon_stock.csv", "forest_coverage.csv"):
        a = pd.read_csv(tmp_path / "one" / name)
        b = pd.read_csv(tmp_path / "two" / name)
        pd.testing.assert_frame_equal(a, b, rtol=1e-9, obj=name)


def test_cli_carbon_with_workers_equals_single_process(tmp_path):
    """``geo-sink carbon ... --workers 2`` starts and closes its own cluster; same table."""
    from click.testing import CliRunner

    from geo_sink.cli import cli
    args = ["carbon", "mcd12c1_2019_china", "石家庄市", "--draws", "0"]
    r1 = CliRunner().invoke(cli, args + ["-o", str(tmp_path / "one.csv")])
    r2 = CliRunner().invoke(cli, args + ["-o", str(tmp_path / "two.csv"), "--workers", "2"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "one.csv"), pd.read_csv(tmp_path / "two.csv"), rtol=1e-12)


def test_row_bands_split_the_work_not_the_rows():
    """All the work in the last quarter of the rows: the bands crowd there."""
    w = np.r_[np.ones(300), np.full(100, 30.0)]
    b = row_bands((0, 400), 10, 4, w)
    assert b[0][0] == 0 and b[-1][1] == 400 and all(x[1] == y[0] for x, y in zip(b[:-1], b[1:]))
    assert all(s % 10 == 0 for s, _ in b[1:])
    work = [w[s:e].sum() for s, e in b]
    assert max(work) < 0.3 * w.sum()          # equal rows would put 3000 of 3300 in one band
    assert b[0][1] >= 300


def test_row_work_counts_decoded_width_and_covered_cells():
    from geo_sink.zonal.distributed import row_work
    from geo_sink.zonal.zones import ZoneIndex
    i32 = lambda *v: np.array(v, dtype=np.int32)  # noqa: E731
    idx = ZoneIndex(grid_fingerprint="x", n_zones=2, run_row=i32(5, 5, 7), run_c0=i32(2, 10, 0),
                    run_c1=i32(6, 12, 3), run_zone=i32(0, 1, 0), b_row=i32(5, 6, 6), b_col=i32(1, 4, 5),
                    b_zone=i32(0, 0, 1), b_frac=np.array([0.5, 0.2, 0.9]),
                    zone_area_km2=np.zeros(2), outside_km2=np.zeros(2))
    # rows 5..7 of a 20-column window: row 5 covers 4 + 2 run cells + 1 boundary cell, row 6 two
    # boundary cells, row 7 three run cells
    np.testing.assert_array_equal(row_work(idx, (5, 8), (0, 20)), [20 + 7, 20 + 2, 20 + 3])
    # rows beyond the zones decode the width and count nothing
    np.testing.assert_array_equal(row_work(idx, (4, 10), (0, 20)), [20, 27, 22, 23, 20, 20])
    np.testing.assert_array_equal(idx.cells_per_row, [0, 0, 0, 0, 0, 7, 2, 3])


def test_fvc_series_scenes_on_two_workers(client, demo_project, tmp_path):
    """One task per new scene; the rows equal the single-process series, a bad scene is still
    reported (skip) or raised (raise)."""
    from types import SimpleNamespace

    from geo_sink.io.scenes import SceneError
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import load_sites, reclaimed_pieces, update_series
    p = load_project(demo_project)
    d, r = load_sites(p)
    pieces = reclaimed_pieces(r, d, project_zones(p))
    params = {"ndvi_soil_percentile": 5, "ndvi_veg_percentile": 95, "fvc_vegetated_threshold": 0.3,
              "endmember_margin_km": 5}
    scenes = list(p.spec.imagery.scenes)
    import shutil
    folder = tmp_path / "S2A_49SFJ_20240815_0_L2A"
    from tests.conftest import copy_scene
    copy_scene(demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A", folder)
    (folder / "B08.tif").write_bytes(b"garbage")
    bad = SimpleNamespace(path=folder, product="sentinel2_l2a", date=scenes[0].date.replace(year=2024))
    ref, ref_problems = update_series(None, scenes + [bad], pieces, params, on_error="skip")
    got, got_problems = update_series(None, scenes + [bad], pieces, params, on_error="skip", client=client)
    pd.testing.assert_frame_equal(ref, got, rtol=1e-12)
    assert len(got_problems) == 1 and got_problems == ref_problems and "S2A_49SFJ_20240815_0_L2A" in got_problems[0]
    with pytest.raises(SceneError):
        update_series(None, [bad], pieces, params, on_error="raise", client=client)


def test_started_workers_get_the_malloc_thresholds_and_quiet_config(client):
    """Workers geo-sink starts keep freed block buffers (both glibc thresholds at 64 MiB, where
    dask sets a 64 KiB trim threshold) and run no stack profiler or 20 ms ticks."""
    from geo_sink.zonal.distributed import QUIET_CLUSTER_CONFIG, WORKER_MMAP_THRESHOLD, WORKER_TRIM_THRESHOLD

    def probe():
        import os

        import dask
        return (os.environ.get("MALLOC_MMAP_THRESHOLD_"), os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                {k: dask.config.get(k) for k in QUIET_CLUSTER_CONFIG})

    got = list(client.run(probe).values())
    assert len(got) == 2
    for mmap, trim, cfg in got:
        assert (mmap, trim) == (str(WORKER_MMAP_THRESHOLD), str(WORKER_TRIM_THRESHOLD))
        assert cfg == QUIET_CLUSTER_CONFIG and cfg["distributed.worker.profile.enabled"] is False


def test_quiet_cli_with_workers_prints_no_dask_chatter(tmp_path):
    """-q (cron) must stay silent: dask's INFO lines (scheduler, nannies, connections) only with -vv."""
    import subprocess
    import sys
    out = tmp_path / "a.csv"
    args = [sys.executable, "-m", "geo_sink.cli", "-q", "areas", "mcd12c1_2019_china", "朔州市", "-o", str(out),
            "--workers", "2"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "" and "INFO" not in p.stderr and "distributed" not in p.stderr, p.stdout + p.stderr[:2000]
    assert len(pd.read_csv(out)) > 0


def test_bands_per_worker_thread_of_every_worker():
    """Bands are cut for all the cluster's worker threads (9 workers, 2 threads each: 36 bands at
    2 tasks a thread), asked with one call; scheduler_info() lists only 5 workers in some dask releases."""
    from geo_sink.zonal.distributed import _plan, cluster_threads

    class Client:
        calls = 0

        def nthreads(self):
            self.calls += 1
            return {f"tcp://127.0.0.1:{4000 + i}": 2 for i in range(9)}

    from geo_sink.zonal.zones import ZoneIndex
    rows = np.arange(0, 720, dtype=np.int32)
    idx = ZoneIndex(grid_fingerprint="x", n_zones=1, run_row=rows, run_c0=np.zeros(720, np.int32),
                    run_c1=np.full(720, 10, np.int32), run_zone=np.zeros(720, np.int32),
                    b_row=np.zeros(0, np.int32), b_col=np.zeros(0, np.int32), b_zone=np.zeros(0, np.int32),
                    b_frac=np.zeros(0), zone_area_km2=np.zeros(1), outside_km2=np.zeros(1))
    c = Client()
    assert cluster_threads(c) == (9, 18)
    path, ra, bands = _plan(c, idx, "cache/zones/abc", np.ones(720), (0, 720), (0, 10), 10, 2)
    assert path == "cache/zones/abc" and ra.dtype == np.float64 and c.calls == 2
    assert len(bands) == 36 and bands[0] == (0, 20) and bands[-1] == (700, 720)
    # a caller that already knows the threads saves the round trip
    assert len(_plan(c, idx, "p", np.ones(720), (0, 720), (0, 10), 10, 2, threads=3)[2]) == 6 and c.calls == 2


def test_masked_and_negative_nodata_rasters_on_two_workers(client, tmp_path, catalog):
    """A GDAL mask band and a negative nodata value (int16, -999) give on the cluster what they
    give in one process (issue #21): masked and -999 cells under nodata_km2."""
    import rasterio
    from rasterio.transform import from_origin
    rng = np.random.default_rng(21)
    a = rng.integers(1, 10, (80, 80)).astype(np.int16)
    a[rng.random((80, 80)) < 0.1] = -999
    valid = rng.random((80, 80)) > 0.2
    path = tmp_path / "m.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            path, "w", driver="GTiff", width=80, height=80, count=1, dtype="int16", crs=ALBERS, nodata=-999,
            transform=from_origin(0, 8000, 100, 100), tiled=True, blockxsize=16, blockysize=16) as dst:
        dst.write(a, 1)
        dst.write_mask(np.where(valid, 255, 0).astype(np.uint8))
    z = zones([shapely.Point(4000, 4000).buffer(3500), shapely.box(500, 500, 3900, 7700)], ALBERS)
    ref = class_areas(path, z, catalog.legend("clcd"), block_rows=16)
    got = class_areas(path, z, catalog.legend("clcd"), block_rows=16, client=client)
    pd.testing.assert_frame_equal(ref.areas, got.areas, rtol=1e-12)
    pd.testing.assert_frame_equal(ref.summary, got.summary, rtol=1e-12)
    assert (ref.summary.nodata_km2 > 0).all() and ref.unknown_codes.empty
    vals = np.where(valid, a, 0).astype(np.float32)
    fpath = tmp_path / "f.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            fpath, "w", driver="GTiff", width=80, height=80, count=1, dtype="float32", crs=ALBERS,
            transform=from_origin(0, 8000, 100, 100), tiled=True, blockxsize=16, blockysize=16) as dst:
        dst.write(vals, 1)
        dst.write_mask(np.where(valid, 255, 0).astype(np.uint8))
    d_ref = zonal_density_sum(fpath, z)
    d_got = zonal_density_sum(fpath, z, client=client)
    pd.testing.assert_frame_equal(d_ref, d_got, rtol=1e-12)
    assert (d_ref.nodata_km2 > 0).all()


def test_land_cover_years_go_to_the_cluster_at_once(client, demo_project, tmp_path):
    """#17, many years: on a cluster the passes over the maps of a project (one per pair of
    consecutive years, which also give each year's class areas) run at once (their time spans
    overlap in the step manifest), each year's files are its own, and the folder equals a
    single-process run's."""
    import json

    from geo_sink.project import load_project
    from geo_sink.steps import run_project
    from geo_sink.steps.chain import read_manifest
    from tests.conftest import project_copy

    def edit(p):          # four years: the demo's two maps listed again under two more years
        lcs = p["landcover"]
        p["landcover"] = lcs + [dict(lcs[0], year=2017), dict(lcs[1], year=2022)]
        p["landcover"].sort(key=lambda x: x["year"])
    p = load_project(project_copy(demo_project, tmp_path, edit))
    assert [lc.year for lc in p.spec.landcover] == [2015, 2017, 2020, 2022]
    list(run_project(p, tmp_path / "one", draws=200))
    list(run_project(p, tmp_path / "two", draws=200, client=client))
    m = read_manifest(tmp_path / "two")
    assert sum(r["step"] == "landcover" for r in m.values()) == 4
    spans = sorted((r["started_s"], r["finished_s"]) for t, r in m.items() if r["step"] == "transitions")
    assert len(spans) == 3
    assert spans[1][0] < spans[0][1], spans                  # the second pass started before the first ended
    for t, r in m.items():
        if r["step"] == "landcover":
            y = r["key"]
            assert r["files"] == [f"class_areas_{y}.csv", f"ecosystem_areas_{y}.csv"], r["files"]
    for name in sorted(f.name for f in (tmp_path / "one").iterdir() if f.suffix == ".csv"):
        a, b = pd.read_csv(tmp_path / "one" / name), pd.read_csv(tmp_path / "two" / name)
        pd.testing.assert_frame_equal(a, b, rtol=1e-9, obj=name)
    prov = json.loads((tmp_path / "two" / "provenance.json").read_text(encoding="utf-8"))
    assert sorted(i["year"] for i in prov["inputs"]) == [2015, 2017, 2020, 2022]


def test_quiet_shutdown_silences_the_workers_and_nannies_dask_logs():
    """Before a LocalCluster started here closes, its worker processes log only CRITICAL (a
    heartbeat racing the scheduler's shutdown is no error of the run); this process (scheduler,
    nannies: a notebook's) keeps its level."""
    import logging

    from geo_sink.zonal.distributed import close_client, make_client, quiet_shutdown
    c = make_client(workers=2)
    try:
        level = lambda: logging.getLogger("distributed").level  # noqa: E731
        before = logging.getLogger("distributed").level
        assert set(c.run(level).values()) != {logging.CRITICAL}
        quiet_shutdown(c)
        assert set(c.run(level).values()) == {logging.CRITICAL}
        assert logging.getLogger("distributed").level == before != logging.CRITICAL
    finally:
        close_client(c)
