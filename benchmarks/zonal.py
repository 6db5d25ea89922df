"""Benchmark of the zonal engine: Shanxi's 117 counties on a 0.00025 deg land-cover raster.

Builds once (cached outside the repo, under $GEO_SINK_BENCH_DIR or the user cache dir) a
land-cover GeoTIFF covering all of Shanxi at 0.00025 deg (17,600 x 25,200 = 443.5 M pixels,
tiled 512, DEFLATE).  Its pattern is the real MODIS MCD12C1 2019 classes, upsampled 200x, with
class boundaries displaced by a smooth random field (amplitude ~ 1.5 km) and small patches
of other classes, so that it compresses and decodes like a real 30 m product.  It is synthetic
benchmark data and is labelled so in its metadata.

Measured in the same run, each in its own subprocess (so peak RSS is its own); read, cold and
warm 3 times each (medians; this shared VM's speed drifts by +-30% between runs), ee once:
  read      plain block-by-block read of the whole file (the decode limit)
  ee        exactextract: unique, frac and count with coverage_weight=area_spherical_km2
  cold      geo-sink class_areas with an empty zone cache (zones rasterised in the run)
  warm      geo-sink class_areas with the zone index cached by the previous run
  cli       the whole ``geo-sink areas`` process (start-up, imports, zones, pass, table), the
            zone index cached; ee_cli: exactextract's API in a script of the same shape, timed alike
  dask1/2   the same on dask LocalClusters of 1 and 2 single-threaded worker processes, both
            started in one subprocess, warmed by one call each, then 11 calls each, interleaved;
            medians, and the median of the ratios of back-to-back pairs (the RSS shown is the
            client's)
  plain     interleaved with those: the two row bands of a 2-worker pass in two plain processes
            at once against one after the other in one process (no dask): the 2-core ceiling
  cpu       interleaved too: a pure Python loop (no I/O, no memory traffic) in the same two
            processes at once against one after the other: what the host gives two busy cores
Imports and reading the zone layer are done before each clock starts (for every run alike).
Prints wall time, Mpix/s, peak RSS, the ratios against the targets, and the largest class
fraction difference to exactextract (percentage points).

Run:  python benchmarks/zonal.py [--quick]   (--quick: a 0.001 deg raster, 28 M pixels)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BOUNDS = (110.2, 34.5, 114.6, 40.8)  # Shanxi, deg (west, south, east, north)
GEN_VERSION = 2
PATCHES = ((2, 0.10), (4, 0.06), (16, 0.04))  # (size in pixels, share of cells)
PATCH_CLASSES = np.array([4, 7, 10, 12, 13, 16], dtype=np.uint8)
DASK_REPEATS = 11  # timed calls on each warmed cluster, interleaved; medians are reported
SPIN_STEPS = 2_000_000  # one pure-CPU task of the cpu peer: about the time of one band task
REPEATS = 3       # read, cold and warm runs (each a fresh process); the median is reported


def bench_dir() -> Path:
    env = os.environ.get("GEO_SINK_BENCH_DIR")
    if env:
        return Path(env)
    from geo_sink.zonal.zones import cache_dir
    return cache_dir() / "bench"


def build_raster(res: float, path: Path) -> Path:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from geo_sink.catalog import load_catalog

    cat = load_catalog()
    modis_path = cat.dataset_path("mcd12c1_2019_china")
    with rasterio.open(modis_path) as m:
        modis = m.read(1)
        mt = m.transform
    west, south, east, north = BOUNDS
    width = int(round((east - west) / res))
    height = int(round((north - south) / res))
    rng = np.random.default_rng(20261123)
    # smooth displacement field on a 0.01 deg lattice, amplitude ~0.015 deg
    step = 0.01
    ny, nx = int((north - south) / step) + 3, int((east - west) / step) + 3
    dxf = rng.normal(0, 0.015, (ny, nx)).astype(np.float32)
    dyf = rng.normal(0, 0.015, (ny, nx)).astype(np.float32)
    tmp = path.with_suffix(".part.tif")
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8",
                   crs="EPSG:4326", transform=from_origin(west, north, res, res), nodata=255,
                   tiled=True, blockxsize=512, blockysize=512, compress="deflate", BIGTIFF="IF_SAFER")
    cols = np.arange(width)
    lon = west + (cols + 0.5) * res
    fx = (lon - west) / step
    ix = np.clip(fx.astype(np.int64), 0, nx - 2)
    wx = (fx - ix).astype(np.float32)
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.update_tags(SYNTHETIC="true", DESCRIPTION="geo-sink benchmark land cover (synthetic, "
                        "MODIS MCD12C1 2019 pattern with displaced boundaries)", GEN_VERSION=str(GEN_VERSION))
        for r0 in range(0, height, 512):
            h = min(512, height - r0)
            lat = north - (np.arange(r0, r0 + h) + 0.5) * res
            fy = (north - lat) / step
            iy = np.clip(fy.astype(np.int64), 0, ny - 2)
            wy = (fy - iy).astype(np.float32)[:, None]

            def interp(f):
                a = f[iy][:, ix] * (1 - wx) + f[iy][:, ix + 1] * wx
                b = f[iy + 1][:, ix] * (1 - wx) + f[iy + 1][:, ix + 1] * wx
                return a * (1 - wy) + b * wy

            plon = lon[None, :] + interp(dxf)
            plat = lat[:, None] + interp(dyf)
            mc = np.clip(((plon - mt.c) / mt.a).astype(np.int64), 0, modis.shape[1] - 1)
            mr = np.clip(((plat - mt.f) / mt.e).astype(np.int64), 0, modis.shape[0] - 1)
            block = modis[mr, mc]
            # patches of other classes at several scales (fields, roads, villages, plantations),
            # so the file compresses like a real 30 m product (~1-2 bits per pixel)
            for size, share in PATCHES:
                pr = rng.random((h // size + 1, width // size + 1)) < share
                pc = rng.choice(PATCH_CLASSES, size=pr.shape)
                sel = np.repeat(np.repeat(pr, size, 0), size, 1)[:h, :width]
                block[sel] = np.repeat(np.repeat(pc, size, 0), size, 1)[:h, :width][sel]
            dst.write(block, 1, window=Window(0, r0, width, h))
    tmp.replace(path)
    return path


def counties_file(out: Path) -> Path:
    from geo_sink.io import load_boundaries
    if not out.exists():
        z = load_boundaries("山西省")
        z[["zone_id", "zone_name", "geometry"]].to_file(out)
    return out


def bench_args(doc: str, measure_args: tuple[str, ...], argv=None) -> argparse.Namespace:
    """The common options of the benchmarks that reuse this one's raster: --quick, --repeat and
    the hidden --measure of their subprocesses."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--measure", nargs=len(measure_args), metavar=measure_args, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def bench_raster(quick: bool) -> Path:
    """The land-cover raster of this benchmark (built once, cached): 0.001 deg with --quick, else
    0.00025 deg."""
    res = 0.001 if quick else 0.00025
    bench_dir().mkdir(parents=True, exist_ok=True)
    return build_raster(res, bench_dir() / f"shanxi_lc_{res:g}.tif")


def medians(rows: list[dict], kinds, fields) -> dict:
    """{kind: {field: median over the rows of that kind}}."""
    import statistics
    return {k: {f: statistics.median(r[f] for r in rows if r["kind"] == k) for f in fields} for k in kinds}


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry the parent's peak)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PlainPeer:
    """The machine's own 2-process ceiling for the dask figure: the two row bands of a 2-worker
    pass (geo-sink's ``band_areas``) in two plain worker processes at once, against the same two
    bands one after the other in one of them; no dask, no client work."""

    def __init__(self, raster, zones):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from geo_sink.io.rasters import default_block_rows, raster_info
        from geo_sink.zonal.areas import zones_on_grid
        from geo_sink.zonal.distributed import row_bands, row_work
        from geo_sink.zonal.zones import cached_zone_index

        info = raster_info(raster)
        index, _, ifile = cached_zone_index(zones_on_grid(zones, info.grid).values, info.grid)
        rows, cols = index.row_range(), index.col_range()
        br = default_block_rows(info, cols[1] - cols[0])
        ra = info.grid.row_cell_area_m2()
        self.args = [(str(raster), str(ifile), ra, b, cols, br)
                     for b in row_bands(rows, br, 2, row_work(index, rows, cols))]
        ctx = multiprocessing.get_context("spawn")
        self.pools = [ProcessPoolExecutor(1, mp_context=ctx) for _ in range(2)]
        for pool in self.pools:   # warm: numba and the index loaded in each process
            for a in self.args:
                pool.submit(_band, a).result()

    def seconds(self, n: int) -> float:
        t0 = time.perf_counter()
        futures = [self.pools[i % n].submit(_band, a) for i, a in enumerate(self.args)]
        sum(f.result() for f in futures)
        return time.perf_counter() - t0

    def cpu_seconds(self, n: int) -> float:
        """Two pure-CPU tasks (:func:`_spin`) in ``n`` of the processes (2: at once, 1: in turn)."""
        t0 = time.perf_counter()
        futures = [self.pools[i % n].submit(_spin, SPIN_STEPS) for i in range(2)]
        for f in futures:
            f.result()
        return time.perf_counter() - t0

    def close(self):
        for pool in self.pools:
            pool.shutdown()


def _spin(steps: int) -> int:
    """A loop of integer arithmetic on a few registers' worth of data."""
    s = 0
    for i in range(steps):
        s += i * i
    return s


def _band(args):
    from geo_sink.zonal.distributed import band_areas
    return band_areas(*args)


def measure(kind: str, raster: str, zones: str, cache: str) -> dict:
    """One measurement; imports and reading the zone layer happen before the clock starts."""
    os.environ["GEO_SINK_CACHE_DIR"] = cache
    # each peer with its best GDAL block cache: exactextract reads a window per feature and
    # neighbouring windows overlap, so it keeps GDAL_CACHEMAX=128 (MB; faster for it than 16);
    # the streaming readers (plain read, geo-sink) read each tile once and use geo-sink's small
    # cache (geo_sink.io.rasters.GDAL_CACHE_BYTES)
    if kind == "ee":
        os.environ.setdefault("GDAL_CACHEMAX", os.environ.get("BENCH_EE_GDAL_CACHEMAX", "128"))
    import geopandas as gpd
    import rasterio
    from rasterio.windows import Window

    out: dict = {"kind": kind}
    z = gpd.read_file(zones)
    if kind == "read":
        from geo_sink.io.rasters import limit_gdal_cache
        limit_gdal_cache()
        t0 = time.perf_counter()
        n = 0
        with rasterio.open(raster) as src:
            for r0 in range(0, src.height, 512):
                h = min(512, src.height - r0)
                n += src.read(1, window=Window(0, r0, src.width, h)).size
        out["pixels"] = n
    elif kind == "ee":
        from exactextract import exact_extract
        t0 = time.perf_counter()
        df = exact_extract(raster, z, ["unique(coverage_weight=area_spherical_km2)",
                                       "frac(coverage_weight=area_spherical_km2)",
                                       "count(coverage_weight=area_spherical_km2)"],
                           include_cols=["zone_id"], output="pandas")
        out["seconds"] = time.perf_counter() - t0
        out["fractions"] = {r.zone_id: dict(zip(map(int, r.unique), map(float, r.frac)))
                            for r in df.itertuples()}
    elif kind == "dask":
        from geo_sink.catalog import load_catalog
        from geo_sink.zonal import class_areas
        from geo_sink.zonal.distributed import close_client, make_client
        legend = load_catalog().legend("modis_igbp")
        clients = {n: make_client(workers=n) for n in (1, 2)}
        for c in clients.values():
            class_areas(raster, z, legend, client=c)  # warm: workers load numba and the index
        plain = PlainPeer(raster, z)
        times: dict = {1: [], 2: [], "plain1": [], "plain2": [], "cpu1": [], "cpu2": []}
        # interleaved, so that a drift in the machine's speed hits all alike
        for _ in range(DASK_REPEATS):
            for n, c in clients.items():
                t0 = time.perf_counter()
                class_areas(raster, z, legend, client=c)
                times[n].append(time.perf_counter() - t0)
            for n in (1, 2):
                times[f"plain{n}"].append(plain.seconds(n))
                times[f"cpu{n}"].append(plain.cpu_seconds(n))
        plain.close()
        for n, c in clients.items():
            close_client(c)
            out[f"dask{n}"] = {"seconds": float(np.median(times[n])), "spread": [min(times[n]), max(times[n])]}
        out["pair_ratio"] = float(np.median(np.array(times[1]) / np.array(times[2])))
        out["plain_ratio"] = float(np.median(times["plain1"]) / np.median(times["plain2"]))
        out["plain_seconds"] = [float(np.median(times["plain1"])), float(np.median(times["plain2"]))]
        out["cpu_ratio"] = float(np.median(times["cpu1"]) / np.median(times["cpu2"]))
        out["cpu_pairs"] = [float(a / b) for a, b in zip(times["cpu1"], times["cpu2"])]
        t0 = time.perf_counter()
    else:
        from geo_sink.catalog import load_catalog
        from geo_sink.zonal import class_areas
        from geo_sink.zonal.engine import load_kernels
        legend = load_catalog().legend("modis_igbp")
        out["kernel_load_s"] = load_kernels()  # numba's one-time load per process, reported apart
        t0 = time.perf_counter()
        res = class_areas(raster, z, legend)
        out["seconds"] = time.perf_counter() - t0
        a = res.areas.pivot_table(index="zone_id", columns="class_code", values="area_km2",
                                  aggfunc="sum", fill_value=0.0)
        fr = a.div(a.sum(axis=1), axis=0)
        out["fractions"] = {zid: {int(c): float(v) for c, v in row.items() if v > 0}
                            for zid, row in fr.iterrows()}
        out["notes"] = res.notes
        out["closure_pct_max"] = float(res.summary.closure_pct.abs().max())
    out.setdefault("seconds", time.perf_counter() - t0)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


EE_SCRIPT = ("import sys, geopandas as gpd; from exactextract import exact_extract; "
             "z = gpd.read_file(sys.argv[2]); "
             "exact_extract(sys.argv[1], z, ['unique(coverage_weight=area_spherical_km2)', "
             "'frac(coverage_weight=area_spherical_km2)'], include_cols=['zone_id'], output='pandas')"
             ".to_csv(sys.argv[3])")


def whole_process(kind: str, raster, zones, cache, out_dir) -> float:
    """Wall time of a whole process from its start to its exit (interpreter start-up, imports,
    reading the zones, the pass, writing the table): ``cli`` is ``geo-sink areas`` with the
    zone index cached, ``ee_cli`` exactextract's Python API in a script of the same shape."""
    env = dict(os.environ, GEO_SINK_CACHE_DIR=str(cache))
    if kind == "ee_cli":       # exactextract's best block cache, as in its in-process measure
        env.setdefault("GDAL_CACHEMAX", os.environ.get("BENCH_EE_GDAL_CACHEMAX", "128"))
    if kind == "cli":
        cmd = [sys.executable, "-m", "geo_sink.cli", "-q", "areas", str(raster), str(zones), "--legend", "modis_igbp",
               "--zone-field", "zone_id", "--name-field", "zone_name", "-o", str(Path(out_dir) / "cli.csv")]
    else:
        cmd = [sys.executable, "-c", EE_SCRIPT, str(raster), str(zones), str(Path(out_dir) / "ee.csv")]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 10):
        raise SystemExit(f"{kind} failed:\n{p.stderr}")
    return dt


def run(kind, raster, zones, cache) -> dict:
    p = subprocess.run([sys.executable, __file__, "--measure", kind, str(raster), str(zones), str(cache)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="geo-sink zonal benchmark")
    ap.add_argument("--quick", action="store_true", help="0.001 deg raster (28 M pixels)")
    ap.add_argument("--measure", nargs=4, metavar=("KIND", "RASTER", "ZONES", "CACHE"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    res = 0.001 if args.quick else 0.00025
    d = bench_dir()
    d.mkdir(parents=True, exist_ok=True)
    raster = d / f"shanxi_lc_{res:g}_v{GEN_VERSION}.tif"
    if not raster.exists():
        t = time.perf_counter()
        print(f"building {raster} (one time) ...", flush=True)
        build_raster(res, raster)
        print(f"  built in {time.perf_counter() - t:.0f} s, {raster.stat().st_size / 2**20:.0f} MiB")
    zones = counties_file(d / "shanxi_counties.gpkg")
    import rasterio
    with rasterio.open(raster) as src:
        mpix = src.width * src.height / 1e6
    r = {}
    for i in range(REPEATS):   # cold, warm, read: fresh processes and a fresh zone cache each time
        with tempfile.TemporaryDirectory() as cache:
            for k in ("read", "cold", "warm"):
                r.setdefault(k, []).append(run(k, raster, zones, cache))
            for k in ("cli", "ee_cli"):          # whole processes, the zone index cached by "warm"
                r.setdefault(k, []).append({"seconds": whole_process(k, raster, zones, cache, cache)})
            if i == 0:
                r["ee"] = run("ee", raster, zones, cache)
                r["dask"] = run("dask", raster, zones, cache)
    for k in ("read", "cold", "warm"):
        runs = sorted(r[k], key=lambda x: x["seconds"])
        r[k] = dict(runs[len(runs) // 2], spread=[runs[0]["seconds"], runs[-1]["seconds"]],
                    peak_rss_mb=max(x["peak_rss_mb"] for x in runs))
    for n in (1, 2):
        r[f"dask{n}"] = dict(r["dask"][f"dask{n}"], peak_rss_mb=r["dask"]["peak_rss_mb"])
    assert "zone index built" in r["cold"]["notes"] and "zone index reused from cache" in r["warm"]["notes"]
    worst = 0.0
    for zid, fe in r["ee"]["fractions"].items():
        fg = r["warm"]["fractions"].get(zid, {})
        for code in set(fe) | set(fg):
            worst = max(worst, abs(fe.get(code, 0.0) - fg.get(code, 0.0)))
    print(f"\nraster: {raster.name}, {mpix:.1f} M pixels; 117 counties of 山西省")
    print(f"{'run':<6}{'wall s':>9}{'Mpix/s':>9}{'peak RSS MB':>13}   (range)")
    for k in ("read", "ee", "cold", "warm", "dask1", "dask2"):
        s = r[k]["seconds"]
        sp = r[k].get("spread")
        rng = f"   ({sp[0]:.2f}-{sp[1]:.2f})" if sp else ""
        print(f"{k:<6}{s:>9.2f}{mpix / s:>9.1f}{r[k]['peak_rss_mb']:>13.0f}{rng}")
    ee, cold, warm, read = (r[k]["seconds"] for k in ("ee", "cold", "warm", "read"))
    print("\nratios (throughput):")
    print(f"  cold / exactextract   {ee / cold:6.2f}x   (target >= 2)")
    print(f"  warm / exactextract   {ee / warm:6.2f}x   (target >= 10)")
    print(f"  warm / read limit     {read / warm:6.2f}    (target >= 0.5)")
    d1, d2 = r["dask1"], r["dask2"]
    print(f"  dask 2 workers / 1    {d1['seconds'] / d2['seconds']:6.2f}x   (target >= 1.7; medians of "
          f"{DASK_REPEATS} warm calls, 1 worker {d1['spread'][0]:.2f}-{d1['spread'][1]:.2f} s, 2 workers "
          f"{d2['spread'][0]:.2f}-{d2['spread'][1]:.2f} s; median of back-to-back pairs "
          f"{r['dask']['pair_ratio']:.2f}x; cluster start not timed)")
    p1, p2 = r["dask"]["plain_seconds"]
    print(f"  plain processes 2 / 1 {r['dask']['plain_ratio']:6.2f}x   (the same 2 bands in 2 processes at once "
          f"vs one after the other, no dask: this machine's ceiling for the line above; {p1:.2f} s / {p2:.2f} s)")
    cp = r["dask"]["cpu_pairs"]
    print(f"  pure CPU 2 / 1        {r['dask']['cpu_ratio']:6.2f}x   (a Python loop in the same 2 processes at once vs "
          f"in turn: what the host gives two busy cores, 2.00 on dedicated ones; back-to-back pairs "
          f"{min(cp):.2f}-{max(cp):.2f}x)")
    cli = sorted(x["seconds"] for x in r["cli"])[len(r["cli"]) // 2]
    eec = sorted(x["seconds"] for x in r["ee_cli"])[len(r["ee_cli"]) // 2]
    print(f"  whole process: geo-sink areas {cli:.2f} s, exactextract script {eec:.2f} s: {eec / cli:.2f}x   "
          f"(start-up, imports, zones, pass and table included; medians of {len(r['cli'])})")
    share = (d1["seconds"] / d2["seconds"]) / r["dask"]["plain_ratio"]
    print(f"  dask / its ceiling    {share:6.2f}    (the dask ratio as a share of the plain-process ratio; target >= 0.9)")
    print(f"  peak RSS geo-sink     {max(r['cold']['peak_rss_mb'], r['warm']['peak_rss_mb']):6.0f} MB (target <= 1024)")
    print(f"  max |fraction diff| vs exactextract: {worst * 100:.5f} percentage points (target < 0.05)")
    print(f"  area closure (classes+nodata+outside vs geodesic): {r['warm']['closure_pct_max']:.4f}%")
    kl = r["warm"]["kernel_load_s"]
    print(f"\nnot in the times above: numba's one-time kernel load per process, {kl:.2f} s "
          f"(with it, warm / read limit = {read / (warm + kl):.2f}, warm / exactextract = "
          f"{ee / (warm + kl):.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
