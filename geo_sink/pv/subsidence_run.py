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
from geo_sink.pv.subsidence import (PIMParameters, los_to_vertical, subsided_area, subsidence_grid,
                                    subsidence_mask, subsidence_positive_down)

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


def unit_suffix(unit: str) -> str:
    """Column-name form of a unit: ``mm`` -> ``mm``, ``mm/yr`` -> ``mm_yr``."""
    return unit.replace("/", "_")


def run_subsidence(project, zones: gpd.GeoDataFrame, out_dir: Path, synthetic: bool) -> list[str]:
    """The subsidence land (:func:`subsidence_land`) and, when the project has land cover, the PV
    parcels on it (:func:`geo_sink.pv.siting_run.run_pv`): both steps in one call."""
    lines, land = subsidence_land(project, zones, out_dir, synthetic)
    if project.spec.landcover:
        from geo_sink.pv.siting_run import run_pv
        lines += run_pv(project, zones, out_dir, land["w"], land["grid"], synthetic, unit=land["unit"],
                        in_sub=land["in_sub"])
    return lines


def subsidence_land(project, zones: gpd.GeoDataFrame, out_dir: Path, synthetic: bool) -> tuple[list[str], dict]:
    """Subsidence (positive down) on its grid, written as a COG, with its boundary and the
    subsided area per county; returns the lines and ``{w, grid, unit, in_sub}`` for PV siting."""
    cat = load_catalog()
    sp = project.spec.subsidence
    out_dir = Path(out_dir)
    status = "unknown (no rate)"
    sign_note = "positive = subsidence (down)"
    if sp.panels is not None:
        panels = gpd.read_file(sp.panels)
        params = pim_parameters(cat)
        grid = panels_grid(panels, params)
        w = subsidence_grid(panels.to_crs(grid.crs), params, grid)
        unit = "mm"
        source = f"probability integral method over {len(panels)} panels (q={params.q}, tanβ={params.tan_beta}; final subsidence, mm)"
    else:
        with rasterio.open(sp.insar) as src:
            if src.crs is None:
                raise InputDataError(f"{sp.insar}: InSAR raster has no CRS")
            raw = src.read(1, masked=True).filled(np.nan).astype(np.float64)
            grid = Grid(src.width, src.height, src.transform, pyproj.CRS(src.crs.to_wkt()))
        unit = sp.unit
        if sp.line_of_sight:
            raw = los_to_vertical(raw, sp.incidence_deg)
        w = subsidence_positive_down(raw, sp.sign).astype(np.float32)
        sign_note = (f"raster sign: subsidence {sp.sign} ({'LOS away from the satellite / down is negative, as SBAS and LiCSBAS deliver it' if sp.sign == 'negative' else 'positive down'}); "
                     "here positive = subsidence, negative = uplift (never counted)")
        if unit == "mm/yr":
            status = (f"rate raster (mm/yr): parcels active where mean rate >= {sp.active_rate_mm_yr:g} mm/yr"
                      if sp.active_rate_mm_yr is not None else "rate raster (mm/yr), no activity threshold")
        source = (f"InSAR {Path(sp.insar).name} ({'LOS ' if sp.line_of_sight else ''}{'rate' if unit == 'mm/yr' else 'cumulative'}, {unit}"
                  f"{f', / cos {sp.incidence_deg:g}° to vertical' if sp.line_of_sight else ''})")
    thr, thr_unit = sp.threshold, sp.threshold_unit
    in_sub = subsidence_mask(w, unit, thr, thr_unit, sp.years)
    label = f"≥ {thr:g} {thr_unit}" + (" cumulative" if thr_unit == "mm" else "")
    if thr_unit != unit:
        label += f" ({'rate × ' if unit == 'mm/yr' else 'cumulative ÷ '}{sp.years:g} yr)"
    suf = unit_suffix(unit)
    name = "subsidence_mm.tif" if unit == "mm" else "subsidence_mm_yr.tif"
    with atomic_path(out_dir / name) as tmp:
        with rasterio.open(tmp, "w", driver="COG", width=grid.width, height=grid.height, count=1,
                           dtype="float32", crs=grid.crs.to_wkt(), transform=grid.transform, nodata=np.nan,
                           compress="DEFLATE") as dst:
            dst.write(w.astype(np.float32), 1)
            dst.update_tags(UNITS=f"{unit} (positive down = subsidence, negative = uplift)", SOURCE=source,
                            SYNTHETIC=str(synthetic).lower())
    area = subsided_area(w, grid, mask=in_sub)
    b = gpd.GeoDataFrame({"threshold": [thr], "threshold_unit": [thr_unit], "label": [label],
                          "raster_unit": [unit], "status": [status], "synthetic": [synthetic]},
                         geometry=[area], crs=grid.crs).to_crs(4326)
    with atomic_path(out_dir / "subsidence_boundary.geojson") as tmp:
        tmp.write_text(b.to_json(drop_id=True), encoding="utf-8")
    from geo_sink.zonal.areas import zone_geodesic_area_km2
    import shapely
    inter = gpd.GeoDataFrame(zones[["zone_id", "zone_name"]].copy(),
                             geometry=shapely.intersection(zones.geometry.values, b.geometry.iloc[0]), crs=4326)
    inter["subsided_km2"] = zone_geodesic_area_km2(inter)
    inter = pd.DataFrame(inter[inter["subsided_km2"] > 0].drop(columns="geometry"))
    inter.insert(2, "level", "county")
    wmax = float(np.nanmax(w)) if np.isfinite(w).any() else np.nan
    up = -float(np.nanmin(w)) if np.isfinite(w).any() and np.nanmin(w) < 0 else 0.0
    if len(inter):
        cid, cname = project.total_zone()
        inter = pd.concat([inter, pd.DataFrame([{"zone_id": cid, "zone_name": cname, "level": "city",
                                                 "subsided_km2": inter["subsided_km2"].sum()}])], ignore_index=True)
    write_table(inter.assign(**{f"max_subsidence_{suf}": wmax, "boundary": label, "source": source,
                                "sign_convention": sign_note, "synthetic": synthetic}),
                out_dir / "subsidence_by_county.csv")
    km2 = inter.loc[inter["level"] == "county", "subsided_km2"].sum() if len(inter) else 0.0
    lines = [f"subsidence from {source}: max {wmax:,.0f} {unit}{' vertical' if sp.insar is not None and sp.line_of_sight else ''}, "
             f"{km2:.1f} km² at {label}"]
    if up > 0:
        uplift = np.nan_to_num(w) < 0
        up_km2 = float(uplift.sum(axis=1) @ grid.row_cell_area_m2()) / 1e6
        lines.append(f"uplift: max {up:,.0f} {unit} on {up_km2:.2f} km² ({int(uplift.sum())} pixels), not counted as subsidence")
    return lines, {"w": w, "grid": grid, "unit": unit, "in_sub": in_sub}
