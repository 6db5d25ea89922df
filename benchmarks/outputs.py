"""Benchmark of the raster outputs: the carbon-density COG of a province-scale land-cover map.

Uses the land-cover raster of ``benchmarks/zonal.py`` (built and cached by it: Shanxi at
0.00025 deg, 443.5 M pixels, or with --quick the 0.001 deg one, 28 M pixels; synthetic
benchmark data) and writes its total carbon density (Mg C/ha, float32, nine distinct values)
as a Cloud-Optimized GeoTIFF with :func:`geo_sink.io.rasters.write_cog_from`, in the same run:

  read      a plain block-by-block read of the land-cover file (the decode limit)
  deflate   the settings before 2026-12: DEFLATE staging, one-core DEFLATE + PREDICTOR=3 COG,
            averaged overviews
  zstd      the settings now: ZSTD level-1 staging, ZSTD level 1 + PREDICTOR=3 on all cores,
            nearest overviews

Each in its own subprocess (peak RSS is its own), ``--repeat`` times (default 3), interleaved;
prints medians, Mpix/s, output size, peak RSS, the ratio zstd/deflate and zstd/read, and checks
that both COGs hold the same values.

Run:  python benchmarks/outputs.py [--quick] [--repeat N]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zonal import bench_args, bench_dir, bench_raster, medians, peak_rss_mb  # noqa: E402


def measure(kind: str, raster: str, out: str) -> dict:
    import numpy as np
    import rasterio

    from geo_sink.io.rasters import raster_info, write_cog_from
    info = raster_info(raster)
    lut = np.full(256, -1.0, np.float32)
    # nine distinct densities (Mg C/ha) over the IGBP codes 0..16 of the benchmark raster
    lut[:17] = np.resize(np.array([35.4, 107.7, 62.1, 53.3, 0.0, 4.5, 12.0, 20.0, 88.0], np.float32), 17)
    t0 = time.perf_counter()
    if kind == "read":
        with rasterio.open(raster) as src:
            for _, w in src.block_windows(1):
                src.read(1, window=w)
        size = 0
    else:
        write_cog_from(raster, out, lut, nodata=-1.0, codec=kind, UNITS="Mg C/ha")
        size = Path(out).stat().st_size
    dt = time.perf_counter() - t0
    return {"kind": kind, "s": dt, "mpix_s": info.grid.width * info.grid.height / dt / 1e6, "mb": size / 1e6,
            "rss_mb": peak_rss_mb()}


def same_values(a: str, b: str) -> bool:
    import numpy as np
    import rasterio
    with rasterio.open(a) as x, rasterio.open(b) as y:
        for _, w in x.block_windows(1):
            if not np.array_equal(x.read(1, window=w), y.read(1, window=w)):
                return False
    return True


def main(argv=None) -> int:
    a = bench_args(__doc__, ("KIND", "RASTER", "OUT"), argv)
    if a.measure:
        print(json.dumps(measure(*a.measure)))
        return 0
    res = 0.001 if a.quick else 0.00025
    raster = bench_raster(a.quick)
    outs = {k: str(bench_dir() / f"density_{k}_{res:g}.tif") for k in ("deflate", "zstd")}
    rows = []
    for _ in range(a.repeat):
        for kind in ("read", "deflate", "zstd"):
            r = subprocess.run([sys.executable, __file__, "--measure", kind, str(raster), outs.get(kind, "")],
                               capture_output=True, text=True, check=True)
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    med = medians(rows, ("read", "deflate", "zstd"), ("s", "mpix_s", "mb", "rss_mb"))
    print(f"raster {raster.name} ({'quick' if a.quick else 'full'}), {a.repeat} interleaved runs, medians")
    print(f"{'kind':8} {'s':>8} {'Mpix/s':>8} {'MB':>8} {'RSS MB':>8}")
    for k, m in med.items():
        print(f"{k:8} {m['s']:8.2f} {m['mpix_s']:8.1f} {m['mb']:8.1f} {m['rss_mb']:8.0f}")
    print(f"zstd / deflate time: {med['zstd']['s'] / med['deflate']['s']:.2f}; zstd / read: "
          f"{med['zstd']['s'] / med['read']['s']:.2f}; size zstd / deflate: {med['zstd']['mb'] / med['deflate']['mb']:.2f}")
    print("same values in both COGs:", same_values(outs["deflate"], outs["zstd"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
