"""Synthetic red/NIR scenes over the Pingshuo mining area (**synthetic demo data**).

Written in the real products' encodings so that the readers are exercised on them:

* Sentinel-2 L2A as distributed as COGs (``B04.tif``, ``B08.tif`` at 10 m, ``SCL.tif`` at
  20 m, plus a STAC item).  DN = 10000 * reflectance, plus 1000 from processing baseline 04.00
  (scenes from 2022-01-25 on): ``BOA_ADD_OFFSET = -1000``.
* Landsat 8/9 Collection 2 Level-2 (``*_SR_B4.TIF``, ``*_SR_B5.TIF``, ``*_QA_PIXEL.TIF``,
  ``*_MTL.json``): DN = (reflectance + 0.2) / 0.0000275; QA_PIXEL bit flags.

Reflectance follows fractional vegetation cover (FVC) from the land cover, rising with the
years since reclamation on reclaimed dumps; each scene has a cloud and its shadow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyproj
from affine import Affine

from geo_sink.demo.fields import bilinear, lattice
from geo_sink.demo.landcover import burn
from geo_sink.grid import Grid

UTM49N = "EPSG:32649"
#: Nominal FVC per CLCD class (0 = nodata) in August (crops near their peak) and in May (fields
#: bare or just emerged, grass greening); synthetic, in the ranges of northern Shanxi.
CLASS_FVC = {8: np.array([0.0, 0.78, 0.85, 0.6, 0.45, 0.0, 0.0, 0.05, 0.1, 0.55] + [0.0] * 246, dtype=np.float32),
             5: np.array([0.0, 0.12, 0.6, 0.35, 0.22, 0.0, 0.0, 0.04, 0.08, 0.35] + [0.0] * 246, dtype=np.float32)}
#: Growing-season greenness of the scene years relative to a normal year (synthetic; 2019 a wet
#: summer, 2023 a dry one): all vegetation scaled alike.
YEAR_FACTOR = {2019: 1.04, 2022: 1.0, 2023: 0.95}

# Landsat C2 QA_PIXEL values (bit 6 clear, 7 water, 3 cloud, 4 shadow, 0 fill; confidence pairs)
QA_CLEAR, QA_WATER, QA_CLOUD, QA_SHADOW, QA_FILL = 21824, 21952, 22280, 23888, 1
# Sentinel-2 SCL classes
SCL_VEG, SCL_BARE, SCL_WATER, SCL_SHADOW, SCL_CLOUD_HIGH = 4, 5, 6, 3, 9


@dataclass(frozen=True)
class SceneDef:
    product: str          # sentinel2_l2a | landsat_c2_l2
    date: dt.date
    name: str
    baseline: str | None = None


SCENES = (
    SceneDef("sentinel2_l2a", dt.date(2019, 8, 15), "S2B_49SFJ_20190815_0_L2A", "02.13"),
    SceneDef("sentinel2_l2a", dt.date(2022, 8, 20), "S2A_49SFJ_20220820_0_L2A", "04.00"),
    SceneDef("sentinel2_l2a", dt.date(2023, 5, 18), "S2B_49SFJ_20230518_0_L2A", "05.09"),
    SceneDef("landsat_c2_l2", dt.date(2023, 8, 10), "LC09_L2SP_126032_20230810_20230812_02_T1"),
)
#: A scene dropped into the demo's inbox that the pipeline must quarantine: its folder name says
#: 2023-09-05, its STAC item 2021-09-05 (a mis-filed download); ``geo-sink run`` / ``update`` move
#: it to ``inbox/quarantine/`` with the reason.
BAD_INBOX_SCENE = SceneDef("sentinel2_l2a", dt.date(2023, 9, 5), "S2A_49SFJ_20230905_0_L2A", "05.09")
BAD_INBOX_STAC_DATE = dt.date(2021, 9, 5)


def scene_grid(center_lonlat, half_m: float, res: float) -> Grid:
    t = pyproj.Transformer.from_crs(4326, UTM49N, always_xy=True)
    x, y = t.transform(*center_lonlat)
    x0 = np.floor((x - half_m) / 60) * 60
    y1 = np.ceil((y + half_m) / 60) * 60
    n = int(2 * half_m / res)
    return Grid(n, n, Affine(res, 0, x0, 0, -res, y1), pyproj.CRS(UTM49N))


def sample_landcover(lc: np.ndarray, lc_grid: Grid, grid: Grid) -> np.ndarray:
    """Nearest land-cover code at the centres of ``grid`` (different CRS)."""
    t = pyproj.Transformer.from_crs(grid.crs, lc_grid.crs, always_xy=True)
    tr = grid.transform
    cols = np.arange(grid.width) + 0.5
    rows = np.arange(grid.height) + 0.5
    X, Y = np.meshgrid(tr.c + cols * tr.a, tr.f + rows * tr.e)
    x, y = t.transform(X, Y)
    lt = lc_grid.transform
    c = np.clip(((x - lt.c) / lt.a).astype(np.int64), 0, lc_grid.width - 1)
    r = np.clip(((y - lt.f) / lt.e).astype(np.int64), 0, lc_grid.height - 1)
    return lc[r, c]


def fvc_field(codes: np.ndarray, grid: Grid, date: dt.date, reclaimed, cover, seed) -> np.ndarray:
    """FVC (0-1) on the scene's date: the class value of the month, reclaimed land by planting
    pattern and age, smooth noise.

    ``cover`` is the catalog's ``pingshuo_reclaimed_fvc`` (indexed by vegetation): reclaimed land
    grows linearly from 0.1 to its mature mean FVC over ``maturity_years`` and varies around it
    (sd ``fvc_sd``) with bare patches (``bare_share``, FVC 0.05-0.15): the cover 张泽民 et al.
    (2018) measured on the Antaibao dumps.  May scenes take 60% of the August cover.
    """
    rng = np.random.default_rng(seed)
    season = 1.0 if date.month >= 7 else 0.6
    fvc = CLASS_FVC[8 if date.month >= 7 else 5][codes].copy()
    shape = (grid.height // 10 + 3, grid.width // 10 + 3)
    fy = np.arange(grid.height)[:, None] / 10.0
    fx = np.arange(grid.width)[None, :] / 10.0
    patch = bilinear(lattice((seed, 1), shape, 1.5), fy, fx)            # ~100 m patches, sd ~1
    bare_z = bilinear(lattice((seed, 2), shape, 1.5), fy, fx)
    for row in reclaimed[reclaimed["year"] <= date.year].sort_values("year").itertuples():
        c = cover.loc[row.vegetation]
        age = date.year - int(row.year)
        mean = 0.1 + (float(c.fvc_mature) - 0.1) * min(1.0, age / float(c.maturity_years))
        m = burn(grid, [row.geometry])
        val = mean + float(c.fvc_sd) * patch[m]
        bare = bare_z[m] > np.quantile(bare_z[m], 1.0 - float(c.bare_share)) if m.any() else bare_z[m] > 0
        val[bare] = rng.uniform(0.05, 0.15, int(bare.sum()))
        fvc[m] = season * val
    noise = lattice((seed, 3), (grid.height // 25 + 3, grid.width // 25 + 3), 0.06)
    fvc = fvc * YEAR_FACTOR.get(date.year, 1.0) + bilinear(noise, np.arange(grid.height)[:, None] / 25.0,
                                                           np.arange(grid.width)[None, :] / 25.0) * (fvc > 0.02)
    return np.clip(fvc, 0.0, 1.0).astype(np.float32)


def reflectance(fvc: np.ndarray, water: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Red and NIR surface reflectance from FVC (linear mixing of soil and canopy)."""
    red = 0.14 - 0.10 * fvc
    nir = 0.20 + 0.26 * fvc
    red[water], nir[water] = 0.04, 0.02
    return red.astype(np.float32), nir.astype(np.float32)


def cloud_masks(grid: Grid, seed) -> tuple[np.ndarray, np.ndarray]:
    """A cloud blob and its shadow (shifted south-east), ~4% and ~3% of the scene."""
    rng = np.random.default_rng(seed)
    cy, cx = rng.uniform(0.2, 0.8, 2) * np.array([grid.height, grid.width])
    yy, xx = np.mgrid[0:grid.height, 0:grid.width]
    rad = 0.11 * grid.width
    f = lattice((seed, 1), (8, 8), 0.25)
    wob = bilinear(f, yy / grid.height * 5, xx / grid.width * 5)
    cloud = ((yy - cy) ** 2 + (xx - cx) ** 2) < (rad * (1 + wob)) ** 2
    sh = np.roll(np.roll(cloud, int(0.06 * grid.height), 0), int(0.05 * grid.width), 1) & ~cloud
    return cloud, sh
