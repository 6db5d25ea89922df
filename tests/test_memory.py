"""Bounded memory (#17): a whole ``geo-sink run`` streams its rasters and its Monte Carlo, so
its peak RSS does not grow with the raster's size or with the number of years."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

BOUNDS = (111.85, 39.05, 113.6, 40.33)     # 朔州市 and a margin, degrees


def clcd_raster(path: Path, width: int, height: int, seed: int) -> Path:
    """A tiled CLCD-coded map of 朔州市 (synthetic test data) written in row blocks."""
    import rasterio
    from rasterio.transform import from_bounds
    from rasterio.windows import Window

    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs="EPSG:4326",
                   transform=from_bounds(*BOUNDS, width, height), nodata=0, tiled=True, blockxsize=512,
                   blockysize=512, compress="deflate")
    cols = np.arange(width)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, height, 512):
            rows = np.arange(r0, min(r0 + 512, height))[:, None]
            block = ((rows // 97 + cols // 89 + seed) % 9 + 1).astype(np.uint8)
            dst.write(block, 1, window=Window(0, r0, width, block.shape[0]))
    return path


def run_peak_mb(tmp: Path, name: str, side: int, years: int) -> tuple[float, dict]:
    """Peak RSS (MB) of ``geo-sink run`` in its own process on a project of ``years`` maps of
    ``side`` x ``side`` cells; and its provenance."""
    import yaml
    folder = tmp / name
    folder.mkdir()
    maps = [clcd_raster(folder / f"lc_{2000 + 2 * i}.tif", side, side, i) for i in range(years)]
    project = {"name": name, "synthetic": True, "boundary": {"region": "山西省/朔州市", "level": "county"},
               "landcover": [{"year": 2000 + 2 * i, "path": str(m), "legend": "clcd"} for i, m in enumerate(maps)],
               "output": str(folder / "out")}
    path = folder / "p.yaml"
    path.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "geo_sink.cli", "-q", "run", str(path)],
                         capture_output=True, text=True, check=True)
    rc, mb = out.stdout.split()
    assert int(rc) in (0, 10), out.stderr
    return float(mb), json.loads((folder / "out" / "provenance.json").read_text(encoding="utf-8"))


def test_peak_memory_does_not_grow_with_raster_size_or_years(tmp_path):
    small, _ = run_peak_mb(tmp_path, "small", 2000, 2)                 # 4 Mpix, 2 years
    large, prov = run_peak_mb(tmp_path, "large", 9000, 2)              # 81 Mpix, 2 years
    many, prov10 = run_peak_mb(tmp_path, "many", 2000, 10)             # 4 Mpix, 10 years
    assert {s["step"] for s in prov10["steps"]} >= {"landcover", "carbon", "transitions"}
    assert len([s for s in prov10["steps"] if s["step"] == "landcover"]) == 10
    # 20x the cells: the run streams them (a loaded 81 Mpix map alone would be +81 MB, its
    # float density +324 MB)
    assert large - small < 60, (small, large)
    # 5x the years: the Monte Carlo keeps a chunk of counties for every year within its budget
    assert many - small < 120, (small, many)
    assert max(small, large, many) < 1024


def test_one_malloc_arena_unless_the_environment_chose():
    """The step threads share one malloc arena on glibc; an arena limit the user set
    (MALLOC_ARENA_MAX, GLIBC_TUNABLES) stays."""
    import os
    import platform
    code = "from geo_sink.runs.malloc import share_one_malloc_arena as f; print(f())"
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    mine = subprocess.run([sys.executable, "-c", code], env=env | {"MALLOC_ARENA_MAX": "4"},
                          capture_output=True, text=True, check=True)
    assert mine.stdout.strip() == "False"
    tunable = subprocess.run([sys.executable, "-c", code], env=env | {"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"},
                             capture_output=True, text=True, check=True)
    assert tunable.stdout.strip() == "False"
    ours = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert ours.stdout.strip() == str(platform.libc_ver()[0] == "glibc")
