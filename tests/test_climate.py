"""IPCC climate zones: the Annex 3A.5 rule case by case, lapse rates, nearest stations,
overrides, and the zones of the embedded regions."""

import numpy as np
import pandas as pd
import pytest

from geo_sink.errors import InputDataError
from geo_sink.sinks.climate import (STATION_COLUMNS, apply_overrides, county_climate, ipcc_climate_zone,
                                    lapse_adjusted_mat, nearest_station)


@pytest.mark.parametrize("mat, map_, pet, elev, warm, zone", [
    (13.9, 517, 1000, 81, None, "warm_temperate_dry"),       # 石家庄 plain
    (6.9, 421, 1000, 1114, None, "cool_temperate_dry"),      # 朔州
    (15.0, 1300, 900, 50, None, "warm_temperate_moist"),
    (5.0, 900, 600, 800, None, "cool_temperate_moist"),
    (10.0, 500, 1000, 0, None, "cool_temperate_dry"),        # the rule is MAT > 10 for warm temperate
    (18.0, 500, 1000, 0, None, "warm_temperate_dry"),        # and MAT > 18 for tropical
    (25.0, 2500, 1500, 200, None, "tropical_wet"),
    (25.0, 1500, 1500, 200, None, "tropical_moist"),
    (25.0, 800, 1500, 200, None, "tropical_dry"),
    (22.0, 1500, 1000, 1500, None, "tropical_montane"),
    (-2.0, 500, 300, 0, 15.0, "boreal_moist"),
    (-2.0, 200, 300, 0, None, "boreal_dry"),                 # no warmest month: boreal, not polar
    (-12.0, 200, 100, 0, 6.0, "polar_moist"),
])
def test_ipcc_rule(mat, map_, pet, elev, warm, zone):
    assert ipcc_climate_zone(np.array([mat]), map_, pet, elev, warm)[0] == zone


def test_lapse_rate_moves_temperature_down_with_height():
    assert lapse_adjusted_mat(13.9, 81, 581, 0.6) == pytest.approx(13.9 - 3.0)
    np.testing.assert_allclose(lapse_adjusted_mat([10, 10], [500, 500], [300, 900], 0.5), [11.0, 8.0])


STATIONS = pd.DataFrame([["1", "北", 40.0, 112.0, 1000, 6.0, 400, 1000, "x", "s", "verify"],
                         ["2", "南", 38.0, 114.5, 100, 14.0, 500, 1000, "x", "s", "verify"]], columns=STATION_COLUMNS)


def test_nearest_station_and_county_table():
    idx, d = nearest_station([112.1, 114.4], [39.9, 38.1], STATIONS)
    assert idx.tolist() == [0, 1]
    import pyproj
    assert d[0] == pytest.approx(pyproj.Geod(ellps="WGS84").inv(112.1, 39.9, 112.0, 40.0)[2] / 1000)
    c = county_climate(["a", "b", "c"], ["甲", "乙", "丙"], [112.1, 114.4, 130.0], [39.9, 38.1, 45.0],
                       [1200.0, 500.0, 100.0], STATIONS, 0.6, 150.0)
    assert c["mat_c"].tolist()[:2] == pytest.approx([6.0 - 1.2, 14.0 - 2.4])
    assert c["climate_zone"].tolist()[:2] == ["cool_temperate_dry", "warm_temperate_dry"]
    # a county 1,000 km from every station gets no zone, and the table says why
    assert pd.isna(c["climate_zone"].iloc[2]) and "no station within 150 km" in c["climate_basis"].iloc[2]


def test_overrides_by_name_or_id_and_errors():
    c = county_climate(["a", "b"], ["甲", "乙"], [112.1, 114.4], [39.9, 38.1], [1200.0, 800.0], STATIONS, 0.6, 150)
    o = apply_overrides(c, {"乙": "cool_temperate_dry"})
    assert o["climate_zone"].tolist() == ["cool_temperate_dry", "cool_temperate_dry"]
    assert o["climate_basis"].iloc[1] == "set by the project file (climate_zone)"
    assert apply_overrides(c, "warm_temperate_moist")["climate_zone"].eq("warm_temperate_moist").all()
    with pytest.raises(InputDataError, match="unknown zone"):
        apply_overrides(c, {"a": "cold"})
    with pytest.raises(InputDataError, match="not a county"):
        apply_overrides(c, {"丁": "boreal_dry"})


def test_embedded_regions_zones(catalog):
    from geo_sink.io import load_boundaries
    from geo_sink.sinks.carbon_run import county_climate_zones

    sjz = county_climate_zones(load_boundaries("石家庄市"), catalog)
    assert len(sjz) == 22 and (sjz["climate_zone"] == "warm_temperate_dry").all()
    # the mountain counties are higher and cooler than the plain, by the lapse rate
    by = sjz.set_index("zone_name")
    assert by.loc["平山县", "mean_elevation_m"] > by.loc["辛集市", "mean_elevation_m"] + 300
    assert by.loc["平山县", "mat_c"] < by.loc["辛集市", "mat_c"] - 1.8
    sz = county_climate_zones(load_boundaries("朔州市"), catalog)
    assert len(sz) == 6 and (sz["climate_zone"] == "cool_temperate_dry").all()
    assert (sz["mean_elevation_m"].between(900, 1800)).all()


def test_altitude_window_matches_pvlib_lookup():
    from pvlib.location import lookup_altitude
    from geo_sink.io.elevation import altitude_window

    arr, grid = altitude_window((112.0, 39.0, 113.0, 40.0), pad_deg=0.0)
    for lon, lat in ((112.43, 39.33), (112.9, 39.9), (112.05, 39.05)):
        r, c = grid.rowcol(lon, lat)
        assert arr[int(r), int(c)] == pytest.approx(lookup_altitude(lat, lon))
