"""The embedded default data for 朔州市: **synthetic demo data**, generated on first use.

:func:`ensure_demo` writes, deterministically from a fixed seed, into the user cache folder
(never into the repository, never downloaded):

* CLCD-legend land cover at 30 m (Albers equal-area) for 2015 and 2020, calibrated to the
  catalog's cited figures (``data_catalog/demo/``) and placed by terrain;
* a DEM (90 m) with plausible relief;
* four red/NIR scenes (Sentinel-2 L2A x3, Landsat 9 C2 L2) over the Pingshuo mining area, and a
  mis-filed one in the inbox that the runs quarantine;
* a forest growing-stock inventory per county and forest type;
* wetland parks along the rivers the city plan names (shapes synthetic);
* open-pit, waste-dump, subsidence and reclaimed polygons; longwall panels; roads, rivers,
  settlements, ecological red line, cropland and afforestation layers;
* ``project.yaml``, the region project that ties them to the real boundaries of the six
  counties, and ``manifest.json`` (file list with SHA-256).

Every file says it is synthetic (GeoTIFF tag ``SYNTHETIC=true``, GeoJSON property
``synthetic``, ``synthetic: true`` in the project).  The folder is reused while the generator
version and the seed match; generation is atomic (a temporary folder, renamed at the end).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from geo_sink.io.fingerprint import sha256_file

from geo_sink.demo.identity import DEFAULT_SEED, GENERATOR_VERSION, REGION, SYNTHETIC_NOTE  # noqa: F401


def demo_dir(seed: int = DEFAULT_SEED, root: Path | None = None) -> Path:
    from geo_sink.zonal.zones import cache_dir

    return (root or cache_dir() / "demo") / f"shuozhou-g{GENERATOR_VERSION}-s{seed}"


def is_valid(folder: Path) -> bool:
    """True when the folder holds a complete generation (manifest present, files of the right size)."""
    man = folder / "manifest.json"
    if not man.is_file():
        return False
    try:
        files = json.loads(man.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError):
        return False
    # the inbox is the runs' to consume (its mis-filed scene is quarantined by the first run)
    return all((folder / f).is_file() and (folder / f).stat().st_size == meta["bytes"]
               for f, meta in files.items() if not f.startswith("inbox/"))


def ensure_demo(seed: int = DEFAULT_SEED, root: Path | None = None, force: bool = False) -> Path:
    """Generate the 朔州市 demo data if missing; return the path of its ``project.yaml``."""
    folder = demo_dir(seed, root)
    if not force and is_valid(folder):
        return folder / "project.yaml"
    from geo_sink.demo.writer import write_demo

    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        write_demo(tmp, seed)
        files = {}
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                files[p.relative_to(tmp).as_posix()] = {"bytes": p.stat().st_size,
                                                        "sha256": sha256_file(p, remember=False)}
        (tmp / "manifest.json").write_text(json.dumps(
            {"generator_version": GENERATOR_VERSION, "seed": seed, "synthetic": True,
             "note": SYNTHETIC_NOTE, "files": files}, ensure_ascii=False, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder / "project.yaml"
