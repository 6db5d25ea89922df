import numpy as np
import pandas as pd
import pytest

from geo_sink.catalog import load_catalog
from geo_sink.pv.energy import (annual_yield_kwh_per_kwp, climatology_weather, co2_avoided_t,
                                collares_pereira_rabl_ratio, combined_margin, daily_clearness,
                                default_grid_factor_ids, diffuse_fraction, energy_draws, grid_factor,
                                share_gap_closed, zone_intervals)
from geo_sink.pv.grid_factors import grid_factor_tables
from geo_sink.pv.siting_run import climatology, energy_parameters

SITE = dict(lat_deg=39.40, lon_deg=112.50, altitude_m=1300.0)
CAT = load_catalog()
CLIM = climatology(CAT)
PAR = energy_parameters(CAT)["value"].astype(float)


def _weather(seed=None):
    v = PAR
    return climatology_weather(**SITE, monthly_ghi_kwh_m2=CLIM["ghi_kwh_m2"].to_numpy(),
                               monthly_temp_air_c=CLIM["temp_air_c"].to_numpy(),
                               kt_daily_sd=CLIM["kt_daily_sd"].to_numpy(), kt_lag1=CLIM["kt_lag1"].to_numpy(),
                               kt_min=v["kt_min"], kt_max=v["kt_max"], wind_speed_m_s=v["wind_speed_m_s"],
                               diurnal_temperature_range_c=v["diurnal_temperature_range_c"],
                               seed=int(v["weather_seed"]) if seed is None else seed)


@pytest.fixture(scope="module")
def wx():
    return _weather()


def _yield(w, **kw):
    v = PAR
    args = dict(tilt_deg=v["tilt_deg"], azimuth_deg=v["azimuth_deg"], system_losses_pct=v["system_losses_pct"],
                gamma_pdc_per_c=v["gamma_pdc_per_c"], inverter_efficiency=v["inverter_efficiency"], albedo=v["albedo"])
    args.update(kw)
    return annual_yield_kwh_per_kwp(SITE["lat_deg"], SITE["lon_deg"], SITE["altitude_m"], w, **args)


def test_climatology_year_keeps_every_month_and_closes_the_components(wx):
    """Each month's GHI equals the station climatology; GHI = DHI + DNI cos(z) hour by hour; the
    Erbs split leaves a realistic diffuse share (the station dataset's own DHI gives 43%; the old
    clear-sky scaling gave ~13%, which this would reject)."""
    import pvlib
    assert len(wx) == 8760
    monthly = wx["ghi"].groupby(wx.index.month).sum().to_numpy() / 1000.0
    np.testing.assert_allclose(monthly, CLIM["ghi_kwh_m2"].to_numpy(), rtol=1e-6)
    sp = pvlib.solarposition.get_solarposition(wx.index, SITE["lat_deg"], SITE["lon_deg"], altitude=SITE["altitude_m"])
    cosz = np.cos(np.radians(sp["zenith"]))
    day = wx["ghi"] > 0
    np.testing.assert_allclose((wx["dhi"] + wx["dni"] * cosz)[day & (sp["zenith"] < 87)],
                               wx["ghi"][day & (sp["zenith"] < 87)], atol=1e-6)
    assert 0.35 < diffuse_fraction(wx) < 0.60
    assert (wx["ghi"][sp["zenith"] >= 90] == 0).all()
    # the same seed gives the same year; another seed another sequence with the same months
    w2 = _weather(seed=1)
    assert not np.allclose(w2["ghi"], wx["ghi"])
    np.testing.assert_allclose(w2["ghi"].groupby(w2.index.month).sum() / 1000.0, monthly, rtol=1e-6)


def test_daily_clearness_ar1_by_construction():
    """Wide bounds (no clipping) and constant H0: the daily series has the requested sd and lag-1
    autocorrelation, and every month's mean clearness equals GHI / H0 exactly."""
    n_per = 3000
    months = np.repeat(np.arange(1, 13), n_per)
    h0 = np.full(len(months), 10.0)
    ghi = np.linspace(3000.0, 6000.0, 12)            # monthly totals -> mean Kt 0.1 .. 0.2
    sd, r = np.full(12, 0.02), np.full(12, 0.5)
    kt = daily_clearness(months, h0, ghi, sd, r, -5.0, 5.0, np.random.default_rng(3))
    for m in range(12):
        x = kt[months == m + 1]
        assert x.mean() * 10.0 * n_per == pytest.approx(ghi[m], rel=1e-9)
        assert x.std() == pytest.approx(0.02, rel=0.05)
        assert np.corrcoef(x[:-1], x[1:])[0, 1] == pytest.approx(0.5, abs=0.05)
    # a clearness the bounds cannot reach is an error, not a silent change of the month's GHI
    from geo_sink.errors import InputDataError
    with pytest.raises(InputDataError, match="month 1"):
        daily_clearness(months[:24], h0[:24], np.full(12, 200.0), sd, r, 0.1, 0.8, np.random.default_rng(0))


def test_collares_pereira_rabl_ratio_by_hand():
    # equinox (ws = 90 deg): a = 0.409 + 0.5016 sin 30 = 0.6598, b = 0.6609 - 0.4767 sin 30 = 0.42255,
    # cos ws = 0 and sin ws - ws cos ws = 1, so at noon r_t = (pi/24)(a + b) = 0.14168
    a, b = 0.409 + 0.5016 * 0.5, 0.6609 - 0.4767 * 0.5
    assert collares_pereira_rabl_ratio(0.0, 90.0) == pytest.approx(np.pi / 24 * (a + b))
    assert collares_pereira_rabl_ratio(0.0, 90.0) == pytest.approx(0.14168, abs=1e-5)
    # at 3 h from noon (w = 45 deg): (pi/24)(a + b cos45)(cos45)/1
    assert collares_pereira_rabl_ratio(45.0, 90.0) == pytest.approx(np.pi / 24 * (a + b * np.cos(np.pi / 4)) * np.cos(np.pi / 4))
    assert collares_pereira_rabl_ratio(95.0, 90.0) == 0.0
    # the hourly ratios of a day add up to ~1 (the model integrates to 1 over sunrise-sunset)
    for ws in (60.0, 90.0, 120.0):
        w = np.arange(-179.5 * 1.0, 180.0, 15.0)
        assert collares_pereira_rabl_ratio(w, ws).sum() == pytest.approx(1.0, abs=0.03)


def _independent_weather():
    """Weather built without geo-sink's generator: pvlib Ineichen clear sky, each day either clear
    or overcast by a uniform fraction (seeded, not AR(1)), scaled to the same monthly GHI; DISC
    (not Erbs) for the direct beam."""
    import pvlib
    from pvlib.location import Location
    lat, lon, alt = SITE["lat_deg"], SITE["lon_deg"], SITE["altitude_m"]
    times = pd.date_range("2023-01-01 00:30", "2023-12-31 23:30", freq="h", tz="Etc/GMT-8")
    loc = Location(lat, lon, tz="Etc/GMT-8", altitude=alt)
    cs = loc.get_clearsky(times, model="ineichen")
    rng = np.random.default_rng(7)
    days = times.normalize().unique()
    f = pd.Series(np.where(rng.random(len(days)) < 0.55, 1.0, rng.uniform(0.15, 0.9, len(days))), index=days)
    target = CLIM["ghi_kwh_m2"].to_numpy()
    ghi = cs["ghi"] * f.reindex(times.normalize()).to_numpy()
    for _ in range(3):   # scale to the months, never above 1.05 x clear sky
        ghi = ghi * (target / (ghi.groupby(times.month).sum().to_numpy() / 1000.0))[times.month - 1]
        ghi = np.minimum(ghi, 1.05 * cs["ghi"])
    ghi = ghi * (target / (ghi.groupby(times.month).sum().to_numpy() / 1000.0))[times.month - 1]
    sp = loc.get_solarposition(times)
    dni = pvlib.irradiance.disc(ghi, sp["zenith"], times, pressure=pvlib.atmosphere.alt2pres(alt))["dni"]
    dhi = (ghi - dni * np.cos(np.radians(sp["zenith"]))).clip(lower=0)
    t = CLIM["temp_air_c"].to_numpy()[times.month - 1] + 6.5 * np.cos(2 * np.pi * (times.hour - 14.5) / 24)
    return loc, pd.DataFrame({"ghi": ghi, "dni": dni, "dhi": dhi, "temp_air": t, "wind_speed": PAR["wind_speed_m_s"]})


def test_yield_within_3pct_of_an_independent_modelchain(wx):
    """The demo's yield (climatology -> AR(1) days -> CPR hours -> Erbs -> Perez) against a pvlib
    ModelChain (PVWatts, Perez) on weather built independently (clear sky x day factors, DISC)."""
    import pvlib
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import Array, FixedMount, PVSystem
    ours = _yield(wx)
    loc, w = _independent_weather()
    assert w["ghi"].sum() / 1000 == pytest.approx(CLIM["ghi_kwh_m2"].sum(), rel=1e-6)
    arr = Array(FixedMount(surface_tilt=PAR["tilt_deg"], surface_azimuth=PAR["azimuth_deg"]), albedo=PAR["albedo"],
                module_parameters={"pdc0": 1000.0, "gamma_pdc": PAR["gamma_pdc_per_c"]},
                temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"])
    # PVWatts loss components giving 1 - prod(1 - l) = 14.08% (the catalog's 14%)
    system = PVSystem(arrays=[arr], inverter_parameters={"pdc0": 1000.0 * PAR["inverter_efficiency"],
                                                         "eta_inv_nom": PAR["inverter_efficiency"]},
                      losses_parameters={"soiling": 2, "shading": 3, "snow": 0, "mismatch": 2, "wiring": 2,
                                         "connections": 0.5, "lid": 1.5, "nameplate_rating": 1,
                                         "age": 0, "availability": 3})
    mc = ModelChain(system, loc, aoi_model="no_loss", spectral_model="no_loss", losses_model="pvwatts",
                    transposition_model="perez")
    mc.run_model(w)
    ref = float(mc.results.ac.clip(lower=0).sum() / 1000.0)
    assert ours == pytest.approx(ref, rel=0.03)
    # the documented full-load hours band for northern Shanxi
    assert PAR["full_load_hours_low_h"] <= ours <= PAR["full_load_hours_high_h"]
    # the old default (clear sky scaled to the annual GHI, ~87% beam) overshoots the reference by > 5%
    cs = loc.get_clearsky(w.index, model="ineichen")
    old = (cs[["ghi", "dni", "dhi"]] * (CLIM["ghi_kwh_m2"].sum() * 1000 / cs["ghi"].sum())).assign(
        temp_air=w["temp_air"], wind_speed=w["wind_speed"])
    assert _yield(old) > 1.05 * ref


def test_yield_barely_moves_between_seeds(wx):
    assert _yield(_weather(seed=2)) == pytest.approx(_yield(wx), rel=0.005)


def test_co2_and_share_gap_by_hand():
    assert co2_avoided_t(1000.0, 0.7096) == pytest.approx(709.6)
    # 朔州 2020: T = 1732.47万kW = 17324.7 MW, 38.05% new energy -> N = 6592.1 MW;
    # 50%: X = (0.5 T - N) / 0.5 = 2140.1 MW
    g = share_gap_closed(1070.0, 1732.47, 38.05, 50.0)
    assert g["needed_mw"] == pytest.approx((0.5 * 17324.7 - 0.3805 * 17324.7) / 0.5)
    assert g["closed_pct"] == pytest.approx(100 * 1070.0 / g["needed_mw"])
    assert g["share_with_pv_pct"] == pytest.approx(100 * (0.3805 * 17324.7 + 1070) / (17324.7 + 1070))


def test_grid_factors_default_by_province_and_combined_margin():
    f, m = grid_factor_tables(CAT)
    # the 2022 factors of the MEE/NBS announcement
    assert f.loc["shanxi_avg_2022", "factor_t_co2_mwh"] == 0.7096
    assert f.loc["hebei_avg_2022", "factor_t_co2_mwh"] == 0.7252
    assert f.loc["north_china_avg_2022", "factor_t_co2_mwh"] == 0.6776
    assert f.loc["national_avg_2022", "factor_t_co2_mwh"] == 0.5366
    assert default_grid_factor_ids(f, m, "14") == ("shanxi_avg_2022", "north_china_cm_2019_solar")
    assert default_grid_factor_ids(f, m, "13")[0] == "hebei_avg_2022"
    assert default_grid_factor_ids(f, m, "37")[0] == "north_china_avg_2023"   # 山东: no provincial row, latest regional
    assert default_grid_factor_ids(f, m, "44") == ("national_avg_2023", None)  # 广东: outside North China
    cm = grid_factor(f, m, "north_china_cm_2019_solar")
    assert cm["t_co2_mwh"] == pytest.approx(0.75 * 0.9419 + 0.25 * 0.4819)   # 0.8269
    assert cm["sd_t_co2_mwh"] == pytest.approx(np.hypot(0.75 * f.loc["north_china_om_2019", "sd_t_co2_mwh"],
                                                        0.25 * f.loc["north_china_bm_2019", "sd_t_co2_mwh"]))
    assert cm["year"] == 2019 and "TOOL07" in cm["document"]
    assert combined_margin(1.0, 0.0, 0.5, 0.5) == 0.5
    with pytest.raises(ValueError, match="add up to 1"):
        combined_margin(1.0, 0.5, 0.75, 0.5)
    # every sd in the factor table is 1 sd: the documented +-10% 95% range / 1.96, not the half-width
    np.testing.assert_allclose(f["sd_t_co2_mwh"], 0.10 * f["factor_t_co2_mwh"] / 1.959964, atol=5e-5)


def test_pv_catalog_sds_are_one_sd_of_the_documented_ranges():
    """Each sd converted from a published range (read as a 95% range) is (hi - lo) / (2 x 1.96)."""
    import pandas as pd
    z = 1.959964
    sub = pd.read_csv(CAT.dataset_path("subsidence_parameters")).set_index("name")["sd"]
    for name, (lo, hi) in {"subsidence_factor_q": (0.6, 0.9), "tan_beta": (1.5, 2.5),
                           "offset_ratio_s_over_h": (0.05, 0.3), "propagation_k": (0.5, 0.8)}.items():
        assert sub[name] == pytest.approx((hi - lo) / (2 * z), abs=5e-5), name
    sit = pd.read_csv(CAT.dataset_path("pv_siting_parameters")).set_index("name")["value"]
    assert sit["packing_density_sd_mw_km2"] == pytest.approx((52 - 28) / (2 * z), abs=5e-3)
    en = energy_parameters(CAT)["sd"]
    assert en["system_losses_pct"] == pytest.approx((20 - 8) / (2 * z), abs=5e-3)
    assert en["ghi_scale"] == 0.05   # already a 1-sd relative error (no range to convert)


def test_city_percentiles_come_from_summed_draws():
    """Two counties with independent normal draws (sd 3 and 4): the city's 95th percentile is the
    sum of means + 1.645 x sqrt(3² + 4²) = +8.22, not the sum of the county percentiles (+11.5)."""
    rng = np.random.default_rng(11)
    n = 400_000
    d = np.column_stack([100 + 3 * rng.standard_normal(n), 200 + 4 * rng.standard_normal(n)])
    lo, hi, tlo, thi = zone_intervals({"x": d})["x"]
    z = 1.6448536
    np.testing.assert_allclose(hi, [100 + z * 3, 200 + z * 4], atol=0.05)
    assert thi == pytest.approx(300 + z * 5, abs=0.06)
    assert tlo == pytest.approx(300 - z * 5, abs=0.06)
    assert hi.sum() - thi == pytest.approx(z * 2, abs=0.1)      # adding county percentiles overstates by 3.3
    # fully shared draws (one packing density for both counties): then the two agree
    dens = 40 + 6 * rng.standard_normal(n)
    e = energy_draws([1.0, 3.0], 1400.0, dens, np.ones(n), np.full(n, 14.0), 14.0, {})
    lo, hi, tlo, thi = zone_intervals(e)["capacity_mw"]
    assert thi == pytest.approx(hi.sum(), rel=1e-9)


def test_co2_interval_includes_the_grid_factor():
    """Capacity, GHI and losses fixed: the CO2 interval is the energy times the factor's lognormal
    5th/95th percentiles, exp(mu -+ 1.645 sigma) with sigma² = ln(1 + cv²), mu = ln m - sigma²/2."""
    from geo_sink.uncertainty import lognormal_draws
    n = 400_000
    rng = np.random.default_rng(5)
    fac = lognormal_draws(0.7096, 0.0362, n, rng)
    e = energy_draws([2.0], 1400.0, np.full(n, 40.0), np.ones(n), np.full(n, 14.0), 14.0, {"co2_avoided_t_yr": fac})
    energy_mwh = 2.0 * 40.0 * 1400.0                                    # 80 MW x 1400 h = 112,000 MWh
    assert e["energy_gwh_yr"][0, 0] == pytest.approx(energy_mwh / 1000)
    s2 = np.log1p((0.0362 / 0.7096) ** 2)
    mu = np.log(0.7096) - s2 / 2
    lo, hi, _, _ = zone_intervals(e)["co2_avoided_t_yr"]
    assert lo[0] == pytest.approx(energy_mwh * np.exp(mu - 1.6448536 * np.sqrt(s2)), rel=2e-3)
    assert hi[0] == pytest.approx(energy_mwh * np.exp(mu + 1.6448536 * np.sqrt(s2)), rel=2e-3)
    # energy without the factor has no spread at all
    elo, ehi, _, _ = zone_intervals(e)["energy_gwh_yr"]
    assert elo[0] == ehi[0] == pytest.approx(112.0)


def _write_epw(w: pd.DataFrame, path):
    head = ["LOCATION,Shuozhou,SX,CHN,geo-sink test,535780,39.40,112.50,8.0,1300.0",
            "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
            "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,test", "COMMENTS 2,test",
            "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]
    end = w.index + pd.Timedelta(minutes=30)               # EPW stamps the end of each hour (hour 1-24)
    rows = []
    for t, hour_end, r in zip(w.index, end, w.itertuples()):
        h = t.hour + 1
        fields = [t.year, t.month, t.day, h, 0, "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9",
                  f"{r.temp_air:.1f}", "-5.0", "50", "90000", "0", "0", "300", f"{r.ghi:.1f}", f"{r.dni:.1f}",
                  f"{r.dhi:.1f}", "0", "0", "0", "0", "180", f"{r.wind_speed:.1f}", "5", "5", "9999", "77777",
                  "9", "999999999", "0", "0.1", "0", "88", "0.2", "0", "0"]
        rows.append(",".join(str(x) for x in fields))
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")


def test_weather_files_csv_epw_tmy3(tmp_path, wx):
    import os
    import pvlib
    from geo_sink.errors import InputDataError
    from geo_sink.pv.weather_io import read_weather, weather_format
    f = tmp_path / "tmy.csv"
    wx.rename_axis("time").reset_index().assign(time=lambda d: d["time"].map(lambda t: t.isoformat())).to_csv(f, index=False)
    back = read_weather(f)
    assert weather_format(f) == "csv" and back.attrs["format"] == "csv"
    assert _yield(back) == pytest.approx(_yield(wx), rel=1e-9)
    wx.drop(columns="dhi").rename_axis("time").reset_index().to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['dhi'\]"):
        read_weather(tmp_path / "bad.csv")
    # EPW: hour-ending stamps come back as the mid-hour stamps written
    _write_epw(wx, tmp_path / "site.epw")
    e = read_weather(tmp_path / "site.epw")
    assert e.attrs["format"] == "epw" and len(e) == 8760
    assert e.index[0] == wx.index[0]
    np.testing.assert_allclose(e["ghi"].to_numpy(), wx["ghi"].round(1).to_numpy(), atol=1e-9)
    assert _yield(e) == pytest.approx(_yield(wx), rel=2e-3)
    # TMY3: pvlib's bundled Greensboro file; the first hour (00-01 local) is stamped 00:30
    t3 = read_weather(os.path.join(os.path.dirname(pvlib.__file__), "data", "723170TYA.CSV"))
    assert t3.attrs["format"] == "tmy3" and len(t3) == 8760
    assert (t3.index[0].hour, t3.index[0].minute) == (0, 30)
    assert 1400 < t3["ghi"].sum() / 1000 < 1800            # Greensboro NC, ~1,600 kWh/m²
