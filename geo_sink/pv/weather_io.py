"""Hourly weather files for the PV yield (I/O edge): geo-sink's CSV, EnergyPlus EPW, TMY3.

Every reader returns one year of hourly ``ghi, dni, dhi`` (W/m²), ``temp_air`` (°C) and
``wind_speed`` (m/s) on a tz-aware index whose stamps are the middle of each hour (the sun's
position of the stamp then stands for its hour).  Both EPW and TMY3 files hold values for the
hour *ending* at the stamp; ``pvlib.iotools.read_epw`` already stamps the start of that hour
(EPW hour 1 -> 00:00), so its index moves forward by 30 minutes, while ``read_tmy3`` keeps the
end (01:00), so its index moves back by 30 minutes.  A geo-sink CSV is taken as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_sink.errors import InputDataError
from geo_sink.pv.energy import WEATHER_COLUMNS

FORMATS = ("csv", "epw", "tmy3")


def weather_format(path, fmt: str | None = None) -> str:
    """The format of a weather file: ``fmt`` when given, ``epw`` for ``.epw``, otherwise ``csv``
    when the first line names a ``time`` column and ``tmy3`` when it does not."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"weather format must be one of {FORMATS}, got {fmt!r}")
        return fmt
    p = Path(path)
    if p.suffix.lower() == ".epw":
        return "epw"
    with open(p, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    return "csv" if "time" in [c.strip().strip('"').lower() for c in first.split(",")] else "tmy3"


def _check(w: pd.DataFrame, path, fmt: str) -> pd.DataFrame:
    miss = [c for c in WEATHER_COLUMNS if c not in w.columns]
    if miss:
        raise InputDataError(f"{path}: {fmt} weather lacks column(s) {miss}")
    w = w[WEATHER_COLUMNS].astype(float)
    if w.isna().any().any() or len(w) < 8760:
        raise InputDataError(f"{path}: weather needs one full year of hourly values without gaps ({len(w)} rows)")
    return w


def read_weather(path, fmt: str | None = None) -> pd.DataFrame:
    """One year of hourly weather from a file (see the module docstring).

    Parameters
    ----------
    path : path-like
        geo-sink CSV (``time`` in ISO 8601 with a UTC offset, then ``ghi, dni, dhi, temp_air,
        wind_speed``), EnergyPlus EPW, or TMY3 CSV.
    fmt : {"csv", "epw", "tmy3"}, optional
        The format, when the suffix and first line do not tell (see :func:`weather_format`).

    Returns
    -------
    DataFrame with ``ghi, dni, dhi, temp_air, wind_speed``; ``attrs["format"]`` names the format.
    """
    import pvlib

    fmt = weather_format(path, fmt)
    if fmt == "csv":
        df = pd.read_csv(path)
        miss = [c for c in ["time"] + WEATHER_COLUMNS if c not in df.columns]
        if miss:
            raise InputDataError(f"{path}: weather file lacks column(s) {miss}; expected time, {', '.join(WEATHER_COLUMNS)}")
        t = pd.to_datetime(df["time"], utc=False)
        if t.dt.tz is None:
            raise InputDataError(f"{path}: column 'time' needs a UTC offset (e.g. 2023-06-01T12:00+08:00)")
        w = _check(df.set_index(pd.DatetimeIndex(t)), path, fmt)
    else:
        try:
            if fmt == "epw":
                data, meta = pvlib.iotools.read_epw(path)
            else:
                data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
        except (ValueError, KeyError, IndexError, pd.errors.ParserError) as e:
            raise InputDataError(f"{path}: not a readable {fmt.upper()} file ({e})") from None
        w = _check(data, path, fmt)
        w.index = w.index + pd.Timedelta(minutes=30 if fmt == "epw" else -30)  # -> mid-hour stamps
        w.attrs["metadata"] = dict(meta)
    w.attrs["format"] = fmt
    return w
