"""Issue #21: the zonal engine's area bookkeeping and guards on the cases a peer's test suite
(exactextract's) turned up -- holes wound like their shell, the whole globe, zones far larger or
far smaller than the raster, zero-area rings, GDAL mask bands, negative nodata, invalid rings
at the API, GeometryCollections -- and the closure next to a pole.

Every expected value is worked out here independently of geo-sink's own code: shapely's
intersection of each cell box with the polygon, ``pyproj.Geod`` on rings oriented here, and
closed-form ellipsoid areas written out below (Snyder's q, a log form, not geo-sink's atanh).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
import shapely.affinity
from rasterio.transform import from_origin

from geo_sink.errors import GeometryError, GeoSinkError, InputDataError
from geo_sink.io.vectors import GeometryRepairWarning, read_zones
from geo_sink.zonal import class_areas, polygon_coverage
from geo_sink.zonal.areas import PartialOverlapWarning, UnknownCodeWarning
from tests.conftest import write_raster

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
WGS84_A, WGS84_F = 6378137.0, 1 / 298.257223563


# --- independent references ------------------------------------------------------------------

def cell_fractions(geom, transform, shape) -> np.ndarray:
    """Share of each cell's (planar) area covered by ``geom``: shapely, cell box by cell box."""
    out = np.zeros(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            x0, y0 = transform * (c, r)
            x1, y1 = transform * (c + 1, r + 1)
            box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            out[r, c] = box.intersection(geom).area / box.area
    return out


def snyder_q(lat_deg, a=WGS84_A, f=WGS84_F):
    """Snyder (1987) eq. 3-12: q = (1 - e^2) [sin / (1 - e^2 sin^2) - ln((1 - e sin)/(1 + e sin)) / (2e)]."""
    e = np.sqrt(f * (2 - f))
    s = np.sin(np.radians(lat_deg))
    return (1 - e * e) * (s / (1 - e * e * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))


def band_area_km2(lat1, lat2, dlon_deg, a=WGS84_A):
    """Ellipsoid area between two parallels over ``dlon_deg`` of longitude: a^2 dlon (q2 - q1) / 2."""
    return a * a * np.radians(dlon_deg) * abs(snyder_q(lat2) - snyder_q(lat1)) / 2 / 1e6


def whole_ellipsoid_km2(a=WGS84_A, f=WGS84_F):
    """4 pi R_authalic^2 = 2 pi a^2 (1 + (1 - e^2) / e * atanh(e)) (WGS 84: 510,065,621.7 km^2)."""
    e = np.sqrt(f * (2 - f))
    return 2 * np.pi * a * a * (1 + (1 - e * e) / e * np.arctanh(e)) / 1e6


def geod_km2(geom_lonlat, seg=0.001):
    """pyproj.Geod area of a lon/lat polygon whose rings are oriented here (shell CCW, holes CW)."""
    geod = pyproj.Geod(a=WGS84_A, f=WGS84_F)
    oriented = shapely.orient_polygons(geom_lonlat, exterior_cw=False)
    return geod.geometry_area_perimeter(shapely.segmentize(oriented, seg))[0] / 1e6


def lonlat_polygon_km2(coords, a=WGS84_A, f=WGS84_F) -> float:
    """Ellipsoidal area of a polygon whose edges are straight in lon/lat (the grid's reading of a
    lon/lat polygon): Green's theorem with the area element a^2 (1 - e^2) cos / (1 - e^2 sin^2)^2,
    each edge integrated numerically (scipy.quad) -- no code of geo-sink involved."""
    from scipy.integrate import quad
    e2 = f * (2 - f)

    def prim(phi):   # integral of cos t / (1 - e^2 sin^2 t)^2 dt from 0 to phi, numerically
        return quad(lambda t: np.cos(t) / (1 - e2 * np.sin(t) ** 2) ** 2, 0.0, phi, epsabs=0, epsrel=1e-13)[0]

    total = 0.0
    for (l1, p1), (l2, p2) in zip(coords[:-1], coords[1:]):
        dl = np.radians(l2 - l1)
        p1r, p2r = np.radians(p1), np.radians(p2)
        total += -quad(lambda t: prim(p1r + t * (p2r - p1r)), 0.0, 1.0, epsabs=0, epsrel=1e-12)[0] * dl
    return abs(total) * a * a * (1 - e2) / 1e6


def zones(geoms, crs, names=None):
    n = len(geoms)
    return gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(n)],
                             "zone_name": names or [f"区{i}" for i in range(n)]},
                            geometry=list(geoms), crs=crs)


def legend_without_nodata(catalog):
    """CLCD's classes with no nodata code: a code 0 in the raster is then 'not in legend'."""
    return catalog.legend("clcd").model_copy(update={"nodata": []})


def write_masked(path, array, mask, *, crs=ALBERS, origin=(0, 3000), res=(1000, 1000), nodata=None,
                 tiled=False):
    """A GeoTIFF with an internal per-dataset GDAL mask band (0 = masked), no nodata value."""
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype=array.dtype, crs=crs, transform=from_origin(*origin, *res), nodata=nodata)
    if tiled:
        profile.update(tiled=True, blockxsize=16, blockysize=16)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(array, 1)
            dst.write_mask(np.where(mask, 255, 0).astype(np.uint8))
    return path


# --- 1. a hole wound like its shell ------------------------------------------------------------

HOLE_SAME_WINDING = ("POLYGON ((500 500, 4500 500, 4500 4500, 500 4500, 500 500), "
                     "(2000 2000, 3000 2000, 3000 3000, 2000 3000, 2000 2000))")


def test_hole_wound_like_its_shell_is_subtracted(tmp_path, catalog):
    geom = shapely.from_wkt(HOLE_SAME_WINDING)
    # the case really is wound that way (both rings counter-clockwise)
    assert shapely.is_ccw(geom.exterior) and shapely.is_ccw(geom.interiors[0])
    t = from_origin(0, 5000, 1000, 1000)
    path = write_raster(tmp_path / "h.tif", np.full((5, 5), 2, np.uint8), crs=ALBERS, origin=(0, 5000),
                        res=(1000, 1000))
    res = class_areas(path, zones([geom], ALBERS), catalog.legend("clcd"), cache=False)
    s = res.summary.iloc[0]
    expected_classes = cell_fractions(geom, t, (5, 5)).sum() * 1.0          # 1 km^2 cells
    assert expected_classes == pytest.approx(15.0, rel=1e-12)
    assert res.areas.area_km2.sum() == pytest.approx(expected_classes, rel=1e-12)
    lonlat = gpd.GeoSeries([shapely.segmentize(geom, 100.0)], crs=ALBERS).to_crs(4326).iloc[0]
    # zone areas densify projected edges every 1 km before going to lon/lat: 3e-9 of the area
    assert s.zone_area_km2 == pytest.approx(geod_km2(lonlat), rel=1e-8)
    assert s.zone_area_km2 == pytest.approx(15.0, rel=1e-8)                 # Albers is equal-area
    assert abs(s.closure_pct) < 1e-6


def test_geodesic_area_does_not_depend_on_ring_winding():
    from geo_sink.geodesy import geodesic_area
    shell = [(110, 30), (111, 30), (111, 31), (110, 31)]
    hole = [(110.4, 30.4), (110.6, 30.4), (110.6, 30.6), (110.4, 30.6)]
    ways = [shapely.Polygon(s, [h]) for s in (shell, shell[::-1]) for h in (hole, hole[::-1])]
    got = geodesic_area(ways) / 1e6
    ref = geod_km2(ways[0], seg=0.01)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert ref == pytest.approx(band_area_km2(30, 31, 1) - band_area_km2(30.4, 30.6, 0.2), rel=1e-6)


# --- 2. the whole globe ------------------------------------------------------------------------

def test_zone_over_the_whole_globe(tmp_path, catalog):
    path = write_raster(tmp_path / "g.tif", np.full((180, 360), 2, np.uint8), origin=(-180, 90), res=(1, 1))
    res = class_areas(path, zones([shapely.box(-180, -90, 180, 90)], "EPSG:4326"), catalog.legend("clcd"),
                      cache=False)
    s = res.summary.iloc[0]
    total = whole_ellipsoid_km2()
    assert total == pytest.approx(510_065_621.7, abs=0.05)
    assert s.zone_area_km2 == pytest.approx(total, rel=1e-9)
    assert s.covered_km2 == pytest.approx(total, rel=1e-12)
    assert s.outside_km2 == 0.0
    assert abs(s.closure_pct) < 1e-7


@pytest.mark.parametrize("south, north", [(-80.0, 85.0), (-90.0, -60.0), (-60.0, 90.0)])
def test_zones_around_the_globe_wider_than_half_of_it(south, north):
    """All longitudes: the -180 and 180 meridian edges cancel and anything above half the
    ellipsoid wraps in one piece; strips give the analytic band area."""
    from geo_sink.geodesy import geodesic_area
    got = geodesic_area([shapely.box(-180, south, 180, north)])[0] / 1e6
    # pyproj between vertices 0.01 deg apart bows off the parallels by < 1e-8 of the area
    assert got == pytest.approx(band_area_km2(south, north, 360), rel=1e-8)


# --- 3. "no zone overlaps the raster" only when none does --------------------------------------

def test_zone_far_larger_than_the_raster(tmp_path, catalog):
    path = write_raster(tmp_path / "s.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3), res=(1, 1))
    big = shapely.box(-50_000, -50_000, 50_000, 50_000)           # 10,000 km^2 over 9 m^2
    with pytest.warns(PartialOverlapWarning):
        res = class_areas(path, zones([big], ALBERS), catalog.legend("clcd"), cache=False)
    s = res.summary.iloc[0]
    assert s.covered_km2 == pytest.approx(9e-6, rel=1e-12)
    lonlat = gpd.GeoSeries([shapely.segmentize(big, 1000.0)], crs=ALBERS).to_crs(4326).iloc[0]
    assert s.zone_area_km2 == pytest.approx(geod_km2(lonlat, seg=0.005), rel=1e-8)
    assert s.outside_km2 == pytest.approx(s.zone_area_km2 - 9e-6, rel=1e-10)
    assert abs(s.closure_pct) < 1e-7


def test_sliver_wholly_inside_is_measured(tmp_path, catalog):
    path = write_raster(tmp_path / "s.tif", np.full((10, 10), 2, np.uint8), crs=ALBERS, origin=(0, 1000),
                        res=(100, 100))
    sliver = shapely.Polygon([(100, 100), (900, 100.0000001), (100, 100.0000002)])
    assert sliver.is_valid
    res = class_areas(path, zones([sliver], ALBERS), catalog.legend("clcd"), cache=False)
    assert res.summary.covered_km2.iloc[0] == pytest.approx(sliver.area / 1e6, rel=1e-6)


def test_sliver_of_zero_geodesic_area_is_not_refused(tmp_path, catalog):
    """Three points on one geodesic, 300 m apart: a valid triangle in lon/lat (its edges straight
    there, as the grid reads them, bulge off the geodesic by centimetres) whose geodesic area is
    zero to pyproj's precision.  It lies wholly inside and is measured, not refused."""
    path = write_raster(tmp_path / "s.tif", np.full((10, 10), 2, np.uint8), origin=(110, 40), res=(0.01, 0.01))
    lons, lats, _ = pyproj.Geod(ellps="WGS84").fwd([110.02] * 3, [39.92] * 3, [45] * 3, [0, 300, 600])
    sliver = shapely.Polygon(list(zip(lons, lats)))
    assert sliver.is_valid and abs(geod_km2(sliver, seg=1.0)) < 1e-9
    res = class_areas(path, zones([sliver], "EPSG:4326"), catalog.legend("clcd"), cache=False)
    s = res.summary.iloc[0]
    assert s.covered_km2 == pytest.approx(lonlat_polygon_km2(list(sliver.exterior.coords)), rel=1e-6)
    assert s.outside_km2 == 0.0 and s.zone_area_km2 < 1e-9


def test_zero_area_ring_measures_zero(tmp_path, catalog):
    path = write_raster(tmp_path / "z.tif", np.full((10, 10), 2, np.uint8), crs=ALBERS, origin=(0, 1000),
                        res=(100, 100))
    z = zones([shapely.from_wkt("POLYGON ((0 0, 300 300, 0 0))"), shapely.box(0, 0, 200, 100)], ALBERS,
              names=["线", "方"])
    with pytest.warns(GeometryRepairWarning, match=r"zone z0 \(线\) encloses no area"):
        res = class_areas(path, z, catalog.legend("clcd"), cache=False)
    s = res.summary.set_index("zone_id")
    assert s.loc["z0", ["zone_area_km2", "covered_km2", "outside_km2", "closure_pct"]].tolist() == [0, 0, 0, 0]
    assert s.loc["z1", "covered_km2"] == pytest.approx(0.02, rel=1e-12)
    assert set(res.areas.zone_id) == {"z1"}


def test_zero_area_ring_alone_on_the_raster_is_not_refused(tmp_path, catalog):
    path = write_raster(tmp_path / "z.tif", np.full((10, 10), 2, np.uint8), crs=ALBERS, origin=(0, 1000),
                        res=(100, 100))
    with pytest.warns(GeometryRepairWarning, match="encloses no area"):
        res = class_areas(path, zones([shapely.from_wkt("POLYGON ((0 0, 300 300, 0 0))")], ALBERS),
                          catalog.legend("clcd"), cache=False)
    assert res.areas.empty and res.summary.covered_km2.iloc[0] == 0.0


def test_zero_area_ring_off_the_raster_is_still_no_overlap(tmp_path, catalog):
    path = write_raster(tmp_path / "z.tif", np.full((10, 10), 2, np.uint8), crs=ALBERS, origin=(0, 1000),
                        res=(100, 100))
    far = zones([shapely.from_wkt("POLYGON ((5000 5000, 5300 5300, 5000 5000))")], ALBERS)
    with pytest.warns(GeometryRepairWarning), pytest.raises(InputDataError, match="no zone overlaps"):
        class_areas(path, far, catalog.legend("clcd"), cache=False)
    edge = zones([shapely.box(1000, 0, 2000, 1000)], ALBERS)         # shares the raster's east edge
    with pytest.raises(InputDataError, match="no zone overlaps"):
        class_areas(path, edge, catalog.legend("clcd"), cache=False)


# --- 4. GDAL mask bands ---------------------------------------------------------------------

MASK_CASE = np.array([[1, 2, 3], [0, 0, 0], [4, 5, 6]], dtype=np.uint8)     # exactextract test_gdal_mask_band


def test_masked_cells_are_nodata_not_class_0(tmp_path, catalog):
    path = write_masked(tmp_path / "m.tif", MASK_CASE, MASK_CASE != 0)
    with rasterio.open(path) as src:
        assert src.nodata is None and src.mask_flag_enums[0] == [rasterio.enums.MaskFlags.per_dataset]
    square = shapely.box(500, 500, 2500, 2500)
    w = cell_fractions(square, from_origin(0, 3000, 1000, 1000), (3, 3))   # km^2 per cell
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownCodeWarning)
        res = class_areas(path, zones([square], ALBERS), legend_without_nodata(catalog), cache=False)
    s = res.summary.iloc[0]
    assert s.unknown_km2 == 0.0 and res.unknown_codes.empty
    assert s.nodata_km2 == pytest.approx(w[1].sum(), rel=1e-12)
    got = res.areas.set_index("class_code").area_km2.to_dict()
    assert got == pytest.approx({c: w[MASK_CASE == c].sum() for c in (1, 2, 3, 4, 5, 6)}, rel=1e-12)
    assert any("GDAL mask" in n for n in res.notes)


def test_mask_wins_over_the_code_under_it(tmp_path, catalog):
    """Masked cells holding a valid class (7, barren) are nodata too, tiled and in small blocks."""
    rng = np.random.default_rng(5)
    a = rng.integers(1, 10, (40, 40)).astype(np.uint8)
    valid = rng.random((40, 40)) > 0.3
    path = write_masked(tmp_path / "m.tif", np.where(valid, a, 7).astype(np.uint8), valid, origin=(0, 4000),
                        res=(100, 100), tiled=True)
    zone = shapely.Point(2000, 2000).buffer(1500, quad_segs=16)
    w = cell_fractions(zone, from_origin(0, 4000, 100, 100), (40, 40)) * 0.01
    for block_rows in (None, 16):
        res = class_areas(path, zones([zone], ALBERS), catalog.legend("clcd"), cache=False, block_rows=block_rows)
        got = res.areas.set_index("class_code").area_km2
        for c in range(1, 10):
            assert got.get(c, 0.0) == pytest.approx(w[valid & (a == c)].sum(), rel=1e-9, abs=1e-15)
        assert res.summary.nodata_km2.iloc[0] == pytest.approx(w[~valid].sum(), rel=1e-9)


def test_all_valid_and_nodata_masks_read_no_mask(tmp_path, catalog, monkeypatch):
    """Rasters whose mask flag is ALL_VALID or NODATA stream exactly as before: no mask is read."""
    from rasterio.io import DatasetReader

    def refuse(*a, **k):
        raise AssertionError("read_masks called")

    monkeypatch.setattr(DatasetReader, "read_masks", refuse)
    for nodata in (None, 0):
        path = write_raster(tmp_path / f"n{nodata}.tif", MASK_CASE, crs=ALBERS, origin=(0, 3000),
                            res=(1000, 1000), nodata=nodata)
        res = class_areas(path, zones([shapely.box(0, 0, 3000, 3000)], ALBERS), catalog.legend("clcd"), cache=False)
        assert res.summary.nodata_km2.iloc[0] == pytest.approx(3.0)


def test_masked_cells_in_continuous_sums(tmp_path):
    from geo_sink.zonal.continuous import zonal_density_sum
    vals = np.array([[10, 20, 30], [99, 99, 99], [40, 50, 60]], dtype=np.float32)
    path = write_masked(tmp_path / "c.tif", vals, vals != 99)
    square = shapely.box(500, 500, 2500, 2500)
    w = cell_fractions(square, from_origin(0, 3000, 1000, 1000), (3, 3))
    out = zonal_density_sum(path, zones([square], ALBERS), per_area_unit_m2=1e6, cache=False).iloc[0]
    ok = vals != 99
    assert out.total == pytest.approx((vals * w)[ok].sum(), rel=1e-9)
    assert out.nodata_km2 == pytest.approx(w[~ok].sum(), rel=1e-12)
    assert out.valid_km2 == pytest.approx(w[ok].sum(), rel=1e-12)


def test_masked_cells_in_transitions(tmp_path, catalog):
    from geo_sink.zonal.transitions import transition_areas
    a = np.full((3, 3), 2, np.uint8)
    b = np.full((3, 3), 4, np.uint8)
    pa = write_raster(tmp_path / "a.tif", a, crs=ALBERS, origin=(0, 3000), res=(1000, 1000))
    pb = write_masked(tmp_path / "b.tif", b, np.arange(9).reshape(3, 3) % 2 == 0)
    t = transition_areas(pa, pb, zones([shapely.box(0, 0, 3000, 3000)], ALBERS), catalog.legend("clcd"),
                         catalog.legend("clcd"), cache=False)
    got = t.set_index(["from_code", "to_code"]).area_km2.to_dict()
    assert got == pytest.approx({(2, 4): 5.0, (2, 0): 4.0})
    assert set(t.loc[t.to_code == 0, "to_class"]) == {"(nodata)"}


def test_band_tasks_honour_the_mask_like_the_single_process_pass(tmp_path, catalog):
    """The dask band task (run here in-process) gives the single-process matrix, band by band."""
    from geo_sink.io.rasters import raster_info
    from geo_sink.zonal.areas import zones_on_grid
    from geo_sink.zonal.distributed import band_areas
    from geo_sink.zonal.zones import build_zone_index
    rng = np.random.default_rng(9)
    a = rng.integers(1, 10, (40, 40)).astype(np.int16)
    valid = rng.random((40, 40)) > 0.25
    a[rng.random((40, 40)) < 0.1] = -999
    path = write_masked(tmp_path / "m.tif", a, valid, origin=(0, 4000), res=(100, 100), nodata=-999, tiled=True)
    z = zones([shapely.Point(2000, 2000).buffer(1700), shapely.box(300, 300, 1900, 3900)], ALBERS)
    info = raster_info(path)
    assert info.has_mask and info.code_shift == 1
    idx = build_zone_index(zones_on_grid(z, info.grid).values, info.grid)
    ra = info.grid.row_cell_area_m2()
    r0, r1 = idx.row_range()
    c0, c1 = idx.col_range()
    parts = [band_areas(path, idx, ra, (s, e), (c0, c1), 16, 1, 1) for s, e in ((r0, 16), (16, 32), (32, r1))]
    total = sum(p[:, :min(q.shape[1] for q in parts)] for p in parts)
    res = class_areas(path, z, catalog.legend("clcd"), cache=False)
    s = res.summary.set_index("zone_id")
    np.testing.assert_allclose(total[:, 0] / 1e6, s.nodata_km2.to_numpy(), rtol=1e-12)
    for i, zid in enumerate(["z0", "z1"]):
        w = cell_fractions(z.geometry.iloc[i], info.grid.transform, (40, 40)) * 0.01
        assert s.loc[zid, "nodata_km2"] == pytest.approx(w[~valid | (a == -999)].sum(), rel=1e-9)
        for c in range(1, 10):
            exp = w[valid & (a == c)].sum()
            assert total[i, c + 1] / 1e6 == pytest.approx(exp, rel=1e-9, abs=1e-15)


# --- 5. negative nodata ------------------------------------------------------------------------

def nodata_case():
    """exactextract test_nodata: 1..100 on a 10 x 10 grid, the lower-left 4 x 4 -999 (its nodata);
    codes folded into CLCD's 1..9 here."""
    data = (np.arange(1, 101).reshape(10, 10) - 1) % 9 + 1
    data[6:10, 0:4] = -999
    return data.astype(np.int32)


def test_negative_nodata_counts_as_nodata(tmp_path, catalog):
    data = nodata_case()
    path = write_raster(tmp_path / "n.tif", data, crs=ALBERS, origin=(0, 10_000), res=(1000, 1000), nodata=-999)
    t = from_origin(0, 10_000, 1000, 1000)
    inside = shapely.box(0, 0, 3000, 3000)          # entirely in the nodata corner
    partial = shapely.box(2500, 2500, 4500, 4500)   # half in it
    res = class_areas(path, zones([inside, partial], ALBERS), catalog.legend("clcd"), cache=False)
    s = res.summary.set_index("zone_id")
    assert s.loc["z0", "nodata_km2"] == pytest.approx(9.0, rel=1e-12) and s.loc["z0", "covered_km2"] == 0.0
    w = cell_fractions(partial, t, (10, 10))
    assert s.loc["z1", "nodata_km2"] == pytest.approx(w[data == -999].sum(), rel=1e-12)
    got = res.areas[res.areas.zone_id == "z1"].set_index("class_code").area_km2
    for c in range(1, 10):
        assert got.get(c, 0.0) == pytest.approx(w[data == c].sum(), rel=1e-12, abs=1e-15)
    assert abs(s.closure_pct).max() < 1e-6


def test_negative_code_that_is_not_nodata_names_the_file(tmp_path, catalog):
    data = nodata_case()
    data[0, 5] = -5
    path = write_raster(tmp_path / "bad.tif", data, crs=ALBERS, origin=(0, 10_000), res=(1000, 1000), nodata=-999)
    with pytest.raises(InputDataError, match=r"bad\.tif.*negative code -5 \(row 0, col 5\).*nodata value \(-999"):
        class_areas(path, zones([shapely.box(0, 0, 10_000, 10_000)], ALBERS), catalog.legend("clcd"), cache=False)


# --- 6. invalid rings straight to the API ------------------------------------------------------

BOWTIE = "POLYGON ((0 0, 2000 2000, 2000 0, 0 2000, 0 0))"


def bowtie_lobes():
    """What the bow-tie encloses, drawn by hand: two triangles meeting at (1000, 1000)."""
    return shapely.union(shapely.Polygon([(0, 0), (1000, 1000), (0, 2000)]),
                         shapely.Polygon([(2000, 0), (1000, 1000), (2000, 2000)]))


def test_bowtie_straight_to_class_areas(tmp_path, catalog):
    path = write_raster(tmp_path / "b.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    with pytest.warns(GeometryRepairWarning, match=r"zone z0 \(蝴蝶\) had an invalid geometry \(Self-intersection"):
        res = class_areas(path, zones([shapely.from_wkt(BOWTIE)], ALBERS, names=["蝴蝶"]), catalog.legend("clcd"),
                          cache=False)
    w = cell_fractions(bowtie_lobes(), from_origin(0, 3000, 1000, 1000), (3, 3))
    s = res.summary.iloc[0]
    assert s.covered_km2 == pytest.approx(w.sum(), rel=1e-12) and w.sum() == pytest.approx(2.0)
    assert s.zone_area_km2 == pytest.approx(2.0, rel=1e-6) and abs(s.closure_pct) < 1e-5


def test_bowtie_from_the_disk_cache_warns_again(tmp_path, catalog):
    path = write_raster(tmp_path / "b.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    z = zones([shapely.from_wkt(BOWTIE)], ALBERS, names=["蝴蝶"])
    with pytest.warns(GeometryRepairWarning, match="蝴蝶"):
        a = class_areas(path, z, catalog.legend("clcd"), cache=tmp_path / "cache")
    with pytest.warns(GeometryRepairWarning, match="蝴蝶"):
        b = class_areas(path, z, catalog.legend("clcd"), cache=tmp_path / "cache")
    assert "zone index reused from cache" in b.notes
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_bowtie_straight_to_polygon_coverage():
    from geo_sink.grid import Grid
    grid = Grid(3, 3, from_origin(0, 3000, 1000, 1000), pyproj.CRS(ALBERS))
    with pytest.warns(GeometryRepairWarning, match="Self-intersection"):
        cov = polygon_coverage(shapely.from_wkt(BOWTIE), grid)
    got = np.zeros((3, 3))
    got[cov.rows, cov.cols] = cov.frac
    for r, a, b in zip(cov.run_rows, cov.run_c0, cov.run_c1):
        got[r, a:b] = 1.0
    np.testing.assert_allclose(got, cell_fractions(bowtie_lobes(), grid.transform, (3, 3)), atol=1e-12)


def test_bowtie_read_through_read_zones_gives_the_same(tmp_path, catalog):
    path = write_raster(tmp_path / "b.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    z = zones([shapely.from_wkt(BOWTIE)], ALBERS)
    z.to_file(tmp_path / "z.gpkg")
    with pytest.warns(GeometryRepairWarning):
        direct = class_areas(path, z, catalog.legend("clcd"), cache=False)
        read = read_zones(tmp_path / "z.gpkg", id_field="zone_id", name_field="zone_name")
    via_file = class_areas(path, read, catalog.legend("clcd"), cache=False)
    pd.testing.assert_frame_equal(direct.areas, via_file.areas)


def test_bowtie_at_the_other_entries(tmp_path, catalog):
    from geo_sink.zonal.continuous import zonal_density_sum
    from geo_sink.zonal.transitions import transition_areas
    path = write_raster(tmp_path / "b.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    z = zones([shapely.from_wkt(BOWTIE)], ALBERS)
    with pytest.warns(GeometryRepairWarning, match="zone z0"):
        t = transition_areas(path, path, z, catalog.legend("clcd"), catalog.legend("clcd"), cache=False)
    assert t.area_km2.sum() == pytest.approx(2.0, rel=1e-12)
    with pytest.warns(GeometryRepairWarning, match="zone z0"):
        d = zonal_density_sum(path, z, per_area_unit_m2=1e6, cache=False)
    assert d.total.iloc[0] == pytest.approx(4.0, rel=1e-12)     # value 2 per km^2 over 2 km^2


def test_lonlat_zone_made_invalid_by_reprojection_is_repaired_with_a_named_warning(tmp_path, catalog):
    """zones_on_grid used to make_valid reprojected geometries silently; now the index repairs
    and says so."""
    path = write_raster(tmp_path / "b.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    ll = gpd.GeoSeries([shapely.from_wkt(BOWTIE)], crs=ALBERS).to_crs(4326).iloc[0]
    with pytest.warns(GeometryRepairWarning, match=r"zone z0 \(区0\)"):
        res = class_areas(path, zones([ll], "EPSG:4326"), catalog.legend("clcd"), cache=False)
    assert res.summary.covered_km2.iloc[0] == pytest.approx(2.0, rel=1e-4)


# --- 7. GeometryCollections --------------------------------------------------------------------

# exactextract test/test_raster_cell_intersection.cpp, "Basic rectangle with GeometryCollection"
GC_WKT = ("GEOMETRYCOLLECTION (MULTIPOLYGON (((0.5 0.5, 1.5 0.5, 1.5 1.5, 0.5 1.5, 0.5 0.5)), "
          "((1.5 1.5, 2.5 1.5, 2.5 2.5, 1.5 2.5, 1.5 1.5))), POLYGON ((0.5 1.5, 1.5 1.5, 1.5 2.5, 0.5 2.5, 0.5 1.5)), "
          "POLYGON ((1.5 0.5, 2.5 0.5, 2.5 1.5, 1.5 1.5, 1.5 0.5)))")


def scaled(geom, k=1000.0):
    return shapely.affinity.scale(geom, k, k, origin=(0, 0))


def test_geometry_collection_of_polygons_is_measured(tmp_path, catalog):
    codes = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    path = write_raster(tmp_path / "g.tif", codes, crs=ALBERS, origin=(0, 3000), res=(1000, 1000))
    gc = scaled(shapely.from_wkt(GC_WKT))
    with warnings.catch_warnings():
        warnings.simplefilter("error", GeometryRepairWarning)   # nothing dropped: nothing to say
        res = class_areas(path, zones([gc], ALBERS), catalog.legend("clcd"), cache=False)
    expected = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])   # exactextract's matrix
    got = res.areas.set_index("class_code").area_km2
    for c in range(1, 10):
        assert got[c] == pytest.approx(expected[codes == c].sum(), rel=1e-12)


def test_geometry_collection_drops_lines_and_points_with_a_warning(tmp_path, catalog):
    path = write_raster(tmp_path / "g.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    gc = shapely.GeometryCollection([scaled(shapely.from_wkt(GC_WKT)), shapely.LineString([(0, 0), (3000, 3000)]),
                                     shapely.Point(100, 100)])
    with pytest.warns(GeometryRepairWarning, match=r"zone z0 \(区0\) is a GeometryCollection: dropped .*1 LineString, 1 Point"):
        res = class_areas(path, zones([gc], ALBERS), catalog.legend("clcd"), cache=False)
    assert res.summary.covered_km2.iloc[0] == pytest.approx(4.0, rel=1e-12)


def test_geometry_collection_without_polygons_is_refused_naming_the_zone(tmp_path, catalog):
    path = write_raster(tmp_path / "g.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    gc = shapely.GeometryCollection([shapely.LineString([(0, 0), (3000, 3000)]), shapely.Point(100, 100)])
    with pytest.raises(GeometryError, match=r"zone z0 \(线\) is a GeometryCollection without polygonal parts"):
        class_areas(path, zones([gc], ALBERS, names=["线"]), catalog.legend("clcd"), cache=False)


def test_read_zones_accepts_geometry_collections(tmp_path):
    gc = shapely.GeometryCollection([shapely.from_wkt(GC_WKT), shapely.Point(0, 0)])
    gpd.GeoDataFrame({"id": ["g"]}, geometry=[gc], crs=4326).to_file(tmp_path / "g.geojson")
    with pytest.warns(GeometryRepairWarning, match=r"zone g \(g\) is a GeometryCollection: dropped .*1 Point"):
        z = read_zones(tmp_path / "g.geojson", id_field="id")
    assert z.geometry.iloc[0].geom_type == "Polygon" and z.geometry.iloc[0].area == pytest.approx(4.0)


# --- no traceback from any polygon input -------------------------------------------------------

with warnings.catch_warnings():      # shapely warns while building the NaN ring
    warnings.simplefilter("ignore", RuntimeWarning)
    _NAN_RING = shapely.Polygon([(0, 0), (1000, 0), (float("nan"), 1000)])
    _INF_RING = shapely.Polygon([(0, 0), (1000, 0), (float("inf"), 1000)])

ZOO = {
    "point": shapely.Point(500, 500),
    "line": shapely.LineString([(0, 0), (3000, 3000)]),
    "empty": shapely.Polygon(),
    "none": None,
    "nan": _NAN_RING,
    "inf": _INF_RING,
    "bowtie": shapely.from_wkt(BOWTIE),
    "spike": shapely.from_wkt("POLYGON ((0 0, 2000 0, 2000 2000, 1000 2000, 1000 5000, 1000 2000, 0 2000, 0 0))"),
    "figure8": shapely.from_wkt("POLYGON ((0 0, 2000 0, 2000 2000, 1000 2000, 1000 -1000, 0 -1000, 0 0))"),
    "hole_outside": shapely.from_wkt("POLYGON ((1500 500, 2500 1500, 1500 2500, 500 1500, 1500 500), "
                                     "(100000 100000, 100000 101000, 101000 101000, 100000 100000))"),
    "overlapping_parts": shapely.MultiPolygon([shapely.box(0, 0, 2000, 2000), shapely.box(1000, 1000, 3000, 3000)]),
    "repeated_points": shapely.Polygon([(0, 0), (0, 0), (1000, 0), (1000, 0), (1000, 1000), (0, 0)]),
    "degenerate": shapely.from_wkt("POLYGON ((0 0, 1000 1000, 2000 2000, 0 0))"),
    "nested_collection": shapely.GeometryCollection([shapely.GeometryCollection([shapely.box(0, 0, 1000, 1000)]),
                                                     shapely.MultiPoint([(1, 1), (2, 2)])]),
    "empty_collection": shapely.GeometryCollection(),
    "z_coordinates": shapely.Polygon([(0, 0, 5), (1000, 0, 5), (1000, 1000, 5)]),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_no_traceback_from_any_polygon_input(tmp_path, catalog, name):
    path = write_raster(tmp_path / "zoo.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000),
                        res=(1000, 1000))
    z = gpd.GeoDataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"]},
                         geometry=[ZOO[name], shapely.box(0, 0, 3000, 3000)], crs=ALBERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeometryRepairWarning)
        warnings.simplefilter("ignore", PartialOverlapWarning)
        try:
            res = class_areas(path, z, catalog.legend("clcd"), cache=False)
        except GeoSinkError as e:
            assert "zone a (甲)" in str(e)
            return
    s = res.summary.set_index("zone_id")
    assert s.loc["b", "covered_km2"] == pytest.approx(9.0)
    a = s.loc["a"]
    assert np.isfinite(a[["zone_area_km2", "covered_km2", "outside_km2"]].astype(float)).all()
    assert 0 <= a.covered_km2 <= 9.0 + 1e-9
    assert abs(a.closure_pct) < 1e-4


# --- the closure next to a pole ----------------------------------------------------------------

def test_boundary_cells_next_to_the_pole_use_their_ellipsoidal_area(tmp_path, catalog):
    """0.25 deg cells from 80 N to the pole: a boundary cell's share of its lon/lat extent is not
    its share of area (the area element vanishes at the pole), so the box covers exactly its
    analytic area only with area-weighted fractions (2.5e-6 off with plain ones, 1.5e-4 with the
    box reaching the pole)."""
    path = write_raster(tmp_path / "p.tif", np.full((40, 40), 6, np.uint8), origin=(0, 90), res=(0.25, 0.25))
    boxes = [shapely.box(0.1, 80.1, 9.9, 89.9), shapely.box(0.1, 80.1, 9.9, 90.0)]
    res = class_areas(path, zones(boxes, "EPSG:4326"), catalog.legend("clcd"), cache=False)
    s = res.summary
    exp = [band_area_km2(80.1, 89.9, 9.8), band_area_km2(80.1, 90.0, 9.8)]
    np.testing.assert_allclose(s.covered_km2, exp, rtol=1e-12)
    np.testing.assert_allclose(s.zone_area_km2, exp, rtol=1e-7)
    assert np.abs(s.closure_pct).max() < 1e-5


def test_triangle_next_to_the_pole_closes(tmp_path, catalog):
    path = write_raster(tmp_path / "p.tif", np.full((40, 40), 6, np.uint8), origin=(0, 90), res=(0.25, 0.25))
    coords = [(0.1, 80.1), (9.9, 80.1), (5.0, 89.93), (0.1, 80.1)]
    res = class_areas(path, zones([shapely.Polygon(coords)], "EPSG:4326"), catalog.legend("clcd"), cache=False)
    exact = lonlat_polygon_km2(coords)
    assert res.summary.covered_km2.iloc[0] == pytest.approx(exact, rel=1e-10)
    assert abs(res.summary.closure_pct.iloc[0]) < 1e-3     # geodesic vs lon/lat-straight edges


def test_grid_rows_beyond_the_pole_have_no_area():
    """exactextract's Fiji case grid runs -90.5 .. 90.5: its outer rows lie beyond the poles."""
    from geo_sink.grid import Grid
    g = Grid(722, 362, from_origin(-180.5, 90.5, 0.5, 0.5), pyproj.CRS(4326))
    ra = g.row_cell_area_m2()
    assert ra[0] == 0.0 and ra[-1] == 0.0
    assert ra.sum() * 722 / 1e6 == pytest.approx(whole_ellipsoid_km2() * 361 / 360, rel=1e-12)


def test_area_weighted_fractions_are_each_cells_true_share():
    """Cell by cell: the weighted fraction x the cell's ellipsoidal area is the ellipsoidal area
    of the cell's covered part (its shapely intersection, integrated numerically)."""
    from geo_sink.grid import Grid
    grid = Grid(12, 12, from_origin(0, 90, 0.5, 0.5), pyproj.CRS(4326))
    tri = shapely.Polygon([(0.3, 84.2), (5.7, 84.6), (2.9, 89.8)])
    cov = polygon_coverage(tri, grid, area_weighted=True)
    ra = grid.row_cell_area_m2() / 1e6
    t = grid.transform
    for r, c, f in zip(cov.rows, cov.cols, cov.frac):
        cell = shapely.box(t.c + t.a * c, t.f + t.e * (r + 1), t.c + t.a * (c + 1), t.f + t.e * r)
        piece = shapely.orient_polygons(cell.intersection(tri), exterior_cw=False)
        exact = lonlat_polygon_km2(list(piece.exterior.coords))
        assert f * ra[r] == pytest.approx(exact, rel=1e-9, abs=1e-9 * ra[r])
    plain = polygon_coverage(tri, grid)
    assert np.max(np.abs(plain.frac - cov.frac)) > 0.01      # next to the pole it matters


@pytest.mark.parametrize("readers", [0, 1, 2])
def test_masked_blocks_are_the_same_for_every_reader_count(tmp_path, readers):
    from geo_sink.io.rasters import iter_code_blocks, iter_row_blocks
    rng = np.random.default_rng(2)
    a = rng.integers(-3, 300, (70, 24)).astype(np.int16)
    valid = rng.random((70, 24)) > 0.2
    a[~valid & (rng.random((70, 24)) < 0.5)] = -50     # garbage under the mask
    a[(a < 0) & valid] = -7                             # the nodata value
    path = write_masked(tmp_path / "r.tif", a, valid, origin=(0, 70), res=(1, 1), nodata=-7, tiled=True)
    got = np.zeros_like(a, dtype=np.int64)
    for r, b in iter_code_blocks(path, (3, 70), (2, 21), 16, readers=readers, reuse=True, shift=1):
        got[r:r + b.shape[0], 2:21] = b
    exp = np.where(valid & (a != -7), a.astype(np.int64) + 1, 0)
    np.testing.assert_array_equal(got[3:, 2:21], exp[3:, 2:21])
    masks = [(r, v.copy()) for r, _, v in iter_row_blocks(path, (3, 70), (2, 21), 16, readers=readers,
                                                            reuse=True, masks=True)]
    assert [r for r, _ in masks] == [3, 16, 32, 48, 64]
    for r, v in masks:
        np.testing.assert_array_equal(v != 0, valid[r:r + v.shape[0], 2:21])


def test_read_zones_keeps_a_zero_area_zone_with_a_warning(tmp_path, catalog):
    """read_zones used to refuse a degenerate ring ('nothing polygonal is left'); it is a zone
    of area 0 now, as at the API."""
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[shapely.from_wkt("POLYGON ((0 0, 300 300, 0 0))"),
                                                        shapely.box(0, 0, 200, 100)], crs=ALBERS)
    gdf.to_file(tmp_path / "z.gpkg")
    with pytest.warns(GeometryRepairWarning, match=r"zone a \(a\) encloses no area"):
        z = read_zones(tmp_path / "z.gpkg", id_field="id")
    path = write_raster(tmp_path / "z.tif", np.full((10, 10), 2, np.uint8), crs=ALBERS, origin=(0, 1000),
                        res=(100, 100))
    with pytest.warns(GeometryRepairWarning, match="encloses no area"):
        res = class_areas(path, z, catalog.legend("clcd"), cache=False)
    assert res.summary.covered_km2.tolist() == pytest.approx([0.0, 0.02])


def test_projection_artefacts_are_repaired_without_a_warning():
    """Reclaimed pieces valid in WGS 84 become invalid in UTM by rounding (five pieces the demo
    generator v3 made, kept bit for bit in tests/data/projection_artefacts.csv): the reprojection
    repairs them silently, keeping their areas; the user's input was valid."""
    import warnings
    from pathlib import Path

    import geopandas as gpd
    import pandas as pd
    from affine import Affine

    from geo_sink.grid import Grid
    from geo_sink.zonal.areas import zones_on_grid

    t = pd.read_csv(Path(__file__).parent / "data" / "projection_artefacts.csv")
    pieces = gpd.GeoDataFrame(t[["polygon_id", "mine"]], geometry=shapely.from_wkb(t["wkb"].to_numpy()), crs=4326)
    assert shapely.is_valid(pieces.geometry.values).all()
    plain = pieces.to_crs(32649).geometry.values
    assert not shapely.is_valid(plain).all()          # the artefact this guards against
    grid = Grid(10, 10, Affine(30, 0, 600000, 0, -30, 4400000), pyproj.CRS(32649))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = zones_on_grid(pieces.rename(columns={"polygon_id": "zone_id", "mine": "zone_name"}), grid)
    assert shapely.is_valid(out.values).all()
    dense = gpd.GeoSeries(shapely.segmentize(pieces.geometry.values, 0.01), crs=pieces.crs).to_crs(32649).values
    np.testing.assert_allclose(shapely.area(out.values), shapely.area(dense), rtol=1e-6)


# --- one pass over two maps: transitions, each map's class areas, a display sample ---------------

def _two_maps(tmp_path, shape=(40, 40), res=100):
    rng = np.random.default_rng(21)
    a = rng.integers(1, 10, shape).astype(np.uint8)
    a[rng.random(shape) < 0.05] = 0            # CLCD's nodata
    a[rng.random(shape) < 0.03] = 42           # not in the legend
    b = a.copy()
    b[rng.random(shape) < 0.3] = 2             # some cells become forest
    kw = dict(crs=ALBERS, origin=(0, shape[0] * res), res=(res, res))
    return write_raster(tmp_path / "a.tif", a, **kw), write_raster(tmp_path / "b.tif", b, **kw), a, b


def test_a_transition_pass_gives_each_maps_class_areas(tmp_path, catalog):
    """The marginals of the transition matrix are each map's class areas: the tables of
    class_areas_from_m2 equal those of class_areas reading the map itself (areas to rounding,
    the unknown code's pixel count exactly), and one class checked against shapely fractions."""
    from geo_sink.zonal.areas import class_areas_from_m2
    from geo_sink.zonal.transitions import transition_pass
    pa, pb, a, b = _two_maps(tmp_path)
    z = zones([shapely.Point(2000, 2000).buffer(1500), shapely.box(250, 250, 1850, 3750)], ALBERS)
    leg = catalog.legend("clcd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCodeWarning)
        tp = transition_pass(pa, pb, z, leg, leg, cache=False)
        for path, m2, arr in ((pa, tp.from_m2, a), (pb, tp.to_m2, b)):
            direct = class_areas(path, z, leg, cache=False)
            got = class_areas_from_m2(path, z, leg, m2, cache=False)
            pd.testing.assert_frame_equal(got.areas, direct.areas, rtol=1e-12)
            pd.testing.assert_frame_equal(got.summary, direct.summary, rtol=1e-12, atol=1e-12)
            pd.testing.assert_frame_equal(got.unknown_codes, direct.unknown_codes)
            w = cell_fractions(z.geometry.iloc[0], from_origin(0, 4000, 100, 100), arr.shape) * 0.01
            forest = got.areas[(got.areas.zone_id == "z0") & (got.areas.class_code == 2)].area_km2.iloc[0]
            assert forest == pytest.approx(w[arr == 2].sum(), rel=1e-9)
    assert tp.from_sample is None and tp.to_sample is None          # none asked for


def test_a_transition_pass_hands_no_areas_for_a_masked_map(tmp_path, catalog):
    """A map with a GDAL mask: the pass counts its masked cells under a nodata code, which
    class_areas reports apart, so that map gets no marginal (its own pass) and no display sample
    (its masked cells hold that code); the other gets both."""
    from geo_sink.zonal.transitions import transition_pass
    pa = write_raster(tmp_path / "a.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000), res=(1000, 1000))
    pb = write_masked(tmp_path / "b.tif", np.full((3, 3), 4, np.uint8), np.arange(9).reshape(3, 3) % 2 == 0)
    tp = transition_pass(pa, pb, zones([shapely.box(0, 0, 3000, 3000)], ALBERS), catalog.legend("clcd"),
                         catalog.legend("clcd"), cache=False, sample=(np.arange(3), np.arange(3)))
    assert tp.to_m2 is None and tp.to_sample is None
    assert np.array_equal(tp.from_sample, np.full((3, 3), 2))
    assert tp.from_m2[0, 2] == pytest.approx(9e6, rel=1e-12) and tp.from_m2.sum() == pytest.approx(9e6, rel=1e-12)


def test_class_areas_from_m2_refuses_what_it_cannot_stand_for(tmp_path, catalog):
    from geo_sink.zonal.areas import class_areas_from_m2
    z = zones([shapely.box(0, 0, 3000, 3000)], ALBERS)
    signed = write_raster(tmp_path / "s.tif", np.full((3, 3), 2, np.int16), crs=ALBERS, origin=(0, 3000),
                          res=(1000, 1000))
    with pytest.raises(InputDataError, match=r"s\.tif.*without a GDAL mask"):
        class_areas_from_m2(signed, z, catalog.legend("clcd"), np.zeros((1, 256)), cache=False)
    u8 = write_raster(tmp_path / "u.tif", np.full((3, 3), 2, np.uint8), crs=ALBERS, origin=(0, 3000), res=(1000, 1000))
    with pytest.raises(InputDataError, match=r"u\.tif.*1 zone rows, got shape \(2, 256\)"):
        class_areas_from_m2(u8, z, catalog.legend("clcd"), np.zeros((2, 256)), cache=False)


def test_a_transition_pass_takes_a_display_sample_that_equals_the_overlay_read(tmp_path, catalog):
    """The sample the pass takes, reprojected, is the overlay a decimated read of each map gives
    (io.display.landcover_codes), cell for cell; positions beyond the rows the pass reads (the
    zones') give no sample."""
    from geo_sink.io.display import display_codes, landcover_codes, overlay_plan
    from geo_sink.zonal.transitions import transition_pass
    rng = np.random.default_rng(5)
    a = np.kron(rng.integers(1, 10, (30, 30)), np.ones((4, 4))).astype(np.uint8)      # 120 x 120 cells
    b = a.copy()
    b[rng.random(a.shape) < 0.2] = 2
    kw = dict(origin=(112.0, 39.0), res=(0.001, 0.001))
    pa, pb = write_raster(tmp_path / "a.tif", a, **kw), write_raster(tmp_path / "b.tif", b, **kw)
    whole = zones([shapely.box(112.0, 38.88, 112.12, 39.0)], "EPSG:4326")
    box = tuple(float(v) for v in whole.total_bounds)
    plan = overlay_plan(pa, None, box, max_read_px=50)
    assert plan.decimated
    leg = catalog.legend("clcd")
    tp = transition_pass(pa, pb, whole, leg, leg, cache=False, sample=plan.sample_positions())
    for path, smp in ((pa, tp.from_sample), (pb, tp.to_sample)):
        codes, bounds = display_codes(plan, smp)
        ref, ref_bounds = landcover_codes(path, None, box, max_read_px=50)
        np.testing.assert_array_equal(codes, ref)
        assert bounds == ref_bounds
    half = zones([shapely.box(112.0, 38.94, 112.12, 39.0)], "EPSG:4326")          # the top half only
    tp = transition_pass(pa, pb, half, leg, leg, cache=False, sample=plan.sample_positions())
    assert tp.from_sample is None and tp.to_sample is None
