"""Synthetic mine sites and PV constraint layers around the Pingshuo mining area.

Everything here is **synthetic demo data**: plausible shapes and numbers placed near the real
Pingshuo open-pit field (~112.4 E, 39.5 N, 平鲁区/朔城区), not survey data.  All functions are
pure: a seeded generator in, GeoDataFrames (EPSG:4326) out.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

#: Local metric frame for building shapes: azimuthal equidistant on the mining area.
CENTER = (112.40, 39.48)
LOCAL = f"+proj=aeqd +lat_0={CENTER[1]} +lon_0={CENTER[0]} +datum=WGS84 +units=m"

VEGETATION = ("grassland", "shrub", "forest")


def _to_wgs84(geoms) -> list:
    return list(gpd.GeoSeries(geoms, crs=LOCAL).to_crs(4326).values)


def _blob(rng, cx, cy, rx, ry, n=24, rough=0.12):
    """A smooth irregular polygon (m) around (cx, cy) with radii rx, ry."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1 + rough * (rng.standard_normal(n) * 0.6)
    pts = np.column_stack([cx + rx * r * np.cos(t), cy + ry * r * np.sin(t)])
    return shapely.Polygon(pts).buffer(0)


def mine_sites(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Disturbed land (open pits, waste dumps, subsidence) and reclaimed polygons.

    Returns
    -------
    disturbed : GeoDataFrame
        ``mine, type (open_pit|waste_dump|subsidence), year (disturbed since), synthetic``.
    reclaimed : GeoDataFrame
        ``mine, year (reclamation year), vegetation (grassland|shrub|forest), synthetic``;
        some reclaimed polygons overlap each other (re-surveys), as in real inventories.
    """
    dist_rows, rec_rows = [], []
    pits = [("演示矿A", -6000, 4000), ("演示矿B", 1500, 1500), ("演示矿C", 6500, -3500)]
    for name, cx, cy in pits:
        pit = _blob(rng, cx, cy, 1800, 1200)
        dist_rows.append((name, "open_pit", int(rng.integers(1985, 2000)), pit))
        for k in range(2):
            ang = rng.uniform(0, 2 * np.pi)
            dx, dy = 2900 * np.cos(ang), 2300 * np.sin(ang)
            dump = _blob(rng, cx + dx, cy + dy, 1100, 800).difference(pit)
            dist_rows.append((name, "waste_dump", int(rng.integers(1990, 2008)), dump))
            # reclaimed strips on the dump, older ones first; the last two overlap
            parts = []
            minx, miny, maxx, maxy = dump.bounds
            for j in range(3):
                y0 = miny + (maxy - miny) * j / 3
                strip = shapely.box(minx, y0, maxx, y0 + (maxy - miny) * (0.42 if j < 2 else 0.33))
                parts.append(strip.intersection(dump))
            for j, part in enumerate(parts):
                if part.is_empty or part.area < 1e4:
                    continue
                year = int(2008 + 5 * j + rng.integers(0, 4))  # 2008-11, 2013-16, 2018-21
                veg = VEGETATION[int(rng.integers(0, 3))]
                rec_rows.append((name, year, veg, part))
    # subsidence over underground longwall mining (井工矿) south-east of the pits
    sub = _blob(rng, 9500, -9000, 2600, 1800)
    dist_rows.append(("演示井工矿D", "subsidence", 2012, sub))
    disturbed = gpd.GeoDataFrame(
        pd.DataFrame(dist_rows, columns=["mine", "type", "year", "geometry"]).drop(columns="geometry"),
        geometry=_to_wgs84([r[3] for r in dist_rows]), crs=4326)
    reclaimed = gpd.GeoDataFrame(
        pd.DataFrame(rec_rows, columns=["mine", "year", "vegetation", "geometry"]).drop(columns="geometry"),
        geometry=_to_wgs84([r[3] for r in rec_rows]), crs=4326)
    disturbed["synthetic"] = True
    reclaimed["synthetic"] = True
    return disturbed, reclaimed


def longwall_panels(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Longwall panels of the underground mine under the subsidence area.

    Columns: ``mine, panel, thickness_m`` (extracted seam thickness m), ``depth_m`` (mean
    depth H), ``dip_deg`` (seam dip alpha), ``length_m``, ``width_m``, ``start_year``,
    ``end_year``, ``synthetic``.
    """
    rows = []
    x0, y0 = 9500 - 1400, -9000 - 1200
    for k in range(5):
        w, length = 240.0, 2200.0
        cx = x0 + k * (w + 30) + w / 2
        cy = y0 + length / 2 + rng.uniform(-100, 100)
        rect = affinity.rotate(shapely.box(cx - w / 2, cy - length / 2, cx + w / 2, cy + length / 2),
                               12, origin=(9500, -9000))
        rows.append(dict(mine="演示井工矿D", panel=f"D-{k + 1:02d}", thickness_m=round(float(rng.uniform(4, 9)), 1),
                         depth_m=round(float(rng.uniform(220, 380)), 0), dip_deg=round(float(rng.uniform(2, 8)), 1),
                         length_m=length, width_m=w, start_year=2010 + 2 * k, end_year=2012 + 2 * k,
                         geometry=rect))
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=_to_wgs84(list(df.geometry)),
                            crs=4326).assign(synthetic=True)


def constraint_layers(rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """Roads, rivers, settlements and ecological red line around the mining area (EPSG:4326)."""
    roads = [shapely.LineString([(-16000, -14000), (-4000, -6000), (3000, -4500), (16000, 6000)]),
             shapely.LineString([(-2000, -16000), (-1000, -2000), (-2500, 9000), (-1500, 16000)]),
             shapely.LineString([(4000, -16000), (7000, -7000), (12000, -2000)])]
    rivers = [shapely.LineString([(-16000, 9000), (-8000, 7000), (0, 9500), (9000, 8000), (16000, 11000)])]
    settle = []
    for k in range(14):
        cx, cy = rng.uniform(-15000, 15000, 2)
        settle.append(_blob(rng, cx, cy, rng.uniform(200, 450), rng.uniform(180, 380), n=12, rough=0.05))
    redline = [_blob(rng, -12000, 11000, 3500, 2500), _blob(rng, 13000, 12500, 2500, 2000)]
    out = {
        "roads": gpd.GeoDataFrame({"name": [f"演示道路{i + 1}" for i in range(len(roads))]},
                                  geometry=_to_wgs84(roads), crs=4326),
        "rivers": gpd.GeoDataFrame({"name": ["演示河流"]}, geometry=_to_wgs84(rivers), crs=4326),
        "settlements": gpd.GeoDataFrame({"name": [f"演示村{i + 1}" for i in range(len(settle))]},
                                        geometry=_to_wgs84(settle), crs=4326),
        "redline": gpd.GeoDataFrame({"name": ["演示生态保护红线1", "演示生态保护红线2"]},
                                    geometry=_to_wgs84(redline), crs=4326),
    }
    for g in out.values():
        g["synthetic"] = True
    return out


def afforestation_blocks(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Afforestation blocks planted 2016-2020 in 右玉县 and 平鲁区 (``year`` = planted)."""
    centres = [(112.35, 40.05), (112.47, 40.12), (112.28, 39.95), (112.20, 39.80), (112.55, 39.90),
               (112.42, 39.70), (112.15, 39.62)]
    geoms, years = [], []
    for lon, lat in centres:
        t = pyproj_local(lon, lat)
        g = _blob(rng, 0, 0, rng.uniform(1200, 2500), rng.uniform(900, 1800), rough=0.2)
        geoms.append(gpd.GeoSeries([g], crs=t).to_crs(4326).iloc[0])
        years.append(int(rng.integers(2016, 2021)))
    return gpd.GeoDataFrame({"year": years, "species": ["油松/樟子松"] * len(years), "synthetic": True},
                            geometry=geoms, crs=4326)


def pyproj_local(lon: float, lat: float) -> str:
    return f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m"


#: Approximate centres of the wetland parks the 朔州市 plan names (碳汇能力巩固提升行动).
WETLAND_PARKS = (("山阴桑干河国家湿地公园", 112.88, 39.53), ("怀仁口泉河湿地公园", 113.06, 39.80),
                 ("右玉苍头河湿地公园", 112.47, 40.08))


def wetland_parks(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Wetland-park polygons along the named rivers (shapes synthetic; ``year`` = designated).

    The 2020 extent is the polygon; in 2015 only its core (~60%) was wetland (restoration).
    """
    geoms, core = [], []
    for name, lon, lat in WETLAND_PARKS:
        t = pyproj_local(lon, lat)
        g = affinity.rotate(_blob(rng, 0, 0, 3500, 700, n=30, rough=0.1), float(rng.uniform(0, 180)),
                            origin=(0, 0))
        geoms.append(gpd.GeoSeries([g], crs=t).to_crs(4326).iloc[0])
        core.append(gpd.GeoSeries([affinity.scale(g, 0.78, 0.78, origin=(0, 0))], crs=t).to_crs(4326).iloc[0])
    return gpd.GeoDataFrame({"name": [w[0] for w in WETLAND_PARKS], "synthetic": True,
                             "core_wkt": [c.wkt for c in core]}, geometry=geoms, crs=4326)
