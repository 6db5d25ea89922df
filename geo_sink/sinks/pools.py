"""Carbon pools tables (Mg C/ha per land-cover code), InVEST's CSV format accepted as it is.

An InVEST carbon pools CSV has ``lucode, c_above, c_below, c_soil, c_dead`` (Mg C/ha); extra
columns are ignored except ``c_<pool>_sd`` (standard deviations, used by the Monte Carlo) and
an optional ``unit`` column, which must say Mg C/ha (t C/ha).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo_sink.catalog.models import Legend
from geo_sink.errors import InputDataError, MissingInputError

POOLS = ("above", "below", "soil", "dead")
#: Above this a density cannot be Mg C/ha (the densest forests hold ~1000 Mg C/ha in all pools).
MAX_PLAUSIBLE_MG_C_HA = 1500.0
_UNITS_OK = {"mg c/ha", "mg c ha-1", "t c/ha", "tc/ha", "mgc/ha", "t c ha-1"}


@dataclass(frozen=True)
class PoolTable:
    """Carbon density per land-cover code and pool.

    Attributes
    ----------
    codes : ndarray of int, shape (n,)
    mean : ndarray, shape (n, 4)
        Mg C/ha for the pools ``above, below, soil, dead``.
    sd : ndarray, shape (n, 4)
        Standard deviations (Mg C/ha); zeros where the table gives none.
    source : str
        Where the table came from.
    """

    codes: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    source: str

    def rows_for(self, codes) -> np.ndarray:
        """Row index of each code (raises for codes the table lacks)."""
        pos = {int(c): i for i, c in enumerate(self.codes)}
        missing = sorted({int(c) for c in codes if int(c) not in pos})
        if missing:
            raise InputDataError(f"{self.source}: no carbon densities for land-cover codes {missing}")
        return np.array([pos[int(c)] for c in codes], dtype=np.int64)


def read_pools(path, legend: Legend | None = None) -> PoolTable:
    """Read and validate a carbon pools CSV.

    Parameters
    ----------
    path : path-like
        CSV with ``lucode, c_above, c_below, c_soil, c_dead`` in Mg C/ha.
    legend : Legend, optional
        When given, every class of the legend must have a row.

    Raises
    ------
    InputDataError
        Naming the file, the column and the row: missing columns or codes, NaN or non-numeric
        values, negative densities, duplicate codes, units other than Mg C/ha.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: carbon pools table does not exist")
    try:
        df = pd.read_csv(path)
    except Exception as e:
        raise InputDataError(f"{path}: not a readable CSV: {e}") from None
    df.columns = [c.strip().lower() for c in df.columns]
    need = ["lucode"] + [f"c_{p}" for p in POOLS]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputDataError(f"{path}: missing column(s) {missing}; expected InVEST's "
                             "lucode, c_above, c_below, c_soil, c_dead (Mg C/ha)")
    if "unit" in df.columns:
        bad = sorted({str(u) for u in df["unit"] if str(u).strip().lower() not in _UNITS_OK})
        if bad:
            raise InputDataError(f"{path}: column 'unit' says {bad}; densities must be in Mg C/ha (t C/ha)")
    cols = need + [f"c_{p}_sd" for p in POOLS if f"c_{p}_sd" in df.columns]
    for col in cols:
        num = pd.to_numeric(df[col], errors="coerce")
        bad = df.index[num.isna()].tolist()
        if bad:
            raise InputDataError(f"{path}: column {col!r} has missing or non-numeric values in "
                                 f"row(s) {[i + 2 for i in bad[:5]]} (lucode {df.loc[bad[:5], 'lucode'].tolist()})")
        if (num < 0).any():
            rows = df.index[num < 0].tolist()
            raise InputDataError(f"{path}: column {col!r} is negative for lucode "
                                 f"{df.loc[rows[:5], 'lucode'].tolist()}; densities must be >= 0")
        if col != "lucode" and (num > MAX_PLAUSIBLE_MG_C_HA).any():
            rows = df.index[num > MAX_PLAUSIBLE_MG_C_HA].tolist()
            raise InputDataError(f"{path}: column {col!r} holds {num[rows[0]]:g} for lucode "
                                 f"{df.loc[rows[0], 'lucode']}: not plausible in Mg C/ha (wrong units? "
                                 "g C/m2 or kg C/ha are 100x / 1000x larger)")
        df[col] = num
    if not (df["lucode"] == df["lucode"].round()).all():
        raise InputDataError(f"{path}: column 'lucode' must hold integer codes")
    codes = df["lucode"].astype(np.int64).to_numpy()
    dup = sorted({int(c) for c in codes if (codes == c).sum() > 1})
    if dup:
        raise InputDataError(f"{path}: duplicate lucode(s) {dup}")
    if legend is not None:
        lack = sorted(set(legend.codes) - set(codes.tolist()))
        if lack:
            raise InputDataError(f"{path}: no row for code(s) {lack} of legend {legend.id!r}")
    mean = df[[f"c_{p}" for p in POOLS]].to_numpy(dtype=float)
    sd = np.column_stack([df[f"c_{p}_sd"].to_numpy(dtype=float) if f"c_{p}_sd" in df.columns
                          else np.zeros(len(df)) for p in POOLS])
    return PoolTable(codes=codes, mean=mean, sd=sd, source=str(path))


def read_table(path, required: list[str]) -> pd.DataFrame:
    """A small coefficient CSV with required columns checked (file and column named on error)."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: table does not exist")
    df = pd.read_csv(path)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputDataError(f"{path}: missing column(s) {missing}")
    return df
