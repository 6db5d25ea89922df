"""Subsidence land of a project (I/O edge): from longwall panels (probability integral method)
or an InSAR raster, written as a COG, its boundary and the subsided area per county."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
from affine import Affine

from geo_sink.catalog import load_catalog
from geo_sink.errors import InputDataError
from geo_sink.grid import Grid
from geo_sink.io import write_table
from geo_sink.io.atomic import atomic_path
from geo_sink.pv.subsidence import PIMParameters, los_to_vertical, subsided_area, subsidence_grid

RES_M = 30.0


def pim_parameters(cat) -> PIMParameters:
    t = pd.read_csv(cat.dataset_path("subsidence_parameters")).set_index("name")["mean"]
    return PIMParameters(q=float(t["subsidence_factor_q"]), tan_beta=float(t["tan_beta"]),
                         s_over_h=float(t["offset_ratio_s_over_h"]), k_theta=float(t["propagation_k"]))


def utm_for(lon: float, lat: float) -> pyproj.CRS:
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def panels_grid(panels: gpd.GeoDataFrame, params: PIMParameters, res: float = RES_M) -> Grid:
    """A UTM grid around the panels with a margin of 3 influence radii."""
    lon, lat = panels.to_crs(4326).union_all().centroid.coords[0]
    crs = utm_for(lon, lat)
    b = panels.to_crs(crs).total_bounds
    margin = 3 * float(panels["depth_m"].max()) / params.tan_beta
    x0, y1 = np.floor((b[0] - margin) / res) * res, np.ceil((b[3] + margin) / res) * res
    w = int(np.ceil((b[2] + margin - x0) / res))
    h = int(np.ceil((y1 - (b[1] - margin)) / res))
    return Grid(w, h, Affine(res, 0, x0, 0, -res, y1), crs)


def run_subsidence(project, zones: gpd.GeoDataFrame, out_dir: Path, synthetic: bool) -> list[str]:
    cat = load_catalog()
    sp = project.spec.subsidence
    out_dir = Path(out_dir)
    status = "unknown (no rate)"
    if sp.panels is not None:
        panels = gpd.read_file(sp.panels)
        params = pim_parameters(cat)
        grid = panels_grid(panels, params)
        w = subsidence_grid(panels.to_crs(grid.crs), params, grid)
        source = f"probability integral method over {len(panels)} panels (q={params.q}, tanβ={params.tan_beta})"
    else:
        with rasterio.open(sp.insar) as src:
            if src.crs is None:
                raise InputDataError(f"{sp.insar}: InSAR raster has no CRS")
            w = src.read(1, masked=True).filled(np.nan).astype(np.float32)
            grid = Grid(src.width, src.height, src.transform, pyproj.CRS(src.crs.to_wkt()))
        if sp.line_of_sight:
            w = los_to_vertical(w, sp.incidence_deg)
        w = -w  # InSAR: negative = toward the ground; here positive = subsidence
        if sp.unit == "mm/yr":
            status = (f"rate raster (mm/yr): parcels active where mean rate >= {sp.active_rate_mm_yr:g} mm/yr"
                      if sp.active_rate_mm_yr is not None else "rate raster (mm/yr), no activity threshold")
        source = f"InSAR {Path(sp.insar).name} ({sp.unit}{', LOS' if sp.line_of_sight else ''})"
    with atomic_path(out_dir / "subsidence_mm.tif") as tmp:
        with rasterio.open(tmp, "w", driver="COG", width=grid.width, height=grid.height, count=1,
                           dtype="float32", crs=grid.crs.to_wkt(), transform=grid.transform, nodata=np.nan,
                           compress="DEFLATE") as dst:
            dst.write(w.astype(np.float32), 1)
            dst.update_tags(UNITS="mm (positive down)", SOURCE=source, SYNTHETIC=str(synthetic).lower())
    area = subsided_area(np.nan_to_num(w), grid, sp.threshold_mm)
    b = gpd.GeoDataFrame({"threshold_mm": [sp.threshold_mm], "status": [status], "synthetic": [synthetic]},
                         geometry=[area], crs=grid.crs).to_crs(4326)
    with atomic_path(out_dir / "subsidence_boundary.geojson") as tmp:
        tmp.write_text(b.to_json(drop_id=True), encoding="utf-8")
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    import shapely
    inter = gpd.GeoDataFrame(zones[["zone_id", "zone_name"]].copy(),
                             geometry=shapely.intersection(zones.geometry.values, b.geometry.iloc[0]), crs=4326)
    inter["subsided_km2"] = zone_geodesic_area_km2(inter)
    inter = pd.DataFrame(inter[inter["subsided_km2"] > 0].drop(columns="geometry"))
    write_table(inter.assign(max_subsidence_mm=float(np.nanmax(w)), source=source, synthetic=synthetic),
                out_dir / "subsidence_by_county.csv")
    lines = [f"subsidence from {source}: max {np.nanmax(w):,.0f} mm, "
             f"{inter['subsided_km2'].sum():.1f} km² beyond {sp.threshold_mm:g} mm"]
    if project.spec.landcover:
        from geo_sink.pv.siting_run import run_pv
        lines += run_pv(project, zones, out_dir, w, grid, synthetic)
    return lines
