"""Benchmark of a whole project run: Shanxi's 117 counties, province-scale land cover.

Builds once (outside the repo, under $GEO_SINK_BENCH_DIR or the user cache dir, beside the
raster of ``benchmarks/zonal.py``) a project of two CLCD-legend land-cover years at 0.00025 deg
(17,600 x 25,200 = 443.5 M pixels each; ``--quick``: 0.001 deg, 28 M pixels), and a variant of
ten annual years (2011-2020).  The years are the zonal benchmark's raster (the MODIS MCD12C1 2019 pattern with
displaced boundaries and patches) recoded IGBP -> CLCD, each later year with a few per cent of
its 16-pixel patches changed (cropland and barren land to forest or grassland).  Synthetic
benchmark data, labelled so in each file's tags and in the project.

geo-sink's modules are byte-compiled first, as an installed copy has them.  Measured in the same
run, each in its own subprocess (peak RSS is its own), ``--repeat`` times
(default 3, interleaved; medians):

  read      a plain block-by-block read of every land-cover raster of the project (the I/O limit)
  run       ``geo-sink run`` of the 2-year project (start-up included), with each step's time
            from its provenance.json
  update    ``geo-sink update`` after the last year's raster was replaced by a changed one
  read1     a plain read of that one raster (the "scene read" of the update target)
  imports   a process that imports what a run imports and loads the numba kernels (the floor of
            any run: its wall time from start to exit)
  run10     ``geo-sink run`` of the 10-year project (once)
  scene     ``geo-sink update`` of the 朔州市 demo project (a private copy: its own inbox and
            output) after one new Sentinel-2 scene landed in its inbox (the cron case), next to
            a plain read of that scene's files (``scene_read``); and ``scene_watch``: one check of
            ``geo-sink watch`` after a new scene in a process that has taken one in before
  tile      the same cron case with scenes of a real Sentinel-2 tile's size: the demo scene pasted
            at its place in a whole 10980 x 10980 tile of 49SFJ (textured reflectance around it,
            uncompressed: 241 MB a 10 m band, 521 MB a scene), three such tiles already in the
            inbox and a fourth landing; next to a plain read of the new tile's files (``tile_read``)

and prints the targets: run <= 10x read, update after one scene <= 2 s + the scene's read, peak
RSS <= 1 GB; and the update after a changed land-cover year beside them.

Run:  python benchmarks/pipeline.py [--quick] [--repeat N] [--no-ten] [--scene-only] [--no-tile]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zonal import bench_dir, bench_raster, counties_file  # noqa: E402

GEN_VERSION = 1
#: IGBP (MCD12C1) code -> CLCD code (Yang & Huang 2021 classes): forests and woody savanna ->
#: forest 2, shrublands -> shrub 3, savanna and grassland -> grassland 4, wetland 9, cropland and
#: mosaics -> cropland 1, urban 8, snow 6, barren 7, water 5; 255 (nodata) -> 0 (CLCD's nodata)
IGBP_TO_CLCD = np.zeros(256, np.uint8)
for _codes, _clcd in (((1, 2, 3, 4, 5, 8), 2), ((6, 7), 3), ((9, 10), 4), ((11,), 9), ((12, 14), 1),
                      ((13,), 8), ((15,), 6), ((16,), 7), ((0, 17), 5)):
    IGBP_TO_CLCD[list(_codes)] = _clcd
PATCH = 16          # pixels: the side of a changed patch
CHANGE_SHARE = 0.03  # share of the patches that change between consecutive years


def year_raster(base: Path, year: int, first: int, out: Path) -> Path:
    """The land cover of ``year``: the base raster recoded to CLCD, with the patches of every
    year after ``first`` up to ``year`` changed (cropland -> forest, barren -> grassland)."""
    import rasterio
    from rasterio.windows import Window

    if out.exists():
        return out
    tmp = out.with_suffix(".part.tif")
    with rasterio.open(base) as src:
        profile = src.profile | dict(nodata=0, compress="deflate", tiled=True, blockxsize=512, blockysize=512,
                                     BIGTIFF="IF_SAFER")
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(SYNTHETIC="true", YEAR=str(year), LEGEND="clcd", GEN_VERSION=str(GEN_VERSION),
                            DESCRIPTION="geo-sink pipeline benchmark land cover (synthetic, CLCD codes)")
            for r0 in range(0, src.height, 512):
                h = min(512, src.height - r0)
                block = IGBP_TO_CLCD[src.read(1, window=Window(0, r0, src.width, h))]
                for y in range(first + 1, year + 1):
                    rng = np.random.default_rng([y, r0])
                    pr = rng.random((h // PATCH + 1, src.width // PATCH + 1)) < CHANGE_SHARE
                    sel = np.repeat(np.repeat(pr, PATCH, 0), PATCH, 1)[:h, :src.width]
                    block = np.where(sel & (block == 1), 2, np.where(sel & (block == 7), 4, block)).astype(np.uint8)
                dst.write(block, 1, window=Window(0, r0, src.width, h))
    tmp.replace(out)
    return out


def build_project(quick: bool, years: int) -> Path:
    """The project file of ``years`` land-cover years (2000, 2005, ... ; built once)."""
    base = bench_raster(quick)
    res = "q" if quick else "full"
    folder = bench_dir() / f"pipeline_{res}_v{GEN_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    zones = counties_file(bench_dir() / "shanxi_counties.gpkg")
    # ten annual maps 2011-2020 (CLCD is annual; no map after this year is accepted), in files
    # of their own: the 2-year project's 2015 and 2020 count their changes from 2015
    ys = list(range(2021 - years, 2021)) if years > 2 else [2015, 2020]
    prefix = "clcd" if years == 2 else f"clcd{years}y"
    maps = [year_raster(base, y, ys[0], folder / f"{prefix}_{y}.tif") for y in ys]
    proj = folder / f"shanxi_{years}y.yaml"
    lines = [f"name: shanxi_{years}y", "synthetic: true",
             f"boundary: {{file: {zones}, id_field: zone_id, name_field: zone_name}}", "landcover:"]
    lines += [f"  - {{year: {y}, path: {m}, legend: clcd}}" for y, m in zip(ys, maps)]
    lines += [f"output: {folder / f'out_{years}y'}"]
    proj.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return proj


def project_rasters(project: Path) -> list[str]:
    import yaml
    return [str(lc["path"]) for lc in yaml.safe_load(project.read_text(encoding="utf-8"))["landcover"]]


def measure(kind: str, project: str) -> dict:
    """One measurement in this (fresh) process."""
    out: dict = {"kind": kind}
    if kind == "imports":
        import importlib
        t0 = time.perf_counter()
        for m in ("folium", "geopandas", "geo_sink.report.build", "geo_sink.runs.runner", "geo_sink.zonal.areas"):
            importlib.import_module(m)
        importlib.import_module("geo_sink.zonal.engine").load_kernels()
        out["seconds"] = time.perf_counter() - t0
    elif kind == "scene_watch":
        # what one check of `geo-sink watch` costs once the process is warm: a first check that
        # takes a scene in (imports, numba, folium paid there), then the one timed after the next
        import time as _time

        from click.testing import CliRunner

        from geo_sink.cli import cli
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from conftest import copy_scene

        from geo_sink.demo import ensure_demo
        proj = Path(project)
        inbox = proj.parent / "inbox"
        scene = ensure_demo().parent / "scenes" / "S2A_49SFJ_20220820_0_L2A"
        k = len(list(inbox.iterdir()))
        watch = ["-q", "watch", str(proj), "--cycles", "1"]
        copy_scene(scene, inbox / f"S2A_49SFJ_202409{10 + k:02d}_0_L2A")
        assert CliRunner().invoke(cli, watch).exit_code in (0, 10)
        copy_scene(scene, inbox / f"S2A_49SFJ_202409{11 + k:02d}_0_L2A")
        t0 = _time.perf_counter()
        r = CliRunner().invoke(cli, watch)
        out["seconds"] = _time.perf_counter() - t0
        out["rc"] = r.exit_code
    elif kind == "scene_read":
        import rasterio
        t0 = time.perf_counter()
        for f in sorted(Path(project).glob("*.tif")):
            with rasterio.open(f) as src:
                src.read()
        out["seconds"] = time.perf_counter() - t0
    elif kind in ("read", "read1"):
        import rasterio
        from rasterio.windows import Window

        from geo_sink.io.rasters import limit_gdal_cache
        limit_gdal_cache()
        paths = project_rasters(Path(project))
        paths = paths[-1:] if kind == "read1" else paths
        t0 = time.perf_counter()
        for p in paths:
            with rasterio.open(p) as src:
                for r0 in range(0, src.height, 512):
                    src.read(1, window=Window(0, r0, src.width, min(512, src.height - r0)))
        out["seconds"] = time.perf_counter() - t0
    return out


def timed_cli(args: list[str]) -> dict:
    """Wall time and peak RSS of one ``geo-sink`` command in its own process."""
    import resource
    code = ("import resource, subprocess, sys, time, json; t0 = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(json.dumps({'seconds': time.perf_counter() - t0, 'rc': r.returncode, "
            "'rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
            "'tail': r.stdout[-2000:] + r.stderr[-2000:]}))")
    del resource
    r = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "geo_sink.cli", *args],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


TILE = 10980                      # 10 m cells of a Sentinel-2 tile (110 km)
TILE_ORIGIN = (600000.0, 4400040.0)  # upper left of MGRS tile 49SFJ, UTM 49N


def whole_tile_scene(src: Path, dst: Path, seed: int) -> Path:
    """``src`` (a demo scene folder: a 16 km clip) as a whole Sentinel-2 tile: each band pasted at
    its place in a tile-sized canvas of textured reflectance (SCL: vegetation), uncompressed and
    tiled 1024 like the Earth Search COGs' layout; the STAC item dated like ``dst``'s name."""
    import rasterio
    from rasterio.transform import Affine
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import copy_scene
    copy_scene(src, dst)
    rng = np.random.default_rng(seed)
    for band, res, lo, hi in (("B04", 10, 1200, 3800), ("B08", 10, 1800, 5200), ("SCL", 20, 4, 5)):
        f = dst / f"{band}.tif"
        with rasterio.open(f) as s:
            clip, profile, tags, t = s.read(1), s.profile, s.tags(), s.transform
        n = TILE * 10 // res
        canvas = rng.integers(lo, hi, (n, n)).astype(clip.dtype)
        c0, r0 = round((t.c - TILE_ORIGIN[0]) / res), round((TILE_ORIGIN[1] - t.f) / res)
        canvas[r0:r0 + clip.shape[0], c0:c0 + clip.shape[1]] = clip
        profile.update(width=n, height=n, transform=Affine(res, 0, TILE_ORIGIN[0], 0, -res, TILE_ORIGIN[1]),
                       compress=None, tiled=True, blockxsize=1024, blockysize=1024)
        f.unlink()
        with rasterio.open(f, "w", **profile) as out:
            out.write(canvas, 1)
            out.update_tags(**(tags | {"DESCRIPTION": "synthetic benchmark tile (geo-sink demo clip in a textured tile)"}))
    return dst


def scene_project(folder_name: str = "scene_update", tiles: int = 0) -> tuple[Path, Path, Path]:
    """A private copy of the 朔州市 demo project beside the other benchmark projects (the demo's
    data in place, its own inbox and output) with ``tiles`` whole-tile scenes in its inbox, run
    once: (project file, inbox, the demo scene to copy in or make tiles from)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import inbox_project          # the tests' helpers (the test extras are installed)

    from geo_sink.demo import ensure_demo
    demo = ensure_demo()
    folder = bench_dir() / folder_name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    proj, inbox = inbox_project(demo, folder)
    scene = demo.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A"
    for i in range(tiles):
        whole_tile_scene(scene, inbox / f"S2A_49SFJ_202407{10 + i:02d}_0_L2A", seed=i)
    r = timed_cli(["-q", "run", str(proj)])
    if r["rc"] not in (0, 10):
        raise SystemExit(f"the demo project's run exited {r['rc']}:\n{r['tail']}")
    return proj, inbox, scene


def in_process(kind: str, project: Path) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--measure", kind, str(project)], capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1]) | {"process_s": time.perf_counter() - t0}


def step_seconds(output: Path, result: dict) -> dict:
    if result.get("rc") not in (0, 10):
        raise SystemExit(f"geo-sink exited {result.get('rc')}:\n{result.get('tail')}")
    prov = json.loads((output / "provenance.json").read_text(encoding="utf-8"))
    out: dict = {}
    for s in prov.get("steps", []):
        if s.get("status") == "ran":          # a keyed step's tasks summed (every year, every pair)
            out[s["step"]] = out.get(s["step"], 0.0) + s["seconds"]
    return out


def steps_wall(output: Path) -> float:
    """Seconds from the first task's start to the last one's end (the tasks overlap on threads,
    so their sum is more than the time the steps took)."""
    tasks = json.loads((output / ".steps" / "manifest.json").read_text(encoding="utf-8"))["tasks"].values()
    ran = [t for t in tasks if t.get("status") == "ran"]
    return max(t["finished_s"] for t in ran) - min(t["started_s"] for t in ran) if ran else 0.0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-ten", action="store_true", help="skip the 10-year variant")
    ap.add_argument("--scene-only", action="store_true", help="only the update after one new scene (the demo)")
    ap.add_argument("--no-tile", action="store_true", help="skip the update after a whole-tile scene")
    ap.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.measure:
        print(json.dumps(measure(*a.measure)))
        return
    # geo-sink's modules as an installed copy has them: byte-compiled (pip compiles at install,
    # Python at first import; a PYTHONDONTWRITEBYTECODE environment, as on the development VM,
    # would otherwise compile ~150 modules from source in every process measured: ~0.2 s)
    import compileall
    import geo_sink
    compileall.compile_dir(Path(geo_sink.__file__).parent, quiet=1)
    # the zone index cache of these runs beside the project (fixed first: bench_dir() would
    # follow GEO_SINK_CACHE_DIR otherwise)
    os.environ.setdefault("GEO_SINK_BENCH_DIR", str(bench_dir()))
    os.environ.setdefault("GEO_SINK_CACHE_DIR", str(bench_dir() / "cache"))
    project = build_project(a.quick, 2)
    ten = None if a.no_ten else build_project(a.quick, 10)
    output = Path(__import__("yaml").safe_load(project.read_text(encoding="utf-8"))["output"])
    rasters = project_rasters(project)
    last = Path(rasters[-1])
    changed = last.with_name(last.stem + "_changed.tif")
    if not changed.exists():
        # the changed last year: the same map with one more year of patch changes
        year_raster(bench_raster(a.quick), int(last.stem.split("_")[1]) + 1, int(Path(rasters[0]).stem.split("_")[1]),
                    changed)
    original = last.with_name(last.stem + "_original.tif")
    if not original.exists():
        shutil.copy2(last, original)
    rows = []
    for i in range(0 if a.scene_only else a.repeat):
        shutil.copy2(original, last)
        rows.append(in_process("read", project))
        rows.append(in_process("read1", project))
        rows.append(in_process("imports", project))
        shutil.rmtree(output, ignore_errors=True)
        r = timed_cli(["-q", "run", str(project)])
        r["steps"] = step_seconds(output, r)
        r["steps_wall"] = steps_wall(output)
        rows.append(r | {"kind": "run"})
        shutil.copy2(changed, last)
        u = timed_cli(["-q", "update", str(project)])
        u["steps"] = step_seconds(output, u)
        u["steps_wall"] = steps_wall(output)
        rows.append(u | {"kind": "update"})
        print(f"round {i + 1}: " + ", ".join(f"{x['kind']} {x['seconds']:.2f} s" for x in rows[-4:]), flush=True)
    shutil.copy2(original, last)
    # the cron case: one new scene in the demo's inbox, then update
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import copy_scene
    demo, inbox, scene = scene_project()
    for i in range(max(a.repeat, 5)):
        new = copy_scene(scene, inbox / f"S2A_49SFJ_202408{10 + i:02d}_0_L2A")
        rows.append(in_process("scene_read", new))
        rows.append(timed_cli(["-q", "update", str(demo)]) | {"kind": "scene"})
        print(f"scene {i + 1}: read {rows[-2]['seconds']:.3f} s, update {rows[-1]['seconds']:.2f} s", flush=True)
    for i in range(3):
        rows.append(in_process("scene_watch", demo))
        print(f"watch {i + 1}: one check after a new scene {rows[-1]['seconds']:.2f} s", flush=True)
    if not a.no_tile:
        # the cron case with scenes of a real tile's size (three already in the inbox)
        tproj, tinbox, tscene = scene_project("scene_tile", tiles=3)
        for i in range(a.repeat):
            new = whole_tile_scene(tscene, tinbox / f"S2A_49SFJ_202408{20 + i:02d}_0_L2A", seed=10 + i)
            rows.append(in_process("scene_read", new) | {"kind": "tile_read"})
            rows.append(timed_cli(["-q", "update", str(tproj)]) | {"kind": "tile"})
            print(f"tile {i + 1}: read {rows[-2]['seconds']:.3f} s, update {rows[-1]['seconds']:.2f} s, "
                  f"peak RSS {rows[-1]['rss_mb']:.0f} MB", flush=True)
        shutil.rmtree(tproj.parent, ignore_errors=True)        # 3.6 GB of tiles
    for r in rows:
        if r.get("rc") not in (None, 0, 10):
            print(f"{r['kind']} exited {r['rc']}:\n{r['tail']}")

    def med(kind, field="seconds"):
        return statistics.median(r[field] for r in rows if r["kind"] == kind)

    def scene_lines():
        print(f"geo-sink update (one scene)    {med('scene'):7.2f} s   = scene read {med('scene_read'):.3f} + "
              f"{med('scene') - med('scene_read'):.2f} s   (target <= 2 s + the scene's read; 朔州市 demo)   "
              f"peak RSS {med('scene', 'rss_mb'):.0f} MB")
        print(f"geo-sink watch, one check      {med('scene_watch'):7.2f} s   after a new scene, in the warm process "
              "(the same update without start-up)")
        if not a.no_tile:
            print(f"geo-sink update (one S2 tile)  {med('tile'):7.2f} s   = tile read {med('tile_read'):.3f} + "
                  f"{med('tile') - med('tile_read'):.2f} s   (a whole 10980 x 10980 tile landing beside three; "
                  f"target <= 2 s + the scene's read)   peak RSS {med('tile', 'rss_mb'):.0f} MB")

    if a.scene_only:
        scene_lines()
        return

    read, read1, run, upd = med("read"), med("read1"), med("run"), med("update")
    imp = statistics.median(r["process_s"] for r in rows if r["kind"] == "imports")
    print(f"\nproject: {project} ({len(rasters)} years, {'quick' if a.quick else 'full'} rasters)")
    print(f"plain read of its rasters      {read:7.2f} s   (one raster: {read1:.2f} s)")
    print(f"geo-sink run                   {run:7.2f} s   {run / read:5.1f}x the read   "
          f"(target <= 10x)   peak RSS {med('run', 'rss_mb'):.0f} MB (target <= 1024)")
    scene_lines()
    print(f"geo-sink update (one year)     {upd:7.2f} s   = read1 + {upd - read1:.2f} s   "
          f"peak RSS {med('update', 'rss_mb'):.0f} MB")
    print(f"floor: a process that imports what a run imports and loads the numba kernels: {imp:.2f} s")
    for kind in ("run", "update"):
        inside = statistics.median(r["steps_wall"] for r in rows if r["kind"] == kind)
        summed = statistics.median(sum(r["steps"].values()) for r in rows if r["kind"] == kind)
        print(f"  {kind}: {inside:.2f} s in the steps (their tasks' times add up to {summed:.2f} s: they overlap "
              f"on threads), {med(kind) - inside:.2f} s outside them (start-up and imports, input fingerprints, "
              "inbox check, report, provenance, ledger, swap)")
    for kind in ("run", "update"):
        steps = {}
        for r in rows:
            if r["kind"] == kind:
                for s, t in r["steps"].items():
                    steps.setdefault(s, []).append(t)
        print(f"  {kind} steps (median s): " + ", ".join(f"{s} {statistics.median(t):.2f}" for s, t in steps.items()))
    if ten is not None:
        out10 = Path(__import__("yaml").safe_load(ten.read_text(encoding="utf-8"))["output"])
        shutil.rmtree(out10, ignore_errors=True)
        r10 = in_process("read", ten)
        t = timed_cli(["-q", "run", str(ten)])
        print(f"10-year run                    {t['seconds']:7.2f} s   {t['seconds'] / r10['seconds']:5.1f}x its read "
              f"({r10['seconds']:.2f} s)   peak RSS {t['rss_mb']:.0f} MB   exit {t['rc']}")
        print("  steps: " + ", ".join(f"{s} {v:.2f}" for s, v in step_seconds(out10, t).items()))


if __name__ == "__main__":
    main()
