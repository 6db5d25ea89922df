"""Mine reclamation: reclamation rate, vegetation cover (NDVI, FVC), and the carbon sink of
reclaimed land.  Pure functions; reading scenes is :mod:`geo_sink.io.scenes`.

NDVI saturates at high cover (dense canopy keeps NDVI near its maximum while leaf area still
grows), so FVC near 1 separates poorly; outputs say so (:data:`NDVI_SATURATION_NOTE`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_sink.uncertainty import lognormal_draws, percentile_interval

NDVI_SATURATION_NOTE = ("FVC from the dimidiate pixel model; NDVI saturates at high cover, so values "
                        "near 1 separate dense stands poorly")


def ndvi(red, nir):
    """Normalised difference vegetation index (NIR - red) / (NIR + red); NaN where undefined.

    ``red`` and ``nir`` are reflectance arrays, or DataArrays (in memory or dask-backed, any
    dims, e.g. a time x y x x cube): the result is then a DataArray on their coordinates with
    ``units`` "1" and ``long_name``, lazy for dask.

    >>> ndvi(np.array([0.05, 0.0]), np.array([0.45, 0.0])).tolist()
    [0.7999999523162842, nan]
    """
    from geo_sink.dataarrays import is_dataarray
    if is_dataarray(red) or is_dataarray(nir):
        return _elementwise(_ndvi, (red, nir), name="ndvi", units="1",
                            long_name="normalised difference vegetation index")
    return _ndvi(red, nir)


def _elementwise(func, args, *, name: str, units: str, long_name: str, kwargs=None):
    """``func`` of numpy arrays applied to DataArrays (aligned, lazy for dask), result named and
    attributed (CF), on the grid mapping of the first."""
    import xarray as xr

    from geo_sink.dataarrays import cf_attrs, grid_mapping_name, is_dataarray
    first = next(a for a in args if is_dataarray(a))
    out = xr.apply_ufunc(func, *args, kwargs=kwargs or {}, dask="parallelized", output_dtypes=[np.float32])
    return out.rename(name).assign_attrs(cf_attrs(units, long_name, grid_mapping_name(first), np.float32(np.nan)))


def _ndvi(red, nir) -> np.ndarray:
    red = np.asarray(red, dtype=np.float32)
    nir = np.asarray(nir, dtype=np.float32)
    den = nir + red
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (nir - red) / den
    return np.where(np.isfinite(out) & (den > 0), out, np.nan).astype(np.float32)


def ndvi_endmembers(values: np.ndarray, soil_pct: float, veg_pct: float,
                    min_ndvi: float | None = None, max_soil_ndvi: float | None = None) -> tuple[float, float]:
    """NDVI of bare soil and full vegetation as percentiles of the valid values.

    ``min_ndvi``: values at or below it are left out of the percentiles (water, snow and cloud
    edges have NDVI <= 0; taken as 'soil', a scene with a few percent of water would put the soil
    end-member on the water and inflate every FVC).
    ``max_soil_ndvi``: a soil end-member above it is not bare soil (a green landscape with less
    bare land than ``soil_pct`` per cent of the pixels): ValueError rather than FVCs measured
    from vegetation taken for soil.

    >>> ndvi_endmembers(np.array([-0.4, -0.3, 0.1, 0.2, 0.5, 0.8]), 0, 100, min_ndvi=0.0)
    (0.1, 0.8)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if min_ndvi is not None:
        v = v[v > min_ndvi]
    if v.size == 0:
        raise ValueError("no valid NDVI value to take end-members from")
    lo, hi = np.percentile(v, [soil_pct, veg_pct])
    if max_soil_ndvi is not None and lo > max_soil_ndvi:
        raise ValueError(f"the soil end-member (NDVI {lo:.2f}, the {soil_pct:g}th percentile of the pixels read) is "
                         f"above {max_soil_ndvi:g}, the highest NDVI bare soil plausibly has: too little bare land "
                         "among those pixels for the percentile rule, FVC not measured")
    if hi <= lo:
        raise ValueError(f"NDVI end-members collapse (soil {lo:.3f} >= vegetation {hi:.3f})")
    return float(lo), float(hi)


def fvc(ndvi_values, ndvi_soil, ndvi_veg):
    """Fractional vegetation cover, dimidiate pixel model.

    ``FVC = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil)``, clipped to [0, 1]; NaN stays NaN.
    ``ndvi_values`` may be a DataArray (e.g. a time x y x x NDVI cube), and the end-members
    DataArrays along its leading dimensions (one pair per scene); the result is then a DataArray
    with ``units`` "1", lazy for dask.

    >>> fvc(np.array([0.1, 0.5, 0.9, np.nan]), 0.1, 0.7).tolist()
    [0.0, 0.6666666269302368, 1.0, nan]

    References
    ----------
    .. [1] Gutman, G. & Ignatov, A. (1998). The derivation of the green vegetation fraction from
       NOAA/AVHRR data for use in numerical weather prediction models. Int. J. Remote Sensing
       19, 1533-1543.
    """
    from geo_sink.dataarrays import is_dataarray
    if is_dataarray(ndvi_values):
        return _elementwise(_fvc, (ndvi_values, ndvi_soil, ndvi_veg), name="fvc", units="1",
                            long_name="fractional vegetation cover (dimidiate pixel model)")
    return _fvc(ndvi_values, ndvi_soil, ndvi_veg)


def _fvc(ndvi_values, ndvi_soil, ndvi_veg) -> np.ndarray:
    out = (np.asarray(ndvi_values, dtype=np.float32) - ndvi_soil) / (ndvi_veg - ndvi_soil)
    return np.where(np.isnan(out), np.nan, np.clip(out, 0.0, 1.0)).astype(np.float32)


def _geodesic_km2(geoms, crs) -> np.ndarray:
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    g = gpd.GeoDataFrame(geometry=list(geoms), crs=crs)
    return zone_geodesic_area_km2(g) if len(g) else np.zeros(0)


def disjoint_reclaimed(reclaimed: gpd.GeoDataFrame, year_field="year") -> gpd.GeoDataFrame:
    """Reclaimed polygons made disjoint: where polygons overlap, the earliest reclamation keeps
    the area (re-surveys of the same land are not counted twice)."""
    r = reclaimed.sort_values(year_field, kind="stable").reset_index(drop=True)
    done = None
    geoms = []
    from geo_sink.io.vectors import polygonal

    for g in r.geometry:
        piece = g if done is None else polygonal(shapely.difference(g, done))
        piece = shapely.Polygon() if piece is None else piece
        geoms.append(piece)
        done = g if done is None else shapely.union(done, g)
    out = r.copy()
    out["geometry"] = geoms
    out = out.set_geometry("geometry", crs=reclaimed.crs)
    return out[~out.geometry.is_empty].reset_index(drop=True)


def reclamation_rate(disturbed: gpd.GeoDataFrame, reclaimed: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                     mine_field="mine") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reclamation rate = reclaimed area / disturbed area, per mine and per county.

    Reclaimed land counts once (overlaps dissolved) and only inside the disturbed land.  Areas
    are geodesic (km^2).

    Returns
    -------
    per_mine : DataFrame ``mine, disturbed_km2, reclaimed_km2, rate_pct``
    per_zone : DataFrame ``zone_id, zone_name, disturbed_km2, reclaimed_km2, rate_pct``
    """
    crs = zones.crs
    d = disturbed.to_crs(crs)
    r = reclaimed.to_crs(crs)
    mines = sorted(set(d[mine_field]))
    dist_u = {m: shapely.union_all(d[d[mine_field] == m].geometry.values) for m in mines}
    rec_u = {m: shapely.intersection(shapely.union_all(r[r[mine_field] == m].geometry.values), dist_u[m])
             for m in mines}
    dk = _geodesic_km2([dist_u[m] for m in mines], crs)
    rk = _geodesic_km2([rec_u[m] for m in mines], crs)
    per_mine = pd.DataFrame({"mine": mines, "disturbed_km2": dk, "reclaimed_km2": rk})
    per_mine["rate_pct"] = 100.0 * per_mine["reclaimed_km2"] / per_mine["disturbed_km2"]
    all_d = shapely.union_all(list(dist_u.values()))
    all_r = shapely.union_all(list(rec_u.values()))
    zd = _geodesic_km2([shapely.intersection(g, all_d) for g in zones.geometry], crs)
    zr = _geodesic_km2([shapely.intersection(g, all_r) for g in zones.geometry], crs)
    per_zone = pd.DataFrame({"zone_id": zones["zone_id"].to_numpy(), "zone_name": zones["zone_name"].to_numpy(),
                             "disturbed_km2": zd, "reclaimed_km2": zr})
    per_zone["rate_pct"] = np.where(zd > 0, 100.0 * zr / np.where(zd > 0, zd, 1.0), np.nan)
    return per_mine, per_zone[per_zone["disturbed_km2"] > 0].reset_index(drop=True)


def reclamation_rate_by_year(disturbed: gpd.GeoDataFrame, reclaimed: gpd.GeoDataFrame,
                             zones: gpd.GeoDataFrame, mine_field="mine", year_field="year",
                             years=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reclamation rate as it stood at the end of each year: land reclaimed up to and
    including that year over today's disturbed land, per mine and per county.

    Parameters
    ----------
    years : iterable of int, optional
        Years to report; default every reclamation year present.

    Returns
    -------
    per_mine, per_zone : DataFrames as :func:`reclamation_rate`, with a ``year`` column.
    """
    ys = sorted(set(int(y) for y in (years if years is not None else reclaimed[year_field])))
    mines, counties = [], []
    for y in ys:
        m, z = reclamation_rate(disturbed, reclaimed[reclaimed[year_field].astype(int) <= y], zones,
                                mine_field=mine_field)
        mines.append(m.assign(year=y))
        counties.append(z.assign(year=y))
    if not ys:
        m, z = reclamation_rate(disturbed, reclaimed.iloc[:0], zones, mine_field=mine_field)
        return m.assign(year=pd.Series(dtype=int)), z.assign(year=pd.Series(dtype=int))
    return pd.concat(mines, ignore_index=True), pd.concat(counties, ignore_index=True)


RATE_COLUMNS = ["vegetation", "pool", "rate_mg_c_ha_yr", "sd_mg_c_ha_yr", "saturation_years"]


def check_reclaimed_rates(rates: pd.DataFrame, source: str = "reclaimed_carbon") -> pd.DataFrame:
    """Validate a reclaimed-land carbon rate table and return it.

    Every rate must be finite and >= 0, every sd >= 0, every saturation age > 0, and each
    (vegetation, pool) appears once.  Where a row carries the field observation it was derived
    from (``observed_gain_mg_c_ha`` over ``observed_age_years``, a chronosequence point), the rate
    must equal gain / age to 0.5% so the table cannot drift from its cited source.

    Parameters
    ----------
    rates : DataFrame
        Columns :data:`RATE_COLUMNS`, optionally ``observed_gain_mg_c_ha, observed_age_years``.
    source : str
        Name (usually the file path) used in error messages.

    Raises
    ------
    geo_sink.errors.InputDataError
        Naming ``source``, the row and the column.
    """
    from geo_sink.errors import InputDataError

    missing = [c for c in RATE_COLUMNS if c not in rates.columns]
    if missing:
        raise InputDataError(f"{source}: missing column(s) {missing}")
    dup = rates.duplicated(["vegetation", "pool"], keep=False)
    if dup.any():
        rows = rates.loc[dup, ["vegetation", "pool"]].drop_duplicates().to_records(index=False).tolist()
        raise InputDataError(f"{source}: (vegetation, pool) listed more than once: {rows}")
    for col, ok, what in (("rate_mg_c_ha_yr", lambda v: np.isfinite(v) & (v >= 0), "a finite rate >= 0"),
                          ("sd_mg_c_ha_yr", lambda v: np.isfinite(v) & (v >= 0), "a finite sd >= 0"),
                          ("saturation_years", lambda v: np.isfinite(v) & (v > 0), "an age > 0 years")):
        v = pd.to_numeric(rates[col], errors="coerce").to_numpy(dtype=float)
        bad = ~ok(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputDataError(f"{source}: row {i + 2} ({rates['vegetation'].iloc[i]}, {rates['pool'].iloc[i]}) "
                                 f"column {col}: expected {what}, got {rates[col].iloc[i]!r}")
    if {"observed_gain_mg_c_ha", "observed_age_years"} <= set(rates.columns):
        gain = pd.to_numeric(rates["observed_gain_mg_c_ha"], errors="coerce").to_numpy(dtype=float)
        age = pd.to_numeric(rates["observed_age_years"], errors="coerce").to_numpy(dtype=float)
        rate = rates["rate_mg_c_ha_yr"].to_numpy(dtype=float)
        for i in np.flatnonzero(np.isfinite(gain) | np.isfinite(age)):
            if not (np.isfinite(gain[i]) and np.isfinite(age[i]) and age[i] > 0):
                raise InputDataError(f"{source}: row {i + 2}: observed_gain_mg_c_ha and observed_age_years "
                                     f"go together (age > 0), got {gain[i]!r} and {age[i]!r}")
            if abs(rate[i] - gain[i] / age[i]) > 0.005 * gain[i] / age[i]:
                raise InputDataError(f"{source}: row {i + 2} ({rates['vegetation'].iloc[i]}, {rates['pool'].iloc[i]}) "
                                     f"column rate_mg_c_ha_yr: expected observed gain / age = "
                                     f"{gain[i] / age[i]:.4f}, got {rate[i]}")
    return rates


def reclaimed_carbon(pieces: pd.DataFrame, rates: pd.DataFrame, year: int, co2_per_c: float,
                     draws: int = 0, seed: int = 0) -> pd.DataFrame:
    """Annual and cumulative carbon uptake of reclaimed land.

    Each pool (biomass, soil) of each vegetation type accumulates at a constant rate (Mg C/ha/yr)
    from the reclamation year until ``saturation_years`` after it, then stops.

    Parameters
    ----------
    pieces : DataFrame
        ``zone_id, zone_name, vegetation, year`` (reclamation year), ``area_km2`` (disjoint).
    rates : DataFrame
        Catalog ``reclaimed_carbon``: ``vegetation, pool, rate_mg_c_ha_yr, sd_mg_c_ha_yr,
        saturation_years``.
    year : int
        The year "now".
    co2_per_c : float
    draws, seed : Monte Carlo (0: none).

    Returns
    -------
    DataFrame
        ``pieces`` + ``age_yr, sink_t_co2e_yr`` (now) and ``cumulative_t_co2e`` (since
        reclamation), with ``_p05/_p95`` when ``draws``, and ``rate_basis`` (per pool: ``field``
        chronosequence value or ``ipcc_tier1`` default) when the table has a ``basis`` column.

    References
    ----------
    Yuan, Y. et al. (2020) Forests 11(8), 819 (Pingshuo reclaimed forest biomass);
    李俊超 et al. (2014) 环境科学 35(10), 3842-3850 (Heidaigou reclaimed dump SOC, 0-100 cm).
    """
    rates = check_reclaimed_rates(rates)
    out = pieces.copy()
    age, acc_now, acc_cum = _accrual(out, rates, year)
    out["age_yr"] = age
    rate = rates["rate_mg_c_ha_yr"].to_numpy(dtype=float)
    out["sink_t_co2e_yr"] = rate @ acc_now * co2_per_c
    out["cumulative_t_co2e"] = rate @ acc_cum * co2_per_c
    if "basis" in rates.columns:
        basis = {v: "; ".join(f"{r.pool}: {r.basis}" for r in g.itertuples())
                 for v, g in rates.groupby("vegetation", sort=False)}
        out["rate_basis"] = out["vegetation"].map(basis)
    if draws:
        d = _rate_draws(rates, draws, seed)
        for name, acc in (("sink_t_co2e_yr", acc_now), ("cumulative_t_co2e", acc_cum)):
            out[f"{name}_p05"], out[f"{name}_p95"] = _intervals(d, acc, co2_per_c)
    return out


def reclaimed_carbon_by_zone(pieces: pd.DataFrame, rates: pd.DataFrame, year: int, co2_per_c: float,
                             draws: int = 0, seed: int = 0, total: tuple[str, str] | None = None) -> pd.DataFrame:
    """:func:`reclaimed_carbon` summed per zone (county), with intervals of the sums.

    The Monte Carlo draws one rate per (vegetation, pool) and applies it to every piece, so the
    5-95% interval of a county is taken over the county's summed draws.  Adding the pieces'
    percentiles instead would be right only for a single pool; with several independently drawn
    pools it overstates the spread.  The same ``seed`` gives the same draws as
    :func:`reclaimed_carbon`.  With ``total`` = (zone_id, zone_name) a last row sums every
    piece, its interval over the same summed draws.

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, reclaimed_km2, sink_t_co2e_yr, cumulative_t_co2e`` (+ ``_p05/_p95``).
    """
    rates = check_reclaimed_rates(rates)
    cols = ["zone_id", "zone_name", "reclaimed_km2", "sink_t_co2e_yr", "cumulative_t_co2e"]
    if not len(pieces):
        return pd.DataFrame(columns=cols + ([f"{c}_{p}" for c in cols[3:] for p in ("p05", "p95")] if draws else []))
    _, acc_now, acc_cum = _accrual(pieces, rates, year)
    keys = pieces[["zone_id", "zone_name"]].astype(str).agg("\x1f".join, axis=1)
    codes, uniq = pd.factorize(keys, sort=False)
    member = np.zeros((len(pieces), len(uniq)))
    member[np.arange(len(pieces)), codes] = 1.0
    first = pd.Series(np.arange(len(pieces))).groupby(codes).first().to_numpy()
    ids, names = list(pieces["zone_id"].to_numpy()[first]), list(pieces["zone_name"].to_numpy()[first])
    if total is not None:
        member = np.column_stack([member, np.ones(len(pieces))])
        ids.append(str(total[0]))
        names.append(str(total[1]))
    out = pd.DataFrame({"zone_id": ids, "zone_name": names,
                        "reclaimed_km2": pieces["area_km2"].to_numpy(dtype=float) @ member})
    rate = rates["rate_mg_c_ha_yr"].to_numpy(dtype=float)
    now, cum = acc_now @ member, acc_cum @ member
    out["sink_t_co2e_yr"] = rate @ now * co2_per_c
    out["cumulative_t_co2e"] = rate @ cum * co2_per_c
    if draws:
        d = _rate_draws(rates, draws, seed)
        for name, acc in (("sink_t_co2e_yr", now), ("cumulative_t_co2e", cum)):
            out[f"{name}_p05"], out[f"{name}_p95"] = _intervals(d, acc, co2_per_c)
    return out


def _accrual(pieces: pd.DataFrame, rates: pd.DataFrame, year: int):
    """Ages and the (rate rows x pieces) hectare-years that multiply each rate: accruing now
    (ha) and accrued since reclamation (ha x years, capped at saturation)."""
    unknown = sorted(set(pieces["vegetation"]) - set(rates["vegetation"]))
    if unknown:
        from geo_sink.errors import InputDataError
        raise InputDataError(f"reclaimed land: no carbon rates for vegetation {unknown}; known "
                             f"{sorted(set(rates['vegetation']))}")
    age = np.maximum(0, year - pieces["year"].to_numpy(dtype=float))
    ha = pieces["area_km2"].to_numpy(dtype=float) * 100.0
    veg = pieces["vegetation"].to_numpy()
    sat = rates["saturation_years"].to_numpy(dtype=float)[:, None]
    member = (rates["vegetation"].to_numpy()[:, None] == veg[None, :])
    acc_now = member * (age[None, :] < sat) * ha[None, :]
    acc_cum = member * np.minimum(age[None, :], sat) * ha[None, :]
    return age, acc_now, acc_cum


def _rate_draws(rates: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([lognormal_draws(r, s, draws, rng) for r, s in
                            zip(rates["rate_mg_c_ha_yr"], rates["sd_mg_c_ha_yr"])])


def _intervals(d: np.ndarray, acc: np.ndarray, factor: float, chunk: int = 256):
    """5-95% of ``d @ acc`` column by column, ``chunk`` columns at a time (bounded memory)."""
    lo, hi = np.empty(acc.shape[1]), np.empty(acc.shape[1])
    for j in range(0, acc.shape[1], chunk):
        lo[j:j + chunk], hi[j:j + chunk] = percentile_interval(d @ acc[:, j:j + chunk] * factor)
    return lo, hi


SERIES_COLUMNS = ["polygon_id", "mine", "zone_id", "zone_name", "scene", "product", "date", "mean_fvc",
                  "share_vegetated_pct", "valid_km2", "masked_km2", "ndvi_soil", "ndvi_veg", "cell_m"]


def fvc_by_polygon(red, nir, grid, polygons: gpd.GeoDataFrame, *, soil_pct: float, veg_pct: float,
                   threshold: float, endmembers: tuple[float, float] | None = None,
                   min_ndvi: float | None = None, max_soil_ndvi: float | None = None) -> pd.DataFrame:
    """Mean FVC and the share of area with FVC >= ``threshold`` for each polygon of one scene.

    Parameters
    ----------
    red, nir : float arrays on ``grid`` (NaN where masked), or 2-D DataArrays with a CRS and a
        north-up grid (``grid`` None: taken from them, as for files; the scene is read into
        memory, since the end-members are percentiles of all its valid NDVI)
    grid : Grid, or None with DataArrays
    polygons : GeoDataFrame with ``zone_id, zone_name``
    soil_pct, veg_pct : float
        Percentiles of the scene's valid NDVI taken as bare soil and full vegetation.
    threshold : float
        FVC from which a pixel counts as vegetated.
    endmembers : (ndvi_soil, ndvi_veg), optional
        Given values instead of percentiles.
    min_ndvi : float, optional
        NDVI at or below which a pixel (water, snow) is left out of the percentiles
        (:func:`ndvi_endmembers`).
    max_soil_ndvi : float, optional
        The highest soil end-member taken as bare soil (:func:`ndvi_endmembers`: ValueError above).

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, mean_fvc, share_vegetated_pct, valid_km2, masked_km2, ndvi_soil,
        ndvi_veg``; masked (cloud, shadow, nodata) area is reported, not treated as bare soil.
    """
    from geo_sink.dataarrays import is_dataarray, north_up
    from geo_sink.zonal.continuous import zonal_density_sum

    if is_dataarray(red) or is_dataarray(nir):
        (red, g1, _, l1), (nir, g2, _, l2) = north_up(red), north_up(nir)
        if g1.fingerprint() != g2.fingerprint():
            from geo_sink.errors import InputDataError
            raise InputDataError(f"{l2}: red and NIR are not on one grid ({l1})")
        if grid is not None and grid.fingerprint() != g1.fingerprint():
            from geo_sink.errors import InputDataError
            raise InputDataError(f"{l1}: the grid given differs from the DataArrays' own")
        red, nir, grid = red.values, nir.values, g1
    nd = ndvi(red, nir)
    lo, hi = endmembers or ndvi_endmembers(nd, soil_pct, veg_pct, min_ndvi, max_soil_ndvi)
    f = fvc(nd, lo, hi)
    veg = np.where(np.isnan(f), np.nan, (f >= threshold).astype(np.float32))
    m = zonal_density_sum((f, grid), polygons, per_area_unit_m2=1.0, cache=False)
    s = zonal_density_sum((veg, grid), polygons, per_area_unit_m2=1.0, cache=False)
    return pd.DataFrame({"zone_id": m["zone_id"], "zone_name": m["zone_name"], "mean_fvc": m["mean"],
                         "share_vegetated_pct": 100.0 * s["mean"], "valid_km2": m["valid_km2"],
                         "masked_km2": m["nodata_km2"], "ndvi_soil": lo, "ndvi_veg": hi})


VEGETATED = ("forest", "shrubland", "grassland", "cropland", "wetland")


def reclamation_from_transitions(transitions: pd.DataFrame, disturbed_ecosystem: str = "barren") -> pd.DataFrame:
    """Reclamation rate per county from land-cover change, when no mine polygons exist.

    Disturbed land is the land in ``disturbed_ecosystem`` (barren, including open pits and dumps
    in most legends) in the first year; reclaimed land is the part of it vegetated in the second.

    Parameters
    ----------
    transitions : DataFrame
        :func:`geo_sink.zonal.transitions.transition_areas` output.

    Returns
    -------
    DataFrame ``zone_id, zone_name, disturbed_km2, reclaimed_km2, rate_pct``; a map-derived
    proxy that also counts natural revegetation of bare land.
    """
    t = transitions[transitions["from_ecosystem"] == disturbed_ecosystem]
    g = t.groupby(["zone_id", "zone_name"], sort=False)
    out = pd.DataFrame({
        "disturbed_km2": g["area_km2"].sum(),
        "reclaimed_km2": t[t["to_ecosystem"].isin(VEGETATED)].groupby(["zone_id", "zone_name"], sort=False)["area_km2"].sum(),
    }).fillna(0.0).reset_index()
    out["rate_pct"] = 100.0 * out["reclaimed_km2"] / out["disturbed_km2"]
    return out
