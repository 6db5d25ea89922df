"""Synthetic CLCD-legend land cover at 30 m for 朔州市 (**synthetic demo data**).

Calibrated to published statistics, placed by terrain: each county gets exactly the class
shares of the catalog's ``shuozhou_demo_calibration`` table (forest coverage of the county's
forestry figures, land-use shares of the third national land survey; each row with its
document), and each class takes the cells it suits best (:func:`calibrated_landcover`: towns
around the county seats, cropland in the 桑干河 basin, forest and shrub on high ground and
slopes, 右玉's shelterbelt grid).  Year-specific edits add rivers, wetland parks, the mine sites
(barren while disturbed, vegetated after reclamation) and afforestation blocks planted after 2015.
"""

from __future__ import annotations

import numpy as np
import pyproj
import rasterio.features
from affine import Affine

from geo_sink.demo.fields import pixel_field
from geo_sink.grid import Grid

#: Equal-area grid used for the demo (Albers for China, WGS 84).
ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

CROPLAND, FOREST, SHRUB, GRASS, WATER, BARREN, IMPERVIOUS, WETLAND = 1, 2, 3, 4, 5, 7, 8, 9

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


#: CLCD code of each ecosystem the calibration allocates (grassland takes what is left).
ECOSYSTEM_CODE = {"cropland": CROPLAND, "forest": FOREST, "shrubland": SHRUB, "grassland": GRASS,
                  "barren": BARREN, "built_up": IMPERVIOUS, "water": WATER}
#: Share of built-up land in the county seat's town; the rest are villages on flat land.
TOWN_SHARE = 0.35


def calibrated_landcover(grid: Grid, county: np.ndarray, forest_pct: dict, city_pct: dict, elev: np.ndarray,
                         slope: np.ndarray, seats: dict, belts: set, reserved: np.ndarray, seed: int) -> np.ndarray:
    """Year-independent CLCD-coded land cover with the target class shares, placed by terrain.

    The classes take land in this order, each exactly its target number of cells among the
    cells still free, choosing those it suits best:

    1. built-up, per county (the city share of each county's cells): a town around the county
       seat (:data:`TOWN_SHARE`) and villages on flat land;
    2. forest, per county (``forest_pct``): high ground and slopes, and first the shelterbelt
       lines in the counties of ``belts`` (右玉's windbreak grid, a 900 m x 1.6 km lattice across
       the north-west wind);
    3. water (rivers, reservoirs, ponds), then cropland, over the whole city: the lowest
       valley floors, then the flattest, lowest land (the 桑干河 basin first);
    4. shrub, then barren land, over the whole city: slopes, gully scars;
    5. grassland, the matrix of the loess hills: the rest.

    Smooth random fields at two or three scales per class break the terrain rule into patches,
    so the map has a 30 m texture while the shares are met to the cell.  ``reserved`` cells
    (afforestation blocks, which become forest later, and mine sites) take no built-up, forest
    or cropland.

    Parameters
    ----------
    grid : Grid (equal-area, metres)
    county : int array (grid shape)
        0 outside the counties, k > 0 inside the k-th key of ``forest_pct``.
    forest_pct : {zone_id: percent of the county}
    city_pct : {ecosystem: percent of the city}
        ``built_up``, ``water``, ``cropland``, ``shrubland``, ``barren``.
    elev, slope : float arrays (grid shape): elevation (m) and slope (deg)
    seats : {zone_id: (lon, lat)}
    belts : set of zone_id
    reserved : bool array (grid shape)
    seed : int
    """
    cell = abs(grid.transform.a)

    def field(k, step_m):
        """A smooth N(0, 1)-ish field with blobs about ``step_m`` metres across, flat."""
        return pixel_field((seed, 40 + k), (grid.height, grid.width), step_m / cell, 1.5).ravel()

    out = np.zeros((grid.height, grid.width), dtype=np.uint8)
    flat = out.ravel()
    cty = county.ravel()
    free = cty > 0
    keys = list(forest_pct)
    members = [np.flatnonzero(cty == k + 1) for k in range(len(keys))]
    el, sl, res = elev.ravel(), slope.ravel(), reserved.ravel()
    rel_elev = np.zeros(el.shape, dtype=np.float32)
    for idx in members:          # elevation above the county's 20th percentile
        rel_elev[idx] = el[idx] - np.percentile(el[idx], 20)
    xs = grid.transform.c + (np.arange(grid.width, dtype=np.float64) + 0.5) * grid.transform.a
    ys = grid.transform.f + (np.arange(grid.height, dtype=np.float64) + 0.5) * grid.transform.e
    x, y = xs[None, :], ys[:, None]
    ca, sa = np.cos(np.radians(35)), np.sin(np.radians(35))
    belt = ((((x * ca + y * sa) % 900.0) < 60.0) | (((y * ca - x * sa) % 1600.0) < 60.0)).ravel()
    to_grid = pyproj.Transformer.from_crs(4326, grid.crs, always_xy=True)

    def take(cand, score, n, eco):
        n = min(int(n), cand.size)
        if n <= 0:
            return
        top = cand[np.argpartition(-score, n - 1)[:n]] if n < cand.size else cand
        flat[top] = ECOSYSTEM_CODE[eco]
        free[top] = False

    village = field(8, 1000.0) - 0.3 * sl
    town_noise = field(9, 350.0)
    forest_score = 0.10 * sl + rel_elev / 250.0 + 1.3 * field(3, 3500.0) + 0.9 * field(4, 700.0)
    for k, zid in enumerate(keys):
        idx = members[k]
        sx, sy = to_grid.transform(*seats[zid])
        built = round(city_pct["built_up"] / 100.0 * idx.size)
        cand = idx[free[idx] & ~res[idx]]
        r, c = np.divmod(cand, grid.width)
        d_km = np.hypot(xs[c] - sx, ys[r] - sy) / 1000.0
        take(cand, -d_km + 0.8 * town_noise[cand], round(TOWN_SHARE * built), "built_up")
        cand = idx[free[idx] & ~res[idx]]
        take(cand, village[cand], built - round(TOWN_SHARE * built), "built_up")
        cand = idx[free[idx] & ~res[idx]]
        sc = forest_score[cand] + (6.0 * belt[cand] if zid in belts else 0.0)
        take(cand, sc, round(forest_pct[zid] / 100.0 * idx.size), "forest")
    del village, town_noise, forest_score
    n_city = int(sum(m.size for m in members))
    cand = np.flatnonzero(free & ~res)
    take(cand, -rel_elev[cand] / 30.0 - 0.3 * sl[cand] + 1.5 * field(10, 1500.0)[cand] + 0.5 * field(11, 300.0)[cand],
         round(city_pct.get("water", 0.0) / 100.0 * n_city), "water")
    cand = np.flatnonzero(free & ~res)
    take(cand, -0.22 * sl[cand] - rel_elev[cand] / 70.0 + field(1, 4500.0)[cand] + 0.6 * field(2, 900.0)[cand],
         round(city_pct["cropland"] / 100.0 * n_city), "cropland")
    cand = np.flatnonzero(free)
    take(cand, 0.14 * sl[cand] + 1.1 * field(5, 2500.0)[cand] + 0.9 * field(6, 500.0)[cand],
         round(city_pct["shrubland"] / 100.0 * n_city), "shrubland")
    cand = np.flatnonzero(free)
    take(cand, 0.18 * sl[cand] + 1.6 * field(7, 350.0)[cand], round(city_pct["barren"] / 100.0 * n_city), "barren")
    flat[free] = GRASS
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
    # open pits and dumps are bare; subsidence land keeps its cover (farmland sinks, it stays farmed)
    dist = disturbed[(disturbed["year"] <= year) & (disturbed["type"] != "subsidence")]
    if len(dist):
        lc[burn(grid, dist.geometry)] = BARREN
    rec = reclaimed[reclaimed["year"] <= year].sort_values("year")
    for veg, grp in rec.groupby("vegetation", sort=True):
        lc[burn(grid, grp.geometry)] = VEG_CODE[veg]
    return lc
