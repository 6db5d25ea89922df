"""Carbon stocks by county and pool, and sinks by stock difference between years.

All functions are pure: tidy area tables and pool tables in, tidy tables out.  Areas are the
true areas of :func:`geo_sink.zonal.class_areas` (km^2); densities are Mg C/ha.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from geo_sink.sinks.pools import POOLS, PoolTable
from geo_sink.uncertainty import DEFAULT_DESIGN, DEFAULT_DRAWS, DEFAULT_SEED, percentile_interval, shared_lognormal_draws

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
    _tables_not_maps([areas])
    zones, codes, a_ha = area_matrix(areas)
    dens = pools.mean[pools.rows_for(codes)]
    return _stock_frame(zones, a_ha @ dens, co2_per_c)


@dataclass(frozen=True)
class ZonedDensities:
    """Carbon densities (Mg C/ha) per land-cover code for groups of zones (climate zones).

    Attributes
    ----------
    codes : ndarray (c,)
        Land-cover codes (columns).
    groups : list of str
        Group labels (IPCC climate zones, or one label for a single pools table).
    mean : ndarray (K, c, 4)
        Central densities per group, code and pool (above, below, soil, dead).
    draw : callable (n, rng, design) -> ndarray (n, K, c, 4)
        Monte Carlo densities; draws of a shared coefficient are shared between codes, pools
        and groups (see :mod:`geo_sink.uncertainty`).
    zone_group : dict
        zone_id -> group label.
    source : str
    """

    codes: np.ndarray
    groups: list
    mean: np.ndarray
    draw: Callable
    zone_group: dict
    source: str

    def group_of(self, zone_ids) -> np.ndarray:
        """Group index of each zone (raises naming the zones that have no group)."""
        pos = {g: i for i, g in enumerate(self.groups)}
        lack = [str(z) for z in zone_ids if self.zone_group.get(z) not in pos]
        if lack:
            from geo_sink.errors import InputDataError
            raise InputDataError(f"{self.source}: no carbon densities (climate zone) for zone(s) {lack[:8]}")
        return np.array([pos[self.zone_group[z]] for z in zone_ids], dtype=np.int64)


def table_densities(pools: PoolTable, codes, zone_ids) -> ZonedDensities:
    """One pools table for every zone; equal (mean, sd) entries share one draw."""
    rows = pools.rows_for(codes)
    mean, sd = pools.mean[rows], pools.sd[rows]
    label = "(pools table)"
    return ZonedDensities(np.asarray(codes, dtype=np.int64), [label], mean[None],
                          lambda n, rng, design=DEFAULT_DESIGN: shared_lognormal_draws(mean, sd, n, rng, design)[:, None],
                          {z: label for z in zone_ids}, pools.source)


def tier1_densities(tier1, legend, codes, zone_climate: dict) -> ZonedDensities:
    """IPCC Tier 1 densities of each zone's climate zone (:class:`geo_sink.sinks.tier1.Tier1Defaults`).

    ``zone_climate`` maps zone_id -> IPCC climate zone; codes map to ecosystems by ``legend``.
    """
    by = legend.by_code()
    missing = [int(c) for c in codes if int(c) not in by]
    if missing:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"legend {legend.id!r} has no class for code(s) {missing}")
    ecos = [by[int(c)].ecosystem for c in codes]
    groups = sorted({z for z in zone_climate.values() if z is not None})
    mean = np.stack([tier1.mean_densities(g, ecos) for g in groups]) if groups else np.zeros((0, len(ecos), 4))
    return ZonedDensities(np.asarray(codes, dtype=np.int64), groups, mean,
                          lambda n, rng, design=DEFAULT_DESIGN: tier1.draw_densities(groups, ecos, n, rng, design),
                          dict(zone_climate),
                          f"{tier1.source} (IPCC {tier1.edition})")


def stock_draws(a_ha: np.ndarray, mean: np.ndarray, sd: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Monte Carlo stocks: (n, zones, pools) Mg C for areas (z, c) and densities (c, p)."""
    rng = np.random.default_rng(seed)
    dens = shared_lognormal_draws(mean, sd, n, rng)          # (n, c, p)
    return np.einsum("zc,ncp->nzp", a_ha, dens, optimize=True)


def carbon_stock_series(areas_by_year: dict[int, pd.DataFrame], pools, co2_per_c: float,
                        draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
                        total: tuple[str, str] | None = None,
                        design: str = DEFAULT_DESIGN) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stocks for any number of years and the annual sinks between them, with 5-95% intervals.

    The same density draws serve every year, so a sink's interval reflects only what changes
    between the years (the land cover) times the uncertain densities.

    Parameters
    ----------
    areas_by_year : {year: tidy class areas}
    pools : PoolTable or ZonedDensities
        One table for all zones, or densities per climate zone (:func:`tier1_densities`).
    co2_per_c : float
    draws, seed : Monte Carlo size and seed.
    total : (zone_id, zone_name), optional
        Add a row for all zones together under this id and name (e.g. ``("140600", "朔州市")``):
        its interval comes from the sum of the same draws over the zones, never from adding
        zone percentiles.
    design : {"lhs", "random"}
        Sampling design of the coefficient draws (:func:`geo_sink.uncertainty.lognormal_draws`).

    Returns
    -------
    stocks : DataFrame
        ``year, zone_id, zone_name, climate_zone, pool, stock_mg_c, stock_t_co2e,
        stock_t_co2e_p05, stock_t_co2e_p95``.
    sinks : DataFrame
        ``year_from, year_to, zone_id, zone_name, climate_zone, pool, sink_t_co2e_yr,
        sink_t_co2e_yr_p05, sink_t_co2e_yr_p95``: (stock_to - stock_from) / (year_to -
        year_from) x 44/12; positive is uptake.  One row set per consecutive pair of years and
        one for first -> last.
    """
    _tables_not_maps(areas_by_year.values() if isinstance(areas_by_year, dict) else [areas_by_year])
    years = sorted(areas_by_year)
    all_codes = sorted(set().union(*[set(a["class_code"]) for a in areas_by_year.values()]))
    zones = pd.concat([a[["zone_id", "zone_name"]] for a in areas_by_year.values()]).drop_duplicates(
        "zone_id").reset_index(drop=True)
    dens_src = pools if isinstance(pools, ZonedDensities) else table_densities(pools, all_codes, zones["zone_id"])
    col = {int(c): i for i, c in enumerate(dens_src.codes)}
    lack = [c for c in all_codes if int(c) not in col]
    if lack:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"{dens_src.source}: no carbon densities for land-cover codes {lack}")
    sel = np.array([col[int(c)] for c in all_codes], dtype=np.int64)
    mean = dens_src.mean[:, sel]                          # (K, c, p)
    grp = dens_src.group_of(zones["zone_id"])            # (z,)
    a_ha = {y: area_matrix(areas_by_year[y], all_codes, zones)[2] for y in years}
    det = {y: np.einsum("zc,zcp->zp", a_ha[y], mean[grp]) for y in years}
    pairs = list(zip(years[:-1], years[1:]))
    if len(years) > 2:
        pairs.append((years[0], years[-1]))
    z, p = len(zones), len(POOLS) + 1
    st_q = {y: np.zeros((2, z, p)) for y in years}
    sk_q = {pr: np.zeros((2, z, p)) for pr in pairs}
    city = {y: np.zeros((draws, p)) for y in years} if draws and total else None
    if draws:
        _monte_carlo(dens_src.draw(draws, np.random.default_rng(seed), design)[:, :, sel], grp, a_ha, years, pairs,
                     co2_per_c, st_q, sk_q, city)
    climate = np.array(dens_src.groups, dtype=object)[grp] if len(grp) else np.array([], dtype=object)
    all_climate = "+".join(sorted(set(climate)))
    stock_frames = []
    for y in years:
        f = _stock_frame(zones, det[y], co2_per_c).assign(year=y, climate_zone=np.repeat(climate, p))
        if draws:
            f["stock_t_co2e_p05"], f["stock_t_co2e_p95"] = st_q[y][0].reshape(-1), st_q[y][1].reshape(-1)
        if total:
            t = _total_frame(total, det[y].sum(axis=0), co2_per_c, all_climate).assign(year=y)
            if draws:
                q = np.stack(percentile_interval(city[y] * co2_per_c))
                t["stock_t_co2e_p05"], t["stock_t_co2e_p95"] = q[0], q[1]
            f = pd.concat([f, t], ignore_index=True)
        stock_frames.append(f)
    stocks = pd.concat(stock_frames, ignore_index=True)
    stocks = stocks[["year", "zone_id", "zone_name", "climate_zone"] +
                    [c for c in stocks.columns if c not in ("year", "zone_id", "zone_name", "climate_zone")]]
    sink_frames = []
    for y0, y1 in pairs:
        f = _stock_frame(zones, (det[y1] - det[y0]) / (y1 - y0), co2_per_c, prefix="sink").assign(
            climate_zone=np.repeat(climate, p))
        if draws:
            q = sk_q[(y0, y1)]
            f["sink_t_co2e_yr_p05"], f["sink_t_co2e_yr_p95"] = q[0].reshape(-1), q[1].reshape(-1)
        if total:
            t = _total_frame(total, (det[y1] - det[y0]).sum(axis=0) / (y1 - y0), co2_per_c, all_climate, prefix="sink")
            if draws:
                q = np.stack(percentile_interval((city[y1] - city[y0]) / (y1 - y0) * co2_per_c))
                t["sink_t_co2e_yr_p05"], t["sink_t_co2e_yr_p95"] = q[0], q[1]
            f = pd.concat([f, t], ignore_index=True)
        f = f.drop(columns="sink_mg_c").rename(columns={"sink_t_co2e": "sink_t_co2e_yr"})
        f = f[["zone_id", "zone_name", "climate_zone"] + [c for c in f.columns if c not in ("zone_id", "zone_name", "climate_zone")]]
        f.insert(0, "year_to", y1)
        f.insert(0, "year_from", y0)
        sink_frames.append(f)
    sinks = pd.concat(sink_frames, ignore_index=True) if sink_frames else pd.DataFrame()
    return stocks, sinks


def _total_frame(total: tuple[str, str], stock_mg_c: np.ndarray, co2_per_c: float, climate: str,
                 prefix: str = "stock") -> pd.DataFrame:
    """(p,) Mg C of all zones -> the tidy rows of the total (pools + total)."""
    z = pd.DataFrame({"zone_id": [str(total[0])], "zone_name": [str(total[1])]})
    return _stock_frame(z, stock_mg_c[None, :], co2_per_c, prefix).assign(climate_zone=climate)


def _tables_not_maps(items) -> None:
    """Refuse land-cover maps where class-area tables go, naming the function that takes maps."""
    from geo_sink.dataarrays import is_dataarray
    for x in items:
        if is_dataarray(x) or not isinstance(x, pd.DataFrame):
            raise TypeError(f"expected tidy class-area tables (geo_sink.zonal.class_areas(...).areas), got "
                            f"{type(x).__name__}: for land-cover maps (files or DataArrays) use "
                            "geo_sink.sinks.carbon_run.map_stock_series")


def _monte_carlo(dens: np.ndarray, grp: np.ndarray, a_ha: dict, years: list, pairs: list, co2_per_c: float,
                 st_q: dict, sk_q: dict, city: dict | None, budget_bytes: float = 48e6, threads: int = 2) -> None:
    """Fill the 5-95% intervals of the stocks (``st_q[y]``: (2, z, p)) and sinks (``sk_q``) and
    the summed draws of the region (``city[y]``: (n, p)) from density draws ``dens`` (n, K, c,
    4) of each zone's group ``grp`` and areas ``a_ha[y]`` (z, c; ha).

    A zone's draws are laid out (pool, draw): each year's stock is one matrix product of the
    zones' areas with the group's densities (c, 4 n), and every percentile is taken along
    contiguous rows (:func:`geo_sink.uncertainty.row_percentiles`).  Zones go in chunks, every
    year of a chunk at once (a pair's sink needs both years) plus one temporary within
    ``budget_bytes`` per thread (at least one county: ~4 MB per year at 100,000 draws); chunks
    run on ``threads`` threads (BLAS and the partition release the GIL), each filling its own
    counties' rows.  The region's draws are one product of its summed areas per group and
    year."""
    from concurrent.futures import ThreadPoolExecutor

    from geo_sink.uncertainty import row_percentiles
    n, _, c, npool = dens.shape
    p = npool + 1
    step = max(1, int(budget_bytes // (8 * n * p * (len(years) + 1))))
    by_group = [np.ascontiguousarray(dens[:, k].transpose(1, 2, 0)).reshape(c, npool * n)
                for k in range(dens.shape[1])]      # (c, pool * n) per group
    del dens
    members = [np.flatnonzero(grp == k) for k in range(len(by_group))]
    chunks = [(k, m[z0:z0 + step]) for k, m in enumerate(members) for z0 in range(0, len(m), step)]

    def one(chunk):
        k, sl = chunk
        mc = {}
        for y in years:
            m = np.empty((len(sl), p, n))
            m[:, :npool] = (a_ha[y][sl] @ by_group[k]).reshape(len(sl), npool, n)
            np.sum(m[:, :npool], axis=1, out=m[:, npool])      # the pools' total
            mc[y] = m
        sk = {}
        for y0, y1 in pairs:
            d = mc[y1] - mc[y0]
            d /= (y1 - y0)
            d *= co2_per_c
            sk[(y0, y1)] = row_percentiles(d.reshape(-1, n), overwrite_input=True)
        st = {}
        for y in years:         # the sinks are taken: each year's draws are scaled and partitioned in place
            mc[y] *= co2_per_c
            st[y] = row_percentiles(mc[y].reshape(-1, n), overwrite_input=True)
        return sl, st, sk

    with ThreadPoolExecutor(max(1, threads)) as ex:
        for sl, st, sk in ex.map(one, chunks):
            for y, (lo, hi) in st.items():
                st_q[y][0, sl], st_q[y][1, sl] = lo.reshape(len(sl), p), hi.reshape(len(sl), p)
            for pr, (lo, hi) in sk.items():
                sk_q[pr][0, sl], sk_q[pr][1, sl] = lo.reshape(len(sl), p), hi.reshape(len(sl), p)
    if city is not None:
        # the region's draws: the same draws over all counties, the stock being linear in the
        # areas (the counties' areas summed per group, then one product per group and year)
        for y in years:
            tot = sum((a_ha[y][m].sum(axis=0) @ by_group[k]).reshape(npool, n) for k, m in enumerate(members) if len(m))
            city[y][:, :npool] += tot.T
            city[y][:, npool] += tot.sum(axis=0)


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
    cols = [c for c in stocks.columns if c.startswith("stock_")] + (["climate_zone"] if "climate_zone" in stocks else [])
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
