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
from geo_sink.grid import Grid
from geo_sink.io import write_table
from geo_sink.pv.siting import capacity_mw, eligible_mask, slope_aspect
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
           synthetic: bool) -> list[str]:
    cat = load_catalog()
    p = siting_parameters(cat)
    sp, pc = project.spec.subsidence, project.spec.pv_constraints
    from geo_sink.pipeline import landcover_inputs
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
    in_sub = np.nan_to_num(w_mm) >= sp.threshold_mm
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
    small = parcels["area_km2"] < p["min_parcel_km2"]
    lines.append(f"PV: {len(parcels)} parcels, {int(small.sum())} below {p['min_parcel_km2']} km² dropped "
                 f"({parcels.loc[small, 'area_km2'].sum():.3f} km²)")
    parcels = parcels[~small].reset_index(drop=True)
    if len(parcels) == 0:
        write_table(removed.assign(synthetic=synthetic), out_dir / "pv_exclusions.csv")
        return lines + ["PV: no parcel reaches the minimum area"]
    parcels["parcel_id"] = [f"P{i + 1:03d}" for i in range(len(parcels))]
    parcels["zone_id"] = parcels["parcel_id"]
    parcels["zone_name"] = parcels["parcel_id"]
    parcels["mean_slope_deg"] = zonal_density_sum((slope, grid), parcels, per_area_unit_m2=1.0, cache=False)["mean"].to_numpy()
    parcels["mean_subsidence_mm"] = zonal_density_sum((w_mm, grid), parcels, per_area_unit_m2=1.0, cache=False)["mean"].to_numpy()
    parcels["status"] = "unknown (no rate)" if sp.panels is not None else "see InSAR rate"
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
    write_table(out, out_dir / "pv_parcels.gpkg")
    write_table(out, out_dir / "pv_parcels.parquet")
    summary = out.groupby(["county_id", "county"]).agg(parcels=("parcel_id", "count"), eligible_km2=("area_km2", "sum"),
                                                       capacity_mw=("capacity_mw", "sum")).reset_index()
    write_table(summary.assign(synthetic=synthetic), out_dir / "pv_by_county.csv")
    write_table(removed.assign(synthetic=synthetic), out_dir / "pv_exclusions.csv")
    lines.append(f"PV: {len(out)} parcels, {out['area_km2'].sum():.2f} km² eligible, "
                 f"{out['capacity_mw'].sum():.0f} MW at {p['packing_density_mw_km2']:g} MW/km²")
    return lines
