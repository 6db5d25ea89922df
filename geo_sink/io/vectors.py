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
    """A zone geometry was changed or found degenerate before measuring: an invalid geometry
    repaired with shapely.make_valid, the non-polygonal parts of a GeometryCollection dropped,
    or a zero-area ring kept as a zone of area 0."""


def polygonal(geom):
    """Keep only the polygon parts of a geometry (make_valid may return collections)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in _leaves(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _leaves(geom) -> list:
    """The single-part geometries of ``geom``, collections (nested ones too) taken apart."""
    out, todo = [], [geom]
    while todo:
        g = todo.pop()
        if shapely.get_type_id(g) in (4, 5, 6, 7):      # Multi* and GeometryCollection
            todo.extend(reversed(list(shapely.get_parts(g))))
        else:
            out.append(g)
    return out


_POLYGONAL = (3, 6)           # shapely type ids of Polygon and MultiPolygon
_EMPTY_POLYGON = shapely.Polygon()


def make_valid(geom):
    """``shapely.make_valid`` with GEOS's 'structure' method where available: overlapping parts
    of a MultiPolygon become their union (the default 'linework' method keeps only the area
    covered an odd number of times), rings that collapse are dropped."""
    try:
        return shapely.make_valid(geom, method="structure", keep_collapsed=False)
    except (TypeError, ValueError, shapely.errors.UnsupportedGEOSVersionError):  # shapely < 2.1, GEOS < 3.10
        return shapely.make_valid(geom)


def repair_polygonal(geom, subject: str) -> tuple[object, str | None]:
    """The geometry to measure for one zone, and what was done to it.

    Parameters
    ----------
    geom : shapely geometry
        A zone as given: Polygon, MultiPolygon or a GeometryCollection with polygonal parts.
    subject : str
        How errors name the zone, e.g. ``"zone 140602 (朔城区)"``.

    Returns
    -------
    (geometry, detail)
        ``geometry`` is a valid Polygon or MultiPolygon, or an empty Polygon for a zone whose
        rings enclose no area (degenerate rings: its areas are all 0).  ``detail`` says what was
        done, to follow the zone's name in a :class:`GeometryRepairWarning`; None when there is
        nothing to report (``geom`` returned as it is, or a GeometryCollection of polygons that
        neither overlap nor come with other parts, returned as their union).

    Raises
    ------
    GeometryError
        The geometry is missing or empty, has no polygonal part (a point or a line), or has
        non-finite coordinates.
    """
    if geom is None or shapely.is_empty(geom):
        raise GeometryError(f"{subject} has an empty geometry")
    kind = geom.geom_type
    tid = shapely.get_type_id(geom)
    if tid not in _POLYGONAL and tid != 7:
        raise GeometryError(f"{subject} is a {kind}; expected Polygon or MultiPolygon (or a "
                            "GeometryCollection with polygonal parts)")
    if tid != 7 and geom.is_valid:
        return geom, None
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise GeometryError(f"{subject} has non-finite (NaN or infinite) coordinates")
    if tid == 7:
        return _collection(geom, subject)
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal(make_valid(geom))
    if fixed is None:
        return _EMPTY_POLYGON, (f"encloses no area ({reason}): kept as a zone of area 0, all its "
                                "areas are 0")
    return fixed, (f"had an invalid geometry ({reason}); repaired with make_valid (area "
                   f"{geom.area:.6g} -> {fixed.area:.6g} in layer units)")


def _collection(geom, subject: str) -> tuple[object, str | None]:
    """:func:`repair_polygonal` of a GeometryCollection: the union of its polygonal parts."""
    leaves = [p for p in _leaves(geom) if not p.is_empty]
    polys = [p for p in leaves if shapely.get_type_id(p) == 3]
    other = [p.geom_type for p in leaves if shapely.get_type_id(p) != 3]
    if not polys:
        raise GeometryError(f"{subject} is a GeometryCollection without polygonal parts "
                            f"({', '.join(sorted(set(other))) or 'all empty'}); expected Polygon "
                            "or MultiPolygon")
    notes = []
    bad = [i for i, p in enumerate(polys) if not p.is_valid]
    if bad:
        notes.append(f"{len(bad)} of its polygons invalid "
                     f"({shapely.is_valid_reason(polys[bad[0]])}), repaired with make_valid")
        polys = [polygonal(make_valid(p)) if i in bad else p for i, p in enumerate(polys)]
        polys = [p for p in polys if p is not None]
    parts_area = float(sum(p.area for p in polys))
    fixed = (polygonal(shapely.union_all(polys)) if len(polys) > 1 else polys[0]) if polys else None
    if fixed is None or fixed.is_empty:
        return _EMPTY_POLYGON, ("is a GeometryCollection whose polygons enclose no area: kept as a "
                                "zone of area 0, all its areas are 0")
    if abs(fixed.area - parts_area) > 1e-9 * parts_area:
        notes.append(f"its polygons overlap: measured their union (area {parts_area:.6g} -> "
                     f"{fixed.area:.6g} in layer units)")
    if other:
        counts = ", ".join(f"{other.count(k)} {k}" for k in sorted(set(other)))
        notes.append(f"dropped its non-polygonal part(s) ({counts}: no area)")
    if not notes:
        return fixed, None
    return fixed, "is a GeometryCollection: " + "; ".join(notes) + f"; kept {len(polys)} polygonal part(s)"


def repair_zones(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Make every zone geometry a valid (Multi)Polygon, warning with the zone's id and name.

    Invalid geometries are repaired with ``shapely.make_valid``; GeometryCollections keep
    (the union of) their polygonal parts; a zone whose rings enclose no area keeps its geometry
    and measures 0 (see :func:`repair_polygonal`).  Each change is a
    :class:`GeometryRepairWarning` naming the zone.

    Raises
    ------
    GeometryError
        A zone is empty, not polygonal, or has non-finite coordinates.
    """
    geoms = gdf.geometry.values
    out = np.array(list(geoms), dtype=object)
    for i, g in enumerate(geoms):
        subject = f"zone {gdf['zone_id'].iat[i]} ({gdf['zone_name'].iat[i]})"
        fixed, detail = repair_polygonal(g, f"{source}: {subject}")
        if detail is not None:
            warnings.warn(f"{source}: {subject} {detail}", GeometryRepairWarning, stacklevel=2)
        if not fixed.is_empty:     # a degenerate zone keeps its rings (measured as area 0)
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
