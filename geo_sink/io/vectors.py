"""Reading zone layers from files (GeoPackage, Shapefile, GeoJSON, GeoParquet)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo_sink.errors import CRSError, GeometryError, InputDataError, MissingInputError

ZONE_COLUMNS = ["zone_id", "zone_name"]


class GeometryRepairWarning(UserWarning):
    """An invalid geometry was repaired with shapely.make_valid."""


def polygonal(geom):
    """Keep only the polygon parts of a geometry (make_valid may return collections)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def repair_zones(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Make every zone geometry a valid (Multi)Polygon, warning with the zone's id and name.

    Raises
    ------
    GeometryError
        A zone is empty, not polygonal, or has nothing polygonal left after repair.
    """
    geoms = gdf.geometry.values
    out = np.array(list(geoms), dtype=object)
    for i, g in enumerate(geoms):
        zid, name = gdf["zone_id"].iat[i], gdf["zone_name"].iat[i]
        if g is None or g.is_empty:
            raise GeometryError(f"{source}: zone {zid} ({name}) has an empty geometry")
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise GeometryError(f"{source}: zone {zid} ({name}) is a {g.geom_type}; expected "
                                "Polygon or MultiPolygon")
        if not g.is_valid:
            reason = shapely.is_valid_reason(g)
            fixed = polygonal(shapely.make_valid(g))
            if fixed is None:
                raise GeometryError(f"{source}: zone {zid} ({name}) is invalid ({reason}) and "
                                    "nothing polygonal is left after repair")
            warnings.warn(f"{source}: zone {zid} ({name}) had an invalid geometry ({reason}); "
                          f"repaired with make_valid (area {g.area:.6g} -> {fixed.area:.6g} "
                          "in layer units)", GeometryRepairWarning, stacklevel=2)
            out[i] = fixed
    gdf = gdf.copy()
    gdf["geometry"] = gpd.GeoSeries(out, crs=gdf.crs, index=gdf.index)
    return gdf


def read_zones(path, id_field: str | None = None, name_field: str | None = None,
               layer: str | None = None) -> gpd.GeoDataFrame:
    """Read polygons from a file as zones with ``zone_id`` and ``zone_name`` columns.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile, GeoJSON, FlatGeobuf or GeoParquet (``.parquet``).
    id_field : str, optional
        Column holding a unique zone id; default: the row number.
    name_field : str, optional
        Column holding the zone name (Chinese names welcome); default: the id.
    layer : str, optional
        Layer of a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``zone_id`` (str), ``zone_name`` (str), ``geometry``; CRS as in the file.
    """
    path = Path(path)
    if not path.exists():
        raise MissingInputError(f"{path}: zone file does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer)
    except Exception as e:  # pyogrio / arrow raise many kinds
        raise InputDataError(f"{path}: cannot read zones: {e}") from None
    if gdf.crs is None:
        raise CRSError(f"{path}: the zone layer has no CRS; set one (e.g. EPSG:4326) in the file")
    if len(gdf) == 0:
        raise InputDataError(f"{path}: the zone layer is empty")
    for field, what in ((id_field, "id"), (name_field, "name")):
        if field is not None and field not in gdf.columns:
            raise InputDataError(f"{path}: no field {field!r} for the zone {what}; the layer has "
                                 f"{[c for c in gdf.columns if c != gdf.geometry.name]}")
    ids = gdf[id_field].astype(str) if id_field else gdf.index.astype(str)
    if ids.duplicated().any():
        dup = sorted(set(ids[ids.duplicated()]))[:5]
        raise InputDataError(f"{path}: field {id_field!r} is not unique (e.g. {dup})")
    names = gdf[name_field].astype(str) if name_field else ids
    out = gpd.GeoDataFrame({"zone_id": ids.values, "zone_name": names.values},
                           geometry=gdf.geometry.values, crs=gdf.crs)
    return repair_zones(out, str(path))
