import pytest

from geo_sink.pv.energy import annual_yield_kwh_per_kwp, co2_avoided_t, share_gap_closed, weather

SITE = dict(lat=39.40, lon=112.50, altitude=1300.0)


def test_weather_scaled_to_annual_ghi():
    w = weather(**SITE, annual_ghi_kwh_m2=1550.0, temp_air=7.0, wind=2.5)
    assert w["ghi"].sum() / 1000 == pytest.approx(1550.0)
    assert len(w) == 8760 and 0.5 < w.attrs["clearsky_scale"] < 1.0


def test_yield_within_3pct_of_an_independent_modelchain():
    import pvlib
    from pvlib.location import Location
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import Array, FixedMount, PVSystem
    w = weather(**SITE, annual_ghi_kwh_m2=1550.0, temp_air=7.0, wind=2.5)
    ours = annual_yield_kwh_per_kwp(SITE["lat"], SITE["lon"], SITE["altitude"], w, 35, 180, 14, -0.0035, 0.96)
    arr = Array(FixedMount(surface_tilt=35, surface_azimuth=180), albedo=0.2,
                module_parameters={"pdc0": 1000.0, "gamma_pdc": -0.0035},
                temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"])
    system = PVSystem(arrays=[arr], inverter_parameters={"pdc0": 1000.0 * 0.96, "eta_inv_nom": 0.96},
                      losses_parameters={"soiling": 2, "shading": 3, "snow": 0, "mismatch": 2, "wiring": 2,
                                         "connections": 0.5, "lid": 1.5, "nameplate_rating": 1,
                                         "age": 0, "availability": 3})
    mc = ModelChain(system, Location(SITE["lat"], SITE["lon"], altitude=SITE["altitude"], tz="Etc/GMT-8"),
                    aoi_model="no_loss", spectral_model="no_loss", losses_model="pvwatts",
                    transposition_model="haydavies")
    mc.run_model(w)
    ref = float(mc.results.ac.clip(lower=0).sum() / 1000.0)
    assert ours == pytest.approx(ref, rel=0.03)
    assert 1100 < ours < 1700   # full-load hours plausible for northern Shanxi


def test_co2_and_share_gap_by_hand():
    assert co2_avoided_t(1000.0, 0.5703) == pytest.approx(570.3)
    # 朔州 2020: T = 1732.47万kW = 17324.7 MW, 38.05% new energy -> N = 6592.1 MW;
    # 50%: X = (0.5 T - N) / 0.5 = 2140.1 MW
    g = share_gap_closed(1070.0, 1732.47, 38.05, 50.0)
    assert g["needed_mw"] == pytest.approx((0.5 * 17324.7 - 0.3805 * 17324.7) / 0.5)
    assert g["closed_pct"] == pytest.approx(100 * 1070.0 / g["needed_mw"])
    assert g["share_with_pv_pct"] == pytest.approx(100 * (0.3805 * 17324.7 + 1070) / (17324.7 + 1070))


def test_weather_file_round_trip(tmp_path):
    from geo_sink.errors import InputDataError
    from geo_sink.pv.energy import read_weather
    w = weather(**SITE, annual_ghi_kwh_m2=1550.0, temp_air=7.0, wind=2.5)
    f = tmp_path / "tmy.csv"
    w.rename_axis("time").reset_index().assign(time=lambda d: d["time"].map(lambda t: t.isoformat())).to_csv(f, index=False)
    back = read_weather(f)
    a = annual_yield_kwh_per_kwp(SITE["lat"], SITE["lon"], SITE["altitude"], w, 35, 180, 14, -0.0035, 0.96)
    b = annual_yield_kwh_per_kwp(SITE["lat"], SITE["lon"], SITE["altitude"], back, 35, 180, 14, -0.0035, 0.96)
    assert b == pytest.approx(a, rel=1e-9)
    w.drop(columns="dhi").rename_axis("time").reset_index().to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['dhi'\]"):
        read_weather(tmp_path / "bad.csv")
