"""Carbon stocks by county and pool, and sinks by stock difference between years.

All functions are pure: tidy area tables and pool tables in, tidy tables out.  Areas are the
true areas of :func:`geo_sink.zonal.class_areas` (km^2); densities are Mg C/ha.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.sinks.pools import POOLS, PoolTable
from geo_sink.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED, lognormal_draws, percentile_interval

KM2_TO_HA = 100.0


def area_matrix(areas: pd.DataFrame, codes=None, zones: pd.DataFrame | None = None
                ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Zones x codes matrix of area in hectares from a tidy area table.

    Parameters
    ----------
    areas : DataFrame with ``zone_id, zone_name, class_code, area_km2``
    codes : sequence of int, optional
        Columns of the matrix (default: the codes present, sorted).
    zones : DataFrame with ``zone_id, zone_name``, optional
        Rows of the matrix (default: the zones present, in first-seen order).

    Returns
    -------
    (zones, codes, area_ha)
        ``zones`` has ``zone_id, zone_name`` in first-seen order; ``area_ha`` is (z, c).
    """
    if zones is None:
        zones = areas[["zone_id", "zone_name"]].drop_duplicates("zone_id").reset_index(drop=True)
    codes = np.array(sorted(areas["class_code"].unique()) if codes is None else list(codes), dtype=np.int64)
    w = areas.pivot_table(index="zone_id", columns="class_code", values="area_km2", aggfunc="sum",
                          fill_value=0.0)
    w = w.reindex(index=zones["zone_id"], columns=codes, fill_value=0.0)
    return zones, codes, w.to_numpy(dtype=float) * KM2_TO_HA


def _stock_frame(zones: pd.DataFrame, stock_mg_c: np.ndarray, co2_per_c: float, prefix="stock") -> pd.DataFrame:
    """(z, p) Mg C -> tidy rows per zone and pool, with a 'total' pool."""
    z, p = stock_mg_c.shape
    tot = np.column_stack([stock_mg_c, stock_mg_c.sum(axis=1)])
    names = list(POOLS) + ["total"]
    return pd.DataFrame({
        "zone_id": np.repeat(zones["zone_id"].to_numpy(), p + 1),
        "zone_name": np.repeat(zones["zone_name"].to_numpy(), p + 1),
        "pool": np.tile(names, z),
        f"{prefix}_mg_c": tot.reshape(-1),
        f"{prefix}_t_co2e": tot.reshape(-1) * co2_per_c,
    })


def carbon_stock(areas: pd.DataFrame, pools: PoolTable, co2_per_c: float) -> pd.DataFrame:
    """Carbon stock per zone and pool.

    Parameters
    ----------
    areas : DataFrame
        Tidy class areas (``zone_id, zone_name, class_code, area_km2``).
    pools : PoolTable
        Densities in Mg C/ha per code; every code in ``areas`` must be in it.
    co2_per_c : float
        t CO2 per t C (44/12, from the catalog).

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, pool, stock_mg_c, stock_t_co2e``; pools above, below, soil, dead
        and total.  stock = sum over codes of area (ha) x density (Mg C/ha).
    """
    zones, codes, a_ha = area_matrix(areas)
    dens = pools.mean[pools.rows_for(codes)]
    return _stock_frame(zones, a_ha @ dens, co2_per_c)


def stock_draws(a_ha: np.ndarray, mean: np.ndarray, sd: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Monte Carlo stocks: (n, zones, pools) Mg C for areas (z, c) and densities (c, p)."""
    rng = np.random.default_rng(seed)
    dens = lognormal_draws(mean, sd, n, rng)          # (n, c, p)
    return np.einsum("zc,ncp->nzp", a_ha, dens, optimize=True)


def carbon_stock_series(areas_by_year: dict[int, pd.DataFrame], pools: PoolTable, co2_per_c: float,
                        draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stocks for any number of years and the annual sinks between them, with 5-95% intervals.

    The same density draws serve every year, so a sink's interval reflects only what changes
    between the years (the land cover) times the uncertain densities.

    Parameters
    ----------
    areas_by_year : {year: tidy class areas}
    pools : PoolTable
    co2_per_c : float
    draws, seed : Monte Carlo size and seed.

    Returns
    -------
    stocks : DataFrame
        ``year, zone_id, zone_name, pool, stock_mg_c, stock_t_co2e, stock_t_co2e_p05,
        stock_t_co2e_p95``.
    sinks : DataFrame
        ``year_from, year_to, zone_id, zone_name, pool, sink_t_co2e_yr, sink_t_co2e_yr_p05,
        sink_t_co2e_yr_p95``: (stock_to - stock_from) / (year_to - year_from) x 44/12; positive
        is uptake.  One row set per consecutive pair of years and one for first -> last.
    """
    years = sorted(areas_by_year)
    all_codes = sorted(set().union(*[set(a["class_code"]) for a in areas_by_year.values()]))
    rows = pools.rows_for(all_codes)
    mean, sd = pools.mean[rows], pools.sd[rows]
    zones = pd.concat([a[["zone_id", "zone_name"]] for a in areas_by_year.values()]).drop_duplicates(
        "zone_id").reset_index(drop=True)
    a_ha = {y: area_matrix(areas_by_year[y], all_codes, zones)[2] for y in years}
    det = {y: a_ha[y] @ mean for y in years}
    pairs = list(zip(years[:-1], years[1:]))
    if len(years) > 2:
        pairs.append((years[0], years[-1]))
    z, p = len(zones), len(POOLS) + 1
    st_q = {y: np.zeros((2, z, p)) for y in years}
    sk_q = {pr: np.zeros((2, z, p)) for pr in pairs}
    if draws:
        dens = lognormal_draws(mean, sd, draws, np.random.default_rng(seed))   # (n, c, p)
        # zones in chunks so memory stays ~ 64 MB per year whatever the number of counties
        step = max(1, int(64e6 // (8 * draws * p)))
        for z0 in range(0, z, step):
            sl = slice(z0, min(z, z0 + step))
            mc = {y: _with_total(np.einsum("zc,ncp->nzp", a_ha[y][sl], dens, optimize=True)) for y in years}
            for y in years:
                st_q[y][:, sl] = np.stack(percentile_interval(mc[y] * co2_per_c))
            for y0, y1 in pairs:
                sk_q[(y0, y1)][:, sl] = np.stack(percentile_interval((mc[y1] - mc[y0]) / (y1 - y0) * co2_per_c))
    stock_frames = []
    for y in years:
        f = _stock_frame(zones, det[y], co2_per_c).assign(year=y)
        if draws:
            f["stock_t_co2e_p05"], f["stock_t_co2e_p95"] = st_q[y][0].reshape(-1), st_q[y][1].reshape(-1)
        stock_frames.append(f)
    stocks = pd.concat(stock_frames, ignore_index=True)
    stocks = stocks[["year"] + [c for c in stocks.columns if c != "year"]]
    sink_frames = []
    for y0, y1 in pairs:
        f = _stock_frame(zones, (det[y1] - det[y0]) / (y1 - y0), co2_per_c, prefix="sink")
        f = f.drop(columns="sink_mg_c").rename(columns={"sink_t_co2e": "sink_t_co2e_yr"})
        if draws:
            q = sk_q[(y0, y1)]
            f["sink_t_co2e_yr_p05"], f["sink_t_co2e_yr_p95"] = q[0].reshape(-1), q[1].reshape(-1)
        f.insert(0, "year_to", y1)
        f.insert(0, "year_from", y0)
        sink_frames.append(f)
    sinks = pd.concat(sink_frames, ignore_index=True) if sink_frames else pd.DataFrame()
    return stocks, sinks


def _with_total(d: np.ndarray) -> np.ndarray:
    """(n, z, p) -> (n, z, p + 1) with the pool total appended."""
    return np.concatenate([d, d.sum(axis=2, keepdims=True)], axis=2)


def density_lut(pools: PoolTable, size: int = 256, nodata: float = -1.0) -> np.ndarray:
    """Lookup table code -> total density (Mg C/ha, float32); codes without a row get ``nodata``."""
    lut = np.full(size, nodata, dtype=np.float32)
    ok = pools.codes < size
    lut[pools.codes[ok]] = pools.mean[ok].sum(axis=1)
    return lut


def stock_and_sink_table(stocks: pd.DataFrame, sinks: pd.DataFrame, year_from: int,
                         year_to: int | None = None) -> pd.DataFrame:
    """One row per zone and pool: the stock of ``year_from`` and, with ``year_to``, the later
    stock (``stock_later_*``) and the annual sink between them."""
    keys = ["zone_id", "zone_name", "pool"]
    cols = [c for c in stocks.columns if c.startswith("stock_")]
    out = stocks[stocks["year"] == year_from][keys + cols].reset_index(drop=True)
    if year_to is None:
        return out
    later = stocks[stocks["year"] == year_to][keys + ["stock_mg_c", "stock_t_co2e"]].rename(
        columns={"stock_mg_c": "stock_later_mg_c", "stock_t_co2e": "stock_later_t_co2e"})
    s = sinks[(sinks["year_from"] == year_from) & (sinks["year_to"] == year_to)]
    s = s[keys + [c for c in s.columns if c.startswith("sink_")]]
    return out.merge(later, on=keys, how="left").merge(s, on=keys, how="left")


def constants(path) -> dict[str, float]:
    """Catalog ``carbon_constants`` as {name: value}."""
    df = pd.read_csv(path)
    return dict(zip(df["name"], df["value"].astype(float)))
