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

A scene is read whole, or over a :class:`SceneArea` (a window: the analyses read the reclaimed
land and a margin around it, not a 110 km tile).

Sanity rules (each a :class:`SceneError` naming the folder, the field and what was expected):
the acquisition date must not lie in the future nor before the launch of the scene's satellite,
and the dates in the folder name, the metadata (STAC item ``datetime``, the MTL's
``DATE_ACQUIRED``) and the project must agree; a processing baseline is parsed as a version
(``NN.NN``), never compared as a string; after scaling, at most 1% of the valid pixels may lie
outside the physical reflectance range (-0.05 .. 1.2); Landsat 4-7 folders (other band numbers)
are refused; a band's declared nodata value counts as nodata besides DN 0.

References
----------
.. [1] ESA (2022). Sentinel-2 Products Specification Document, L2A; processing baseline 04.00
   (BOA_ADD_OFFSET).  .. [2] USGS (2022). Landsat 8-9 Collection 2 Level 2 Science Product Guide
   (LSDS-1619), scale factors and QA_PIXEL bit definitions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from geo_sink.errors import InputDataError, MissingInputError
from geo_sink.grid import Grid

SCL_MASKED = (0, 1, 3, 8, 9, 10, 11)
#: Launch dates: a scene cannot be older than its satellite.
LAUNCH = {"S2A": dt.date(2015, 6, 23), "S2B": dt.date(2017, 3, 7), "S2C": dt.date(2024, 9, 5),
          "S2D": dt.date(2025, 1, 1), "LC08": dt.date(2013, 2, 11), "LC09": dt.date(2021, 9, 27)}
#: The earliest satellite of each product geo-sink reads (when the folder does not name one).
PRODUCT_LAUNCH = {"sentinel2_l2a": LAUNCH["S2A"], "landsat_c2_l2": LAUNCH["LC08"]}
#: Physical surface reflectance after scaling: a valid pixel outside this range means a wrong
#: scale or offset (at most :data:`MAX_OUT_OF_RANGE` of the valid pixels may be).
REFLECTANCE_RANGE = (-0.05, 1.2)
MAX_OUT_OF_RANGE = 0.01
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


@dataclass(frozen=True)
class SceneArea:
    """The part of a scene geo-sink reads: a rectangle ``bounds`` (left, bottom, right, top) in
    ``crs`` and what it is (``label``, for messages).

    A Sentinel-2 tile is 110 km square (two 241 MB bands at 10 m, 3 GB of arrays once scaled and
    masked); the reclaimed land of a mine is a few km².  Reading only the window over the area
    keeps a scene's read, its memory and its NDVI end-members (percentiles of the pixels read)
    the same whatever the provider's tiling."""

    bounds: tuple[float, float, float, float]
    crs: str
    label: str

    @classmethod
    def around(cls, frame, margin_m: float, label: str) -> "SceneArea":
        """The bounding box of the features of ``frame`` (a GeoDataFrame or GeoSeries with a CRS),
        ``margin_m`` metres added on every side in their UTM zone."""
        if frame.crs is None or len(frame) == 0:
            raise InputDataError(f"{label}: no features with a CRS to read scenes around")
        utm = utm_crs_of(frame)
        left, bottom, right, top = frame.to_crs(utm).total_bounds
        m = float(margin_m)
        return cls((left - m, bottom - m, right + m, top + m), utm.to_wkt(), label)


def utm_crs_of(frame):
    """The WGS 84 UTM zone (EPSG 326zz north, 327zz south) of the centre of a frame's bounds
    (what ``GeoDataFrame.estimate_utm_crs`` gives, without its ~0.1 s database query)."""
    import pyproj
    lon0, lat0, lon1, lat1 = frame.to_crs(4326).total_bounds
    lon, lat = (lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0
    zone = min(60, int((lon + 180.0) // 6.0) + 1)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def scene_window(src, area: SceneArea, folder) -> Window:
    """The window of an open band file over ``area`` (its bounds in the file's CRS, two cells
    more on every side, clipped to the file); :class:`SceneError` when the file does not reach
    the area."""
    bounds = _bounds_in(src, area.crs, area.bounds, f"{folder}: cannot place {area.label} on the scene's CRS")
    return _covering_window(src, bounds, f"{folder}: the scene does not cover {area.label}")


def _bounds_in(src, crs, bounds, problem: str) -> tuple[float, ...]:
    """``bounds`` (in ``crs``) in the CRS of the open file ``src``; :class:`SceneError` when they
    cannot be transformed (a local or unknown CRS) or come out non-finite."""
    try:
        out = transform_bounds(crs, src.crs, *bounds, densify_pts=21)
    except Exception as e:      # noqa: BLE001 - GDAL, PROJ and CRS errors alike: the scene is not usable here
        raise SceneError(f"{problem} ({e})") from None
    if not all(math.isfinite(v) for v in out):
        raise SceneError(f"{problem} (the bounds come out as {out})")
    return out


def _covering_window(src, bounds, missing: str) -> Window:
    """The cells of ``src`` that ``bounds`` touch, two more on every side, within the file;
    :class:`SceneError` ``missing`` when the bounds touch no cell of it (tested before the
    margin: a margin alone is not coverage)."""
    inv = ~src.transform
    xs, ys = zip(*(inv * (x, y) for x in (bounds[0], bounds[2]) for y in (bounds[1], bounds[3])))
    c0, c1 = math.floor(min(xs)), math.ceil(max(xs))
    r0, r1 = math.floor(min(ys)), math.ceil(max(ys))
    if min(c1, src.width) <= max(c0, 0) or min(r1, src.height) <= max(r0, 0):
        raise SceneError(missing)
    c0, c1 = max(0, c0 - 2), min(src.width, c1 + 2)
    r0, r1 = max(0, r0 - 2), min(src.height, r1 + 2)
    return Window(c0, r0, c1 - c0, r1 - r0)


def _cover(src, grid: Grid, folder) -> Window:
    """The window of another band file (the 20 m SCL) that covers ``grid`` (the window read from
    the 10 m bands)."""
    bounds = _bounds_in(src, grid.crs.to_wkt(), grid.bounds, f"{folder}: cannot place the red band's window on SCL")
    return _covering_window(src, bounds, f"{folder}: the SCL band does not cover the red band's window")


#: The band files each product needs: band -> (what it is, file name patterns in the order they
#: are tried, searched in the folder and its subfolders as :func:`band_file` does).
BAND_FILES = {
    "sentinel2_l2a": {"B04": ("red", ["B04.tif", "*_B04_10m.jp2", "*B04*.tif"]),
                      "B08": ("NIR", ["B08.tif", "*_B08_10m.jp2", "*B08*.tif"]),
                      "SCL": ("scene classification", ["SCL.tif", "*_SCL_20m.jp2", "*SCL*.tif"])},
    "landsat_c2_l2": {"SR_B4": ("red", ["*_SR_B4.TIF", "*_SR_B4.tif"]),
                      "SR_B5": ("NIR", ["*_SR_B5.TIF", "*_SR_B5.tif"]),
                      "QA_PIXEL": ("QA", ["*_QA_PIXEL.TIF", "*_QA_PIXEL.tif"])},
}


def _find_band(folder: Path, product: str, band: str) -> Path | None:
    for pat in BAND_FILES[product][band][1]:
        hits = sorted(folder.rglob(pat))
        if hits:
            return hits[0]
    return None


def _missing_band(folder: Path, product: str, band: str) -> str:
    what, patterns = BAND_FILES[product][band]
    return (f"{folder}: no {band} ({what}) band file (expected "
            + (", ".join(patterns[:-1]) + " or " + patterns[-1] if len(patterns) > 1 else patterns[0]) + ")")


def band_file(folder, product: str, band: str) -> Path:
    """The file of ``band`` (a key of :data:`BAND_FILES`) in a scene folder, else :class:`SceneError`
    naming the file names expected."""
    folder = Path(folder)
    hit = _find_band(folder, product, band)
    if hit is None:
        raise SceneError(_missing_band(folder, product, band))
    return hit


def scene_band_problems(folder, product: str, open_files: bool = True) -> list[str]:
    """What keeps a scene folder from being read, without reading pixels: each band file the
    product needs (red, NIR, the mask/QA band) that is missing, naming the file names expected;
    with ``open_files`` also band files that are unreadable, hold no band or no CRS, and red/NIR
    (and Landsat's QA_PIXEL) not on one grid.  Empty when the scene has what the reader needs."""
    folder = Path(folder)
    if product not in BAND_FILES:
        return [f"{folder}: unknown product {product!r}; expected one of {sorted(BAND_FILES)}"]
    if not folder.is_dir():
        return [f"{folder}: scene folder does not exist"]
    probs, grids = [], {}
    for band in BAND_FILES[product]:
        path = _find_band(folder, product, band)
        if path is None:
            probs.append(_missing_band(folder, product, band))
        elif open_files:
            try:
                with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
                    if src.count < 1:
                        probs.append(f"{path}: band file has no band")
                    elif src.crs is None:
                        probs.append(f"{path}: band has no CRS")
                    else:
                        grids[band] = (src.width, src.height, tuple(src.transform)[:6], src.crs.to_wkt())
            except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError) as e:
                probs.append(f"{path}: unreadable band ({e})")
    same = [b for b in BAND_FILES[product] if b != "SCL"]        # SCL (20 m) is aligned to 10 m
    if all(b in grids for b in same) and len({grids[b] for b in same}) > 1:
        probs.append(f"{folder}: {', '.join(same[:-1])} and {same[-1]} are not on one grid")
    return probs


def _read(path: Path, window_of=None) -> tuple[np.ndarray, Grid, dict, float | None]:
    """A band file as delivered: GDAL's ``.aux.xml`` side files are neither read nor written
    (``GDAL_PAM_ENABLED=NO``), so the band's pixels and nodata are those of the file the scene
    fingerprint hashes (:func:`scene_fingerprint` leaves side files out).  ``window_of(src)``:
    the window to read (default the whole band)."""
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
            if src.count < 1:
                raise SceneError(f"{path}: band file has no band")
            import pyproj
            if src.crs is None:
                raise SceneError(f"{path}: band has no CRS")
            crs = pyproj.CRS(src.crs.to_wkt())
            if window_of is None:
                return src.read(1), Grid(src.width, src.height, src.transform, crs), src.tags(), src.nodata
            win = window_of(src)
            return (src.read(1, window=win), Grid(int(win.width), int(win.height), src.window_transform(win), crs),
                    src.tags(), src.nodata)
    except (rasterio.errors.RasterioIOError, rasterio.errors.RasterioError) as e:
        raise SceneError(f"{path}: unreadable band ({e})") from None


def _declared_nodata(dn: np.ndarray, nd) -> np.ndarray:
    """Cells equal to a band's declared nodata value (besides DN 0, the products' fill)."""
    if nd is None or (isinstance(nd, float) and np.isnan(nd)) or nd == 0:
        return np.zeros(dn.shape, bool)
    return dn == nd


def parse_baseline(value, source: str) -> tuple[int, int]:
    """A Sentinel-2 processing baseline as a version ``(major, minor)``: ``"04.00"``, ``"4.0"``,
    ``"N0400"`` or ``4.0``.  Anything else (``"unknown"``, ``""``) is a :class:`SceneError`:
    comparing such strings with ``"04.00"`` would guess the offset."""
    text = str(value).strip()
    m = re.fullmatch(r"N(\d{2})(\d{2})", text) or re.fullmatch(r"(\d{1,2})\.(\d{1,2})", text)
    if m is None:
        raise SceneError(f"{source}: processing baseline {value!r} is not a version like '04.00'; "
                         "the BOA offset of the scene cannot be decided")
    return int(m.group(1)), int(m.group(2))


def _offset_for(pb: tuple[int, int]) -> float:
    return -1000.0 if pb >= (4, 0) else 0.0


def _stac_props(folder: Path) -> tuple[Path | None, dict]:
    for item in sorted(folder.glob("*.json")):
        if item.name.endswith("_MTL.json"):
            continue
        try:
            doc = json.loads(item.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("properties"), dict):
            return item, doc["properties"]
    return None, {}


def _s2_offset(folder: Path, tags: dict) -> tuple[float, str]:
    item, props = _stac_props(folder)
    raw = None  # (value, where, source)
    if tags.get("PROCESSING_BASELINE") not in (None, ""):
        raw = (tags["PROCESSING_BASELINE"], f"{folder}: B04 tag PROCESSING_BASELINE", "band tag")
    elif props.get("s2:processing_baseline") not in (None, ""):
        raw = (props["s2:processing_baseline"], f"{item}: s2:processing_baseline", "STAC item")
    else:
        m = re.search(r"_N(\d{2})(\d{2})_", folder.name)
        if m:
            raw = (f"{m.group(1)}.{m.group(2)}", f"{folder}: SAFE name", "SAFE name")
    if "BOA_ADD_OFFSET" in tags:
        try:
            off = float(tags["BOA_ADD_OFFSET"])
        except ValueError:
            raise SceneError(f"{folder}: B04 tag BOA_ADD_OFFSET {tags['BOA_ADD_OFFSET']!r} is not a number") from None
        if raw is not None:
            try:
                baseline = parse_baseline(raw[0], raw[1])
            except SceneError:
                baseline = None  # the explicit offset decides; the baseline is not needed
            if baseline is not None and baseline < (4, 0) and off != 0:
                raise SceneError(f"{folder}: B04 tag BOA_ADD_OFFSET {off:g} contradicts processing baseline "
                                 f"{raw[0]} ({raw[2]}): products before 04.00 have no offset")
        return off, f"BOA_ADD_OFFSET {tags['BOA_ADD_OFFSET']} (band tag)"
    if props.get("earthsearch:boa_offset_applied"):
        return 0.0, "offset already applied (earthsearch:boa_offset_applied)"
    if raw is not None:
        baseline = parse_baseline(raw[0], raw[1])
        off = _offset_for(baseline)
        return off, f"processing baseline {baseline[0]:02d}.{baseline[1]:02d} ({raw[2]}) -> offset {off:g}"
    raise SceneError(f"{folder}: cannot tell the processing baseline (no BOA_ADD_OFFSET tag, STAC "
                     "item or SAFE name); the 2022 offset would be guessed")


def mission_of(folder: Path) -> str | None:
    """The satellite a scene folder's name gives: ``S2A``..``S2D``, ``LC08``, ``LT05``, ... or None."""
    m = re.match(r"(S2[A-D])_", folder.name) or re.match(r"(L[COTEM]0\d)_", folder.name)
    return m.group(1) if m else None


def metadata_date(folder: Path, product: str) -> tuple[dt.date | None, str | None]:
    """The acquisition date in a scene's own metadata (STAC item ``datetime``, Landsat MTL
    ``DATE_ACQUIRED``) and where it was found, or (None, None)."""
    if product == "landsat_c2_l2":
        for mtl in sorted(folder.glob("*_MTL.json")):
            try:
                attrs = json.loads(mtl.read_text(encoding="utf-8"))["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]
                return dt.date.fromisoformat(str(attrs["DATE_ACQUIRED"])[:10]), f"{mtl.name} DATE_ACQUIRED"
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                continue
        for mtl in sorted(folder.glob("*_MTL.txt")):
            m = re.search(r'DATE_ACQUIRED\s*=\s*"?(\d{4}-\d{2}-\d{2})', mtl.read_text(encoding="utf-8", errors="replace"))
            if m:
                try:
                    return dt.date.fromisoformat(m.group(1)), f"{mtl.name} DATE_ACQUIRED"
                except ValueError:
                    pass
        return None, None
    item, props = _stac_props(folder)
    value = props.get("datetime")
    if value:
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise SceneError(f"{item}: datetime {value!r} is not an ISO 8601 date and time") from None
        return when.date(), f"{item.name} datetime"
    return None, None


def scene_date_problems(folder, product: str, date: dt.date | None = None,
                        today: dt.date | None = None) -> list[str]:
    """Every disagreement about when a scene was taken, each naming its source: project date vs
    folder name vs metadata, a date in the future, a date before the satellite's launch; and a
    Landsat 4-7 folder (other band numbers).  Empty when the scene is sane."""
    folder = Path(folder)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    probs = []
    named = date_in_name(folder)
    try:
        meta, meta_src = metadata_date(folder, product) if folder.is_dir() else (None, None)
    except SceneError as e:
        return [str(e)]
    if date is not None and named is not None and named != date:
        probs.append(f"{folder}: the project dates this scene {date}, its name says {named}")
    if meta is not None:
        for what, d in (("the project dates it", date), ("its name says", named)):
            if d is not None and d != meta:
                probs.append(f"{folder}: {meta_src} says {meta}, {what} {d}")
                break
    mission = mission_of(folder)
    if product == "landsat_c2_l2" and mission is not None and mission not in ("LC08", "LC09"):
        probs.append(f"{folder}: {mission} is Landsat 4-7 (red is SR_B3, NIR SR_B4 there); geo-sink reads "
                     "the Landsat 8/9 band layout (SR_B4 red, SR_B5 NIR) only")
    launch = LAUNCH[mission] if mission in LAUNCH else (None if mission else PRODUCT_LAUNCH.get(product))
    for d, src in ((date, "project date"), (named, "date in the name"), (meta, meta_src)):
        if d is None:
            continue
        if d > today + dt.timedelta(days=1):
            probs.append(f"{folder}: {src} {d} is in the future (today is {today})")
            break
        if launch is not None and d < launch:
            probs.append(f"{folder}: {src} {d} is before the launch of {mission or product} ({launch})")
            break
    return probs


def scene_fingerprint(folder) -> str:
    """SHA-256 over the relative path and content of every file of a scene folder (hidden files
    and GDAL ``.aux.xml`` side files left out): a changed scene has a new fingerprint."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    from geo_sink.io.fingerprint import sha256_file
    folder = Path(folder)
    files = []
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder).as_posix()
        if not f.is_file() or any(part.startswith(".") for part in Path(rel).parts) or rel.endswith(".aux.xml"):
            continue
        files.append((rel, f))
    with ThreadPoolExecutor(max(1, min(4, len(files)))) as ex:      # hashlib releases the GIL
        digests = list(ex.map(sha256_file, [f for _, f in files]))
    h = hashlib.sha256()
    for (rel, _), digest in zip(files, digests):
        h.update(rel.encode("utf-8") + b"\0" + digest.encode() + b"\n")
    return h.hexdigest()


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


def _window_reader(area: SceneArea | None, folder):
    return None if area is None else (lambda src: scene_window(src, area, folder))


def read_sentinel2_l2a(folder, date: dt.date | None = None, area: SceneArea | None = None) -> RedNir:
    """Red (B04) and NIR (B08) reflectance of a Sentinel-2 L2A scene folder, SCL-masked; with
    ``area`` only the window over it (:class:`SceneArea`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: scene folder does not exist")
    _check_dates(folder, "sentinel2_l2a", date)
    window_of = _window_reader(area, folder)
    red_dn, grid, tags, nd = _read(band_file(folder, "sentinel2_l2a", "B04"), window_of)
    nir_dn, g2, _, nd2 = _read(band_file(folder, "sentinel2_l2a", "B08"), window_of)
    if g2.fingerprint() != grid.fingerprint():
        raise SceneError(f"{folder}: B04 and B08 are not on one grid")
    scl, sg, _, _ = _read(band_file(folder, "sentinel2_l2a", "SCL"),
                          None if area is None else (lambda src: _cover(src, grid, folder)))
    if sg.fingerprint() != grid.fingerprint():
        scl = _align(scl, sg, grid)
    offset, note = _s2_offset(folder, tags)
    nodata = (red_dn == 0) | (nir_dn == 0) | (scl == 0) | _declared_nodata(red_dn, nd) | _declared_nodata(nir_dn, nd2)
    cloud = np.isin(scl, SCL_MASKED) & ~nodata
    return _finish(folder, red_dn, nir_dn, lambda d: (d.astype(np.float32) + offset) / 10000.0,
                   nodata, cloud, grid, date, "sentinel2_l2a", note, area=area)


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


def read_landsat_c2_l2(folder, date: dt.date | None = None, area: SceneArea | None = None) -> RedNir:
    """Red (SR_B4) and NIR (SR_B5) reflectance of a Landsat 8/9 C2 L2 scene, QA_PIXEL-masked;
    with ``area`` only the window over it (:class:`SceneArea`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: scene folder does not exist")
    _check_dates(folder, "landsat_c2_l2", date)
    _check_landsat_mission(folder)
    window_of = _window_reader(area, folder)
    red_dn, grid, _, nd = _read(band_file(folder, "landsat_c2_l2", "SR_B4"), window_of)
    nir_dn, g2, _, nd2 = _read(band_file(folder, "landsat_c2_l2", "SR_B5"), window_of)
    qa, g3, _, _ = _read(band_file(folder, "landsat_c2_l2", "QA_PIXEL"), window_of)
    if not (g2.fingerprint() == g3.fingerprint() == grid.fingerprint()):
        raise SceneError(f"{folder}: SR_B4, SR_B5 and QA_PIXEL are not on one grid")
    m4, a4, note = _landsat_scale(folder, 4)
    m5, a5, _ = _landsat_scale(folder, 5)
    nodata = (red_dn == 0) | (nir_dn == 0) | ((qa & 1) == 1) | _declared_nodata(red_dn, nd) | _declared_nodata(nir_dn, nd2)
    cloud = ((qa & QA_MASK_BITS) != 0) & ~nodata
    red = red_dn.astype(np.float32) * m4 + a4
    return _finish(folder, red_dn, nir_dn, None, nodata, cloud, grid, date, "landsat_c2_l2", note,
                   red=red, nir=nir_dn.astype(np.float32) * m5 + a5, area=area)


def _check_dates(folder: Path, product: str, date) -> None:
    probs = scene_date_problems(folder, product, date)
    if probs:
        raise SceneError("; ".join(probs))


def _check_landsat_mission(folder: Path) -> None:
    for mtl in sorted(folder.glob("*_MTL.json")):
        try:
            sc = json.loads(mtl.read_text(encoding="utf-8"))["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]["SPACECRAFT_ID"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue
        if str(sc).upper() not in ("LANDSAT_8", "LANDSAT_9"):
            raise SceneError(f"{mtl}: SPACECRAFT_ID {sc!r}: geo-sink reads the Landsat 8/9 band layout "
                             "(SR_B4 red, SR_B5 NIR) only; Landsat 4-7 have red in SR_B3, NIR in SR_B4")


def _check_range(folder: Path, band: str, values: np.ndarray, valid: np.ndarray, note: str) -> None:
    lo, hi = REFLECTANCE_RANGE
    v = values[valid]
    if not v.size:
        return
    out = int(np.count_nonzero((v < lo) | (v > hi) | ~np.isfinite(v)))
    if out > MAX_OUT_OF_RANGE * v.size:
        raise SceneError(f"{folder}: {band} reflectance out of the physical range {lo:g}..{hi:g} in "
                         f"{100 * out / v.size:.1f}% of the valid pixels (min {np.nanmin(v):.3f}, max "
                         f"{np.nanmax(v):.3f}) after scaling with {note}; expected at most "
                         f"{100 * MAX_OUT_OF_RANGE:g}%: check the scale factors / BOA offset")


def _finish(folder, red_dn, nir_dn, convert, nodata, cloud, grid, date, product, note, red=None, nir=None,
            area: SceneArea | None = None):
    red = convert(red_dn) if red is None else red
    nir = convert(nir_dn) if nir is None else nir
    bad = nodata | cloud
    red = np.where(bad, np.nan, red).astype(np.float32)
    nir = np.where(bad, np.nan, nir).astype(np.float32)
    valid = ~bad
    if valid.sum() == 0:
        where = "" if area is None else f" over {area.label}"
        raise SceneError(f"{folder}: no valid pixel{where} (all nodata or cloud)")
    _check_range(folder, "red", red, valid, note)
    _check_range(folder, "NIR", nir, valid, note)
    return RedNir(red, nir, grid, date or date_in_name(folder) or metadata_date(folder, product)[0], product,
                  {"nodata": int(nodata.sum()), "cloud_or_shadow": int(cloud.sum()), "valid": int(valid.sum())},
                  note)


def read_scene(folder, product: str, date: dt.date | None = None, area: SceneArea | None = None) -> RedNir:
    """Dispatch on ``product`` (``sentinel2_l2a`` or ``landsat_c2_l2``); ``area``: read only the
    window over it (:class:`SceneArea`; default the whole scene)."""
    if product == "sentinel2_l2a":
        return read_sentinel2_l2a(folder, date, area)
    if product == "landsat_c2_l2":
        return read_landsat_c2_l2(folder, date, area)
    raise InputDataError(f"unknown product {product!r}; expected sentinel2_l2a or landsat_c2_l2")


def check_scene(folder, product: str, area: SceneArea | None = None) -> None:
    """Make sure a scene can be used, or raise :class:`SceneError` naming what is wrong.

    With ``area`` the scene is read over it (:func:`read_scene`: band files, dates, offsets,
    masks, reflectance range, valid pixels there); without, for a project that reads no pixels
    of its scenes (no reclaimed land), only what needs no pixel read: the band files and their
    grids, the dates, the mission."""
    if area is not None:
        read_scene(folder, product, area=area)
        return
    probs = scene_band_problems(folder, product) + scene_date_problems(folder, product)
    if probs:
        raise SceneError("; ".join(probs))


def scene_cube(scenes, grid: Grid | None = None, resampling: str = "average", area: SceneArea | None = None):
    """Red and NIR reflectance of several scenes as one time cube.

    Parameters
    ----------
    scenes : sequence
        Scene folders with ``path``, ``product`` and ``date`` (what
        :func:`geo_sink.runs.scenes.project_scenes` lists), each read with :func:`read_scene` (its
        checks and masks: clouds, shadows and nodata become NaN).
    grid : Grid, optional
        The cube's grid; default the first scene's.  A scene on another grid (a 30 m Landsat scene
        in a 10 m Sentinel-2 stack) is resampled onto it with ``resampling`` ("average" or
        "nearest", GDAL's, NaN cells left out of averages) and ``resampled`` says so.
    area : SceneArea, optional
        Read only the window of each scene over this area (whole 110 km tiles otherwise).

    Returns
    -------
    xarray.DataArray
        float32 (time, band, y, x), bands ``red`` and ``nir``, NaN where masked, ``units`` "1";
        per time the coordinates ``scene`` (folder name), ``product``, ``cell_m`` (the scene's own
        cell, m: what a cover target's measurability is judged on) and ``resampled``; the CF grid
        mapping of the grid.  It is what ``odc.stac.load`` / ``stackstac`` give after scaling to
        reflectance and masking, and what :func:`geo_sink.reclamation_run.fvc_series_from_cube`
        takes.
    """
    import pandas as pd

    from geo_sink.dataarrays import grid_dataarray
    from geo_sink.measurability import grid_cell_size

    if resampling not in ("average", "nearest"):
        raise ValueError(f"resampling must be 'average' or 'nearest', got {resampling!r}")
    scenes = sorted(scenes, key=lambda s: (s.date is None, s.date or dt.date.min))
    if not scenes:
        raise InputDataError("scene_cube: no scene given")
    layers, names, products, cells, moved, dates = [], [], [], [], [], []
    for sc in scenes:
        s = read_scene(sc.path, sc.product, sc.date, area)
        grid = grid or s.grid
        same = s.grid.fingerprint() == grid.fingerprint()
        bands = [s.red, s.nir] if same else [_resample(b, s.grid, grid, resampling) for b in (s.red, s.nir)]
        layers.append(np.stack(bands))
        names.append(Path(sc.path).name)
        products.append(s.product)
        cells.append(grid_cell_size(s.grid).max_m)
        moved.append("" if same else f"{resampling} from {grid_cell_size(s.grid).max_m:.0f} m")
        dates.append(np.datetime64(s.date, "ns"))
    cube = grid_dataarray(np.stack(layers), grid, name="reflectance", units="1",
                          long_name="surface reflectance", nodata=np.float32(np.nan),
                          dims_before={"time": pd.DatetimeIndex(dates), "band": ["red", "nir"]})
    return cube.assign_coords(scene=("time", names), product=("time", products), cell_m=("time", cells),
                              resampled=("time", moved))


def _resample(values: np.ndarray, src: Grid, dst: Grid, how: str) -> np.ndarray:
    """A NaN-masked float band resampled onto ``dst`` (NaN cells left out, NaN where nothing)."""
    out = np.full((dst.height, dst.width), np.nan, dtype=np.float32)
    reproject(values, out, src_transform=src.transform, src_crs=src.crs.to_wkt(), src_nodata=np.nan,
              dst_transform=dst.transform, dst_crs=dst.crs.to_wkt(), dst_nodata=np.nan,
              resampling=Resampling.average if how == "average" else Resampling.nearest)
    return out
