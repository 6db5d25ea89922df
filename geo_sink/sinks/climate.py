"""IPCC climate zones per county: the decision rule, and a county's climate from stations.

Tier 1 defaults differ by climate zone (the reference soil stock of high-activity clay soils
is 38 t C/ha in the warm temperate dry zone, 50 in the cool temperate dry zone), so each
county's zone is decided from its climate with the IPCC rule:

* tropical: mean annual temperature (MAT) > 18 degC (montane above 1000 m; wet / moist / dry
  by annual precipitation MAP > 2000 / 1000-2000 / < 1000 mm);
* warm temperate: MAT > 10 degC; cool temperate: MAT > 0 degC; boreal: MAT <= 0 degC with a
  warmest month above 10 degC; polar otherwise;
* outside the tropics moist when MAP > potential evapotranspiration (PET), dry otherwise.

A county's MAT is its nearest reference station's MAT moved to the county's mean elevation
with a temperature lapse rate; MAP and PET are the station's.  All functions are pure.

References
----------
.. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
   Ch. 3 Annex 3A.5, Figure 3A.5.2 (classification scheme for default climate regions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.errors import InputDataError

ZONES = ("tropical_montane", "tropical_wet", "tropical_moist", "tropical_dry", "warm_temperate_moist",
         "warm_temperate_dry", "cool_temperate_moist", "cool_temperate_dry", "boreal_moist", "boreal_dry",
         "polar_moist", "polar_dry")
STATION_COLUMNS = ["station_id", "name", "lat", "lon", "elevation_m", "mat_c", "map_mm", "pet_mm", "period",
                   "source", "status"]


def ipcc_climate_zone(mat_c, map_mm, pet_mm, elevation_m=0.0, warmest_month_c=None) -> np.ndarray:
    """IPCC default climate zone from annual climate (vectorised).

    Parameters
    ----------
    mat_c : array_like
        Mean annual temperature (degC).
    map_mm : array_like
        Mean annual precipitation (mm).
    pet_mm : array_like
        Mean annual potential evapotranspiration (mm).
    elevation_m : array_like
        Elevation (m); used only to call tropical land above 1000 m montane.
    warmest_month_c : array_like, optional
        Mean temperature of the warmest month (degC): separates boreal (> 10) from polar where
        MAT <= 0; without it such places are boreal.

    Returns
    -------
    ndarray of str
        One of :data:`ZONES`.
    """
    mat = np.asarray(mat_c, dtype=float)
    wet = np.asarray(map_mm, dtype=float) > np.asarray(pet_mm, dtype=float)
    p = np.broadcast_to(np.asarray(map_mm, dtype=float), mat.shape)
    elev = np.broadcast_to(np.asarray(elevation_m, dtype=float), mat.shape)
    warm = (np.full(mat.shape, np.inf) if warmest_month_c is None
            else np.broadcast_to(np.asarray(warmest_month_c, dtype=float), mat.shape))
    moist = np.where(wet, "moist", "dry")
    tropical = np.where(elev > 1000, "tropical_montane",
                        np.where(p > 2000, "tropical_wet", np.where(p >= 1000, "tropical_moist", "tropical_dry")))
    out = np.where(mat > 18, tropical,
                   np.where(mat > 10, np.char.add("warm_temperate_", moist),
                            np.where(mat > 0, np.char.add("cool_temperate_", moist),
                                     np.where(warm > 10, np.char.add("boreal_", moist), np.char.add("polar_", moist)))))
    return out.astype(object)


def lapse_adjusted_mat(mat_station_c, station_elevation_m, target_elevation_m, lapse_c_per_100m: float):
    """MAT (degC) moved from a station's elevation to another: ``T - lapse x (z - z_station) / 100``."""
    return (np.asarray(mat_station_c, float)
            - lapse_c_per_100m * (np.asarray(target_elevation_m, float) - np.asarray(station_elevation_m, float)) / 100.0)


def nearest_station(lon, lat, stations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index (row of ``stations``) and great-circle distance (km) of the nearest station to
    each point (lon, lat in degrees; WGS 84 geodesic distance)."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
    slon, slat = stations["lon"].to_numpy(float), stations["lat"].to_numpy(float)
    d = np.empty((len(lon), len(slon)))
    for j in range(len(slon)):
        d[:, j] = geod.inv(lon, lat, np.full(len(lon), slon[j]), np.full(len(lon), slat[j]))[2] / 1000.0
    idx = d.argmin(axis=1)
    return idx, d[np.arange(len(lon)), idx]


def county_climate(zone_ids, zone_names, lon, lat, mean_elevation_m, stations: pd.DataFrame,
                   lapse_c_per_100m: float, max_distance_km: float) -> pd.DataFrame:
    """Climate and IPCC zone of each county from its nearest station.

    Parameters
    ----------
    zone_ids, zone_names : sequences
    lon, lat : array_like
        A point inside each county (deg, WGS 84).
    mean_elevation_m : array_like
        Each county's area-weighted mean elevation (m).
    stations : DataFrame
        :data:`STATION_COLUMNS`.
    lapse_c_per_100m : float
        Temperature lapse rate (degC per 100 m).
    max_distance_km : float
        A county farther than this from every station gets no zone (``climate_zone`` empty,
        with a note): its climate is not known well enough.

    Returns
    -------
    DataFrame
        ``zone_id, zone_name, station_id, station, distance_km, station_elevation_m,
        mean_elevation_m, mat_station_c, mat_c, map_mm, pet_mm, climate_zone, climate_basis``.
    """
    miss = [c for c in STATION_COLUMNS if c not in stations.columns]
    if miss:
        raise InputDataError(f"climate stations table: missing column(s) {miss}")
    idx, dist = nearest_station(lon, lat, stations)
    st = stations.iloc[idx].reset_index(drop=True)
    elev = np.asarray(mean_elevation_m, float)
    mat = lapse_adjusted_mat(st["mat_c"], st["elevation_m"], elev, lapse_c_per_100m)
    zone = ipcc_climate_zone(mat, st["map_mm"], st["pet_mm"], elev)
    far = dist > max_distance_km
    zone = np.where(far, None, zone)
    basis = np.where(far, f"no station within {max_distance_km:g} km: climate zone not determined",
                     [f"IPCC 2006 Annex 3A.5 rule on station {s} ({d:.0f} km), MAT moved to the county's "
                      f"mean elevation at {lapse_c_per_100m:g} degC/100 m" for s, d in zip(st["name"], dist)])
    return pd.DataFrame({
        "zone_id": list(zone_ids), "zone_name": list(zone_names), "station_id": st["station_id"].astype(str),
        "station": st["name"], "distance_km": dist, "station_elevation_m": st["elevation_m"].to_numpy(float),
        "mean_elevation_m": elev, "mat_station_c": st["mat_c"].to_numpy(float), "mat_c": mat,
        "map_mm": st["map_mm"].to_numpy(float), "pet_mm": st["pet_mm"].to_numpy(float),
        "climate_zone": zone, "climate_basis": basis})


def apply_overrides(climate: pd.DataFrame, overrides: dict[str, str] | str | None) -> pd.DataFrame:
    """A project's own climate zones over the decided ones.

    ``overrides`` is one zone for every county, or {county name or zone_id: zone}; every key must
    name a county and every value must be one of :data:`ZONES`.
    """
    if not overrides:
        return climate
    out = climate.copy()
    if isinstance(overrides, str):
        overrides = {z: overrides for z in out["zone_id"]}
    bad = sorted({v for v in overrides.values() if v not in ZONES})
    if bad:
        raise InputDataError(f"climate_zone: unknown zone(s) {bad}; expected one of {list(ZONES)}")
    for key, zone in overrides.items():
        hit = (out["zone_id"].astype(str) == str(key)) | (out["zone_name"].astype(str) == str(key))
        if not hit.any():
            raise InputDataError(f"climate_zone: {key!r} is not a county of this project "
                                 f"(counties: {', '.join(out['zone_name'].astype(str)[:8])}...)")
        out.loc[hit, "climate_zone"] = zone
        out.loc[hit, "climate_basis"] = "set by the project file (climate_zone)"
    return out
