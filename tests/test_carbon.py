import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import geopandas as gpd

from geo_sink.sinks.carbon import carbon_stock, carbon_stock_series, stock_and_sink_table
from geo_sink.sinks.pools import PoolTable
from geo_sink.uncertainty import lognormal_draws
from geo_sink.zonal import class_areas
from geo_sink.zonal.transitions import transition_areas
from tests.conftest import write_raster

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
CO2 = 44 / 12
POOLS = PoolTable(codes=np.array([1, 2, 4]),
                  mean=np.array([[5.0, 0.0, 40.0, 0.0], [28.0, 8.0, 50.0, 14.0], [1.0, 2.0, 50.0, 0.0]]),
                  sd=np.array([[2.0, 0.0, 10.0, 0.0], [9.0, 3.0, 15.0, 7.0], [0.5, 1.0, 15.0, 0.0]]),
                  source="test")


def zones(geoms, crs):
    return gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(len(geoms))],
                             "zone_name": [f"县{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)


def test_hand_computed_stock(tmp_path, catalog):
    # 100 m cells = 1 ha; zone = two full cells of forest (2), one of cropland (1), half a cell of grass (4)
    codes = np.array([[2, 2, 1, 4]], dtype=np.uint8)
    path = write_raster(tmp_path / "lc.tif", codes, crs=ALBERS, origin=(0, 100), res=(100, 100))
    z = zones([shapely.box(0, 0, 350, 100)], ALBERS)
    areas = class_areas(path, z, catalog.legend("clcd")).areas
    st = carbon_stock(areas, POOLS, CO2).set_index("pool")
    assert st.loc["above", "stock_mg_c"] == pytest.approx(2 * 28 + 5 + 0.5 * 1)
    assert st.loc["soil", "stock_mg_c"] == pytest.approx(2 * 50 + 40 + 0.5 * 50)
    assert st.loc["dead", "stock_mg_c"] == pytest.approx(28)
    assert st.loc["total", "stock_mg_c"] == pytest.approx(61.5 + 16.0 + 1.0 + 165 + 28)
    assert st.loc["total", "stock_t_co2e"] == pytest.approx(st.loc["total", "stock_mg_c"] * 44 / 12)


def test_total_equals_independent_pixel_sum_on_geographic_grid(tmp_path, catalog):
    rng = np.random.default_rng(3)
    codes = rng.choice(np.array([1, 2, 4], dtype=np.uint8), size=(40, 50))
    path = write_raster(tmp_path / "g.tif", codes, origin=(112.0, 40.0), res=(0.01, 0.01))
    # two counties splitting the raster exactly along a grid line
    z = zones([shapely.box(112.0, 39.6, 112.2, 40.0), shapely.box(112.2, 39.6, 112.5, 40.0)], "EPSG:4326")
    st = carbon_stock(class_areas(path, z, catalog.legend("clcd")).areas, POOLS, CO2)
    got = st[st.pool == "total"].stock_mg_c.sum()
    geod = pyproj.Geod(ellps="WGS84")
    total = 0.0
    dens = dict(zip(POOLS.codes.tolist(), POOLS.mean.sum(axis=1)))
    for r in range(40):
        lat1 = 40.0 - 0.01 * r
        cell = shapely.segmentize(shapely.box(112.0, lat1 - 0.01, 112.01, lat1), 0.001)
        ha = abs(geod.geometry_area_perimeter(cell)[0]) / 1e4
        total += sum(dens[int(c)] for c in codes[r]) * ha
    assert got == pytest.approx(total, rel=1e-6)


def test_sinks_annualised_over_several_years():
    def areas(forest_km2, crop_km2):
        return pd.DataFrame({"zone_id": ["a", "a"], "zone_name": ["甲", "甲"], "class_code": [2, 1],
                             "area_km2": [forest_km2, crop_km2]})
    series = {2010: areas(1.0, 3.0), 2015: areas(2.0, 2.0), 2020: areas(2.5, 1.5)}
    stocks, sinks = carbon_stock_series(series, POOLS, CO2, draws=0)
    assert (POOLS.mean[1].sum(), POOLS.mean[0].sum()) == (100.0, 45.0)  # forest, cropland Mg C/ha
    s = sinks[sinks.pool == "total"].set_index(["year_from", "year_to"])["sink_t_co2e_yr"]
    # 100 ha moves from cropland to forest in 2010-15: +55 Mg C/ha x 100 ha / 5 yr
    assert s[(2010, 2015)] == pytest.approx(100 * 55 / 5 * CO2)
    assert s[(2015, 2020)] == pytest.approx(50 * 55 / 5 * CO2)
    assert s[(2010, 2020)] == pytest.approx(150 * 55 / 10 * CO2)
    assert len(stocks) == 3 * 5


def test_monte_carlo_mean_converges_to_deterministic():
    series = {2015: pd.DataFrame({"zone_id": ["a"] * 3, "zone_name": ["甲"] * 3, "class_code": [1, 2, 4],
                                  "area_km2": [10.0, 5.0, 20.0]})}
    stocks, _ = carbon_stock_series(series, POOLS, CO2, draws=0)
    from geo_sink.sinks.carbon import area_matrix, stock_draws
    _, codes, a = area_matrix(series[2015])
    d = stock_draws(a, POOLS.mean, POOLS.sd, 200_000, seed=1)
    det = stocks.set_index("pool")["stock_mg_c"]
    np.testing.assert_allclose(d.mean(axis=0)[0], det[["above", "below", "soil", "dead"]].to_numpy(), rtol=5e-3)


def test_lognormal_draws_have_the_given_moments():
    d = lognormal_draws([10.0, 0.0, 5.0], [3.0, 1.0, 0.0], 400_000, np.random.default_rng(0))
    assert d[:, 0].mean() == pytest.approx(10.0, rel=5e-3)
    assert d[:, 0].std() == pytest.approx(3.0, rel=1e-2)
    assert (d[:, 1] == 0).all() and (d[:, 2] == 5.0).all() and (d > 0).all(axis=None) is not None


def test_default_draws_give_intervals_stable_to_1pct(catalog):
    from geo_sink.uncertainty import DEFAULT_DRAWS
    series = {2015: pd.DataFrame({"zone_id": ["a"] * 3, "zone_name": ["甲"] * 3, "class_code": [1, 2, 4],
                                  "area_km2": [300.0, 80.0, 900.0]}),
              2020: pd.DataFrame({"zone_id": ["a"] * 3, "zone_name": ["甲"] * 3, "class_code": [1, 2, 4],
                                  "area_km2": [280.0, 110.0, 890.0]})}
    for s1, s2 in ((1, 2), (3, 4)):
        runs = [carbon_stock_series(series, POOLS, CO2, draws=DEFAULT_DRAWS, seed=s) for s in (s1, s2)]
        for col, frame, centre in (("stock_t_co2e_p05", 0, "stock_t_co2e"), ("stock_t_co2e_p95", 0, "stock_t_co2e"),
                                   ("sink_t_co2e_yr_p05", 1, "sink_t_co2e_yr"), ("sink_t_co2e_yr_p95", 1, "sink_t_co2e_yr")):
            a, b = runs[0][frame], runs[1][frame]
            tot = a.pool == "total"
            moved = np.abs(a[tot][col].to_numpy() - b[tot][col].to_numpy()) / np.abs(a[tot][centre].to_numpy())
            assert moved.max() < 0.01, (col, moved.max())


def test_transitions_sum_to_county_area(tmp_path, catalog):
    rng = np.random.default_rng(5)
    a = rng.choice(np.array([1, 2, 4, 0], dtype=np.uint8), size=(30, 30))
    b = a.copy()
    b[rng.random((30, 30)) < 0.2] = 2
    pa = write_raster(tmp_path / "a.tif", a, origin=(112.0, 40.0), res=(0.01, 0.01), nodata=0)
    pb = write_raster(tmp_path / "b.tif", b, origin=(112.0, 40.0), res=(0.01, 0.01), nodata=0)
    z = zones([shapely.Point(112.15, 39.85).buffer(0.12), shapely.box(112.0, 39.7, 112.1, 39.75)], "EPSG:4326")
    tr = transition_areas(pa, pb, z, catalog.legend("clcd"), catalog.legend("clcd"))
    summ = class_areas(pa, z, catalog.legend("clcd")).summary.set_index("zone_id")
    per = tr.groupby("zone_id").area_km2.sum()
    inside = summ.covered_km2 + summ.nodata_km2 + summ.unknown_km2
    np.testing.assert_allclose(per.loc[inside.index], inside, rtol=1e-9)
    # the 'from' margins are the class areas of the first map
    ca = class_areas(pa, z, catalog.legend("clcd")).areas
    m = tr[tr.from_code != 0].groupby(["zone_id", "from_code"]).area_km2.sum()
    c = ca.set_index(["zone_id", "class_code"]).area_km2
    np.testing.assert_allclose(m.loc[c.index], c, rtol=1e-9)
    assert (tr.loc[tr.from_code == 0, "from_class"] == "(nodata)").all()


def test_transitions_need_one_grid(tmp_path, catalog):
    pa = write_raster(tmp_path / "a.tif", np.ones((5, 5), np.uint8), origin=(112.0, 40.0), res=(0.01, 0.01))
    pb = write_raster(tmp_path / "b.tif", np.ones((5, 5), np.uint8), origin=(112.0, 40.0), res=(0.02, 0.02))
    from geo_sink.errors import InputDataError
    with pytest.raises(InputDataError, match="one grid"):
        transition_areas(pa, pb, zones([shapely.box(112, 39.96, 112.04, 40)], "EPSG:4326"),
                         catalog.legend("clcd"), catalog.legend("clcd"))


def test_stock_and_sink_table_columns():
    series = {y: pd.DataFrame({"zone_id": ["a"], "zone_name": ["甲"], "class_code": [2], "area_km2": [f]})
              for y, f in ((2015, 1.0), (2020, 2.0))}
    stocks, sinks = carbon_stock_series(series, POOLS, CO2, draws=100, seed=0)
    t = stock_and_sink_table(stocks, sinks, 2015, 2020)
    assert list(t.columns[:5]) == ["zone_id", "zone_name", "pool", "stock_mg_c", "stock_t_co2e"]
    assert {"stock_later_mg_c", "sink_t_co2e_yr", "sink_t_co2e_yr_p05", "sink_t_co2e_yr_p95"} <= set(t.columns)
    row = t[t.pool == "total"].iloc[0]
    assert row.sink_t_co2e_yr == pytest.approx(100 * 100 / 5 * CO2)
    assert row.sink_t_co2e_yr_p05 < row.sink_t_co2e_yr < row.sink_t_co2e_yr_p95


# --- Monte Carlo conventions: one draw per shared coefficient, city rows from summed draws ---

SHARED = PoolTable(codes=np.array([9, 10]), mean=np.array([[0.0, 0.0, 50.0, 0.0], [0.0, 0.0, 50.0, 0.0]]),
                   sd=np.array([[0.0, 0.0, 20.0, 0.0], [0.0, 0.0, 20.0, 0.0]]), source="two grassland codes")


def one_year(rows):
    return {2020: pd.DataFrame(rows, columns=["zone_id", "zone_name", "class_code", "area_km2"])}


def test_a_coefficient_shared_by_two_codes_is_drawn_once():
    # 1 km2 split over codes 9 and 10 (one grassland value) has the interval of 1 km2 of code 9:
    # with one draw per code the split would narrow it by ~1/sqrt(2)
    split, _ = carbon_stock_series(one_year([["a", "甲", 9, 0.5], ["a", "甲", 10, 0.5]]), SHARED, CO2,
                                   draws=20_000, seed=3)
    whole, _ = carbon_stock_series(one_year([["a", "甲", 9, 1.0]]), SHARED, CO2, draws=20_000, seed=3)
    f = lambda s: s[s.pool == "soil"][["stock_t_co2e_p05", "stock_t_co2e_p95"]].to_numpy()
    np.testing.assert_allclose(f(split), f(whole), rtol=1e-9)


def test_city_row_is_the_sum_of_the_same_draws():
    rows = [["a", "甲", 9, 1.0], ["b", "乙", 9, 3.0]]
    st, _ = carbon_stock_series(one_year(rows), SHARED, CO2, draws=20_000, seed=3, total=("140600", "朔州市"))
    soil = st[st.pool == "soil"].set_index("zone_id")
    assert soil.loc["140600", "zone_name"] == "朔州市"
    assert soil.loc["140600", "stock_mg_c"] == pytest.approx(400 * 50)
    # one shared coefficient: every county is the same draw times its area, so the city's
    # percentiles are exactly the sum of the counties' (perfect correlation)
    for q in ("stock_t_co2e_p05", "stock_t_co2e_p95"):
        assert soil.loc["140600", q] == pytest.approx(soil.loc["a", q] + soil.loc["b", q], rel=1e-9)


def test_city_interval_of_two_climate_zones_from_joint_draws(catalog):
    """Two counties in different climate zones draw their reference stocks independently: the
    city interval is narrower than the sum of the county intervals and matches an independent
    simulation of the sum."""
    from geo_sink.sinks.carbon import tier1_densities
    from geo_sink.sinks.carbon_run import tier1_defaults

    tier1 = tier1_defaults(catalog)
    legend = catalog.legend("clcd")
    rows = [["a", "甲", 7, 10.0], ["b", "乙", 7, 10.0]]             # barren: soil = sandy reference stock only
    dens = tier1_densities(tier1, legend, [7], {"a": "warm_temperate_dry", "b": "cool_temperate_dry"})
    st, _ = carbon_stock_series(one_year(rows), dens, CO2, draws=200_000, seed=11, total=("ALL", "市"))
    soil = st[st.pool == "soil"].set_index("zone_id")
    assert soil.loc["a", "climate_zone"] == "warm_temperate_dry" and soil.loc["b", "climate_zone"] == "cool_temperate_dry"
    assert soil.loc["a", "stock_mg_c"] == pytest.approx(1000 * 19) and soil.loc["b", "stock_mg_c"] == pytest.approx(1000 * 34)
    # independent check: lognormals with the Table 2.3 means and sd = 45% of the mean
    rng = np.random.default_rng(99)
    def ln(m, n=2_000_000):
        s2 = np.log1p(0.45 ** 2)
        return np.exp(np.log(m) - s2 / 2 + np.sqrt(s2) * rng.standard_normal(n))
    city = (ln(19.0) + ln(34.0)) * 1000 * CO2
    lo, hi = np.percentile(city, [5, 95])
    assert soil.loc["ALL", "stock_t_co2e_p05"] == pytest.approx(lo, rel=0.01)
    assert soil.loc["ALL", "stock_t_co2e_p95"] == pytest.approx(hi, rel=0.01)
    assert soil.loc["ALL", "stock_t_co2e_p95"] - soil.loc["ALL", "stock_t_co2e_p05"] < 0.9 * (
        soil.loc[["a", "b"], "stock_t_co2e_p95"].sum() - soil.loc[["a", "b"], "stock_t_co2e_p05"].sum())


def test_city_sink_row_and_missing_climate_zone(catalog):
    from geo_sink.errors import InputDataError
    from geo_sink.sinks.carbon import tier1_densities
    from geo_sink.sinks.carbon_run import tier1_defaults

    tier1 = tier1_defaults(catalog)
    series = {2015: pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"], "class_code": [1, 1],
                                  "area_km2": [1.0, 1.0]}),
              2020: pd.DataFrame({"zone_id": ["a", "a", "b"], "zone_name": ["甲", "甲", "乙"],
                                  "class_code": [1, 2, 1], "area_km2": [0.5, 0.5, 1.0]})}
    dens = tier1_densities(tier1, catalog.legend("clcd"), [1, 2], {"a": "cool_temperate_dry", "b": "cool_temperate_dry"})
    _, sinks = carbon_stock_series(series, dens, CO2, draws=2000, seed=1, total=("ALL", "市"))
    tot = sinks[(sinks.pool == "total")].set_index("zone_id")
    forest, crop = tier1.mean_densities("cool_temperate_dry", ["forest", "cropland"]).sum(axis=1)
    assert tot.loc["ALL", "sink_t_co2e_yr"] == pytest.approx(50 * (forest - crop) / 5 * CO2)
    assert tot.loc["ALL", "sink_t_co2e_yr"] == pytest.approx(tot.loc["a", "sink_t_co2e_yr"])
    assert tot.loc["b", "sink_t_co2e_yr"] == 0
    bad = tier1_densities(tier1, catalog.legend("clcd"), [1, 2], {"a": "cool_temperate_dry"})
    with pytest.raises(InputDataError, match=r"no carbon densities \(climate zone\) for zone\(s\) \['b'\]"):
        carbon_stock_series(series, bad, CO2, draws=0)
