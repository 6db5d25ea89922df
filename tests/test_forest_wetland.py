import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely

from geo_sink.errors import InputDataError
from geo_sink.sinks.forest import (ForestDefinition, bef_biomass, coverage_gap, forest_coverage,
                                   growing_stock_carbon, growing_stock_totals)
from geo_sink.sinks.wetland import wetland_areas, wetland_fluxes, wetland_polygon_areas

AREAS = pd.DataFrame({
    "zone_id": ["a", "a", "a", "b", "b"], "zone_name": ["甲", "甲", "甲", "乙", "乙"],
    "class_code": [2, 3, 1, 2, 9], "class_name": ["Forest", "Shrub", "Cropland", "Forest", "Wetland"],
    "ecosystem": ["forest", "shrubland", "cropland", "forest", "wetland"],
    "area_km2": [30.0, 10.0, 60.0, 50.0, 4.0]})
SUMMARY = pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"], "zone_area_km2": [100.0, 200.0]})


def test_forest_coverage_and_gap_by_hand():
    cov = forest_coverage(AREAS, SUMMARY).set_index("zone_id")
    assert cov.loc["a", "coverage_pct"] == pytest.approx(30.0)
    assert cov.loc["b", "coverage_pct"] == pytest.approx(25.0)
    assert cov.loc["ALL", "coverage_pct"] == pytest.approx(80 / 300 * 100)
    gap = coverage_gap(cov.reset_index(), 43.0).set_index("zone_id")
    assert gap.loc["a", "gap_pp"] == pytest.approx(13.0)
    assert gap.loc["a", "forest_to_add_km2"] == pytest.approx(13.0)
    assert gap.loc["b", "forest_to_add_km2"] == pytest.approx(86 - 50)
    assert not gap["met"].any()
    assert (cov["definition"] == "forest").all()


def test_forest_definition_with_shrubland():
    cov = forest_coverage(AREAS, SUMMARY, ForestDefinition(("forest", "shrubland"))).set_index("zone_id")
    assert cov.loc["a", "coverage_pct"] == pytest.approx(40.0)
    assert cov.loc["a", "definition"] == "forest+shrubland"
    cov = forest_coverage(AREAS, SUMMARY, ForestDefinition(extra_codes=(3,))).set_index("zone_id")
    assert cov.loc["a", "forest_km2"] == pytest.approx(40.0) and "codes [3]" in cov.loc["a", "definition"]


def test_bef_example_by_hand(catalog):
    bef = pd.read_csv(catalog.dataset_path("bef_fang2001"))
    pine = bef.set_index("forest_type").loc["pinus_tabuliformis"]
    # 10 ha of Chinese pine with 1000 m3: V = 100 m3/ha -> B = 0.7554 x 100 + 5.0928 = 80.6328 Mg/ha
    assert bef_biomass(100.0, pine.a, pine.b) == pytest.approx(80.6328)
    inv = pd.DataFrame({"zone_id": ["a", "a"], "forest_type": ["pinus_tabuliformis", "populus"],
                        "area_ha": [10.0, 4.0], "volume_m3": [1000.0, 200.0]})
    out = growing_stock_carbon(inv, bef, carbon_fraction=0.5)
    assert out.biomass_mg.iloc[0] == pytest.approx(806.328)
    assert out.biomass_carbon_mg_c.iloc[0] == pytest.approx(403.164)
    assert out.biomass_mg.iloc[1] == pytest.approx(4 * (0.4754 * 50 + 30.6034))
    tot = growing_stock_totals(inv).set_index("zone_id")
    assert tot.loc["ALL", "volume_1e4_m3"] == pytest.approx(0.12)
    with pytest.raises(InputDataError, match="'teak'"):
        growing_stock_carbon(inv.assign(forest_type="teak"), bef, 0.5)


def test_wetland_fluxes_by_hand(catalog):
    rates = pd.read_csv(catalog.dataset_path("accumulation_rates"))
    rates = rates[rates.ecosystem == "wetland"]
    wet = wetland_areas(AREAS)
    assert wet.to_dict("records") == [{"zone_id": "b", "zone_name": "乙", "wetland_type": "Wetland", "area_km2": 4.0}]
    f = wetland_fluxes(wet, rates, gwp_ch4=28.0, co2_per_c=44 / 12, draws=50_000, seed=1).iloc[0]
    seq = rates.set_index("flux").loc["co2_sequestration", "mean"]
    ef = rates.set_index("flux").loc["ch4_emission", "mean"]
    assert f.co2_uptake_t_co2e_yr == pytest.approx(400 * seq * 44 / 12)
    assert f.ch4_t_yr == pytest.approx(400 * ef / 1000)
    assert f.ch4_t_co2e_yr == pytest.approx(400 * ef / 1000 * 28)
    assert f.net_t_co2e_yr == pytest.approx(f.co2_uptake_t_co2e_yr - f.ch4_t_co2e_yr)
    assert f.net_t_co2e_yr_p05 < f.net_t_co2e_yr < f.net_t_co2e_yr_p95


def test_wetland_polygon_areas_are_geodesic():
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"]},
                             geometry=[shapely.box(112, 39, 112.5, 39.5), shapely.box(112.5, 39, 113, 39.5)], crs=4326)
    park = gpd.GeoDataFrame({"name": ["湿地公园"]}, geometry=[shapely.box(112.4, 39.1, 112.6, 39.2)], crs=4326)
    out = wetland_polygon_areas(park, zones).set_index("zone_id")
    geod = pyproj.Geod(ellps="WGS84")
    half = abs(geod.geometry_area_perimeter(shapely.segmentize(shapely.box(112.4, 39.1, 112.5, 39.2), 0.001))[0]) / 1e6
    assert out.loc["a", "area_km2"] == pytest.approx(half, rel=1e-5)
    assert out.loc["b", "area_km2"] == pytest.approx(half, rel=1e-3)


def test_inventory_checks_and_target_gap(tmp_path):
    from geo_sink.sinks.forest import growing_stock_gap, read_inventory
    f = tmp_path / "inv.csv"
    f.write_text("zone_id,forest_type,area_ha,volume_m3\n130126,quercus,100,5000\n130126,larix,0,10\n",
                 encoding="utf-8")
    with pytest.raises(InputDataError, match=r"inv\.csv: column 'area_ha' needs positive numbers; bad row\(s\) \[3\]"):
        read_inventory(f)
    f.write_text("zone_id,forest_type,area_ha,volume_m3\n130126,quercus,100,5000\n130131,larix,10,70000\n",
                 encoding="utf-8")
    tot = growing_stock_totals(read_inventory(f))
    gap = growing_stock_gap(tot, 1467).set_index("zone_id").loc["ALL"]
    assert gap.volume_1e4_m3 == pytest.approx(7.5) and gap.gap_1e4_m3 == pytest.approx(1459.5) and not gap.met


def test_wetland_city_row_from_the_shared_rates(catalog):
    """One uptake rate and one CH4 factor serve every wetland: the city's net is the same draws
    times the summed area, so its percentiles are the sum of the rows' (perfect correlation)."""
    rates = pd.read_csv(catalog.dataset_path("accumulation_rates"))
    rates = rates[rates.ecosystem == "wetland"]
    wet = pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"], "wetland_type": ["Wetland", "Wetland"],
                        "area_km2": [4.0, 6.0]})
    f = wetland_fluxes(wet, rates, 28.0, 44 / 12, draws=20_000, seed=2, total=("140600", "朔州市")).set_index("zone_id")
    city = f.loc["140600"]
    assert city["wetland_type"] == "(all)" and city["area_km2"] == pytest.approx(10.0)
    for col in ("net_t_co2e_yr", "net_t_co2e_yr_p05", "net_t_co2e_yr_p95", "co2_uptake_t_co2e_yr_p95", "ch4_t_co2e_yr_p05"):
        assert city[col] == pytest.approx(f.loc["a", col] + f.loc["b", col], rel=1e-9)
    assert city["co2_uptake_t_co2e_yr_p05"] < city["co2_uptake_t_co2e_yr"] < city["co2_uptake_t_co2e_yr_p95"]
