"""Benchmark of the DataArray path: class areas of Shanxi's 117 counties from the same land-cover
raster given as a file and as DataArrays.

Uses the land-cover raster of ``benchmarks/zonal.py`` (built and cached by it: Shanxi at
0.00025 deg, 443.5 M pixels, or with --quick the 0.001 deg one, 28 M pixels; synthetic
benchmark data).  Measured in the same run, each in its own subprocess (peak RSS is its own),
``--repeat`` times interleaved (medians; this VM drifts by +-30% between runs), with the zone
index cached by a warm-up call first (so every kind times the pixel pass alone):

  read     a plain block-by-block read of the file (the decode limit)
  file     geo-sink class_areas on the path
  lazy     rioxarray.open_rasterio(path) without chunks: read window by window
  dask     rioxarray.open_rasterio(path, chunks=...) (512-row x full-width chunks, the file's
           tile height): dask computes one band of chunks per block
  memory   the DataArray loaded into memory first (the load is not timed; RSS includes it)

Prints wall time, Mpix/s, peak RSS, each kind against ``file``, and whether every kind gave
identical areas to the file.

Run:  python benchmarks/dataarrays.py [--quick] [--repeat N]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zonal import bench_args, bench_dir, bench_raster, counties_file, medians, peak_rss_mb  # noqa: E402

KINDS = ("read", "file", "lazy", "dask", "memory")


def measure(kind: str, raster: str, zones: str) -> dict:
    """One measurement; imports, the zone layer and (memory) the load happen before the clock."""
    import hashlib
    import warnings

    import geopandas as gpd
    import rasterio
    import rioxarray
    from rasterio.windows import Window

    from geo_sink.catalog import load_catalog
    from geo_sink.io.rasters import limit_gdal_cache
    from geo_sink.zonal import class_areas

    warnings.simplefilter("ignore")
    limit_gdal_cache()
    z = gpd.read_file(zones)
    legend = load_catalog().legend("modis_igbp")
    out: dict = {"kind": kind}
    if kind == "read":
        t0 = time.perf_counter()
        with rasterio.open(raster) as src:
            n = 0
            for r0 in range(0, src.height, 512):
                n += src.read(1, window=Window(0, r0, src.width, min(512, src.height - r0))).size
        out["pixels"] = n
    else:
        src = {"file": lambda: raster,
               "lazy": lambda: rioxarray.open_rasterio(raster),
               "dask": lambda: rioxarray.open_rasterio(raster, chunks={"y": 512, "x": -1}),
               "memory": lambda: rioxarray.open_rasterio(raster).load()}[kind]()
        with rasterio.open(raster) as f:
            out["pixels"] = f.width * f.height
        t0 = time.perf_counter()
        res = class_areas(src, z, legend)
        out["digest"] = hashlib.sha256(res.areas.to_csv(index=False).encode()).hexdigest()[:16]
    out["s"] = time.perf_counter() - t0
    out["mpix_s"] = out["pixels"] / out["s"] / 1e6
    out["rss_mb"] = peak_rss_mb()
    return out


def main(argv=None) -> int:
    a = bench_args(__doc__, ("KIND", "RASTER", "ZONES"), argv)
    if a.measure:
        print(json.dumps(measure(*a.measure)))
        return 0
    raster = bench_raster(a.quick)
    zones = counties_file(bench_dir() / "shanxi_counties.gpkg")

    def run(kind):
        r = subprocess.run([sys.executable, __file__, "--measure", kind, str(raster), str(zones)],
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout.strip().splitlines()[-1])

    run("file")                                  # warm-up: builds and caches the zone index
    rows = [run(k) for _ in range(a.repeat) for k in KINDS]
    med = medians(rows, KINDS, ("s", "mpix_s", "rss_mb"))
    digests = {r.get("digest") for r in rows if r["kind"] != "read"}
    print(f"raster {raster.name} ({'quick' if a.quick else 'full'}, {rows[0]['pixels'] / 1e6:.1f} Mpix), "
          f"{a.repeat} interleaved runs, medians")
    print(f"{'kind':8} {'s':>8} {'Mpix/s':>8} {'RSS MB':>8} {'/ file':>8}")
    for k, m in med.items():
        print(f"{k:8} {m['s']:8.2f} {m['mpix_s']:8.1f} {m['rss_mb']:8.0f} {m['s'] / med['file']['s']:8.2f}")
    print("identical areas from every kind:", len(digests) == 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
