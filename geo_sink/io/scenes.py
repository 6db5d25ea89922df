"""Red and NIR surface reflectance from real product formats, with their cloud masks.

* **Sentinel-2 L2A**: COG layout (``B04.tif``, ``B08.tif``, ``SCL.tif`` as in the Earth Search
  STAC catalogue) or SAFE (``*_B04_10m.jp2``, ``*_B08_10m.jp2``, ``*_SCL_20m.jp2``).
  Reflectance = (DN + BOA_ADD_OFFSET) / 10000, where the offset is -1000 from processing
  baseline 04.00 (products from 2022-01-25 on) and 0 before; it is taken from the band's
  ``BOA_ADD_OFFSET`` tag, the STAC item, the SAFE name (``_N0400_``) in that order.  DN 0 is
  nodata.  SCL classes 0, 1, 3, 8, 9, 10, 11 (nodata, defective, cloud shadow, cloud medium,
  cloud high, thin cirrus, snow) are masked; SCL (20 m) is aligned to 10 m by nearest neighbour.
* **Landsat 8/9 Collection 2 Level-2**: ``*_SR_B4.TIF``, ``*_SR_B5.TIF``, ``*_QA_PIXEL.TIF``;
  reflectance = DN x 0.0000275 - 0.2 (or the MTL's REFLECTANCE_MULT/ADD_BAND_n), DN 0 is fill;
  QA_PIXEL bits 0-5 (fill, dilated cloud, cirrus, cloud, cloud shadow, snow) are masked.

References
----------
.. [1] ESA (2022). Sentinel-2 Products Specification Document, L2A; processing baseline 04.00
   (BOA_ADD_OFFSET).  .. [2] USGS (2022). Landsat 8-9 Collection 2 Level 2 Science Product Guide
   (LSDS-1619), scale factors and QA_PIXEL bit definitions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import reproject

from geo_sink.errors import InputDataError, MissingInputError
from geo_sink.grid import Grid

SCL_MASKED = (0, 1, 3, 8, 9, 10, 11)
QA_MASK_BITS = 0b111111  # bits 0-5
LANDSAT_MULT, LANDSAT_ADD = 2.75e-5, -0.2


class SceneError(InputDataError):
    """A scene is unreadable, incomplete or not what its metadata says."""


@dataclass
class RedNir:
    """Surface reflectance of one scene.

    Attributes
    ----------
    red, nir : float32 arrays (NaN where masked or nodata)
    grid : Grid
    date : datetime.date
    product : str
    masked : dict
        Pixel counts: ``nodata``, ``cloud_or_shadow`` (incl. snow, cirrus), ``valid``.
    offset_note : str
        How the DN were converted.
    """

    red: np.ndarray
    nir: np.ndarray
    grid: Grid
    date: dt.date
    product: str
    masked: dict
    offset_note: str


def _one(folder: Path, patterns: list[str], what: str) -> Path:
    for pat in patterns:
        hits = sorted(folder.rglob(pat))
        if hits:
            return hits[0]
    raise SceneError(f"{folder}: no {what} file (looked for {patterns})")


def _read(path: Path) -> tuple[np.ndarray, Grid, dict, float | None]:
    try:
        with rasterio.open(path) as src:
            import pyproj
            if src.crs is None:
                raise SceneError(f"{path}: band has no CRS")
            return (src.read(1), Grid(src.width, src.height, src.transform, pyproj.CRS(src.crs.to_wkt())),
                    src.tags(), src.nodata)
    except rasterio.errors.RasterioIOError as e:
        raise SceneError(f"{path}: unreadable band ({e})") from None


def _s2_offset(folder: Path, tags: dict) -> tuple[float, str]:
    if "BOA_ADD_OFFSET" in tags:
        return float(tags["BOA_ADD_OFFSET"]), f"BOA_ADD_OFFSET {tags['BOA_ADD_OFFSET']} (band tag)"
    for item in folder.glob("*.json"):
        try:
            props = json.loads(item.read_text(encoding="utf-8")).get("properties", {})
        except ValueError:
            continue
        if props.get("earthsearch:boa_offset_applied"):
            return 0.0, "offset already applied (earthsearch:boa_offset_applied)"
        pb = props.get("s2:processing_baseline")
        if pb:
            off = -1000.0 if pb >= "04.00" else 0.0
            return off, f"processing baseline {pb} (STAC item) -> offset {off:g}"
    m = re.search(r"_N(\d{2})(\d{2})_", folder.name)
    if m:
        pb = f"{m.group(1)}.{m.group(2)}"
        off = -1000.0 if pb >= "04.00" else 0.0
        return off, f"processing baseline {pb} (SAFE name) -> offset {off:g}"
    raise SceneError(f"{folder}: cannot tell the processing baseline (no BOA_ADD_OFFSET tag, STAC "
                     "item or SAFE name); the 2022 offset would be guessed")


def date_in_name(folder: Path) -> dt.date | None:
    """The acquisition date written in a scene folder's name (YYYYMMDD), if any."""
    m = re.search(r"(20\d{2})(\d{2})(\d{2})", folder.name)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _align(src: np.ndarray, src_grid: Grid, dst_grid: Grid) -> np.ndarray:
    out = np.zeros((dst_grid.height, dst_grid.width), dtype=src.dtype)
    reproject(src, out, src_transform=src_grid.transform, src_crs=src_grid.crs.to_wkt(),
              dst_transform=dst_grid.transform, dst_crs=dst_grid.crs.to_wkt(), resampling=Resampling.nearest)
    return out


def read_sentinel2_l2a(folder, date: dt.date | None = None) -> RedNir:
    """Red (B04) and NIR (B08) reflectance of a Sentinel-2 L2A scene folder, SCL-masked."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: scene folder does not exist")
    red_dn, grid, tags, nd = _read(_one(folder, ["B04.tif", "*_B04_10m.jp2", "*B04*.tif"], "B04 (red)"))
    nir_dn, g2, _, _ = _read(_one(folder, ["B08.tif", "*_B08_10m.jp2", "*B08*.tif"], "B08 (NIR)"))
    if g2.fingerprint() != grid.fingerprint():
        raise SceneError(f"{folder}: B04 and B08 are not on one grid")
    scl, sg, _, _ = _read(_one(folder, ["SCL.tif", "*_SCL_20m.jp2", "*SCL*.tif"], "SCL (scene classification)"))
    if sg.fingerprint() != grid.fingerprint():
        scl = _align(scl, sg, grid)
    offset, note = _s2_offset(folder, tags)
    nodata = (red_dn == 0) | (nir_dn == 0) | (scl == 0)
    cloud = np.isin(scl, SCL_MASKED) & ~nodata
    return _finish(folder, red_dn, nir_dn, lambda d: (d.astype(np.float32) + offset) / 10000.0,
                   nodata, cloud, grid, date, "sentinel2_l2a", note)


def _landsat_scale(folder: Path, band: int) -> tuple[float, float, str]:
    for mtl in list(folder.glob("*_MTL.json")):
        try:
            p = json.loads(mtl.read_text(encoding="utf-8"))["LANDSAT_METADATA_FILE"][
                "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]
            return (float(p[f"REFLECTANCE_MULT_BAND_{band}"]), float(p[f"REFLECTANCE_ADD_BAND_{band}"]),
                    f"{mtl.name} scale factors")
        except (ValueError, KeyError) as e:
            raise SceneError(f"{mtl}: no surface reflectance scale factors ({e})") from None
    for mtl in folder.glob("*_MTL.txt"):
        txt = mtl.read_text(encoding="utf-8", errors="replace")
        mm = re.search(rf"REFLECTANCE_MULT_BAND_{band}\s*=\s*([-\d.Ee+]+)", txt)
        aa = re.search(rf"REFLECTANCE_ADD_BAND_{band}\s*=\s*([-\d.Ee+]+)", txt)
        if mm and aa:
            return float(mm.group(1)), float(aa.group(1)), f"{mtl.name} scale factors"
    return LANDSAT_MULT, LANDSAT_ADD, "Collection 2 Level-2 default scale 0.0000275, offset -0.2"


def read_landsat_c2_l2(folder, date: dt.date | None = None) -> RedNir:
    """Red (SR_B4) and NIR (SR_B5) reflectance of a Landsat 8/9 C2 L2 scene, QA_PIXEL-masked."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: scene folder does not exist")
    red_dn, grid, _, _ = _read(_one(folder, ["*_SR_B4.TIF", "*_SR_B4.tif"], "SR_B4 (red)"))
    nir_dn, g2, _, _ = _read(_one(folder, ["*_SR_B5.TIF", "*_SR_B5.tif"], "SR_B5 (NIR)"))
    qa, g3, _, _ = _read(_one(folder, ["*_QA_PIXEL.TIF", "*_QA_PIXEL.tif"], "QA_PIXEL"))
    if not (g2.fingerprint() == g3.fingerprint() == grid.fingerprint()):
        raise SceneError(f"{folder}: SR_B4, SR_B5 and QA_PIXEL are not on one grid")
    m4, a4, note = _landsat_scale(folder, 4)
    m5, a5, _ = _landsat_scale(folder, 5)
    nodata = (red_dn == 0) | (nir_dn == 0) | ((qa & 1) == 1)
    cloud = ((qa & QA_MASK_BITS) != 0) & ~nodata
    red = red_dn.astype(np.float32) * m4 + a4
    return _finish(folder, red_dn, nir_dn, None, nodata, cloud, grid, date, "landsat_c2_l2", note,
                   red=red, nir=nir_dn.astype(np.float32) * m5 + a5)


def _finish(folder, red_dn, nir_dn, convert, nodata, cloud, grid, date, product, note, red=None, nir=None):
    if date is not None:
        named = date_in_name(folder)
        if named is not None and named != date:
            raise SceneError(f"{folder}: the project dates this scene {date}, its name says {named}")
    red = convert(red_dn) if red is None else red
    nir = convert(nir_dn) if nir is None else nir
    bad = nodata | cloud
    red = np.where(bad, np.nan, red).astype(np.float32)
    nir = np.where(bad, np.nan, nir).astype(np.float32)
    valid = ~bad
    if valid.sum() == 0:
        raise SceneError(f"{folder}: no valid pixel (all nodata or cloud)")
    return RedNir(red, nir, grid, date or date_in_name(folder), product,
                  {"nodata": int(nodata.sum()), "cloud_or_shadow": int(cloud.sum()), "valid": int(valid.sum())},
                  note)


def read_scene(folder, product: str, date: dt.date | None = None) -> RedNir:
    """Dispatch on ``product`` (``sentinel2_l2a`` or ``landsat_c2_l2``)."""
    if product == "sentinel2_l2a":
        return read_sentinel2_l2a(folder, date)
    if product == "landsat_c2_l2":
        return read_landsat_c2_l2(folder, date)
    raise InputDataError(f"unknown product {product!r}; expected sentinel2_l2a or landsat_c2_l2")
