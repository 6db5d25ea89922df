"""Wetland area by type, and the annual CO2 uptake and CH4 emission of wetlands.

Wetland types come from the legend (classes mapped to the ``wetland`` ecosystem) or from a
polygon layer such as named wetland parks.  CH4 is reported next to CO2, never netted silently:
both are in t CO2e/yr with the GWP from the catalog, and ``net_t_co2e_yr = uptake - CH4``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_sink.uncertainty import lognormal_draws, percentile_interval


def wetland_areas(areas: pd.DataFrame) -> pd.DataFrame:
    """Wetland area per zone and wetland type from tidy class areas (ecosystem ``wetland``)."""
    w = areas[areas["ecosystem"] == "wetland"]
    return (w.groupby(["zone_id", "zone_name", "class_name"], sort=False)["area_km2"].sum()
            .reset_index().rename(columns={"class_name": "wetland_type"}))


def wetland_polygon_areas(wetlands: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                          name_field: str = "name") -> pd.DataFrame:
    """Geodesic area (km^2) of each named wetland polygon inside each zone."""
    from geo_sink.zonal.areas import zone_geodesic_area_km2

    w = wetlands.to_crs(zones.crs)
    rows = []
    for _, z in zones.iterrows():
        inter = shapely.intersection(w.geometry.values, z.geometry)
        keep = ~shapely.is_empty(inter)
        if not keep.any():
            continue
        part = gpd.GeoDataFrame({"zone_id": z["zone_id"], "zone_name": z["zone_name"]},
                                geometry=list(inter[keep]), crs=zones.crs, index=range(int(keep.sum())))
        km2 = zone_geodesic_area_km2(part)
        for name, a in zip(w.loc[keep, name_field], km2):
            rows.append((z["zone_id"], z["zone_name"], str(name), float(a)))
    return pd.DataFrame(rows, columns=["zone_id", "zone_name", "wetland_type", "area_km2"])


def wetland_fluxes(wet: pd.DataFrame, rates: pd.DataFrame, gwp_ch4: float, co2_per_c: float,
                   draws: int = 0, seed: int = 0, total: tuple[str, str] | None = None) -> pd.DataFrame:
    """Annual CO2 uptake and CH4 emission of wetland areas, with optional 5-95% intervals.

    Parameters
    ----------
    wet : DataFrame
        ``zone_id, zone_name, wetland_type, area_km2``.
    rates : DataFrame
        Catalog ``accumulation_rates`` rows for ecosystem ``wetland``: flux
        ``co2_sequestration`` (Mg C/ha/yr) and ``ch4_emission`` (kg CH4/ha/yr), mean and sd.
    gwp_ch4 : float
        100-year GWP of CH4.
    co2_per_c : float
        44/12.
    draws, seed : int
        Monte Carlo draws (0: none).
    total : (zone_id, zone_name), optional
        Append a row for all rows together (``wetland_type`` ``(all)``), its interval from the
        sum of the same draws (one uptake rate and one CH4 factor shared by every wetland).

    Returns
    -------
    DataFrame
        ``wet`` + ``co2_uptake_t_co2e_yr, ch4_t_yr, ch4_t_co2e_yr, net_t_co2e_yr`` (and
        ``*_p05``, ``*_p95`` of uptake, CH4 and net when ``draws``): uptake = area_ha x rate x
        44/12, CH4 = area_ha x EF / 1000, net = uptake - CH4 x GWP.
    """
    r = rates.set_index("flux")
    seq, ch4 = r.loc["co2_sequestration"], r.loc["ch4_emission"]
    out = wet.copy()
    if total is not None and len(wet):
        out = pd.concat([out, pd.DataFrame({"zone_id": [str(total[0])], "zone_name": [str(total[1])],
                                            "wetland_type": ["(all)"], "area_km2": [float(wet["area_km2"].sum())]})],
                        ignore_index=True)
    ha = out["area_km2"].to_numpy(dtype=float) * 100.0
    out["co2_uptake_t_co2e_yr"] = ha * float(seq["mean"]) * co2_per_c
    out["ch4_t_yr"] = ha * float(ch4["mean"]) / 1000.0
    out["ch4_t_co2e_yr"] = out["ch4_t_yr"] * gwp_ch4
    out["net_t_co2e_yr"] = out["co2_uptake_t_co2e_yr"] - out["ch4_t_co2e_yr"]
    if draws:
        rng = np.random.default_rng(seed)
        d = lognormal_draws([float(seq["mean"]), float(ch4["mean"])],
                            [float(seq["sd"]), float(ch4["sd"])], draws, rng)  # (n, 2)
        up = ha[None, :] * d[:, :1] * co2_per_c
        em = ha[None, :] * d[:, 1:] / 1000.0 * gwp_ch4
        for name, v in (("co2_uptake_t_co2e_yr", up), ("ch4_t_co2e_yr", em), ("net_t_co2e_yr", up - em)):
            out[f"{name}_p05"], out[f"{name}_p95"] = percentile_interval(v)
    return out
