import datetime as dt
import json
import shutil
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_sink.io.scenes import SceneError, read_landsat_c2_l2, read_sentinel2_l2a
from geo_sink.errors import InputDataError
from geo_sink.sinks.reclamation import (check_reclaimed_rates, fvc, ndvi, ndvi_endmembers, reclaimed_carbon,
                                        reclaimed_carbon_by_zone, reclamation_rate,
                                        reclamation_rate_by_year)
from tests.conftest import copy_scene, write_raster

UTM = "EPSG:32649"
ORIGIN = (640000.0, 4370000.0)


def s2_folder(tmp_path, name, red_dn, nir_dn, scl, offset_tag=None, stac_baseline=None):
    d = tmp_path / name
    d.mkdir()
    extra = {} if offset_tag is None else {"BOA_ADD_OFFSET": str(offset_tag)}
    for band, arr in (("B04", red_dn), ("B08", nir_dn)):
        write_raster(d / f"{band}.tif", np.asarray(arr, np.uint16), crs=UTM, origin=ORIGIN, res=(10, 10), nodata=0)
        if extra:
            import rasterio
            with rasterio.open(d / f"{band}.tif", "r+") as dst:
                dst.update_tags(**extra)
    write_raster(d / "SCL.tif", np.asarray(scl, np.uint8), crs=UTM, origin=ORIGIN, res=(20, 20))
    if stac_baseline:
        (d / f"{name}.json").write_text(json.dumps({"properties": {"s2:processing_baseline": stac_baseline}}))
    return d


def test_sentinel2_offset_scl_mask_and_ndvi(tmp_path):
    red = [[1500, 1500, 0, 1500], [1500, 1500, 1500, 1500]]
    nir = [[4000, 4000, 4000, 4000], [4000, 4000, 4000, 4000]]
    scl = [[4, 9]]  # 20 m: left 2x2 vegetation, right 2x2 high cloud
    d = s2_folder(tmp_path, "S2A_49SFJ_20220820_0_L2A", red, nir, scl, offset_tag=-1000)
    s = read_sentinel2_l2a(d, dt.date(2022, 8, 20))
    # reflectance (DN - 1000) / 10000: red 0.05, NIR 0.30 -> NDVI 0.25 / 0.35
    assert s.red[0, 0] == pytest.approx(0.05) and s.nir[0, 0] == pytest.approx(0.30)
    nd = ndvi(s.red, s.nir)
    assert nd[0, 0] == pytest.approx(0.25 / 0.35)
    assert np.isnan(nd[:, 2:]).all()
    assert s.masked == {"nodata": 1, "cloud_or_shadow": 3, "valid": 4}


def test_sentinel2_old_baseline_has_no_offset(tmp_path):
    d = s2_folder(tmp_path, "S2B_49SFJ_20190815_0_L2A", [[500, 500]], [[3000, 3000]], [[4]], stac_baseline="02.13")
    s = read_sentinel2_l2a(d)
    assert s.red[0, 0] == pytest.approx(0.05) and "02.13" in s.offset_note


def test_sentinel2_without_baseline_is_an_error(tmp_path):
    d = s2_folder(tmp_path, "S2X_scene", [[500, 500]], [[3000, 3000]], [[4]])
    with pytest.raises(SceneError, match="processing baseline"):
        read_sentinel2_l2a(d)


def test_landsat_scaling_and_qa_mask(tmp_path):
    d = tmp_path / "LC09_L2SP_126032_20230810_20230812_02_T1"
    d.mkdir()
    n = d.name
    # reflectance 0.05 -> DN (0.05 + 0.2) / 2.75e-5 = 9090.9; 0.30 -> 18181.8
    write_raster(d / f"{n}_SR_B4.TIF", np.array([[9091, 9091, 9091]], np.uint16), crs=UTM, origin=ORIGIN, res=(30, 30), nodata=0)
    write_raster(d / f"{n}_SR_B5.TIF", np.array([[18182, 18182, 18182]], np.uint16), crs=UTM, origin=ORIGIN, res=(30, 30), nodata=0)
    write_raster(d / f"{n}_QA_PIXEL.TIF", np.array([[21824, 22280, 23888]], np.uint16), crs=UTM, origin=ORIGIN, res=(30, 30))
    s = read_landsat_c2_l2(d, dt.date(2023, 8, 10))
    assert s.red[0, 0] == pytest.approx(9091 * 2.75e-5 - 0.2, abs=1e-6)
    assert np.isnan(s.red[0, 1:]).all() and s.masked["cloud_or_shadow"] == 2


def test_mis_dated_scene_is_an_error(tmp_path):
    d = s2_folder(tmp_path, "S2A_49SFJ_20220820_0_L2A", [[1500]], [[4000]], [[4]], offset_tag=-1000)
    with pytest.raises(SceneError, match="dates this scene 2022-09-01, its name says 2022-08-20"):
        read_sentinel2_l2a(d, dt.date(2022, 9, 1))


def test_fvc_dimidiate_by_hand():
    nd = np.array([0.1, 0.2, 0.5, 0.8, 0.9, np.nan], dtype=np.float32)
    f = fvc(nd, 0.2, 0.8)
    np.testing.assert_allclose(f[:5], [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-6)
    assert np.isnan(f[5])
    lo, hi = ndvi_endmembers(np.linspace(0, 1, 101), 5, 95)
    assert (lo, hi) == pytest.approx((0.05, 0.95))


def two_county_mine():
    """1 km x 1 km of disturbed land across two counties (split at x = 640500); reclaimed 600 m
    wide in 2010 and a 400 m strip in 2015 that overlaps it by 200 m and reaches 500 m beyond."""
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"], "zone_name": ["甲", "乙"]},
                             geometry=[shapely.box(640000, 4370000, 640500, 4372000),
                                       shapely.box(640500, 4370000, 642000, 4372000)], crs=UTM).to_crs(4326)
    disturbed = gpd.GeoDataFrame({"mine": ["M"], "type": ["waste_dump"]},
                                 geometry=[shapely.box(640000, 4370000, 641000, 4371000)], crs=UTM)
    reclaimed = gpd.GeoDataFrame({"mine": ["M", "M"], "year": [2010, 2015], "vegetation": ["forest", "grassland"]},
                                 geometry=[shapely.box(640000, 4370000, 640600, 4371000),
                                           shapely.box(640400, 4370000, 640800, 4371500)], crs=UTM)
    return zones, disturbed, reclaimed


def test_reclamation_rate_with_overlapping_reclaimed_polygons():
    zones, disturbed, reclaimed = two_county_mine()
    per_mine, per_zone = reclamation_rate(disturbed, reclaimed, zones)
    assert per_mine.rate_pct.iloc[0] == pytest.approx(80.0, rel=1e-4)  # union 800 m x 1000 m, inside disturbed
    z = per_zone.set_index("zone_id")
    assert z.loc["a", "rate_pct"] == pytest.approx(100.0, rel=1e-4)
    assert z.loc["b", "rate_pct"] == pytest.approx(60.0, rel=1e-4)   # 300 of 500 m


def test_reclamation_rate_by_year_counts_land_reclaimed_up_to_each_year():
    zones, disturbed, reclaimed = two_county_mine()
    m, z = reclamation_rate_by_year(disturbed, reclaimed, zones)
    assert m.set_index("year").rate_pct.to_dict() == pytest.approx({2010: 60.0, 2015: 80.0}, rel=1e-4)
    zz = z.set_index(["year", "zone_id"]).rate_pct
    # zone a (x < 640500) is fully reclaimed in 2010; zone b gets 100 m of its 500 m in 2010, 300 m by 2015
    assert zz.to_dict() == pytest.approx({(2010, "a"): 100.0, (2010, "b"): 20.0,
                                          (2015, "a"): 100.0, (2015, "b"): 60.0}, rel=1e-4)
    m2, _ = reclamation_rate_by_year(disturbed, reclaimed, zones, years=[2005, 2012])
    assert m2.set_index("year").rate_pct.to_dict() == pytest.approx({2005: 0.0, 2012: 60.0}, abs=1e-3)


def test_reclaimed_sink_on_known_ages(catalog):
    rates = pd.DataFrame({"vegetation": ["forest", "forest"], "pool": ["biomass", "soil"],
                          "rate_mg_c_ha_yr": [1.5, 0.8], "sd_mg_c_ha_yr": [0.0, 0.0], "saturation_years": [30, 20]})
    pieces = pd.DataFrame({"zone_id": ["a"] * 3, "zone_name": ["甲"] * 3, "vegetation": ["forest"] * 3,
                           "year": [2018, 2011, 1983], "area_km2": [1.0, 2.0, 1.0]})
    out = reclaimed_carbon(pieces, rates, 2023, 44 / 12)
    k = 44 / 12
    # ages 5, 12, 40: biomass stops at 30 y, soil at 20 y
    np.testing.assert_allclose(out.sink_t_co2e_yr, [100 * 2.3 * k, 200 * 2.3 * k, 0.0])
    np.testing.assert_allclose(out.cumulative_t_co2e, [100 * 5 * 2.3 * k, 200 * 12 * 2.3 * k,
                                                       100 * (30 * 1.5 + 20 * 0.8) * k])


def _catalog_rates(catalog):
    return pd.read_csv(catalog.dataset_path("reclaimed_carbon"))


@pytest.mark.parametrize("vegetation, pool, gain, age", [
    ("forest", "biomass", 27.84, 17),    # Yuan et al. (2020) Forests 11:819, Pingshuo
    ("forest", "soil", 6.95, 15),        # 李俊超 et al. (2014) 环境科学 35:3842, Heidaigou 0-100 cm
    ("shrub", "soil", 6.93, 15),
    ("grassland", "soil", 15.47, 15),
])
def test_catalog_rates_are_the_field_chronosequence_values(catalog, vegetation, pool, gain, age):
    r = _catalog_rates(catalog).set_index(["vegetation", "pool"]).loc[(vegetation, pool)]
    assert r["basis"] == "field"
    assert r["rate_mg_c_ha_yr"] == pytest.approx(gain / age, rel=5e-3)
    assert 0 < r["sd_mg_c_ha_yr"] < r["rate_mg_c_ha_yr"]


def test_catalog_rates_without_field_values_say_so(catalog):
    df = _catalog_rates(catalog)
    other = df[df["basis"] != "field"]
    assert set(other["basis"]) == {"ipcc_tier1"}
    assert other["observed_gain_mg_c_ha"].isna().all() and (other["status"] == "verify").all()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.assign(rate_mg_c_ha_yr=d["rate_mg_c_ha_yr"].where(d.index != 0, 2.0)),
     "row 2 (forest, biomass) column rate_mg_c_ha_yr: expected observed gain / age = 1.6376"),
    (lambda d: d.assign(sd_mg_c_ha_yr=d["sd_mg_c_ha_yr"].where(d.index != 3, -1)), "row 5 (shrub, soil) column sd_mg_c_ha_yr"),
    (lambda d: d.assign(saturation_years=d["saturation_years"].where(d.index != 1, 0)), "column saturation_years"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), "listed more than once"),
    (lambda d: d.drop(columns="saturation_years"), "missing column(s) ['saturation_years']"),
    (lambda d: d.assign(observed_age_years=d["observed_age_years"].where(d.index != 0, np.nan)), "go together"),
])
def test_bad_rate_table_is_named(catalog, edit, message):
    df = edit(_catalog_rates(catalog).reset_index(drop=True))
    with pytest.raises(InputDataError) as e:
        check_reclaimed_rates(df, "rates.csv")
    assert "rates.csv" in str(e.value) and message in str(e.value)


def test_catalog_sink_on_known_ages(catalog):
    """Grassland reclaimed 12 years ago: biomass stopped at 10 y (0.2), soil still accrues (15.47/15)."""
    rates = _catalog_rates(catalog)
    pieces = pd.DataFrame({"zone_id": ["a", "a"], "zone_name": ["甲", "甲"], "vegetation": ["grassland", "forest"],
                           "year": [2011, 2021], "area_km2": [0.5, 0.25]})
    out = reclaimed_carbon(pieces, rates, 2023, 44 / 12)
    k = 44 / 12
    soil_g, bio_f, soil_f = 15.47 / 15, 27.84 / 17, 6.95 / 15
    np.testing.assert_allclose(out.sink_t_co2e_yr, [50 * 1.031 * k, 25 * (1.638 + 0.463) * k], rtol=1e-9)
    np.testing.assert_allclose(out.cumulative_t_co2e, [50 * (10 * 0.2 + 12 * soil_g) * k,
                                                       25 * 2 * (bio_f + soil_f) * k], rtol=5e-3)
    assert out.rate_basis.iloc[1] == "biomass: field; soil: field"
    assert out.rate_basis.iloc[0] == "biomass: ipcc_tier1; soil: field"


def test_county_sink_interval_is_the_lognormal_closed_form():
    """One pool, sd/mean = 0.5: the county's 5-95% equal the lognormal quantiles times its hectares."""
    from scipy.stats import norm
    rates = pd.DataFrame({"vegetation": ["forest"], "pool": ["biomass"], "rate_mg_c_ha_yr": [2.0],
                          "sd_mg_c_ha_yr": [1.0], "saturation_years": [30]})
    pieces = pd.DataFrame({"zone_id": ["a", "a", "b"], "zone_name": ["甲", "甲", "乙"], "vegetation": ["forest"] * 3,
                           "year": [2013, 2018, 2020], "area_km2": [1.0, 0.5, 2.0]})
    z = reclaimed_carbon_by_zone(pieces, rates, 2023, 1.0, draws=100_000, seed=3).set_index("zone_id")
    sigma = np.sqrt(np.log(1 + 0.5 ** 2))
    mu = np.log(2.0) - sigma ** 2 / 2
    q05, q95 = np.exp(mu + sigma * norm.ppf([0.05, 0.95]))
    assert z.loc["a", "reclaimed_km2"] == pytest.approx(1.5)
    assert z.loc["a", "sink_t_co2e_yr"] == pytest.approx(150 * 2.0)
    assert z.loc["a", "cumulative_t_co2e"] == pytest.approx((100 * 10 + 50 * 5) * 2.0)
    assert z.loc["a", "sink_t_co2e_yr_p05"] == pytest.approx(150 * q05, rel=0.01)
    assert z.loc["a", "sink_t_co2e_yr_p95"] == pytest.approx(150 * q95, rel=0.01)
    assert z.loc["b", "cumulative_t_co2e_p95"] == pytest.approx(200 * 3 * q95, rel=0.01)
    # pieces sum to their county
    p = reclaimed_carbon(pieces, rates, 2023, 1.0)
    assert p.groupby("zone_id")["sink_t_co2e_yr"].sum()["a"] == pytest.approx(z.loc["a", "sink_t_co2e_yr"])


def test_county_interval_is_narrower_than_summed_piece_percentiles():
    """Two pools drawn independently: adding pieces' percentiles would overstate the county spread."""
    rates = pd.DataFrame({"vegetation": ["forest", "grassland"], "pool": ["biomass", "soil"],
                          "rate_mg_c_ha_yr": [1.0, 1.0], "sd_mg_c_ha_yr": [0.5, 0.5], "saturation_years": [30, 30]})
    pieces = pd.DataFrame({"zone_id": ["a", "a"], "zone_name": ["甲", "甲"], "vegetation": ["forest", "grassland"],
                           "year": [2010, 2010], "area_km2": [1.0, 1.0]})
    z = reclaimed_carbon_by_zone(pieces, rates, 2023, 1.0, draws=50_000, seed=1).iloc[0]
    p = reclaimed_carbon(pieces, rates, 2023, 1.0, draws=50_000, seed=1)
    assert z["sink_t_co2e_yr_p95"] - z["sink_t_co2e_yr_p05"] < 0.8 * (p["sink_t_co2e_yr_p95"] - p["sink_t_co2e_yr_p05"]).sum()


def test_county_table_is_empty_without_reclaimed_land(catalog):
    empty = pd.DataFrame(columns=["zone_id", "zone_name", "vegetation", "year", "area_km2"])
    out = reclaimed_carbon_by_zone(empty, _catalog_rates(catalog), 2023, 44 / 12, draws=10)
    assert len(out) == 0 and "sink_t_co2e_yr_p05" in out.columns


def test_series_grows_and_survives_a_corrupt_scene(demo_project, tmp_path):
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import load_sites, reclaimed_pieces, update_series
    p = load_project(demo_project)
    zones = project_zones(p)
    d, r = load_sites(p)
    pieces = reclaimed_pieces(r, d, zones)
    params = {"ndvi_soil_percentile": 5, "ndvi_veg_percentile": 95, "fvc_vegetated_threshold": 0.3,
              "endmember_margin_km": 5}
    scenes = sorted(p.spec.imagery.scenes, key=lambda s: s.date)
    first, _ = update_series(None, scenes[:2], pieces, params)
    assert set(first.date) == {str(s.date) for s in scenes[:2]}
    both, _ = update_series(first, scenes, pieces, params)
    pd.testing.assert_frame_equal(both[both.date.isin(first.date)].reset_index(drop=True), first)
    assert both.date.is_monotonic_increasing and len(both) == len(first) * len(scenes) // 2
    again, _ = update_series(both, scenes, pieces, params)
    pd.testing.assert_frame_equal(again, both)
    # FVC of reclaimed land rises over the years on the demo (reclaimed vegetation matures)
    by = both.groupby("date").mean_fvc.mean()
    assert by.iloc[-1] > by.iloc[0]
    # a corrupt new scene: clear error with 'raise', reported and skipped with 'skip'
    bad = tmp_path / "S2A_49SFJ_20240815_0_L2A"
    copy_scene(scenes[1].path, bad)
    (bad / "B08.tif").write_bytes(b"not a tiff")
    spec = SimpleNamespace(path=bad, product="sentinel2_l2a", date=dt.date(2024, 8, 15))
    with pytest.raises(SceneError, match="B08"):
        update_series(both, scenes + [spec], pieces, params, on_error="raise")
    kept, problems = update_series(both, scenes + [spec], pieces, params, on_error="skip")
    pd.testing.assert_frame_equal(kept, both)
    assert "S2A_49SFJ_20240815_0_L2A: skipped" in problems[0]


def test_reclamation_from_transitions_by_hand():
    from geo_sink.sinks.reclamation import reclamation_from_transitions
    tr = pd.DataFrame({
        "zone_id": ["a"] * 4, "zone_name": ["甲"] * 4,
        "from_ecosystem": ["barren", "barren", "barren", "grassland"],
        "to_ecosystem": ["barren", "grassland", "forest", "barren"],
        "area_km2": [2.0, 1.0, 1.0, 5.0]})
    out = reclamation_from_transitions(tr).iloc[0]
    assert (out.disturbed_km2, out.reclaimed_km2, out.rate_pct) == (4.0, 2.0, 50.0)


def test_city_row_of_reclaimed_carbon_is_the_all_pieces_sum():
    """The city row equals the county result of one zone holding every piece (same draws)."""
    rates = pd.DataFrame({"vegetation": ["forest", "grassland"], "pool": ["biomass", "soil"],
                          "rate_mg_c_ha_yr": [1.0, 0.4], "sd_mg_c_ha_yr": [0.5, 0.2], "saturation_years": [30, 30]})
    pieces = pd.DataFrame({"zone_id": ["a", "b", "b"], "zone_name": ["甲", "乙", "乙"],
                           "vegetation": ["forest", "grassland", "forest"], "year": [2010, 2012, 2015],
                           "area_km2": [1.0, 2.0, 0.5]})
    z = reclaimed_carbon_by_zone(pieces, rates, 2023, 1.0, draws=20_000, seed=5,
                                 total=("140600", "朔州市")).set_index("zone_id")
    one = reclaimed_carbon_by_zone(pieces.assign(zone_id="x", zone_name="x"), rates, 2023, 1.0,
                                   draws=20_000, seed=5).iloc[0]
    city = z.loc["140600"]
    assert city["zone_name"] == "朔州市" and city["reclaimed_km2"] == pytest.approx(3.5)
    for col in ("sink_t_co2e_yr", "sink_t_co2e_yr_p05", "sink_t_co2e_yr_p95", "cumulative_t_co2e_p95"):
        assert city[col] == pytest.approx(one[col], rel=1e-12)
    assert city["sink_t_co2e_yr"] == pytest.approx(z.loc["a", "sink_t_co2e_yr"] + z.loc["b", "sink_t_co2e_yr"])
    # with two independent rates the city interval is narrower than the sum of the county ones
    assert city["sink_t_co2e_yr_p95"] - city["sink_t_co2e_yr_p05"] < (
        z.loc[["a", "b"], "sink_t_co2e_yr_p95"].sum() - z.loc[["a", "b"], "sink_t_co2e_yr_p05"].sum())


def test_vegetation_cover_verdict_needs_fine_scenes(demo_project, tmp_path):
    """The demo's 10 m and 30 m scenes can judge the 90% cover bar; a 250 m scene cannot, and
    then meets_bar is empty and the report says not measurable."""
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import run_reclamation, write_reclamation

    p = load_project(demo_project)
    bars = p.targets
    res = run_reclamation(p, project_zones(p), tmp_path, draws=100, seed=1)
    assert set(res.series["cell_m"].round()) <= {10.0, 30.0}
    assert res.latest["measurable"].all() and (res.latest["scene_cell_m"] <= 30).all()
    write_reclamation(res, tmp_path, True, bars)
    v = pd.read_csv(tmp_path / "vegetation_cover_by_county.csv")
    assert v["meets_bar"].notna().all()
    coarse = res.latest.assign(scene_cell_m=250.0, measurable=pd.array([False] * len(res.latest), dtype="boolean"),
                               measurability_note="scene cell 250 m > 30 m limit")
    res.latest = coarse
    write_reclamation(res, tmp_path, True, bars)
    v = pd.read_csv(tmp_path / "vegetation_cover_by_county.csv")
    assert v["meets_bar"].isna().all()
    from geo_sink.targets import measure_targets, read_result_tables
    t = [b for b in bars if b.indicator == "reclaimed_land_vegetation_cover"]
    row = measure_targets(t, p.baselines, read_result_tables(tmp_path), p.scope).iloc[0]
    assert row["status"] == "not_measurable" and "250 m" in row["reason"] and pd.isna(row["measured_value"])


# --- scenes read over an area (geo_sink.io.scenes.SceneArea) ---------------------------------

def _textured_s2(tmp_path, name, h=60, w=80, seed=3):
    """A scene with a different DN in every cell and a 20 m SCL with clouds and nodata spots."""
    rng = np.random.default_rng(seed)
    red = rng.integers(1100, 3000, (h, w)).astype(np.uint16)
    nir = rng.integers(2000, 6000, (h, w)).astype(np.uint16)
    red[5, 7] = 0
    scl = np.full((h // 2, w // 2), 4, np.uint8)
    scl[3:6, 10:14], scl[20, 30], scl[11, 5] = 9, 3, 0
    return s2_folder(tmp_path, name, red, nir, scl, offset_tag=-1000), red, nir


@pytest.mark.parametrize("corner", [(0.0, 0.0), (15.0, 25.0), (105.0, 215.0)])
def test_a_window_read_equals_the_same_cells_of_the_whole_scene(tmp_path, corner):
    """Peer: the whole scene read, then sliced.  Odd and even 10 m offsets: the 20 m SCL
    window must put each 10 m cell in the same SCL cell as the whole read does."""
    from geo_sink.io.scenes import SceneArea, read_scene
    d, _, _ = _textured_s2(tmp_path, "S2A_49SFJ_20220820_0_L2A")
    x0, y0 = ORIGIN[0] + corner[0], ORIGIN[1] - corner[1]
    area = SceneArea((x0 + 100.0, y0 - 270.0, x0 + 301.0, y0 - 120.0), UTM, "a test area")
    whole, part = read_scene(d, "sentinel2_l2a"), read_scene(d, "sentinel2_l2a", area=area)
    t = part.grid.transform
    c0, r0 = round((t.c - ORIGIN[0]) / 10), round((ORIGIN[1] - t.f) / 10)
    # cells of the area: columns (corner + 100 .. corner + 301 m) / 10 m, rows (corner + 120 ..
    # corner + 270 m) / 10 m, outward to whole cells, two more on every side, within the 80 x 60 scene
    import math
    c_lo, c_hi = math.floor((corner[0] + 100) / 10) - 2, math.ceil((corner[0] + 301) / 10) + 2
    r_lo, r_hi = math.floor((corner[1] + 120) / 10) - 2, math.ceil((corner[1] + 270) / 10) + 2
    assert (c0, r0) == (max(0, c_lo), max(0, r_lo))
    assert (part.grid.width, part.grid.height) == (min(80, c_hi) - c0, min(60, r_hi) - r0)
    sl = np.s_[r0:r0 + part.grid.height, c0:c0 + part.grid.width]
    np.testing.assert_array_equal(part.red, whole.red[sl])
    np.testing.assert_array_equal(part.nir, whole.nir[sl])


def test_an_area_in_another_crs_and_a_scene_that_misses_it(tmp_path):
    from geo_sink.io.scenes import SceneArea, read_scene
    d, _, _ = _textured_s2(tmp_path, "S2A_49SFJ_20220820_0_L2A")
    pt = gpd.GeoSeries([shapely.Point(ORIGIN[0] + 405, ORIGIN[1] - 305)], crs=UTM).to_crs(4326)
    area = SceneArea.around(gpd.GeoDataFrame(geometry=pt), 50.0, "the mine and 50 m around it")
    s = read_scene(d, "sentinel2_l2a", area=area)
    # 405 +- 50 m east and 305 +- 50 m south of the corner: cells 35..45 and 25..35, two more around
    assert (s.grid.width, s.grid.height) == (46 + 2 - 33, 36 + 2 - 23)
    far = SceneArea((ORIGIN[0] + 5000, ORIGIN[1] - 9000, ORIGIN[0] + 6000, ORIGIN[1] - 8000), UTM, "the far mine")
    with pytest.raises(SceneError, match="does not cover the far mine"):
        read_scene(d, "sentinel2_l2a", area=far)


def test_scene_area_around_features_is_their_box_and_the_margin(tmp_path):
    from geo_sink.io.scenes import SceneArea
    sq = gpd.GeoDataFrame(geometry=[shapely.box(630000, 4360000, 631000, 4362000)], crs=UTM)
    a = SceneArea.around(sq, 5000.0, "x")
    assert a.bounds == pytest.approx((625000, 4355000, 636000, 4367000))
    with pytest.raises(InputDataError, match="no features"):
        SceneArea.around(sq.iloc[0:0], 5000.0, "the reclaimed land")


def test_a_whole_tile_gives_the_rows_of_its_clip(demo_project, tmp_path):
    """The demo's 16 km scene pasted into a larger tile of nodata: read over the reclaimed land
    and 5 km around it, the tile gives the FVC rows of the clip (same pixels, same end-members),
    and the read is the window, not the tile."""
    import rasterio
    from rasterio.transform import Affine

    from geo_sink.catalog import load_catalog
    from geo_sink.io.scenes import read_scene
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import (reclamation_params, reclamation_sites, scene_area, scene_fvc,
                                          series_polygons)
    from geo_sink.steps.context import project_zones
    src = demo_project.parent / "scenes" / "S2A_49SFJ_20220820_0_L2A"
    tile = tmp_path / "S2A_49SFJ_20220820_0_L2A"
    shutil.copytree(src, tile)
    pad = 900                                             # 10 m cells on every side (9 km)
    for band, res in (("B04", 10), ("B08", 10), ("SCL", 20)):
        f = tile / f"{band}.tif"
        with rasterio.open(f) as s:
            win, prof, tags = s.read(1), s.profile, s.tags()
            t = s.transform
        p = pad * 10 // res
        canvas = np.zeros((win.shape[0] + 2 * p, win.shape[1] + 2 * p), win.dtype)
        canvas[p:p + win.shape[0], p:p + win.shape[1]] = win
        prof.update(width=canvas.shape[1], height=canvas.shape[0],
                    transform=Affine(res, 0, t.c - p * res, 0, -res, t.f + p * res))
        f.unlink()
        with rasterio.open(f, "w", **prof) as d:
            d.write(canvas, 1)
            d.update_tags(**tags)
    p = load_project(demo_project)
    pieces = reclamation_sites(p, project_zones(p)).pieces
    params = reclamation_params(load_catalog())
    polys = series_polygons(pieces)
    sc = SimpleNamespace(path=src, product="sentinel2_l2a", date=dt.date(2022, 8, 20))
    clip_rows = scene_fvc(sc, polys, params)
    tile_rows = scene_fvc(SimpleNamespace(path=tile, product="sentinel2_l2a", date=sc.date), polys, params)
    # areas on a UTM grid use each row's areal scale at the grid's central column: the tile's
    # centre is the clip's, less a few metres of rounding, so km² agree to 1e-4, the rest exactly
    km2 = ["valid_km2", "masked_km2"]
    pd.testing.assert_frame_equal(tile_rows.drop(columns=["scene"] + km2), clip_rows.drop(columns=["scene"] + km2))
    pd.testing.assert_series_equal(tile_rows["valid_km2"], clip_rows["valid_km2"], rtol=1e-4)
    # pieces reaching beyond the clip: outside its grid there (not counted), nodata in the tile
    # (masked): the difference is their area east of the clip, from the geometry alone
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    with rasterio.open(src / "B04.tif") as s:
        box = shapely.box(*s.bounds)
    outside = polys.to_crs(UTM).assign(geometry=lambda g: g.geometry.difference(box)).to_crs(polys.crs)
    extra = tile_rows["masked_km2"] - clip_rows["masked_km2"]
    assert (outside.to_crs(UTM).area > 0).sum() == (extra > 0).sum() == 4
    np.testing.assert_allclose(extra.to_numpy(), np.asarray(zone_geodesic_area_km2(outside)), rtol=1e-3, atol=1e-6)
    read = read_scene(tile, "sentinel2_l2a", area=scene_area(polys, params))
    assert read.red.shape[0] < 1600 + 2 * pad and read.red.shape[1] < 1600 + 2 * pad


@pytest.mark.parametrize("lon, lat, epsg", [(112.4, 39.4, 32649), (114.5, 38.0, 32650), (-70.0, -33.4, 32719),
                                            (179.9, 10.0, 32660), (-180.0, 0.0, 32601)])
def test_utm_zone_of_a_frame_is_geopandas_estimate(lon, lat, epsg):
    """Peer: geopandas' estimate_utm_crs (a pyproj database query) on the same point."""
    from geo_sink.io.scenes import utm_crs_of
    f = gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs=4326)
    assert utm_crs_of(f).to_epsg() == epsg
    if abs(lon) < 179.95:
        assert f.estimate_utm_crs().to_epsg() == epsg


def test_a_soil_end_member_that_is_vegetation_is_refused():
    """19 of 20 pixels at NDVI 0.6, one at 0.1: numpy's 5th percentile (linear) is
    0.1 + 0.95 x 0.5 = 0.575, vegetation, above the 0.4 ceiling; with two bare pixels it is 0.1."""
    one_bare = np.array([0.1] + [0.6] * 19)
    assert ndvi_endmembers(one_bare, 5, 95)[0] == pytest.approx(0.575)
    with pytest.raises(ValueError, match=r"soil end-member \(NDVI 0.57.*above 0.4"):
        ndvi_endmembers(one_bare, 5, 95, max_soil_ndvi=0.4)
    two_bare = np.array([0.1, 0.1] + [0.6] * 18)
    assert ndvi_endmembers(two_bare, 5, 95, max_soil_ndvi=0.4) == pytest.approx((0.1, 0.6))


def test_the_catalog_soil_ceiling_is_the_cited_mean_plus_two_sd():
    from geo_sink.catalog import load_catalog
    from geo_sink.reclamation_run import reclamation_params
    cat = load_catalog()
    assert reclamation_params(cat)["endmember_max_soil_ndvi"] == pytest.approx(0.2 + 2 * 0.1)
    row = pd.read_csv(cat.dataset_path("reclamation_parameters")).set_index("name").loc["endmember_max_soil_ndvi"]
    assert "mean 0.2, standard deviation 0.1" in row["source"] and "Montandon" in row["source"]


def test_a_margin_alone_is_not_coverage_and_an_unplaceable_crs_is_a_scene_error(tmp_path):
    """An area 5-15 m east of the scene touches none of its cells (the two cells of margin do
    not make it covered); a scene whose CRS cannot be related to the area's is a SceneError
    (quarantined by the inbox check), not a GDAL traceback."""
    import rasterio

    from geo_sink.io.scenes import SceneArea, read_scene
    d, _, _ = _textured_s2(tmp_path, "S2A_49SFJ_20220820_0_L2A")
    east = ORIGIN[0] + 80 * 10
    beside = SceneArea((east + 5, ORIGIN[1] - 300, east + 15, ORIGIN[1] - 200), UTM, "the mine beside")
    with pytest.raises(SceneError, match="does not cover the mine beside"):
        read_scene(d, "sentinel2_l2a", area=beside)
    edge = SceneArea((east - 15, ORIGIN[1] - 300, east + 15, ORIGIN[1] - 200), UTM, "the mine on the edge")
    assert read_scene(d, "sentinel2_l2a", area=edge).grid.width == 2 + 2        # cells 78, 79 and the margin left
    local = 'LOCAL_CS["local metres",UNIT["metre",1]]'
    for band in ("B04", "B08", "SCL"):
        with rasterio.open(d / f"{band}.tif", "r+") as dst:
            dst.crs = rasterio.crs.CRS.from_wkt(local)
    with pytest.raises(SceneError, match="cannot place the mine on the edge on the scene's CRS"):
        read_scene(d, "sentinel2_l2a", area=edge)


def test_scene_area_without_its_margin_parameter_names_it():
    from geo_sink.reclamation_run import scene_area
    pieces = gpd.GeoDataFrame(geometry=[shapely.box(630000, 4360000, 631000, 4362000)], crs=UTM)
    with pytest.raises(InputDataError, match="endmember_margin_km"):
        scene_area(pieces, {"ndvi_soil_percentile": 5})
