"""PV siting of a project (I/O edge): masks on the subsidence grid, parcels, capacity.

Parcel score (the ranking in the outputs): ``capacity_mw x (1 - mean_slope / max_slope) /
(1 + road_km)``: large, flat parcels near a road first.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from rasterio.warp import Resampling, reproject

from geo_sink.catalog import load_catalog
from geo_sink.defaults import ENERGY_SEED  # the seed of the PV Monte Carlo, recorded in provenance
from geo_sink.grid import Grid
from geo_sink.io import write_table
from geo_sink.pv.siting import capacity_mw, drop_small, eligible_mask, slope_aspect
from geo_sink.zonal.areas import zone_geodesic_area_km2
from geo_sink.zonal.continuous import zonal_density_sum

EXCLUDED_ECOSYSTEMS = ("cropland", "forest", "wetland", "water", "built_up")


def siting_parameters(cat) -> dict:
    return dict(pd.read_csv(cat.dataset_path("pv_siting_parameters")).set_index("name")["value"].astype(float))


def burn(geoms, grid: Grid) -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros((grid.height, grid.width), bool)
    return rasterio.features.rasterize(((g, 1) for g in geoms), out_shape=(grid.height, grid.width),
                                       transform=grid.transform, fill=0, dtype="uint8").astype(bool)


def buffered(path_or_gdf, grid: Grid, distance_m: float) -> list:
    """Features of a layer buffered by an exact ground distance, in the grid's CRS.

    On a projected (metric) grid the buffer is drawn in the grid CRS; on a geographic grid in a
    local azimuthal equidistant CRS centred on the layer, then transformed, so the buffer is a
    true distance in metres either way (not a pixel-step diamond).
    """
    if path_or_gdf is None:
        return []
    g = gpd.read_file(path_or_gdf) if not isinstance(path_or_gdf, gpd.GeoDataFrame) else path_or_gdf
    if distance_m <= 0:
        return list(g.to_crs(grid.crs).geometry.values)
    if grid.crs.is_geographic:
        lon, lat = g.to_crs(4326).union_all().centroid.coords[0]
        local = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m"
        b = g.to_crs(local).geometry.buffer(distance_m, quad_segs=32)
        b = gpd.GeoSeries(shapely.segmentize(b.values, distance_m / 8), crs=local)
        return list(b.to_crs(grid.crs).values)
    return list(g.to_crs(grid.crs).geometry.buffer(distance_m, quad_segs=32).values)


def on_grid(path, grid: Grid, resampling, crs=None) -> np.ndarray:
    with rasterio.open(path) as src:
        out = np.zeros((grid.height, grid.width), dtype=src.dtypes[0])
        reproject(rasterio.band(src, 1), out, dst_transform=grid.transform, dst_crs=grid.crs.to_wkt(),
                  src_crs=crs or src.crs, resampling=resampling)
    return out


def parcels_from_mask(ok: np.ndarray, grid: Grid) -> gpd.GeoDataFrame:
    geoms = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
        ok.astype(np.uint8), mask=ok, transform=grid.transform, connectivity=4) if v == 1]
    return gpd.GeoDataFrame(geometry=geoms, crs=grid.crs)


def run_pv(project, zones: gpd.GeoDataFrame, out_dir: Path, w_mm: np.ndarray, grid: Grid,
           synthetic: bool, unit: str = "mm", in_sub: np.ndarray | None = None) -> list[str]:
    """Eligible parcels, capacity, yield and CO2 on the subsidence land of ``w_mm``.

    ``w_mm`` is subsidence positive down in ``unit`` (``mm`` cumulative or ``mm/yr``); ``in_sub``
    the subsidence land (the boundary mask; by default ``w_mm >= threshold_mm``)."""
    cat = load_catalog()
    p = siting_parameters(cat)
    sp, pc = project.spec.subsidence, project.spec.pv_constraints
    from geo_sink.steps.context import landcover_inputs
    lc = landcover_inputs(project, cat)[-1]
    legend = cat.legend(lc.legend)
    codes = on_grid(lc.path, grid, Resampling.nearest, lc.crs)
    bad_codes = [c.code for c in legend.classes if c.ecosystem in EXCLUDED_ECOSYSTEMS]
    excluded_classes = np.isin(codes, bad_codes) | np.isin(codes, legend.nodata)
    if pc is not None and pc.cropland is not None:
        excluded_classes |= burn(buffered(pc.cropland, grid, 0), grid)
    zone_geoms = []
    if pc is not None:
        zone_geoms += buffered(pc.redline, grid, 0)
        zone_geoms += buffered(pc.roads, grid, p["road_buffer_m"])
        zone_geoms += buffered(pc.settlements, grid, p["settlement_buffer_m"])
        zone_geoms += buffered(pc.rivers, grid, p["river_buffer_m"])
    excluded_zones = burn(zone_geoms, grid)
    if pc is not None and pc.dem is not None:
        dem = on_grid(pc.dem, grid, Resampling.bilinear).astype(np.float64)
        slope, aspect = slope_aspect(dem, grid)
    else:
        slope, aspect = np.zeros(w_mm.shape, np.float32), np.full(w_mm.shape, 180.0, np.float32)
    if in_sub is None:
        from geo_sink.pv.subsidence import subsidence_mask
        in_sub = subsidence_mask(w_mm, unit, sp.threshold, sp.threshold_unit, sp.years)
    ok, removed = eligible_mask(in_sub, excluded_classes, excluded_zones, slope, aspect, p)
    parcels = parcels_from_mask(ok, grid)
    lines = [f"PV: {int(in_sub.sum())} subsidence pixels; removed by rule: "
             + ", ".join(f"{r.rule} {r.pixels_removed}" for r in removed.itertuples())]
    if len(parcels) == 0:
        lines.append("PV: no eligible land left (all subsidence land excluded by the rules above)")
        write_table(removed.assign(synthetic=synthetic), out_dir / "pv_exclusions.csv")
        return lines
    ll = parcels.to_crs(4326)
    parcels["area_km2"] = zone_geodesic_area_km2(ll)
    n_all = len(parcels)
    parcels, n_small, km2_small = drop_small(parcels, p["min_parcel_km2"])
    lines.append(f"PV: {n_all} parcels, {n_small} below {p['min_parcel_km2']} km² dropped ({km2_small:.3f} km²)")
    if len(parcels) == 0:
        write_table(removed.assign(synthetic=synthetic), out_dir / "pv_exclusions.csv")
        return lines + ["PV: no parcel reaches the minimum area"]
    parcels["parcel_id"] = [f"P{i + 1:03d}" for i in range(len(parcels))]
    parcels["zone_id"] = parcels["parcel_id"]
    parcels["zone_name"] = parcels["parcel_id"]
    parcels["mean_slope_deg"] = zonal_density_sum((slope, grid), parcels, per_area_unit_m2=1.0, cache=False)["mean"].to_numpy()
    sub_col = f"mean_subsidence_{unit.replace('/', '_')}"
    parcels[sub_col] = zonal_density_sum((w_mm, grid), parcels, per_area_unit_m2=1.0, cache=False)["mean"].to_numpy()
    if unit == "mm/yr" and sp.active_rate_mm_yr is not None:
        parcels["status"] = np.where(parcels[sub_col] >= sp.active_rate_mm_yr, "active", "stable")
    elif unit == "mm/yr":
        parcels["status"] = "unknown (no active_rate_mm_yr given)"
    else:
        parcels["status"] = "unknown (no rate)"
    roads = gpd.read_file(pc.roads).to_crs(grid.crs).union_all() if pc is not None and pc.roads else None
    parcels["road_km"] = [g.distance(roads) / 1000.0 if roads is not None else np.nan for g in parcels.geometry]
    zl = zones.to_crs(grid.crs)
    parcels["county_id"] = [zl.iloc[int(np.argmax(shapely.area(shapely.intersection(zl.geometry.values, g))))]["zone_id"]
                            for g in parcels.geometry]
    parcels["county"] = parcels["county_id"].map(dict(zip(zones["zone_id"], zones["zone_name"])))
    parcels["capacity_mw"] = capacity_mw(parcels["area_km2"], p["packing_density_mw_km2"])
    parcels["score"] = parcels["capacity_mw"] * (1 - parcels["mean_slope_deg"] / p["max_slope_deg"]) / (1 + parcels["road_km"].fillna(0))
    parcels = parcels.sort_values("score", ascending=False).drop(columns=["zone_id", "zone_name"])
    parcels["rank"] = np.arange(1, len(parcels) + 1)
    parcels["synthetic"] = synthetic
    out = parcels.to_crs(4326)
    energy_lines, summary = _energy(project, cat, out, p, dem if pc is not None and pc.dem is not None else None, grid, zones)
    write_table(out, out_dir / "pv_parcels.gpkg")
    write_table(out, out_dir / "pv_parcels.parquet")
    write_table(summary.assign(synthetic=synthetic), out_dir / "pv_by_county.csv")
    write_table(removed.assign(synthetic=synthetic), out_dir / "pv_exclusions.csv")
    lines.append(f"PV: {len(out)} parcels, {out['area_km2'].sum():.2f} km² eligible, "
                 f"{out['capacity_mw'].sum():.0f} MW at {p['packing_density_mw_km2']:g} MW/km²")
    return lines + energy_lines


def energy_parameters(cat) -> pd.DataFrame:
    return pd.read_csv(cat.dataset_path("pv_energy_parameters")).set_index("name")


def climatology(cat) -> pd.DataFrame:
    """Monthly climatology (rows: month 1-12; columns: ghi_kwh_m2, dhi_kwh_m2, kt_daily_sd, kt_lag1, temp_air_c)."""
    t = pd.read_csv(cat.dataset_path("pv_weather_climatology"))
    return t.pivot(index="month", columns="name", values="value").sort_index()


def project_weather(project, cat, lat: float, lon: float, alt: float):
    """Hourly weather for the yield and a sentence saying where it came from."""
    from geo_sink.pv.energy import climatology_weather

    pvs = project.spec.pv
    if pvs is not None and pvs.weather is not None:
        from geo_sink.pv.weather_io import read_weather
        w = read_weather(pvs.weather, pvs.weather_format)
        return w, (f"hourly weather file {pvs.weather.name} ({w.attrs['format']}, {len(w)} h, "
                   f"GHI {w['ghi'].sum() / 1000 * 8760 / len(w):,.0f} kWh/m²)")
    v = energy_parameters(cat)["value"].astype(float)
    c = climatology(cat)
    w = climatology_weather(lat, lon, alt, c["ghi_kwh_m2"].to_numpy(), c["temp_air_c"].to_numpy(),
                            c["kt_daily_sd"].to_numpy(), c["kt_lag1"].to_numpy(), v["kt_min"], v["kt_max"],
                            v["wind_speed_m_s"], v["diurnal_temperature_range_c"], int(v["weather_seed"]))
    return w, (f"typical year from the catalog's {cat.dataset('pv_weather_climatology').title.split('(')[-1].split(';')[0]} "
               f"monthly climatology (GHI {c['ghi_kwh_m2'].sum():,.0f} kWh/m²): AR(1) daily clearness (seed {int(v['weather_seed'])}), "
               f"Collares-Pereira & Rabl hours, Erbs split ({100 * w['dhi'].sum() / w['ghi'].sum():.0f}% diffuse)")


def _energy(project, cat, out, p, dem, grid, zones, draws: int = 20_000, seed: int = ENERGY_SEED):
    """Yield per kWp at the parcels' centre; energy and CO2 per parcel, county and city with 5-95%
    from joint draws (packing density, GHI, losses, grid factor)."""
    from geo_sink.pv.energy import (annual_yield_kwh_per_kwp, co2_avoided_t, default_grid_factor_ids,
                                    energy_draws, grid_factor, zone_intervals)
    from geo_sink.uncertainty import lognormal_draws

    e = energy_parameters(cat)
    v = e["value"].astype(float)
    lon, lat = out.union_all().centroid.coords[0]
    alt = float(np.nanmean(dem)) if dem is not None else 0.0
    w, src = project_weather(project, cat, lat, lon, alt)
    y = annual_yield_kwh_per_kwp(lat, lon, alt, w, v["tilt_deg"], v["azimuth_deg"], v["system_losses_pct"],
                                 v["gamma_pdc_per_c"], v["inverter_efficiency"], v["albedo"])
    # grid factors: the project's choice, else the province's latest average and the regional combined margin
    from geo_sink.pv.grid_factors import grid_factor_tables
    factors, margins = grid_factor_tables(cat)
    ids = [str(z) for z in zones["zone_id"]]
    prefix = ids[0][:2] if ids and all(len(z) == 6 and z.isdigit() for z in ids) and len({z[:2] for z in ids}) == 1 else None
    main_id, alt_id = default_grid_factor_ids(factors, margins, prefix)
    pvs = project.spec.pv
    if pvs is not None and pvs.grid_factor:
        main_id = pvs.grid_factor
    if pvs is not None and pvs.alt_grid_factor:
        alt_id = pvs.alt_grid_factor
    gf = {"": grid_factor(factors, margins, main_id)}
    if alt_id is not None and alt_id != main_id:
        gf["alt_"] = grid_factor(factors, margins, alt_id)

    def factor_cols(pre, f):
        return {f"{pre}grid_factor_id": f["id"], f"{pre}grid_factor_region": f["region"],
                f"{pre}grid_factor_year": f["year"], f"{pre}grid_factor_t_co2_mwh": f["t_co2_mwh"],
                f"{pre}grid_factor_document": f["document"]}

    out["full_load_hours"] = y
    out["energy_gwh_yr"] = out["capacity_mw"] * y / 1000.0
    for pre, f in gf.items():
        out[f"co2_avoided_{pre}t_yr"] = co2_avoided_t(out["energy_gwh_yr"] * 1000.0, f["t_co2_mwh"])
        for k, val in factor_cols(pre, f).items():
            out[k] = val
    # joint Monte Carlo: one draw of each coefficient shared by all counties
    rng = np.random.default_rng(seed)
    dens = lognormal_draws(p["packing_density_mw_km2"], p["packing_density_sd_mw_km2"], draws, rng)
    ghi = lognormal_draws(v["ghi_scale"], e.loc["ghi_scale", "sd"], draws, rng)
    loss = lognormal_draws(v["system_losses_pct"], e.loc["system_losses_pct", "sd"], draws, rng)
    fdraw = {pre: lognormal_draws(f["t_co2_mwh"], f["sd_t_co2_mwh"], draws, rng) for pre, f in gf.items()}
    g = out.groupby(["county_id", "county"])
    summary = g.agg(parcels=("parcel_id", "count"), eligible_km2=("area_km2", "sum"), capacity_mw=("capacity_mw", "sum"),
                    energy_gwh_yr=("energy_gwh_yr", "sum"),
                    **{f"co2_avoided_{pre}t_yr": (f"co2_avoided_{pre}t_yr", "sum") for pre in gf}).reset_index()
    summary = summary.rename(columns={"county_id": "zone_id", "county": "zone_name"}).assign(level="county")
    d = energy_draws(summary["eligible_km2"].to_numpy(), y, dens, ghi / v["ghi_scale"], loss, v["system_losses_pct"],
                     {f"co2_avoided_{pre}t_yr": fd for pre, fd in fdraw.items()})
    iv = zone_intervals(d)
    cid, cname = project.total_zone()
    total = {"zone_id": cid, "zone_name": cname, "level": "city", **{c: summary[c].sum() for c in
             ["parcels", "eligible_km2", "capacity_mw", "energy_gwh_yr"] + [f"co2_avoided_{pre}t_yr" for pre in gf]}}
    for name, (lo, hi, tlo, thi) in iv.items():
        summary[f"{name}_p05"], summary[f"{name}_p95"] = lo, hi
        total[f"{name}_p05"], total[f"{name}_p95"] = tlo, thi
    summary = pd.concat([summary, pd.DataFrame([total])], ignore_index=True)
    summary["full_load_hours"] = y
    for pre, f in gf.items():
        for k, val in factor_cols(pre, f).items():
            summary[k] = val
    summary["weather"] = src
    summary = summary[["zone_id", "zone_name", "level"] + [c for c in summary.columns if c not in ("zone_id", "zone_name", "level")]]
    summary["interval_note"] = ("5-95% of 20,000 joint draws (packing density, GHI, losses, grid factor; one draw shared by "
                                "all counties); the city row is taken over the summed draws, not added county percentiles")
    f0 = gf[""]
    lines = [f"PV yield {y:,.0f} kWh/kWp ({y:,.0f} full-load hours; {src}; {v['tilt_deg']:g}° south, Perez, "
             f"{v['system_losses_pct']:g}% losses)"]
    lo_h, hi_h = v["full_load_hours_low_h"], v["full_load_hours_high_h"]
    if not lo_h <= y <= hi_h:
        lines.append(f"PV yield {y:,.0f} h is outside the expected band for northern Shanxi ({lo_h:,.0f}–{hi_h:,.0f} h): check the weather")
    tot = summary.iloc[-1]
    lines.append(f"PV {cname}: {tot['energy_gwh_yr']:,.0f} GWh/yr ({tot['energy_gwh_yr_p05']:,.0f}–{tot['energy_gwh_yr_p95']:,.0f}), "
                 f"{tot['co2_avoided_t_yr']:,.0f} t CO2/yr avoided ({tot['co2_avoided_t_yr_p05']:,.0f}–{tot['co2_avoided_t_yr_p95']:,.0f}) "
                 f"with grid factor {f0['id']} = {f0['t_co2_mwh']:.4f} t CO2/MWh ({f0['region']}, {f0['year']}; {f0['document']})")
    if "alt_" in gf:
        fa = gf["alt_"]
        lines.append(f"PV {cname}: {tot['co2_avoided_alt_t_yr']:,.0f} t CO2/yr ({tot['co2_avoided_alt_t_yr_p05']:,.0f}–"
                     f"{tot['co2_avoided_alt_t_yr_p95']:,.0f}) with the alternative {fa['id']} = {fa['t_co2_mwh']:.4f} t CO2/MWh "
                     f"({fa['region']}, {fa['year']}; {fa['document']})")
    return lines, summary
