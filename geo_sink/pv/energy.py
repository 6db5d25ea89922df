"""Annual PV yield per kWp from hourly weather, CO2 avoided, Monte Carlo intervals and the
new-energy share targets.  Pure functions: no file is read here (the readers of hourly weather
files are in :mod:`geo_sink.pv.weather_io`, the catalog tables are read by
:mod:`geo_sink.pv.siting_run`).

Default weather (no hourly file given): a typical year built from a monthly climatology of the
site's nearest station (GHI and air temperature by month) in four published steps:

1. **Day-to-day clearness**: the daily clearness index ``Kt = H / H0`` (H0 the extraterrestrial
   horizontal irradiation of the day) follows a seeded AR(1) process around each month's mean
   with the station's within-month standard deviation and lag-1 autocorrelation, clipped to the
   station's observed range, then shifted so that every month's total equals the climatology
   exactly (so the year's GHI is the climatology's, whatever the seed).
2. **Hourly GHI** from daily GHI with the Collares-Pereira & Rabl (1979) ratio ``r_t``.
3. **Direct/diffuse split** with the Erbs et al. (1982) correlation (``pvlib.irradiance.erbs``).
4. Air temperature: monthly means interpolated between mid-months plus a diurnal cosine of the
   mean daily range, warmest at 15:00 solar time.

Yield: Perez (1990) transposition to a fixed plane, SAPM open-rack cell temperature, PVWatts DC
with the temperature coefficient, the system losses and a PVWatts inverter.

References
----------
.. [1] Collares-Pereira, M., Rabl, A. (1979). The average distribution of solar radiation:
   correlations between diffuse and hemispherical and between daily and hourly insolation
   values. Solar Energy 22(2), 155-164. :doi:`10.1016/0038-092X(79)90100-2`
.. [2] Erbs, D. G., Klein, S. A., Duffie, J. A. (1982). Estimation of the diffuse radiation
   fraction for hourly, daily and monthly-average global radiation. Solar Energy 28(4),
   293-302. :doi:`10.1016/0038-092X(82)90302-4`
.. [3] Perez, R., Ineichen, P., Seals, R., Michalsky, J., Stewart, R. (1990). Modeling daylight
   availability and irradiance components from direct and global irradiance. Solar Energy
   44(5), 271-289. :doi:`10.1016/0038-092X(90)90055-H`
.. [4] Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
.. [5] King, D. L., Boyson, W. E., Kratochvil, J. A. (2004). Photovoltaic array performance
   model (SAPM). SAND2004-3535.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Hourly weather columns every yield function needs (W/m², °C, m/s).
WEATHER_COLUMNS = ["ghi", "dni", "dhi", "temp_air", "wind_speed"]

#: The time zone of the hourly series (China Standard Time, UTC+8).
CHINA_TZ = "Etc/GMT-8"


def hourly_times(year: int = 2023, tz: str = CHINA_TZ) -> pd.DatetimeIndex:
    """Mid-hour time stamps of one year (``00:30 … 23:30``), so the sun's position of each stamp
    stands for its hour."""
    return pd.date_range(f"{year}-01-01 00:30", f"{year}-12-31 23:30", freq="h", tz=tz)


def _sun(times: pd.DatetimeIndex, lat_deg: float, lon_deg: float, altitude_m: float):
    """Solar position, extraterrestrial normal irradiance (W/m²) and hour angle (deg)."""
    import pvlib

    sp = pvlib.solarposition.get_solarposition(times, lat_deg, lon_deg, altitude=altitude_m)
    dni_extra = pvlib.irradiance.get_extra_radiation(times)
    eot = pvlib.solarposition.equation_of_time_spencer71(times.day_of_year)
    hour_angle = pvlib.solarposition.hour_angle(times, lon_deg, eot)
    return sp, dni_extra, np.asarray(hour_angle, float)


def daily_clearness(month_of_day: np.ndarray, h0_daily_kwh_m2: np.ndarray, monthly_ghi_kwh_m2,
                    kt_daily_sd, kt_lag1, kt_min: float, kt_max: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Daily clearness index of a typical year whose monthly GHI totals equal the climatology.

    Parameters
    ----------
    month_of_day : int array (days,)
        Month (1-12) of each day, in calendar order.
    h0_daily_kwh_m2 : float array (days,)
        Extraterrestrial horizontal irradiation of each day. [kWh m⁻²]
    monthly_ghi_kwh_m2, kt_daily_sd, kt_lag1 : array_like (12,)
        Monthly GHI totals [kWh m⁻²], the within-month standard deviation of the daily clearness
        and its lag-1 autocorrelation, January first.
    kt_min, kt_max : float
        Bounds of the daily clearness (the station's observed range).
    rng : numpy.random.Generator
        Seeded generator (the series is reproducible for a seed).

    Returns
    -------
    ndarray (days,)
        ``Kt`` of each day: an AR(1) series ``z_t = r z_{t-1} + sqrt(1 - r²) e_t`` scaled by the
        month's sd, added to a per-month level chosen (bisection) so that the clipped values
        give ``Σ Kt·H0`` = the month's GHI exactly.

    Examples
    --------
    With no day-to-day spread every day of a month has the month's mean clearness:

    >>> m = np.repeat(np.arange(1, 13), 2); h0 = np.full(24, 5.0)
    >>> kt = daily_clearness(m, h0, np.full(12, 5.0), np.zeros(12), np.zeros(12), 0.1, 0.8,
    ...                      np.random.default_rng(1))
    >>> np.allclose(kt, 0.5)
    True
    """
    month_of_day = np.asarray(month_of_day, int)
    h0 = np.asarray(h0_daily_kwh_m2, float)
    ghi_m = np.asarray(monthly_ghi_kwh_m2, float)
    sd = np.asarray(kt_daily_sd, float)[month_of_day - 1]
    r = np.clip(np.asarray(kt_lag1, float)[month_of_day - 1], -0.99, 0.99)
    e = rng.standard_normal(len(h0))
    z = np.empty(len(h0))
    z[0] = e[0]
    for t in range(1, len(h0)):
        z[t] = r[t] * z[t - 1] + np.sqrt(1 - r[t] ** 2) * e[t]
    anom = sd * z
    kt = np.empty(len(h0))
    for m in range(1, 13):
        sel = month_of_day == m
        if not sel.any():
            continue
        target, hm, a = ghi_m[m - 1], h0[sel], anom[sel]
        if not (kt_min * hm.sum() <= target <= kt_max * hm.sum()):
            from geo_sink.errors import InputDataError
            raise InputDataError(f"month {m}: GHI {target:.1f} kWh/m² needs a mean clearness of "
                                 f"{target / hm.sum():.3f}, outside [{kt_min}, {kt_max}]")
        lo, hi = kt_min - a.max() - 1.0, kt_max - a.min() + 1.0
        for _ in range(80):  # bisection on the month's level: the clipped total rises with it
            mid = 0.5 * (lo + hi)
            if (np.clip(mid + a, kt_min, kt_max) * hm).sum() < target:
                lo = mid
            else:
                hi = mid
        kt[sel] = np.clip(0.5 * (lo + hi) + a, kt_min, kt_max)
    return kt


def collares_pereira_rabl_ratio(hour_angle_deg, sunset_hour_angle_deg) -> np.ndarray:
    """Ratio ``r_t`` of hourly to daily global irradiation (Collares-Pereira & Rabl 1979) [1/h].

    ``r_t = (π/24)(a + b cos ω)(cos ω - cos ω_s) / (sin ω_s - ω_s cos ω_s)`` with
    ``a = 0.409 + 0.5016 sin(ω_s - 60°)``, ``b = 0.6609 - 0.4767 sin(ω_s - 60°)`` (ω_s in
    radians in the denominator); 0 outside sunrise-sunset.

    Examples
    --------
    At the equinox (ω_s = 90°) the noon hour gets (π/24)(a + b) = 14.2% of the day:

    >>> round(float(collares_pereira_rabl_ratio(0.0, 90.0)), 4)
    0.1417
    """
    w = np.radians(np.asarray(hour_angle_deg, float))
    ws = np.radians(np.asarray(sunset_hour_angle_deg, float))
    a = 0.409 + 0.5016 * np.sin(ws - np.radians(60))
    b = 0.6609 - 0.4767 * np.sin(ws - np.radians(60))
    rt = np.pi / 24 * (a + b * np.cos(w)) * (np.cos(w) - np.cos(ws)) / (np.sin(ws) - ws * np.cos(ws))
    return np.where(np.abs(w) < ws, rt, 0.0)


def climatology_weather(lat_deg: float, lon_deg: float, altitude_m: float, monthly_ghi_kwh_m2,
                        monthly_temp_air_c, kt_daily_sd, kt_lag1, kt_min: float, kt_max: float,
                        wind_speed_m_s: float, diurnal_temperature_range_c: float, seed: int,
                        year: int = 2023, tz: str = CHINA_TZ) -> pd.DataFrame:
    """A typical year of hourly weather from a monthly climatology (see the module docstring).

    Parameters
    ----------
    lat_deg, lon_deg, altitude_m : float
        Site. [°, °, m]
    monthly_ghi_kwh_m2 : array_like (12,)
        Monthly global horizontal irradiation, January first. [kWh m⁻²]
    monthly_temp_air_c : array_like (12,)
        Monthly mean air temperature. [°C]
    kt_daily_sd, kt_lag1 : array_like (12,)
        Within-month standard deviation and lag-1 autocorrelation of the daily clearness index.
    kt_min, kt_max : float
        Bounds of the daily clearness index.
    wind_speed_m_s : float
        Wind speed at 10 m (constant). [m s⁻¹]
    diurnal_temperature_range_c : float
        Mean daily maximum minus minimum air temperature. [°C]
    seed : int
        Seed of the day-to-day clearness (the same seed gives the same year).
    year : int
        Calendar year of the stamps (a non-leap year: 8760 hours).

    Returns
    -------
    DataFrame
        Hourly ``ghi, dni, dhi`` [W m⁻²], ``temp_air`` [°C], ``wind_speed`` [m s⁻¹] at mid-hour
        stamps; ``attrs`` name the method and seed, and hold the daily clearness series.
    """
    import pvlib

    times = hourly_times(year, tz)
    sp, dni_extra, omega = _sun(times, lat_deg, lon_deg, altitude_m)
    zen = np.asarray(sp["zenith"], float)
    g0 = np.clip(np.asarray(dni_extra, float) * np.cos(np.radians(zen)), 0, None)
    day = pd.Index(times.date)
    days = pd.Index(sorted(set(times.date)))
    h0_day = pd.Series(g0 / 1000.0, index=day).groupby(level=0).sum().reindex(days).to_numpy()
    month_of_day = np.array([d.month for d in days])
    kt_day = daily_clearness(month_of_day, h0_day, monthly_ghi_kwh_m2, kt_daily_sd, kt_lag1,
                             kt_min, kt_max, np.random.default_rng(seed))
    h_day = kt_day * h0_day                                               # kWh/m² per day
    # hourly share of each day's GHI (Collares-Pereira & Rabl), normalised over the day's hours
    decl = np.asarray(pvlib.solarposition.declination_spencer71(times.day_of_year), float)
    cos_ws = np.clip(-np.tan(np.radians(lat_deg)) * np.tan(decl), -1, 1)
    ws_deg = np.degrees(np.arccos(cos_ws))
    rt = collares_pereira_rabl_ratio(omega, ws_deg) * (zen < 90)
    idx = days.get_indexer(day)
    rt_sum = np.bincount(idx, weights=rt, minlength=len(days))
    ghi = np.where(rt > 0, 1000.0 * h_day[idx] * rt / np.where(rt_sum[idx] > 0, rt_sum[idx], 1.0), 0.0)
    sep = pvlib.irradiance.erbs(pd.Series(ghi, index=times), pd.Series(zen, index=times), times)
    dhi = np.asarray(sep["dhi"], float)
    dni = np.asarray(sep["dni"], float)
    # air temperature: monthly means at mid-month, linear in between (cyclic), plus the daily cycle
    t_month = np.asarray(monthly_temp_air_c, float)
    mid = np.array([pd.Timestamp(year, m, 15).day_of_year for m in range(1, 13)], float)
    doy = np.asarray(times.day_of_year, float) + (times.hour + times.minute / 60.0) / 24.0
    t_mean = np.interp(doy, np.r_[mid[-1] - 365, mid, mid[0] + 365], np.r_[t_month[-1], t_month, t_month[0]])
    solar_hour = 12.0 + omega / 15.0
    temp = t_mean + diurnal_temperature_range_c / 2.0 * np.cos(2 * np.pi * (solar_hour - 15.0) / 24.0)
    w = pd.DataFrame({"ghi": ghi, "dni": dni, "dhi": dhi, "temp_air": temp,
                      "wind_speed": float(wind_speed_m_s)}, index=times)
    w.attrs.update(method="monthly climatology -> AR(1) daily clearness -> Collares-Pereira & Rabl hours "
                          "-> Erbs split", seed=int(seed),
                   daily_clearness=pd.Series(kt_day, index=pd.DatetimeIndex(days)))
    return w


def diffuse_fraction(w: pd.DataFrame) -> float:
    """Annual diffuse share of global horizontal irradiation, Σ dhi / Σ ghi."""
    return float(w["dhi"].sum() / w["ghi"].sum())


def annual_yield_kwh_per_kwp(lat_deg, lon_deg, altitude_m, w: pd.DataFrame, tilt_deg, azimuth_deg,
                             system_losses_pct, gamma_pdc_per_c, inverter_efficiency,
                             albedo=0.2) -> float:
    """AC energy of 1 kWp in the year of ``w`` (kWh/kWp = full-load hours).

    Parameters
    ----------
    lat_deg, lon_deg, altitude_m : float
        Site. [°, °, m]
    w : DataFrame
        Hourly ``ghi, dni, dhi`` [W m⁻²], ``temp_air`` [°C], ``wind_speed`` [m s⁻¹] on a
        tz-aware index (from :func:`climatology_weather` or a weather file).
    tilt_deg, azimuth_deg : float
        Plane tilt and azimuth (180 = south). [°]
    system_losses_pct : float
        Total PVWatts system losses. [%]
    gamma_pdc_per_c : float
        Power temperature coefficient. [1/°C]
    inverter_efficiency : float
        Nominal inverter efficiency (PVWatts inverter, AC rating = efficiency × DC rating).
    albedo : float
        Ground albedo.

    References: Perez et al. (1990) transposition, SAPM cell temperature (King et al. 2004,
    open rack glass/glass), PVWatts v5 DC, losses and inverter (Dobos 2014).
    """
    import pvlib

    sp = pvlib.solarposition.get_solarposition(w.index, lat_deg, lon_deg, altitude=altitude_m)
    dni_extra = pvlib.irradiance.get_extra_radiation(w.index)
    airmass = pvlib.atmosphere.get_relative_airmass(sp["apparent_zenith"])
    poa = pvlib.irradiance.get_total_irradiance(tilt_deg, azimuth_deg, sp["apparent_zenith"], sp["azimuth"],
                                                w["dni"], w["ghi"], w["dhi"], dni_extra=dni_extra,
                                                airmass=airmass, albedo=albedo, model="perez")
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    poa_global = poa["poa_global"].fillna(0).clip(lower=0)
    tcell = pvlib.temperature.sapm_cell(poa_global, w["temp_air"], w["wind_speed"], **params)
    pdc = pvlib.pvsystem.pvwatts_dc(poa_global, tcell, 1000.0, gamma_pdc_per_c)
    pdc = pdc * (1 - system_losses_pct / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, 1000.0 * inverter_efficiency, eta_inv_nom=inverter_efficiency)
    return float(pac.clip(lower=0).sum() / 1000.0 * 8760.0 / len(w))


def co2_avoided_t(energy_mwh, factor_t_co2_mwh):
    """t CO2/yr avoided = MWh/yr × grid emission factor (t CO2/MWh)."""
    return np.asarray(energy_mwh, float) * factor_t_co2_mwh


def combined_margin(om_t_co2_mwh, bm_t_co2_mwh, w_om: float, w_bm: float):
    """Combined-margin grid factor ``EF_CM = w_OM · EF_OM + w_BM · EF_BM`` (CDM TOOL07 step 6).

    >>> round(float(combined_margin(0.9419, 0.4819, 0.75, 0.25)), 4)
    0.8269
    """
    if not np.isclose(w_om + w_bm, 1.0):
        raise ValueError(f"combined-margin weights must add up to 1, got {w_om} + {w_bm}")
    return w_om * np.asarray(om_t_co2_mwh, float) + w_bm * np.asarray(bm_t_co2_mwh, float)


def grid_factor(factors: pd.DataFrame, margins: pd.DataFrame, factor_id: str) -> dict:
    """One grid emission factor by id, with its sd, year, region and document.

    Parameters
    ----------
    factors : DataFrame indexed by id
        ``region, kind, year, factor_t_co2_mwh, sd_t_co2_mwh, document`` (catalog
        ``grid_emission_factors``).
    margins : DataFrame indexed by id
        ``region, om_id, bm_id, w_om, w_bm, document`` (catalog ``grid_combined_margin``): a
        combined margin is computed from its OM and BM rows (:func:`combined_margin`), its sd
        from theirs as independent errors, its year the older of the two.
    factor_id : str
    """
    if factor_id in factors.index:
        r = factors.loc[factor_id]
        return {"id": factor_id, "region": r["region"], "kind": r["kind"], "year": int(r["year"]),
                "t_co2_mwh": float(r["factor_t_co2_mwh"]), "sd_t_co2_mwh": float(r["sd_t_co2_mwh"]),
                "document": r["document"]}
    if factor_id in margins.index:
        m = margins.loc[factor_id]
        om, bm = factors.loc[m["om_id"]], factors.loc[m["bm_id"]]
        w_om, w_bm = float(m["w_om"]), float(m["w_bm"])
        return {"id": factor_id, "region": m["region"], "kind": "combined_margin",
                "year": int(min(om["year"], bm["year"])),
                "t_co2_mwh": float(combined_margin(om["factor_t_co2_mwh"], bm["factor_t_co2_mwh"], w_om, w_bm)),
                "sd_t_co2_mwh": float(np.hypot(w_om * om["sd_t_co2_mwh"], w_bm * bm["sd_t_co2_mwh"])),
                "document": f"{m['document']}; OM: {om['document']}; BM: {bm['document']}"}
    raise KeyError(f"unknown grid factor {factor_id!r}; known: {sorted(set(factors.index) | set(margins.index))}")


def default_grid_factor_ids(factors: pd.DataFrame, margins: pd.DataFrame,
                            province_prefix: str | None) -> tuple[str, str | None]:
    """The default factor for PV in a province and the alternative shown beside it.

    Default: the latest provincial average of the province (two-digit adcode prefix), else the
    latest regional average of the grid region that holds it, else the latest national average.
    Alternative: the combined margin of that grid region (offset methodologies), if any.
    """
    def holds(row) -> bool:
        pre = str(row["adcode_prefixes"]) if pd.notna(row["adcode_prefixes"]) else ""
        return province_prefix is not None and province_prefix in [x.strip() for x in pre.split(";")]

    main = None
    for kind in ("provincial_average", "regional_average"):
        cand = factors[(factors["kind"] == kind) & factors.apply(holds, axis=1)]
        if len(cand):
            main = cand.sort_values("year").index[-1]
            break
    if main is None:
        main = factors[factors["kind"] == "national_average"].sort_values("year").index[-1]
    alt = None
    for mid, m in margins.iterrows():
        if holds(factors.loc[m["om_id"]]):
            alt = mid
    return main, alt


def energy_draws(area_km2, yield_kwh_per_kwp: float, packing_density_mw_km2, ghi_ratio, losses_pct,
                 nominal_losses_pct: float, factors_t_co2_mwh: dict) -> dict:
    """Joint Monte Carlo draws of capacity, energy and CO2 avoided per zone.

    One draw of every coefficient is shared by all zones (a mis-estimated density or irradiance
    is wrong everywhere at once), so sums over zones keep their full spread.

    Parameters
    ----------
    area_km2 : array_like (k,)
        Eligible area per zone. [km²]
    yield_kwh_per_kwp : float
        Yield at the nominal GHI and losses. [kWh/kWp]
    packing_density_mw_km2, ghi_ratio, losses_pct : arrays (n,)
        Draws of the packing density [MW km⁻²], of annual GHI over its nominal value [-] and of
        the system losses [%] (yield scales with GHI and with 1 - losses).
    nominal_losses_pct : float
        The losses at which ``yield_kwh_per_kwp`` was computed. [%]
    factors_t_co2_mwh : dict of output name -> array (n,)
        Draws of each grid emission factor to apply, keyed by the name its CO2 draws get (e.g.
        ``co2_avoided_t_yr``). [t CO2 MWh⁻¹]

    Returns
    -------
    dict
        ``capacity_mw`` [MW], ``energy_gwh_yr`` [GWh/yr] and one t CO2/yr entry per factor,
        each an (n, k) array.
    """
    km2 = np.asarray(area_km2, float)[None, :]
    y = yield_kwh_per_kwp * np.asarray(ghi_ratio, float) * (1 - np.asarray(losses_pct, float) / 100.0) \
        / (1 - nominal_losses_pct / 100.0)
    cap = np.asarray(packing_density_mw_km2, float)[:, None] * km2
    en = cap * y[:, None] / 1000.0                                   # MW x kWh/kWp / 1000 = GWh
    out = {"capacity_mw": cap, "energy_gwh_yr": en}
    for name, f in factors_t_co2_mwh.items():
        out[name] = en * 1000.0 * np.asarray(f, float)[:, None]
    return out


def zone_intervals(draws: dict, lo: float = 5.0, hi: float = 95.0) -> dict:
    """5th/95th percentiles per zone and of the total over zones, from joint draws.

    The total's percentiles are taken over the summed draws (draw by draw), never by adding the
    zones' percentiles: with positively correlated zones the sum of the zones' 5th percentiles
    lies below the total's 5th percentile.

    Parameters
    ----------
    draws : dict of name -> array (n, k)

    Returns
    -------
    dict of name -> (p_lo (k,), p_hi (k,), total_lo, total_hi)

    Examples
    --------
    Two zones whose draws are anti-correlated: the total is exactly 10 in every draw.

    >>> d = {"x": np.array([[0.0, 10.0], [10.0, 0.0], [5.0, 5.0]])}
    >>> lo_, hi_, tlo, thi = zone_intervals(d)["x"]
    >>> float(tlo), float(thi), float(lo_[0] + lo_[1])
    (10.0, 10.0, 1.0)
    """
    out = {}
    for name, d in draws.items():
        d = np.asarray(d, float)
        p = np.percentile(d, [lo, hi], axis=0)
        t = np.percentile(d.sum(axis=1), [lo, hi])
        out[name] = (p[0], p[1], float(t[0]), float(t[1]))
    return out


def share_gap_closed(capacity_mw, total_1e4_kw: float, share_pct_now: float, target_pct: float) -> dict:
    """How much of the gap to a new-energy share of installed capacity new PV would close.

    With total installed capacity T and new-energy capacity N = share x T, adding X of PV gives
    share (N + X) / (T + X); the X needed for ``target`` is (target T - N) / (1 - target).
    """
    t = total_1e4_kw * 10.0  # MW
    n = share_pct_now / 100.0 * t
    s = target_pct / 100.0
    need = max(0.0, (s * t - n) / (1 - s))
    cap = float(np.sum(capacity_mw))
    return {"needed_mw": need, "pv_mw": cap, "closed_pct": 100.0 * cap / need if need > 0 else 100.0,
            "share_with_pv_pct": 100.0 * (n + cap) / (t + cap)}
