"""Where PV can go on subsidence land: exclusions, slope and aspect on true distances, exact
buffers, parcels with attributes, capacity.  Pure functions over arrays and geometries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_sink.grid import Grid


def slope_aspect(dem, grid: Grid | None = None):
    """Slope (deg) and aspect (deg clockwise from north, downslope direction) of a DEM (m).

    Horn's 3x3 gradient on true ground distances: on projected grids the cell size in metres (a
    metric, near-conformal grid such as UTM is assumed); on geographic grids each row's east-west
    spacing is ``N cos(lat) dlon`` and the north-south spacing the meridian arc ``M dlat`` on the
    CRS's ellipsoid.  Edge cells repeat their neighbours.

    ``dem`` is an array on ``grid``, or a DataArray with a CRS and a north-up grid (``grid``
    None); then slope and aspect are DataArrays on its grid (``units`` "degree").
    """
    from geo_sink.dataarrays import is_dataarray, like, north_up
    if is_dataarray(dem):
        view, g, _, _ = north_up(dem)
        slope, aspect = slope_aspect(view.values, g)
        return (like(view, slope, name="slope", units="degree", long_name="terrain slope (Horn, true distances)"),
                like(view, aspect, name="aspect", units="degree",
                     long_name="terrain aspect, downslope direction clockwise from north"))
    if grid is None:
        raise TypeError("slope_aspect: give the grid of a numpy DEM (or pass a DataArray)")
    z = np.pad(dem.astype(np.float64), 1, mode="edge")
    t = grid.transform
    if grid.crs.is_geographic:
        from geo_sink.geodesy import ellipsoid_of
        a, f = ellipsoid_of(grid.crs)
        e2 = f * (2 - f)
        lat = np.radians(t.f + t.e * (np.arange(grid.height) + 0.5))
        n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        m = a * (1 - e2) / (1 - e2 * np.sin(lat) ** 2) ** 1.5
        dx = (n * np.cos(lat) * np.radians(abs(t.a)))[:, None]
        dy = (m * np.radians(abs(t.e)))[:, None]
    else:
        dx, dy = abs(t.a), abs(t.e)
    zx = ((z[:-2, 2:] + 2 * z[1:-1, 2:] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[1:-1, :-2] + z[2:, :-2])) / (8 * dx)
    zy = ((z[2:, :-2] + 2 * z[2:, 1:-1] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[:-2, 1:-1] + z[:-2, 2:])) / (8 * dy)
    # rows run southwards on a north-up grid: dz/dnorth = -zy
    slope = np.degrees(np.arctan(np.hypot(zx, zy)))
    aspect = (np.degrees(np.arctan2(-zx, zy)) + 360.0) % 360.0
    return slope.astype(np.float32), aspect.astype(np.float32)


def north_facing(aspect: np.ndarray, halfwidth_deg: float) -> np.ndarray:
    """True where the downslope direction is within ``halfwidth_deg`` of north."""
    d = np.minimum(aspect, 360.0 - aspect)
    return d <= halfwidth_deg


def eligible_mask(in_subsidence: np.ndarray, excluded_classes: np.ndarray, excluded_zones: np.ndarray,
                  slope: np.ndarray, aspect: np.ndarray, p: dict) -> tuple[np.ndarray, pd.DataFrame]:
    """Eligible pixels and the area each rule removed (pixels), in order of application.

    Any of the arrays may be a DataArray (all on one grid): the mask is then a uint8 DataArray
    on its grid (:func:`mask_dataarray`).

    Parameters
    ----------
    in_subsidence : bool array, subsidence land
    excluded_classes : bool array, cropland/forest/wetland/water/built-up (land cover or layers)
    excluded_zones : bool array, red line and buffers (roads, settlements, rivers)
    slope, aspect : float arrays (deg)
    p : dict with ``max_slope_deg, max_north_slope_deg, north_aspect_halfwidth_deg``
    """
    rules = [("land cover / cropland layer", excluded_classes),
             ("red line and buffers", excluded_zones),
             ("slope", slope > p["max_slope_deg"]),
             ("north-facing slope", north_facing(aspect, p["north_aspect_halfwidth_deg"]) & (slope > p["max_north_slope_deg"]))]
    from geo_sink.dataarrays import is_dataarray
    template = next((a for a in (in_subsidence, excluded_classes, excluded_zones, slope, aspect) if is_dataarray(a)), None)
    ok = np.array(in_subsidence, dtype=bool)
    rows = []
    for name, bad in rules:
        bad = np.asarray(bad, dtype=bool)
        removed = ok & bad
        rows.append((name, int(removed.sum())))
        ok &= ~bad
    table = pd.DataFrame(rows, columns=["rule", "pixels_removed"])
    if template is None:
        return ok, table
    return mask_dataarray(template, ok, name="pv_eligible", long_name="land eligible for PV on subsidence land",
                          meanings="excluded eligible"), table


def mask_dataarray(template, mask: np.ndarray, *, name: str, long_name: str, meanings: str):
    """A boolean mask as a uint8 DataArray (1 = true) on ``template``'s grid, with CF flag
    attributes (``flag_values`` 0 1, ``flag_meanings``): writable with ``.rio.to_raster``."""
    from geo_sink.dataarrays import like
    return like(template, np.asarray(mask, dtype=np.uint8), name=name, units="1", long_name=long_name,
                attrs={"flag_values": np.array([0, 1], dtype=np.uint8), "flag_meanings": meanings})


def capacity_mw(area_km2, density_mw_km2) -> np.ndarray:
    """Installed capacity = area x packing density (MW)."""
    return np.asarray(area_km2, float) * density_mw_km2


def drop_small(parcels, min_km2: float):
    """Parcels of at least ``min_km2`` (column ``area_km2``), and the count and km² dropped."""
    small = parcels["area_km2"] < min_km2
    return parcels[~small].reset_index(drop=True), int(small.sum()), float(parcels.loc[small, "area_km2"].sum())
