"""Annual PV yield per kWp with pvlib, CO2 avoided, and the new-energy share targets.

Yield: hourly clear-sky irradiance for one year (Ineichen with pvlib's bundled Linke turbidity
climatology), scaled so that annual GHI equals the site value from the catalog, transposed to
a fixed south-facing plane (Hay-Davies), cell temperature (SAPM open-rack), PVWatts DC with the
temperature coefficient, the system losses and a PVWatts inverter.  Scaling clear-sky
components uniformly is a first-order stand-in for a TMY: give an hourly file for better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def weather(lat: float, lon: float, altitude: float, annual_ghi_kwh_m2: float, temp_air: float,
            wind: float, year: int = 2023) -> pd.DataFrame:
    """Hourly ghi/dni/dhi (W/m^2) scaled to ``annual_ghi_kwh_m2``, with air temperature and wind."""
    import pvlib

    times = pd.date_range(f"{year}-01-01 00:30", f"{year}-12-31 23:30", freq="h", tz="Etc/GMT-8")
    loc = pvlib.location.Location(lat, lon, tz="Etc/GMT-8", altitude=altitude)
    cs = loc.get_clearsky(times, model="ineichen")
    k = annual_ghi_kwh_m2 * 1000.0 / cs["ghi"].sum()
    w = cs[["ghi", "dni", "dhi"]] * k
    w["temp_air"] = temp_air
    w["wind_speed"] = wind
    w.attrs["clearsky_scale"] = k
    return w


def annual_yield_kwh_per_kwp(lat, lon, altitude, w: pd.DataFrame, tilt, azimuth, losses_pct, gamma_pdc,
                             inverter_eff, albedo=0.2) -> float:
    """AC energy (kWh) of 1 kWp in a year = full-load hours.

    Parameters
    ----------
    lat, lon, altitude : site (deg, deg, m)
    w : DataFrame from :func:`weather`
    tilt, azimuth : deg (azimuth 180 = south)
    losses_pct : total system losses (%)
    gamma_pdc : 1/degC
    inverter_eff : nominal inverter efficiency
    """
    import pvlib

    sp = pvlib.solarposition.get_solarposition(w.index, lat, lon, altitude=altitude)
    dni_extra = pvlib.irradiance.get_extra_radiation(w.index)
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, sp["apparent_zenith"], sp["azimuth"],
                                                w["dni"], w["ghi"], w["dhi"], dni_extra=dni_extra,
                                                albedo=albedo, model="haydavies")
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    tcell = pvlib.temperature.sapm_cell(poa["poa_global"], w["temp_air"], w["wind_speed"], **params)
    pdc = pvlib.pvsystem.pvwatts_dc(poa["poa_global"].fillna(0), tcell, 1000.0, gamma_pdc)
    pdc = pdc * (1 - losses_pct / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, 1000.0 * inverter_eff, eta_inv_nom=inverter_eff)
    return float(pac.clip(lower=0).sum() / 1000.0)


def co2_avoided_t(energy_mwh, factor_t_co2_mwh):
    """t CO2/yr avoided = MWh/yr x grid emission factor (t CO2/MWh)."""
    return np.asarray(energy_mwh, float) * factor_t_co2_mwh


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


WEATHER_COLUMNS = ["ghi", "dni", "dhi", "temp_air", "wind_speed"]


def read_weather(path) -> pd.DataFrame:
    """An hourly weather CSV (TMY or measured): ``time`` (ISO 8601 with UTC offset) and
    ``ghi, dni, dhi`` (W/m^2), ``temp_air`` (degC), ``wind_speed`` (m/s); one year of hours."""
    from geo_sink.errors import InputDataError

    df = pd.read_csv(path)
    miss = [c for c in ["time"] + WEATHER_COLUMNS if c not in df.columns]
    if miss:
        raise InputDataError(f"{path}: weather file lacks column(s) {miss}; expected time, {', '.join(WEATHER_COLUMNS)}")
    t = pd.to_datetime(df["time"], utc=False)
    if t.dt.tz is None:
        raise InputDataError(f"{path}: column 'time' needs a UTC offset (e.g. 2023-06-01T12:00+08:00)")
    w = df[WEATHER_COLUMNS].astype(float).set_index(pd.DatetimeIndex(t))
    if w.isna().any().any() or len(w) < 8760:
        raise InputDataError(f"{path}: weather needs one full year of hourly values without gaps ({len(w)} rows)")
    return w
