"""The carbon edge: reads the catalog's Tier 1 tables and climate data, decides each county's
IPCC climate zone, and builds the densities the pure functions of
:mod:`geo_sink.sinks.carbon` take."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo_sink.catalog import Catalog
from geo_sink.sinks.climate import apply_overrides, county_climate
from geo_sink.sinks.tier1 import Tier1Defaults


def tier1_defaults(cat: Catalog, edition: str = "2006") -> Tier1Defaults:
    """The catalog's IPCC Tier 1 parameters and pool formulas."""
    path = cat.dataset_path("ipcc_tier1_defaults")
    return Tier1Defaults.from_tables(pd.read_csv(path), pd.read_csv(cat.dataset_path("tier1_pool_formulas")),
                                     edition=edition, source=str(path.name))


def county_climate_zones(zones: gpd.GeoDataFrame, cat: Catalog, overrides=None) -> pd.DataFrame:
    """IPCC climate zone of every zone: nearest catalog station, MAT moved to the zone's mean
    elevation (pvlib's bundled 1/12 deg grid), the Annex 3A.5 rule; then the project's overrides.

    Returns the table of :func:`geo_sink.sinks.climate.county_climate` (one row per zone).
    """
    from geo_sink.io.elevation import altitude_window
    from geo_sink.zonal.continuous import zonal_density_sum

    stations = pd.read_csv(cat.dataset_path("climate_stations"), dtype={"station_id": str})
    params = pd.read_csv(cat.dataset_path("climate_parameters")).set_index("name")["value"].astype(float)
    ll = zones.to_crs(4326)
    elev, grid = altitude_window(ll.total_bounds, path=cat.dataset_path("pvlib_altitude"))
    mean_elev = zonal_density_sum((elev, grid), ll, per_area_unit_m2=1.0)["mean"].to_numpy()
    pts = ll.geometry.representative_point()
    clim = county_climate(ll["zone_id"], ll["zone_name"], pts.x.to_numpy(), pts.y.to_numpy(), mean_elev,
                          stations, float(params["lapse_rate_c_per_100m"]), float(params["max_station_distance_km"]))
    return apply_overrides(clim, overrides)


def density_for(cat: Catalog, legend, codes, zones: gpd.GeoDataFrame, pools=None, climate_zone=None,
                edition: str = "2006", climate: pd.DataFrame | None = None):
    """The densities a carbon run uses, and the climate table behind them.

    Parameters
    ----------
    cat : Catalog
    legend : Legend
    codes : land-cover codes present
    zones : zones with ``zone_id, zone_name``
    pools : PoolTable, optional
        A user's pools table for every county (then no climate zones are decided).
    climate_zone : str or dict, optional
        The project's or the command line's climate zones (:func:`apply_overrides`).
    edition : "2006" or "2019"
    climate : DataFrame, optional
        The zones' climate table (:func:`county_climate_zones`) when the caller has it already
        (then ``climate_zone`` is not read again).

    Returns
    -------
    (ZonedDensities, climate DataFrame or None, Tier1Defaults or None)
    """
    from geo_sink.sinks.carbon import table_densities, tier1_densities

    if pools is not None:
        return table_densities(pools, codes, zones["zone_id"]), None, None
    if climate is None:
        climate = county_climate_zones(zones, cat, climate_zone)
    decided = climate.dropna(subset=["climate_zone"])
    tier1 = tier1_defaults(cat, edition)
    return tier1_densities(tier1, legend, codes, dict(zip(decided["zone_id"], decided["climate_zone"]))), climate, tier1


def ecosystem_legend(cat: Catalog, legends):
    """A legend whose codes are the catalog's ecosystem classes (1, 2, ... in ``ecosystems.yaml``
    order): what maps in different legends have in common, and what the IPCC Tier 1 densities
    are keyed by (a class's density depends only on its ecosystem and the climate zone)."""
    from geo_sink.catalog.loader import note_read
    from geo_sink.catalog.models import Legend, LegendClass

    note_read("file", "ecosystems.yaml")
    ids = "+".join(lg.id for lg in legends)
    classes = [LegendClass(code=i, name=e.name, name_zh=e.name_zh, ecosystem=e.id, color="#808080")
               for i, e in enumerate(cat.ecosystems.values(), start=1)]
    return Legend(id=f"{ids} ecosystem classes", name="common ecosystem classes",
                  product_resolution_m=max(lg.product_resolution_m for lg in legends),
                  source=f"data_catalog/ecosystems.yaml: the classes {', '.join(lg.id for lg in legends)} map to",
                  classes=classes)


def areas_by_ecosystem(areas: pd.DataFrame, eco_legend) -> pd.DataFrame:
    """Class areas (``zone_id, zone_name, class_code, ecosystem, area_km2``) summed per ecosystem
    class, coded as in :func:`ecosystem_legend`."""
    code = {c.ecosystem: c.code for c in eco_legend.classes}
    name = {c.ecosystem: c.name for c in eco_legend.classes}
    out = areas.assign(class_code=areas["ecosystem"].map(code), class_name=areas["ecosystem"].map(name))
    return out.groupby(["zone_id", "zone_name", "class_code", "class_name", "ecosystem"], as_index=False,
                       sort=False)["area_km2"].sum()


def density_table(dens, legend, zone_names: dict) -> pd.DataFrame:
    """The value table of a density map: ``climate_zone, class_code, class_name, density_mg_c_ha``
    and the counties each climate zone's rows are valid for (the class raster is the land-cover
    map itself)."""
    import numpy as np

    names = {c.code: c.name for c in legend.classes}
    rows = []
    for k, g in enumerate(dens.groups):
        members = ",".join(str(zone_names.get(z, z)) for z, grp in dens.zone_group.items() if grp == g)
        total = np.asarray(dens.mean[k]).sum(axis=1)
        rows += [{"climate_zone": g, "class_code": int(c), "class_name": names.get(int(c), ""),
                  "density_mg_c_ha": float(v), "valid_for": members, "source": dens.source}
                 for c, v in zip(dens.codes, total)]
    return pd.DataFrame(rows)


def write_density_maps(lulc_path, out_path, dens, zone_names: dict, synthetic: bool = False,
                       form: str = "vrt") -> list:
    """Total carbon density (Mg C/ha) of a land-cover map: one file when every county shares one
    density table, else one per climate zone (``<stem>_<zone>.<ext>``, tagged with the counties
    it is valid for).

    ``form``: ``"vrt"`` a GDAL VRT that maps the land-cover file's codes through the density
    table (a float32 map to any GDAL reader, written in milliseconds; it refers to the land-cover
    file by its absolute path), or ``"cog"`` a self-contained float32 Cloud-Optimized GeoTIFF
    (:func:`geo_sink.io.rasters.write_cog_from`; seconds to a minute at province scale)."""
    from pathlib import Path

    import numpy as np

    from geo_sink.io.rasters import write_cog_from, write_lut_vrt
    from geo_sink.sinks.carbon import density_lut
    from geo_sink.sinks.pools import PoolTable

    out_path = Path(out_path)
    written = []
    for k, g in enumerate(dens.groups):
        path = out_path if len(dens.groups) == 1 else out_path.with_name(f"{out_path.stem}_{g}{out_path.suffix}")
        members = [str(zone_names.get(z, z)) for z, grp in dens.zone_group.items() if grp == g]
        lut = density_lut(PoolTable(dens.codes, dens.mean[k], np.zeros_like(dens.mean[k]), dens.source))
        tags = dict(UNITS="Mg C/ha", SYNTHETIC=str(bool(synthetic)).lower(), CLIMATE_ZONE=str(g),
                    VALID_FOR=",".join(members),
                    DESCRIPTION=f"total carbon density (above+below+soil+dead), {dens.source}, {g}")
        write = write_lut_vrt if form == "vrt" else write_cog_from
        written.append(write(lulc_path, path, lut, nodata=-1.0, **tags))
    return written


def carbon_density(landcover, dens, *, crs: str | None = None, band: int = 1):
    """Total carbon density (Mg C/ha, above + below + soil + dead) of a land-cover map as a
    DataArray on the map's grid: the map :func:`write_density_maps` writes, kept in memory (lazy
    when the map is a dask array: one lookup per chunk).

    Parameters
    ----------
    landcover : path-like or xarray.DataArray
        Land-cover codes (a file is opened with rioxarray, lazily, in 512 x 512 chunks).
    dens : ZonedDensities or PoolTable
        Densities per code (:func:`density_for`).
    crs : str, optional
        CRS when the map has none.

    Returns
    -------
    xarray.DataArray
        float32, ``units`` "Mg C ha-1", NaN (``_FillValue``) for nodata and codes without a
        density.  With several climate zones (one density table each) a leading dimension
        ``climate_zone`` holds one map per zone, ``valid_for`` the counties of each (as the COGs
        are written one per zone).
    """
    import numpy as np
    import xarray as xr

    from geo_sink.dataarrays import is_dataarray, like, north_up
    from geo_sink.sinks.carbon import ZonedDensities, density_lut
    from geo_sink.sinks.pools import PoolTable

    if not is_dataarray(landcover):
        import rioxarray
        landcover = rioxarray.open_rasterio(landcover, chunks={"x": 512, "y": 512})
    view = north_up(landcover, crs=crs, band=band)[0]
    if isinstance(dens, PoolTable):
        groups, means, members = ["all"], [dens.mean], [[]]
        codes, source = dens.codes, dens.source
    elif isinstance(dens, ZonedDensities):
        groups, means, codes, source = list(dens.groups), list(dens.mean), dens.codes, dens.source
        members = [[z for z, g in dens.zone_group.items() if g == k] for k in groups]
    else:
        raise TypeError(f"dens must be a PoolTable or ZonedDensities, got {type(dens).__name__}")
    size = int(max(codes)) + 1 if len(codes) else 1
    luts = [density_lut(PoolTable(np.asarray(codes), m, np.zeros_like(m), source), size=size, nodata=np.nan)
            for m in means]

    def lookup(block, lut):
        ok = np.isfinite(block) if block.dtype.kind == "f" else np.ones(block.shape, bool)
        ok &= (block >= 0) & (block < len(lut))
        return np.where(ok, lut[np.where(ok, block, 0).astype(np.int64)], np.nan).astype(np.float32)

    maps = [xr.apply_ufunc(lookup, view, kwargs={"lut": lut}, dask="parallelized", output_dtypes=[np.float32])
            for lut in luts]
    attrs = {"source": source, "description": "total carbon density: above + below + soil + dead"}
    if len(maps) == 1:
        out = like(view, maps[0].data, name="carbon_density", units="Mg C ha-1",
                   long_name="total carbon density", nodata=np.float32(np.nan), attrs=attrs)
        return out if isinstance(dens, PoolTable) else out.assign_attrs(climate_zone=str(groups[0]))
    out = xr.concat([like(view, m.data, name="carbon_density", units="Mg C ha-1", long_name="total carbon density",
                          nodata=np.float32(np.nan), attrs=attrs) for m in maps], dim="climate_zone")
    return out.assign_coords(climate_zone=[str(g) for g in groups],
                             valid_for=("climate_zone", [",".join(map(str, m)) for m in members]))


def map_stock_series(maps, zones: gpd.GeoDataFrame, legend, dens, co2_per_c: float, *, draws: int | None = None,
                     seed: int | None = None, total: tuple[str, str] | None = None, crs: str | None = None,
                     client=None):
    """Carbon stocks per county and pool for land-cover maps of several years, and the sinks
    between them (:func:`geo_sink.sinks.carbon.carbon_stock_series` over the exact class areas of
    :func:`geo_sink.zonal.class_areas`).

    Parameters
    ----------
    maps : {year: path or DataArray}, or a DataArray with a ``year`` or ``time`` dimension
        The land-cover maps, each a file or a DataArray (in memory or dask-backed), on any grids
        (a sink between maps on different grids is the caller's to refuse, as
        :func:`geo_sink.measurability.difference_problem` does in project runs).  Maps of a legend
        that are not for change between years (its producer's word, or two product versions:
        :func:`geo_sink.measurability.change_problem`) give the stocks and no sinks, with a
        :class:`NoSinkWarning` saying why.
    zones, legend, dens, co2_per_c
        As for :func:`~geo_sink.zonal.class_areas` and :func:`density_for`.
    draws, seed : Monte Carlo size and seed (defaults of :mod:`geo_sink.uncertainty`).
    total : (zone_id, zone_name), optional
        A row for all zones together.

    Returns
    -------
    (stocks, sinks, areas)
        The two tables of :func:`~geo_sink.sinks.carbon.carbon_stock_series` and ``{year:
        ZonalResult}``.
    """
    from geo_sink.dataarrays import is_dataarray
    from geo_sink.sinks.carbon import carbon_stock_series
    from geo_sink.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED
    from geo_sink.zonal import class_areas

    if is_dataarray(maps):
        dim = next((d for d in ("year", "time") if d in maps.dims), None)
        if dim is None:
            raise ValueError(f"maps: a DataArray of several years needs a 'year' or 'time' dimension, "
                             f"got {tuple(maps.dims)}")
        vals = maps.coords[dim].values
        years = [int(v) if dim == "year" else int(str(v)[:4]) for v in vals]
        maps = {y: maps.isel({dim: i}) for i, y in enumerate(years)}
    areas = {int(y): class_areas(m, zones, legend, crs=crs, client=client) for y, m in sorted(maps.items())}
    stocks, sinks = carbon_stock_series({y: r.areas[r.areas["ecosystem"] != "unknown"] for y, r in areas.items()},
                                        dens, co2_per_c, draws=DEFAULT_DRAWS if draws is None else draws,
                                        seed=DEFAULT_SEED if seed is None else seed, total=total)
    from geo_sink.measurability import change_problem
    problem = change_problem({y: legend for y in areas})
    if problem and len(sinks):
        import warnings
        warnings.warn(f"no stock-difference sink: {problem}", NoSinkWarning, stacklevel=2)
        sinks = sinks.iloc[0:0]
    return stocks, sinks, areas


class NoSinkWarning(UserWarning):
    """Maps whose difference is not a land-cover change (:func:`map_stock_series`): no sink."""
