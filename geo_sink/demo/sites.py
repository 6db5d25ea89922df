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


def _sized_blob(rng, cx, cy, area_m2: float, aspect: float, n: int = 28, rough: float = 0.08):
    """An irregular polygon (m) of exactly ``area_m2`` around (cx, cy), ``aspect`` times wider
    than tall."""
    rx, ry = np.sqrt(area_m2 * aspect / np.pi), np.sqrt(area_m2 / (np.pi * aspect))
    g = _blob(rng, cx, cy, rx, ry, n=n, rough=rough)
    return affinity.scale(g, np.sqrt(area_m2 / g.area), np.sqrt(area_m2 / g.area), origin=(cx, cy))


def mine_sites(rng: np.random.Generator, table: pd.DataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Disturbed land (open pits, waste dumps) and reclaimed polygons of the Pingshuo mining area.

    Parameters
    ----------
    table : DataFrame
        The catalog's ``pingshuo_demo_sites``: one row per pit or dump with its mine, area (km²),
        centre in the local frame (km east and north of :data:`CENTER`), shape aspect, the year it
        was disturbed and, for dumps, the years and share of its reclamation and the vegetation
        planted; published where the row says so (the Antaibao dumps' areas and reclamation years,
        张泽民 et al. 2018), synthetic otherwise.

    Returns
    -------
    disturbed : GeoDataFrame
        ``mine, type (open_pit|waste_dump), part, year (disturbed since), synthetic``.
    reclaimed : GeoDataFrame
        ``mine, part, year (reclamation year), vegetation (grassland|shrub|forest), synthetic``:
        strips across each dump from north to south, one per stage of its reclamation years, over
        its reclaimed share; the last two strips of a dump overlap by a tenth of a strip (a
        re-survey, as in real inventories, counted once by the rate).
    """
    dist_rows, rec_rows = [], []
    pits = {}
    for r in table.itertuples():
        cx, cy = 1000.0 * r.x_km, 1000.0 * r.y_km
        g = _sized_blob(rng, cx, cy, 1e6 * r.area_km2, float(r.aspect))
        if r.type == "open_pit":
            pits[r.mine] = g
        else:
            g = g.difference(pits.get(r.mine, shapely.Polygon()))
        dist_rows.append((r.mine, r.type, r.part, int(r.disturbed_year), g))
        if r.type != "waste_dump" or not r.reclaimed_share > 0:
            continue
        y0, y1 = int(r.reclaimed_from), int(r.reclaimed_to)
        stages = max(1, min(4, y1 - y0 + 1))
        minx, miny, maxx, maxy = g.bounds
        top = maxy
        # strips from the north down to the reclaimed share of the dump's area
        target = float(r.reclaimed_share) * g.area
        lo, hi = miny, maxy
        for _ in range(40):                       # bisection on the cut line
            mid = (lo + hi) / 2
            if g.intersection(shapely.box(minx, mid, maxx, top)).area > target:
                lo = mid
            else:
                hi = mid
        cut = (lo + hi) / 2
        h = (top - cut) / stages
        for j in range(stages):
            a, b = top - (j + 1) * h, top - j * h + (0.1 * h if j == stages - 1 and stages > 1 else 0.0)
            part = g.intersection(shapely.box(minx, a, maxx, b))
            if part.is_empty:
                continue
            year = y0 + round(j * (y1 - y0) / max(1, stages - 1)) if stages > 1 else y0
            rec_rows.append((r.mine, r.part, int(year), r.vegetation, part))
    disturbed = gpd.GeoDataFrame(
        pd.DataFrame(dist_rows, columns=["mine", "type", "part", "year", "geometry"]).drop(columns="geometry"),
        geometry=_to_wgs84([x[4] for x in dist_rows]), crs=4326)
    reclaimed = gpd.GeoDataFrame(
        pd.DataFrame(rec_rows, columns=["mine", "part", "year", "vegetation", "geometry"]).drop(columns="geometry"),
        geometry=_to_wgs84([x[4] for x in rec_rows]), crs=4326)
    disturbed["synthetic"] = True
    reclaimed["synthetic"] = True
    return disturbed, reclaimed


#: Centre (local frame, m) of the underground mine's longwall panels and subsidence.
SUBSIDENCE_CENTER = (0.0, -6500.0)


def subsidence_site(panels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The subsidence land of the underground mine as disturbed land (the panels' footprint
    grown by the angle of draw, ~0.6 x depth), type ``subsidence``, disturbed since the first
    panel's start year."""
    local = panels.to_crs(LOCAL)
    reach = 0.6 * float(local["depth_m"].mean())
    g = shapely.union_all(local.geometry.values).buffer(reach, quad_segs=4)
    return gpd.GeoDataFrame({"mine": [local["mine"].iloc[0]], "type": ["subsidence"], "part": ["沉陷区"],
                             "year": [int(local["start_year"].min())], "synthetic": [True]},
                            geometry=_to_wgs84([g]), crs=4326)


def longwall_panels(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Longwall panels of the underground mine under the subsidence area.

    Columns: ``mine, panel, thickness_m`` (extracted seam thickness m), ``depth_m`` (mean
    depth H), ``dip_deg`` (seam dip alpha), ``length_m``, ``width_m``, ``start_year``,
    ``end_year``, ``synthetic``.
    """
    rows = []
    sx, sy = SUBSIDENCE_CENTER
    x0, y0 = sx - 1900, sy - 1200
    for k in range(7):
        w, length = 240.0, 2200.0
        cx = x0 + k * (w + 30) + w / 2
        cy = y0 + length / 2 + rng.uniform(-100, 100)
        rect = affinity.rotate(shapely.box(cx - w / 2, cy - length / 2, cx + w / 2, cy + length / 2),
                               12, origin=SUBSIDENCE_CENTER)
        rows.append(dict(mine="井工矿(演示)", panel=f"D-{k + 1:02d}", thickness_m=round(float(rng.uniform(4, 9)), 1),
                         depth_m=round(float(rng.uniform(220, 380)), 0), dip_deg=round(float(rng.uniform(2, 8)), 1),
                         length_m=length, width_m=w, start_year=2008 + 2 * k, end_year=2010 + 2 * k,
                         geometry=rect))
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=_to_wgs84(list(df.geometry)),
                            crs=4326).assign(synthetic=True)


def constraint_layers(rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """Roads, rivers, settlements and ecological red line around the mining area (EPSG:4326)."""
    sx, sy = SUBSIDENCE_CENTER
    roads = [shapely.LineString([(-16000, -14000), (-4000, -6000), (3000, -4500), (16000, 6000)]),
             shapely.LineString([(-2000, -16000), (-1000, -2000), (-2500, 9000), (-1500, 16000)]),
             # a county road across the subsidence trough (PV parcels are split by its buffer)
             shapely.LineString([(4000, -16000), (sx - 1500, sy - 1500), (sx + 100, sy - 100), (12000, -2000)])]
    rivers = [shapely.LineString([(-16000, 9000), (-8000, 7000), (0, 9500), (9000, 8000), (16000, 11000)]),
              # a stream along the trough's southern edge
              shapely.LineString([(sx - 4500, sy - 3500), (sx - 1800, sy - 1100), (sx + 900, sy - 1300),
                                  (sx + 4000, sy - 600)])]
    settle = []
    for k in range(14):
        cx, cy = rng.uniform(-15000, 15000, 2)
        settle.append(_blob(rng, cx, cy, rng.uniform(200, 450), rng.uniform(180, 380), n=12, rough=0.05))
    # a village standing in the trough (many subsidence villages are still inhabited)
    settle.append(_blob(rng, sx + 700, sy + 700, 260, 200, n=12, rough=0.05))
    redline = [_blob(rng, -12000, 11000, 3500, 2500), _blob(rng, 13000, 12500, 2500, 2000),
               # a water-source protection zone reaching into the trough's north-east corner
               _blob(rng, sx + 1700, sy + 1500, 900, 700)]
    out = {
        "roads": gpd.GeoDataFrame({"name": [f"演示道路{i + 1}" for i in range(len(roads))]},
                                  geometry=_to_wgs84(roads), crs=4326),
        "rivers": gpd.GeoDataFrame({"name": ["演示河流", "演示溪沟"]}, geometry=_to_wgs84(rivers), crs=4326),
        "settlements": gpd.GeoDataFrame({"name": [f"演示村{i + 1}" for i in range(len(settle))]},
                                        geometry=_to_wgs84(settle), crs=4326),
        "redline": gpd.GeoDataFrame({"name": ["演示生态保护红线1", "演示生态保护红线2", "演示水源保护区"]},
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


#: Loess gullies (冲沟) cut into the DEM, in the local frame (m): (line, depth m, half-width m).
#: One crosses the subsidence trough, so that PV siting meets slopes over 25 deg and north-facing
#: walls on subsidence land.
GULLIES = ((((SUBSIDENCE_CENTER[0] - 2600, SUBSIDENCE_CENTER[1] - 300), (SUBSIDENCE_CENTER[0] - 600, SUBSIDENCE_CENTER[1] - 500),
             (SUBSIDENCE_CENTER[0] + 1200, SUBSIDENCE_CENTER[1] - 200), (SUBSIDENCE_CENTER[0] + 2800, SUBSIDENCE_CENTER[1] + 300)),
            85.0, 150.0),)


def gully_lines() -> list:
    """:data:`GULLIES` as (LineString in EPSG:4326, depth m, half-width m)."""
    return [(_to_wgs84([shapely.LineString(pts)])[0], depth, half) for pts, depth, half in GULLIES]
