import numpy as np
import pyproj
import pytest
from affine import Affine

from geo_sink.grid import Grid
from geo_sink.pv.siting import capacity_mw, eligible_mask, north_facing, slope_aspect
from tests.conftest import project_copy


@pytest.mark.parametrize("crs,res,lat", [("EPSG:32649", 30.0, None), ("EPSG:4326", 0.0003, 40.0)])
def test_plane_slope_and_aspect_on_true_distances(crs, res, lat):
    """A plane rising 10 m per 100 m to the north has slope atan(0.1) and faces south, on a
    projected and on a geographic grid (where a degree of longitude is shorter)."""
    g = Grid(20, 20, Affine(res, 0, 112.0 if lat else 600000.0, 0, -res, (lat or 4400000.0)), pyproj.CRS(crs))
    rows = np.arange(20)[:, None] * np.ones((1, 20))
    if lat is None:
        north_m = -rows * res
    else:
        from geo_sink.geodesy import ellipsoid_of
        a, f = ellipsoid_of(g.crs)
        e2 = f * (2 - f)
        phi = np.radians(lat)
        m = a * (1 - e2) / (1 - e2 * np.sin(phi) ** 2) ** 1.5
        north_m = -rows * m * np.radians(res)
    dem = 1000 + 0.1 * north_m
    slope, aspect = slope_aspect(dem, g)
    inner = (slice(2, -2), slice(2, -2))
    np.testing.assert_allclose(slope[inner], np.degrees(np.arctan(0.1)), rtol=2e-3)
    np.testing.assert_allclose(aspect[inner], 180.0, atol=0.1)   # downslope points south
    east = np.ones((20, 1)) * np.arange(20)[None, :]
    if lat is None:
        east_m = east * res
    else:
        n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        east_m = east * n * np.cos(phi) * np.radians(res)
    slope_e, asp_e = slope_aspect(1000 - 0.1 * east_m, g)         # falls to the east
    np.testing.assert_allclose(asp_e[inner], 90.0, atol=0.1)
    np.testing.assert_allclose(slope_e[inner], np.degrees(np.arctan(0.1)), rtol=2e-3)


def test_rules_remove_in_order():
    sub = np.ones((2, 3), bool)
    cls = np.array([[1, 0, 0], [0, 0, 0]], bool)
    zon = np.array([[1, 1, 0], [0, 0, 0]], bool)
    slope = np.array([[0, 0, 30], [12, 5, 0]], float)
    aspect = np.array([[0, 0, 0], [10, 10, 180]], float)
    ok, report = eligible_mask(sub, cls, zon, slope, aspect,
                               {"max_slope_deg": 25, "max_north_slope_deg": 10, "north_aspect_halfwidth_deg": 45})
    assert ok.tolist() == [[False, False, False], [False, True, True]]
    assert report.pixels_removed.tolist() == [1, 1, 1, 1]
    assert north_facing(np.array([0, 44, 46, 316, 180]), 45).tolist() == [True, True, False, True, False]
    assert capacity_mw(2.5, 40) == pytest.approx(100.0)


@pytest.mark.parametrize("crs,res", [("EPSG:32649", 10.0), ("EPSG:4326", 0.0001)])
def test_buffers_are_exact_to_a_pixel(crs, res):
    """Rasterised 100 m buffer of a road point vs geodesic distance from every pixel centre."""
    import geopandas as gpd
    import shapely
    from geo_sink.pv.siting_run import buffered, burn
    road = gpd.GeoDataFrame(geometry=[shapely.Point(112.4, 39.5)], crs=4326)
    t = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = t.transform(112.4, 39.5)
    n = 40
    g = Grid(n, n, Affine(res, 0, x - n / 2 * res, 0, -res, y + n / 2 * res), pyproj.CRS(crs))
    mask = burn(buffered(road, g, 100.0), g)
    tr = g.transform
    xs = tr.c + (np.arange(n) + 0.5) * tr.a
    ys = tr.f + (np.arange(n) + 0.5) * tr.e
    X, Y = np.meshgrid(xs, ys)
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(X, Y)
    _, _, d = pyproj.Geod(ellps="WGS84").inv(np.full(lon.shape, 112.4), np.full(lon.shape, 39.5), lon, lat)
    # pixel-centre rule: a pixel is in when its centre is within 100 m (to 0.5 m: the buffer's
    # polygon approximation), never the staircase of a pixel-step distance
    assert mask[d < 99.5].all()
    assert not mask[d > 100.5].any()
    # and it is round: the pixel count matches the circle's area to ~5%
    cell = 100.0 if crs != "EPSG:4326" else 11.1 * 8.58
    assert mask.sum() * cell == pytest.approx(np.pi * 100 ** 2, rel=0.06)


def test_empty_eligible_set_is_stated(demo_project, tmp_path):
    """A red line over the whole subsidence area leaves no parcel, and the run says why."""
    import geopandas as gpd
    import shapely
    from geo_sink.pipeline import project_zones
    from geo_sink.project import load_project
    from geo_sink.pv.subsidence_run import run_subsidence
    gpd.GeoDataFrame({"name": ["全域红线"]}, geometry=[shapely.box(111.5, 38.9, 114.0, 40.5)], crs=4326).to_file(tmp_path / "red.geojson")
    f = project_copy(demo_project, tmp_path,
                     lambda proj: proj["pv_constraints"].update(redline=str(tmp_path / "red.geojson")))
    p = load_project(f)
    lines = run_subsidence(p, project_zones(p), tmp_path / "out", True)
    assert any("no eligible land left" in line for line in lines)
    assert "red line and buffers" in (tmp_path / "out" / "pv_exclusions.csv").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "pv_parcels.gpkg").exists()


def test_insar_rate_los_and_activity(demo_project, tmp_path):
    """An InSAR LOS rate raster: converted to vertical (cos incidence), 10 mm/yr boundary, parcels
    classed active/stable by the rate threshold."""
    import geopandas as gpd
    from geo_sink.pipeline import project_zones
    from geo_sink.project import load_project
    from geo_sink.pv.subsidence_run import run_subsidence
    from tests.conftest import write_raster
    # 6 x 3 km UTM raster at 30 m near the demo's PV window: two blobs of LOS rate -20 and -6 mm/yr
    t = pyproj.Transformer.from_crs(4326, 32649, always_xy=True)
    x0, y1 = t.transform(112.47, 39.43)
    rate = np.zeros((100, 200), np.float32)
    rate[20:80, 20:90] = -20.0 * np.cos(np.radians(40))    # LOS of 20 mm/yr vertical
    rate[20:80, 110:180] = -12.0 * np.cos(np.radians(40))   # LOS of 12 mm/yr vertical
    write_raster(tmp_path / "insar.tif", rate, crs="EPSG:32649", origin=(x0, y1), res=(30, 30))
    def edit(proj):
        proj["subsidence"] = {"insar": str(tmp_path / "insar.tif"), "unit": "mm/yr", "line_of_sight": True,
                              "incidence_deg": 40.0, "threshold_mm": 10.0, "active_rate_mm_yr": 15.0}
        proj["pv_constraints"] = {"dem": proj["pv_constraints"]["dem"]}
    f = project_copy(demo_project, tmp_path, edit)
    p = load_project(f)
    lines = run_subsidence(p, project_zones(p), tmp_path / "out", True)
    assert "LOS" in lines[0] and "max 20 mm" in lines[0]
    g = gpd.read_parquet(tmp_path / "out" / "pv_parcels.parquet")
    by = dict(zip(g.mean_subsidence_mm.round(1), g.status))
    assert by.get(20.0) == "active" and by.get(12.0) == "stable"


def test_minimum_area_filter_on_vectorised_parcels():
    """Two eligible blobs on a 30 m grid: 3x3 pixels (0.0081 km2) and 10x10 (0.09 km2); a 0.05 km2
    minimum keeps one and reports the other."""
    from geo_sink.pv.siting import drop_small
    from geo_sink.pv.siting_run import parcels_from_mask
    g = Grid(30, 30, Affine(30, 0, 600000, 0, -30, 4400000), pyproj.CRS("EPSG:32649"))
    ok = np.zeros((30, 30), bool)
    ok[2:5, 2:5] = True
    ok[12:22, 12:22] = True
    parcels = parcels_from_mask(ok, g)
    parcels["area_km2"] = parcels.area / 1e6
    kept, n, km2 = drop_small(parcels, 0.05)
    assert len(parcels) == 2 and len(kept) == 1 and n == 1
    assert kept.area_km2.iloc[0] == pytest.approx(0.09) and km2 == pytest.approx(0.0081)
