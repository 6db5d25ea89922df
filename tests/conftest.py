from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geo_sink.catalog import load_catalog

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """One cache folder for the test session (zone indexes, the generated demo data), never
    the user's; tests about caching set their own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEO_SINK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def demo_project():
    """The generated 朔州市 demo project (generated once per session)."""
    from geo_sink.demo import ensure_demo
    return ensure_demo()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


def write_raster(path, array, *, crs="EPSG:4326", origin=(0.0, 0.0), res=(1.0, 1.0),
                 nodata=None, tiled=False, **extra):
    """Write a single-band GeoTIFF; origin is the top-left corner (x, y)."""
    array = np.asarray(array)
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype=array.dtype, crs=crs, transform=from_origin(origin[0], origin[1], *res),
                   nodata=nodata)
    if tiled:
        profile.update(tiled=True, blockxsize=16, blockysize=16)
    profile.update(extra)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return Path(path)


def project_copy(demo_project, tmp_path, edit=None):
    """A copy of the demo project YAML in ``tmp_path`` with absolute paths, edited by ``edit``."""
    import yaml

    base = demo_project.parent
    proj = yaml.safe_load(demo_project.read_text(encoding="utf-8"))
    for sec in ("mines", "subsidence", "pv_constraints", "wetlands", "growing_stock"):
        for k, v in list((proj.get(sec) or {}).items()):
            if isinstance(v, str) and (base / v).exists():
                proj[sec][k] = str(base / v)
    proj["landcover"] = [dict(lc, path=str(base / lc["path"])) for lc in proj["landcover"]]
    proj["imagery"] = {"scenes": [dict(s, path=str(base / s["path"])) for s in proj["imagery"]["scenes"]]}
    if edit:
        edit(proj)
    f = tmp_path / "project.yaml"
    f.write_text(yaml.safe_dump(proj, allow_unicode=True), encoding="utf-8")
    return f


def inbox_project(demo_project, folder):
    """A copy of the demo project in ``folder`` with an empty inbox of its own and its output in
    ``folder/out``: (project file, inbox)."""
    inbox = Path(folder) / "inbox"
    inbox.mkdir()

    def edit(p):
        p["imagery"]["inbox"] = str(inbox)
        p["output"] = str(Path(folder) / "out")
    return project_copy(demo_project, folder, edit), inbox


def copy_scene(src, dst):
    """Copy a scene folder to ``dst`` (a new folder name with another date) and date its own
    metadata like the name: a STAC item's ``id``/``datetime`` (file renamed after the folder), a
    Landsat MTL's ``DATE_ACQUIRED``.  geo-sink refuses scenes whose name and metadata disagree."""
    import datetime as dt
    import json
    import shutil

    from geo_sink.io.scenes import date_in_name

    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst)
    day = date_in_name(dst)
    for f in sorted(dst.glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        if f.name.endswith("_MTL.json"):
            doc["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]["DATE_ACQUIRED"] = day.isoformat()
            f.write_text(json.dumps(doc), encoding="utf-8")
            continue
        doc["id"] = dst.name
        t = doc.get("properties", {}).get("datetime")
        if t and day is not None:
            when = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
            doc["properties"]["datetime"] = when.replace(year=day.year, month=day.month, day=day.day).isoformat().replace("+00:00", "Z")
        f.unlink()
        (dst / f"{dst.name}.json").write_text(json.dumps(doc), encoding="utf-8")
    return dst


def dense_coverage(cov, grid):
    """A :class:`~geo_sink.zonal.coverage.Coverage` as a dense (rows, cols) array of covered
    fractions; asserts that no interior run overlaps a boundary cell."""
    out = np.zeros((grid.height, grid.width))
    out[cov.rows, cov.cols] = cov.frac
    for r, a, b in zip(cov.run_rows, cov.run_c0, cov.run_c1):
        assert (out[r, a:b] == 0).all(), "a run overlaps a boundary cell"
        out[r, a:b] = 1.0
    return out

