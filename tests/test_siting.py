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
    from geo_sink.steps import project_zones
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


def _insar_run(demo_project, tmp_path, sub: dict, rate=None):
    """Run the subsidence/PV edge on a hand-made 6 x 3 km UTM LOS rate raster near the demo's PV
    window (30 m): blobs of 20 and 12 mm/yr vertical subsidence and one of 30 mm/yr uplift, in
    the SBAS/LiCSBAS sign (negative = away from the satellite), at 40 deg incidence."""
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.pv.subsidence_run import run_subsidence
    from tests.conftest import write_raster
    tmp_path.mkdir(parents=True, exist_ok=True)
    t = pyproj.Transformer.from_crs(4326, 32649, always_xy=True)
    x0, y1 = t.transform(112.47, 39.43)
    if rate is None:
        c = np.cos(np.radians(40))
        rate = np.zeros((100, 300), np.float32)
        rate[20:80, 20:90] = -20.0 * c      # LOS of 20 mm/yr vertical subsidence
        rate[20:80, 110:180] = -12.0 * c    # LOS of 12 mm/yr vertical subsidence
        rate[20:80, 200:270] = +30.0 * c    # LOS of 30 mm/yr uplift (towards the satellite)
    write_raster(tmp_path / "insar.tif", rate, crs="EPSG:32649", origin=(x0, y1), res=(30, 30))

    def edit(proj):
        proj["subsidence"] = {"insar": str(tmp_path / "insar.tif"), "unit": "mm/yr", "line_of_sight": True,
                              "incidence_deg": 40.0, **sub}
        proj["pv_constraints"] = {"dem": proj["pv_constraints"]["dem"]}
    p = load_project(project_copy(demo_project, tmp_path, edit))
    out = tmp_path / "out"
    return run_subsidence(p, project_zones(p), out, True), out, (x0, y1)


def test_insar_rate_los_both_signs_and_activity(demo_project, tmp_path):
    """A rate raster against a rate boundary (10 mm/yr): units stay mm/yr in every message and
    table, uplift is reported and never counted, parcels are classed by the activity rate."""
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import shapely
    lines, out, (x0, y1) = _insar_run(demo_project, tmp_path, {"threshold_mm_yr": 10.0, "active_rate_mm_yr": 15.0})
    assert "LOS rate, mm/yr" in lines[0] and "max 20 mm/yr vertical" in lines[0] and "≥ 10 mm/yr" in lines[0]
    assert not any(" mm," in ln or "max 20 mm " in ln for ln in lines[:1])
    # uplift blob: 60 x 70 pixels of 30 m = 3.78 km²
    assert any(ln.startswith("uplift: max 30 mm/yr on 3.78 km² (4200 pixels)") and "not counted" in ln for ln in lines)
    # the raster keeps its unit and the sign convention (positive = subsidence, negative = uplift)
    assert not (out / "subsidence_mm.tif").exists()
    with rasterio.open(out / "subsidence_mm_yr.tif") as src:
        v = src.read(1)
        assert "mm/yr" in src.tags()["UNITS"]
    assert v.max() == pytest.approx(20.0, rel=1e-5) and v.min() == pytest.approx(-30.0, rel=1e-5)
    # the boundary holds both subsidence blobs (2 x 60 x 70 pixels of 900 m2) and not the uplift
    b = gpd.read_file(out / "subsidence_boundary.geojson").to_crs(32649)
    assert b["label"].iloc[0] == "≥ 10 mm/yr" and b["threshold_unit"].iloc[0] == "mm/yr"
    geom = b.geometry.iloc[0]
    assert geom.area == pytest.approx(2 * 60 * 70 * 900, rel=1e-6)
    uplift_centre = shapely.Point(x0 + 235 * 30, y1 - 50 * 30)
    assert geom.contains(shapely.Point(x0 + 55 * 30, y1 - 50 * 30)) and not geom.contains(uplift_centre)
    t = pd.read_csv(out / "subsidence_by_county.csv", dtype={"zone_id": str})
    assert "max_subsidence_mm_yr" in t and "max_subsidence_mm" not in t
    assert (t["boundary"] == "≥ 10 mm/yr").all() and t["sign_convention"].str.contains("uplift").all()
    g = gpd.read_parquet(out / "pv_parcels.parquet")
    assert "mean_subsidence_mm_yr" in g and "mean_subsidence_mm" not in g
    by = dict(zip(g.mean_subsidence_mm_yr.round(1), g.status))
    assert by.get(20.0) == "active" and by.get(12.0) == "stable" and len(g) == 2
    assert not g.to_crs(32649).intersects(uplift_centre.buffer(300)).any()


def test_insar_rate_against_the_cumulative_boundary_needs_its_span(demo_project, tmp_path):
    """The 10 mm cumulative boundary over 0.6 years: 20 mm/yr x 0.6 = 12 mm passes, 12 mm/yr x 0.6
    = 7.2 mm does not; a positive-down map with the same numbers gives the same land."""
    import geopandas as gpd
    lines, out, _ = _insar_run(demo_project, tmp_path, {"threshold_mm": 10.0, "years": 0.6})
    assert "≥ 10 mm cumulative (rate × 0.6 yr)" in lines[0]
    b = gpd.read_file(out / "subsidence_boundary.geojson").to_crs(32649)
    assert b.geometry.iloc[0].area == pytest.approx(60 * 70 * 900, rel=1e-6)
    c = np.cos(np.radians(40))
    down = np.zeros((100, 300), np.float32)
    down[20:80, 20:90] = 20.0 * c
    down[20:80, 110:180] = 12.0 * c
    down[20:80, 200:270] = -30.0 * c
    lines2, out2, _ = _insar_run(demo_project, tmp_path / "pos", {"threshold_mm": 10.0, "years": 0.6, "sign": "positive"},
                                 rate=down)
    assert gpd.read_file(out2 / "subsidence_boundary.geojson").to_crs(32649).geometry.iloc[0].area == pytest.approx(
        60 * 70 * 900, rel=1e-6)


def test_demo_pv_tables_have_the_city_row_and_name_the_grid_factor(demo_project, tmp_path):
    """On the demo (one county with parcels), the 朔州市 row carries the county's values and the
    intervals of the summed draws; every row names the grid factor, its year and document; the
    CO2 with the Shanxi 2022 factor is energy x 0.7096."""
    import geopandas as gpd
    import pandas as pd
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.pv.subsidence_run import run_subsidence
    p = load_project(demo_project)
    lines = run_subsidence(p, project_zones(p), tmp_path, True)
    t = pd.read_csv(tmp_path / "pv_by_county.csv", dtype={"zone_id": str})
    city = t[t["level"] == "city"]
    assert city["zone_id"].tolist() == ["140600"] and city["zone_name"].tolist() == ["朔州市"]
    counties = t[t["level"] == "county"]
    for col in ("capacity_mw", "energy_gwh_yr", "co2_avoided_t_yr", "co2_avoided_t_yr_p05", "co2_avoided_t_yr_p95"):
        assert city[col].iloc[0] == pytest.approx(counties[col].sum(), rel=1e-9), col
    assert (t["grid_factor_id"] == "shanxi_avg_2022").all() and (t["grid_factor_year"] == 2022).all()
    assert t["grid_factor_document"].str.contains("2022年电力二氧化碳排放因子").all()
    assert (t["alt_grid_factor_id"] == "north_china_cm_2019_solar").all()
    np.testing.assert_allclose(t["co2_avoided_t_yr"], t["energy_gwh_yr"] * 1000 * 0.7096, rtol=1e-7)
    np.testing.assert_allclose(t["co2_avoided_alt_t_yr"], t["energy_gwh_yr"] * 1000 * 0.8269, rtol=1e-7)
    assert (t["co2_avoided_t_yr_p05"] < t["co2_avoided_t_yr"]).all() and (t["co2_avoided_t_yr"] < t["co2_avoided_t_yr_p95"]).all()
    g = gpd.read_parquet(tmp_path / "pv_parcels.parquet")
    assert (g["grid_factor_id"] == "shanxi_avg_2022").all() and (g["grid_factor_year"] == 2022).all()
    assert 1300 <= t["full_load_hours"].iloc[0] <= 1500
    assert any("shanxi_avg_2022 = 0.7096 t CO2/MWh" in ln and "2022" in ln for ln in lines)
    s = pd.read_csv(tmp_path / "subsidence_by_county.csv", dtype={"zone_id": str})
    assert s.loc[s["level"] == "city", "zone_name"].tolist() == ["朔州市"]
    assert "max_subsidence_mm" in s and (s["boundary"] == "≥ 10 mm cumulative").all()


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


def test_project_chooses_weather_file_and_grid_factor(demo_project, tmp_path):
    """A project's hourly weather file and grid factor (the combined margin) are used and named;
    an unknown factor id is a project error that lists the known ones."""
    import pandas as pd
    from geo_sink.steps import project_zones
    from geo_sink.project import ProjectError, load_project
    from geo_sink.pv.energy import climatology_weather
    from geo_sink.pv.siting_run import climatology, energy_parameters
    from geo_sink.pv.subsidence_run import run_subsidence
    from geo_sink.catalog import load_catalog
    cat = load_catalog()
    c, v = climatology(cat), energy_parameters(cat)["value"]
    w = climatology_weather(39.4, 112.5, 1200.0, c["ghi_kwh_m2"] * 1.1, c["temp_air_c"], c["kt_daily_sd"], c["kt_lag1"],
                            v["kt_min"], v["kt_max"], 2.5, 13.0, 5)
    f = tmp_path / "site_weather.csv"
    w.rename_axis("time").reset_index().assign(time=lambda d: d["time"].map(lambda t: t.isoformat())).to_csv(f, index=False)
    bad = project_copy(demo_project, tmp_path, lambda p: p.update(pv={"grid_factor": "nowhere_2099"}))
    with pytest.raises(ProjectError, match=r"pv.grid_factor: unknown grid factor 'nowhere_2099'.*shanxi_avg_2022"):
        load_project(bad)
    good = project_copy(demo_project, tmp_path, lambda p: p.update(pv={"weather": str(f), "grid_factor": "north_china_cm_2019_solar"}))
    p = load_project(good)
    run_subsidence(p, project_zones(p), tmp_path / "out", True)
    t = pd.read_csv(tmp_path / "out" / "pv_by_county.csv", dtype={"zone_id": str})
    assert (t["grid_factor_id"] == "north_china_cm_2019_solar").all() and (t["grid_factor_year"] == 2019).all()
    assert "alt_grid_factor_id" not in t                       # the alternative is the chosen factor itself
    np.testing.assert_allclose(t["co2_avoided_t_yr"], t["energy_gwh_yr"] * 1000 * 0.8269, rtol=1e-7)
    assert t["weather"].str.contains("site_weather.csv").all() and t["weather"].str.contains("1,629 kWh/m²").all()
