"""Synthetic CLCD-legend land cover at 30 m for 朔州市 (**synthetic demo data**).

The broad pattern is the real MODIS MCD12C1 2019 class of each 0.05 deg cell (mapped to the
CLCD legend), with boundaries displaced by smooth random fields and small patches of the
classes found nearby, so that county class shares stay close to MODIS while the texture looks
like a 30 m map.  Year-specific edits add the mine sites (barren while disturbed, vegetated
after reclamation) and afforestation blocks planted after 2015.
"""

from __future__ import annotations

import numpy as np
import pyproj
import rasterio.features
from affine import Affine

from geo_sink.demo.fields import LonLatField
from geo_sink.grid import Grid

#: Equal-area grid used for the demo (Albers for China, WGS 84).
ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

#: MODIS IGBP code -> CLCD code (1 cropland, 2 forest, 3 shrub, 4 grassland, 5 water,
#: 6 snow/ice, 7 barren, 8 impervious, 9 wetland); same ecosystem class on both sides.
MODIS_TO_CLCD = np.array([5, 2, 2, 2, 2, 2, 3, 3, 2, 4, 4, 9, 1, 8, 1, 6, 7, 5] + [0] * 238, dtype=np.uint8)

CROPLAND, FOREST, SHRUB, GRASS, WATER, BARREN, IMPERVIOUS, WETLAND = 1, 2, 3, 4, 5, 7, 8, 9

#: Texture inside each class: (lattice step deg, share, CLCD code -> secondary code).  Blobs of
#: a smooth Gaussian field above its (1 - share) quantile take the secondary class.
TEXTURES = (
    (0.004, 0.08, {1: 4, 2: 3, 3: 4, 4: 3, 7: 4}),    # ~400 m mosaics: grass/shrub, fallow
    (0.0015, 0.03, {1: 8, 2: 4, 4: 1, 3: 2}),        # ~150 m: villages, terraces, copses
)
_Z = {0.08: 1.4051, 0.03: 1.8808}  # standard normal quantiles
VEG_CODE = {"grassland": GRASS, "shrub": SHRUB, "forest": FOREST}


def demo_grid(bounds_wgs84, res: float = 30.0, pad_m: float = 1500.0) -> Grid:
    """A north-up Albers grid of ``res`` metres covering a lon/lat box."""
    t = pyproj.Transformer.from_crs(4326, ALBERS, always_xy=True)
    w, s, e, n = bounds_wgs84
    lon = np.concatenate([np.linspace(w, e, 50), np.full(50, e), np.linspace(e, w, 50), np.full(50, w)])
    lat = np.concatenate([np.full(50, s), np.linspace(s, n, 50), np.full(50, n), np.linspace(n, s, 50)])
    x, y = t.transform(lon, lat)
    x0 = np.floor((x.min() - pad_m) / res) * res
    y1 = np.ceil((y.max() + pad_m) / res) * res
    width = int(np.ceil((x.max() + pad_m - x0) / res))
    height = int(np.ceil((y1 - (y.min() - pad_m)) / res))
    return Grid(width, height, Affine(res, 0, x0, 0, -res, y1), pyproj.CRS(ALBERS))


def pixel_lonlat(grid: Grid, r0: int, r1: int, step: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of pixel centres of rows r0..r1, interpolated from every ``step``-th pixel."""
    t = pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True)
    tr = grid.transform
    rows_c = np.arange(r0, r1 + step, step, dtype=float)
    cols_c = np.arange(0, grid.width + step, step, dtype=float)
    X = tr.c + (cols_c[None, :] + 0.5) * tr.a
    Y = tr.f + (rows_c[:, None] + 0.5) * tr.e
    lon_c, lat_c = t.transform(np.broadcast_to(X, (len(rows_c), len(cols_c))),
                               np.broadcast_to(Y, (len(rows_c), len(cols_c))))
    fy = (np.arange(r0, r1) - r0) / step
    fx = np.arange(grid.width) / step
    from geo_sink.demo.fields import bilinear
    return (bilinear(lon_c.astype(np.float64), fy[:, None], fx[None, :]),
            bilinear(lat_c.astype(np.float64), fy[:, None], fx[None, :]))


def base_landcover(grid: Grid, modis: np.ndarray, modis_transform: Affine, seed: int,
                   strip: int = 1024) -> np.ndarray:
    """The year-independent CLCD-coded texture (uint8, grid shape)."""
    lon_w, lat_s, lon_e, lat_n = _lonlat_bounds(grid)
    box = (lon_w - 0.1, lat_s - 0.1, lon_e + 0.1, lat_n + 0.1)
    coarse_x = LonLatField((seed, 1), box, 0.02, 0.010)
    coarse_y = LonLatField((seed, 2), box, 0.02, 0.010)
    fine_x = LonLatField((seed, 3), box, 0.004, 0.0025)
    fine_y = LonLatField((seed, 4), box, 0.004, 0.0025)
    textures = TEXTURES
    # bilinear interpolation of iid N(0, 1) has a standard deviation of ~2/3: scale it back to 1
    fields_tex = [LonLatField((seed, 5 + i), box, step, 1.5) for i, (step, _, _) in enumerate(textures)]
    out = np.empty((grid.height, grid.width), dtype=np.uint8)
    mt = modis_transform

    def modis_class(lon, lat):
        c = np.clip(((lon - mt.c) / mt.a).astype(np.int64), 0, modis.shape[1] - 1)
        r = np.clip(((lat - mt.f) / mt.e).astype(np.int64), 0, modis.shape[0] - 1)
        return MODIS_TO_CLCD[modis[r, c]]

    for k, r0 in enumerate(range(0, grid.height, strip)):
        r1 = min(grid.height, r0 + strip)
        lon, lat = pixel_lonlat(grid, r0, r1)
        plon = lon + coarse_x(lon, lat) + fine_x(lon, lat)
        plat = lat + coarse_y(lon, lat) + fine_y(lon, lat)
        block = modis_class(plon, plat)
        for i, (step, share, mapping) in enumerate(textures):
            z = fields_tex[i](lon, lat)
            sec = np.arange(256, dtype=np.uint8)
            for a, b in mapping.items():
                sec[a] = b
            hit = z > _Z[share]
            block[hit] = sec[block[hit]]
        rng = np.random.default_rng((seed, 10, k))
        for size, share in ((4, 0.08), (10, 0.05)):
            h, w = block.shape
            pick = rng.random((h // size + 1, w // size + 1)) < share
            jx = rng.normal(0, 0.03, pick.shape)
            jy = rng.normal(0, 0.03, pick.shape)
            sel = np.repeat(np.repeat(pick, size, 0), size, 1)[:h, :w]
            ox = np.repeat(np.repeat(jx, size, 0), size, 1)[:h, :w]
            oy = np.repeat(np.repeat(jy, size, 0), size, 1)[:h, :w]
            block[sel] = modis_class(plon[sel] + ox[sel], plat[sel] + oy[sel])
        out[r0:r1] = block
    return out


def _lonlat_bounds(grid: Grid):
    t = pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True)
    return t.transform_bounds(*grid.bounds, densify_pts=21)


def burn(grid: Grid, geoms, crs="EPSG:4326") -> np.ndarray:
    """Boolean mask of pixels whose centre lies in any of ``geoms``."""
    import geopandas as gpd

    geoms = [g for g in gpd.GeoSeries(list(geoms), crs=crs).to_crs(grid.crs).values if not g.is_empty]
    if not geoms:
        return np.zeros((grid.height, grid.width), dtype=bool)
    return rasterio.features.rasterize(((g, 1) for g in geoms), out_shape=(grid.height, grid.width),
                                       transform=grid.transform, fill=0, dtype="uint8").astype(bool)


def landcover_for_year(base: np.ndarray, grid: Grid, year: int, disturbed, reclaimed,
                       afforested, rivers, wetlands=None) -> np.ndarray:
    """Base texture plus the state of mines, afforestation and rivers in ``year``.

    Parameters
    ----------
    disturbed, reclaimed, afforested : GeoDataFrame (EPSG:4326)
        Disturbed land with ``year`` (since), reclaimed land with ``year`` and ``vegetation``,
        afforestation blocks with ``year`` (planted).
    rivers : GeoDataFrame of lines
    """
    lc = base.copy()
    lc[burn(grid, rivers.to_crs(grid.crs).buffer(45).values, grid.crs)] = WATER
    if wetlands is not None and len(wetlands):
        import shapely
        geoms = wetlands.geometry if year >= 2020 else shapely.from_wkt(wetlands["core_wkt"].to_numpy())
        lc[burn(grid, geoms)] = WETLAND
    aff = afforested[afforested["year"] <= year]
    if len(aff):
        m = burn(grid, aff.geometry) & np.isin(lc, [GRASS, BARREN, SHRUB])
        lc[m] = FOREST
    dist = disturbed[disturbed["year"] <= year]
    if len(dist):
        lc[burn(grid, dist.geometry)] = BARREN
    rec = reclaimed[reclaimed["year"] <= year].sort_values("year")
    for veg, grp in rec.groupby("vegetation", sort=True):
        lc[burn(grid, grp.geometry)] = VEG_CODE[veg]
    return lc
