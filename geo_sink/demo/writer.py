"""Write the 朔州市 demo files (the I/O edge of :mod:`geo_sink.demo`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import yaml

from geo_sink.catalog import load_catalog
from geo_sink.demo.identity import GENERATOR_VERSION, REGION, SYNTHETIC_NOTE
from geo_sink.demo import landcover as lcmod
from geo_sink.demo import scenes as sc
from geo_sink.demo import sites
from geo_sink.demo.terrain import elevation
from geo_sink.grid import Grid
from geo_sink.io.boundaries import load_boundaries

YEARS = (2015, 2020)
TAGS = {"SYNTHETIC": "true", "DESCRIPTION": SYNTHETIC_NOTE, "GENERATOR": f"geo_sink.demo v{GENERATOR_VERSION}"}


def write_geotiff(path: Path, array: np.ndarray, grid: Grid, nodata=None, **tags) -> Path:
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1, dtype=array.dtype,
                   crs=grid.crs.to_wkt(), transform=grid.transform, nodata=nodata, tiled=True,
                   blockxsize=256, blockysize=256, compress="deflate",
                   predictor=3 if array.dtype.kind == "f" else 2)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        dst.update_tags(**TAGS, **tags)
    return path


def write_geojson(path: Path, gdf) -> Path:
    gdf = gdf.to_crs(4326)
    data = json.loads(gdf.to_json(drop_id=True))
    data["description"] = SYNTHETIC_NOTE
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def _cropland_polygons(lc: np.ndarray, grid: Grid, window_geom):
    """Cropland (CLCD 1) of the PV study window as polygons (EPSG:4326)."""
    import geopandas as gpd
    import shapely

    win = gpd.GeoSeries([window_geom], crs=4326).to_crs(grid.crs).iloc[0]
    r1, c0 = grid.rowcol(win.bounds[0], win.bounds[1])
    r0, c1 = grid.rowcol(win.bounds[2], win.bounds[3])
    r0, c0 = max(0, int(r0)), max(0, int(c0))
    r1, c1 = min(grid.height, int(r1) + 1), min(grid.width, int(c1) + 1)
    sub = lc[r0:r1, c0:c1]
    t = grid.window(r0, c0, r1 - r0, c1 - c0).transform
    mask = sub == lcmod.CROPLAND
    geoms = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
        mask.astype(np.uint8), mask=mask, transform=t, connectivity=4) if v == 1]
    gdf = gpd.GeoDataFrame({"class": ["耕地"] * len(geoms)}, geometry=geoms, crs=grid.crs)
    gdf = gdf[gdf.area >= 3600].to_crs(4326)  # >= 4 pixels
    gdf["synthetic"] = True
    return gdf.reset_index(drop=True)


def write_scenes(folder: Path, lc2015, lc2020, lc_grid: Grid, reclaimed, cover, seed: int,
                 scenes=sc.SCENES, stac_dates: dict | None = None) -> list[dict]:
    """Scene folders of ``scenes`` in ``folder``; ``stac_dates`` gives a STAC datetime other than
    the scene's own (a mis-filed scene)."""
    out = []
    for k, sd in enumerate(scenes):
        res = 10.0 if sd.product == "sentinel2_l2a" else 30.0
        g = sc.scene_grid(sites.CENTER, 8000.0, res)
        codes = sc.sample_landcover(lc2015 if sd.date.year < 2018 else lc2020, lc_grid, g)
        fvc = sc.fvc_field(codes, g, sd.date, reclaimed, cover, (seed, 30, k, sd.date.toordinal()))
        water = codes == lcmod.WATER
        red, nir = sc.reflectance(fvc, water)
        cloud, shadow = sc.cloud_masks(g, (seed, 31, k))
        red[cloud], nir[cloud] = 0.45, 0.48
        red[shadow] *= 0.35
        nir[shadow] *= 0.35
        d = folder / sd.name
        d.mkdir()
        if sd.product == "sentinel2_l2a":
            offset = 1000 if sd.baseline >= "04.00" else 0
            dn = lambda r: np.clip(np.round(r * 10000) + offset, 1, 65535).astype(np.uint16)
            write_geotiff(d / "B04.tif", dn(red), g, nodata=0, BAND="B04 red 665 nm",
                          PROCESSING_BASELINE=sd.baseline, BOA_ADD_OFFSET=str(-offset))
            write_geotiff(d / "B08.tif", dn(nir), g, nodata=0, BAND="B08 NIR 842 nm",
                          PROCESSING_BASELINE=sd.baseline, BOA_ADD_OFFSET=str(-offset))
            scl = np.where(water, sc.SCL_WATER, np.where(fvc > 0.3, sc.SCL_VEG, sc.SCL_BARE)).astype(np.uint8)
            scl[shadow], scl[cloud] = sc.SCL_SHADOW, sc.SCL_CLOUD_HIGH
            g20 = g.coarsened(2)
            write_geotiff(d / "SCL.tif", scl[::2, ::2].copy(), g20, nodata=0, BAND="SCL scene classification")
            item = {"type": "Feature", "stac_version": "1.0.0", "id": sd.name,
                    "properties": {"datetime": f"{(stac_dates or {}).get(sd.name, sd.date).isoformat()}T03:15:49Z", "platform": sd.name[:3].lower().replace("s2", "sentinel-2"),
                                   "s2:processing_baseline": sd.baseline, "proj:epsg": 32649,
                                   "geo_sink:synthetic": True, "description": SYNTHETIC_NOTE},
                    "assets": {"red": {"href": "./B04.tif"}, "nir": {"href": "./B08.tif"}, "scl": {"href": "./SCL.tif"}}}
            (d / f"{sd.name}.json").write_text(json.dumps(item, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            dn = lambda r: np.clip(np.round((r + 0.2) / 2.75e-5), 1, 65535).astype(np.uint16)
            write_geotiff(d / f"{sd.name}_SR_B4.TIF", dn(red), g, nodata=0, BAND="SR_B4 red")
            write_geotiff(d / f"{sd.name}_SR_B5.TIF", dn(nir), g, nodata=0, BAND="SR_B5 NIR")
            qa = np.where(water, sc.QA_WATER, sc.QA_CLEAR).astype(np.uint16)
            qa[shadow], qa[cloud] = sc.QA_SHADOW, sc.QA_CLOUD
            write_geotiff(d / f"{sd.name}_QA_PIXEL.TIF", qa, g, nodata=1, BAND="QA_PIXEL")
            mtl = {"LANDSAT_METADATA_FILE": {
                "PRODUCT_CONTENTS": {"LANDSAT_PRODUCT_ID": sd.name, "PROCESSING_LEVEL": "L2SP",
                                     "COLLECTION_NUMBER": "02"},
                "IMAGE_ATTRIBUTES": {"SPACECRAFT_ID": "LANDSAT_9", "DATE_ACQUIRED": sd.date.isoformat()},
                "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS": {
                    "REFLECTANCE_MULT_BAND_4": "2.75E-05", "REFLECTANCE_ADD_BAND_4": "-0.200000",
                    "REFLECTANCE_MULT_BAND_5": "2.75E-05", "REFLECTANCE_ADD_BAND_5": "-0.200000"},
                "GEO_SINK_SYNTHETIC": SYNTHETIC_NOTE}}
            (d / f"{sd.name}_MTL.json").write_text(json.dumps(mtl, indent=1), encoding="utf-8")
        out.append({"path": f"scenes/{sd.name}", "product": sd.product, "date": sd.date.isoformat()})
    return out


def calibration(cat) -> tuple[dict, dict, dict, set]:
    """The demo's calibration targets from the catalog: forest coverage per county (percent),
    class shares of the city, county seats (lon, lat) and the counties with shelterbelts."""
    import pandas as pd

    cal = pd.read_csv(cat.dataset_path("shuozhou_demo_calibration"), dtype={"zone_id": str})
    seats = pd.read_csv(cat.dataset_path("shuozhou_county_seats"), dtype={"zone_id": str})
    forest = {r.zone_id: float(r.share_pct) for r in cal[(cal.scope == "county") & (cal.ecosystem == "forest")].itertuples()}
    city = {r.ecosystem: float(r.share_pct) for r in cal[cal.scope == "city"].itertuples()}
    return (forest, city, {r.zone_id: (float(r.lon), float(r.lat)) for r in seats.itertuples()},
            set(seats.loc[seats.shelterbelts.astype(str).str.lower() == "true", "zone_id"]))


def upsample(values: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """A coarse grid's values repeated onto the fine grid it was coarsened from (edge cells
    repeated where the fine grid has a remainder)."""
    up = np.repeat(np.repeat(values, factor, 0), factor, 1)
    pad = ((0, max(0, shape[0] - up.shape[0])), (0, max(0, shape[1] - up.shape[1])))
    return np.pad(up, pad, mode="edge")[:shape[0], :shape[1]]


def calibrated_base(cat, zones, grid: Grid, dem: np.ndarray, dem_grid: Grid, disturbed, afforested, seed: int):
    """The year-independent land cover at the catalog's class shares (:func:`calibration`).

    Afforestation blocks (forest by 2020) and mine sites are kept out of the forest, cropland and
    built-up allocation, and each county's forest target is lowered by its afforestation blocks'
    share, so that the 2020 map lands on the published coverage."""
    from geo_sink.pv.siting import slope_aspect

    forest, city, seats, belts = calibration(cat)
    order = list(forest)
    county = np.zeros((grid.height, grid.width), dtype=np.uint8)
    z = zones.set_index("zone_id").loc[order].to_crs(grid.crs)
    for k, geom in enumerate(z.geometry, start=1):
        county[lcmod.burn(grid, [geom], grid.crs)] = k
    blocks = lcmod.burn(grid, afforested.geometry)
    reserved = blocks | lcmod.burn(grid, disturbed.geometry)
    base_forest = {zid: forest[zid] - 100.0 * np.count_nonzero(blocks & (county == k)) / np.count_nonzero(county == k)
                   for k, zid in enumerate(order, start=1)}
    elev = upsample(dem, 3, county.shape)
    slope = upsample(slope_aspect(dem, dem_grid)[0], 3, county.shape)
    return lcmod.calibrated_landcover(grid, county, base_forest, city, elev, slope, seats, belts, reserved, seed)


def inventory(rng, zones):
    """Synthetic forest inventory: area and growing stock per county and forest type."""
    import pandas as pd

    rows = []
    for zid in zones["zone_id"]:
        for ftype, v_ha in (("pinus_tabuliformis", 45.0), ("populus", 38.0), ("larix", 60.0)):
            area = float(rng.uniform(800, 9000))
            rows.append({"zone_id": zid, "forest_type": ftype, "area_ha": round(area, 1),
                         "volume_m3": round(area * v_ha * float(rng.uniform(0.7, 1.3)), 1),
                         "synthetic": True})
    return pd.DataFrame(rows)


def write_demo(folder: Path, seed: int) -> None:
    """Generate every demo file into ``folder`` (see :mod:`geo_sink.demo`)."""
    import shapely

    cat = load_catalog()
    zones = load_boundaries(REGION)
    grid = lcmod.demo_grid(zones.total_bounds)
    import pandas as pd

    rng = np.random.default_rng(seed)
    disturbed, reclaimed = sites.mine_sites(rng, pd.read_csv(cat.dataset_path("pingshuo_demo_sites")))
    panels = sites.longwall_panels(rng)
    disturbed = pd.concat([disturbed, sites.subsidence_site(panels)], ignore_index=True)
    layers = sites.constraint_layers(rng)
    afforested = sites.afforestation_blocks(rng)
    parks = sites.wetland_parks(rng)

    dem_grid = grid.coarsened(3)
    dem = elevation(dem_grid, seed, sites.gully_lines())
    pits_dumps = disturbed[disturbed["type"] != "subsidence"]
    base = calibrated_base(cat, zones, grid, dem, dem_grid, pits_dumps, afforested, seed)
    lcs = {}
    for year in YEARS:
        lcs[year] = lcmod.landcover_for_year(base, grid, year, disturbed, reclaimed, afforested,
                                              layers["rivers"], parks)
        write_geotiff(folder / f"landcover_clcd_{year}.tif", lcs[year], grid, nodata=0,
                      LEGEND="clcd", YEAR=str(year))
    write_geotiff(folder / "dem.tif", dem, dem_grid, nodata=-9999.0, UNITS="m")

    vec = folder / "vectors"
    vec.mkdir()
    write_geojson(vec / "mines_disturbed.geojson", disturbed)
    write_geojson(vec / "mines_reclaimed.geojson", reclaimed)
    write_geojson(vec / "longwall_panels.geojson", panels)
    write_geojson(vec / "afforestation.geojson", afforested)
    write_geojson(vec / "wetland_parks.geojson", parks.drop(columns="core_wkt"))
    for name, gdf in layers.items():
        write_geojson(vec / f"{name}.geojson", gdf)
    window = shapely.box(sites.CENTER[0] - 0.19, sites.CENTER[1] - 0.15,
                         sites.CENTER[0] + 0.19, sites.CENTER[1] + 0.15)
    write_geojson(vec / "cropland.geojson", _cropland_polygons(lcs[2020], grid, window))

    (folder / "tables").mkdir()
    inventory(rng, zones).to_csv(folder / "tables" / "growing_stock_inventory.csv", index=False,
                                 float_format="%.1f")
    (folder / "scenes").mkdir()
    cover = pd.read_csv(cat.dataset_path("pingshuo_reclaimed_fvc")).set_index("vegetation")
    scenes = write_scenes(folder / "scenes", lcs[2015], lcs[2020], grid, reclaimed, cover, seed)
    (folder / "inbox").mkdir()       # new scene folders go here (README.md says what is in it)
    write_scenes(folder / "inbox", lcs[2015], lcs[2020], grid, reclaimed, cover, seed, scenes=(sc.BAD_INBOX_SCENE,),
                 stac_dates={sc.BAD_INBOX_SCENE.name: sc.BAD_INBOX_STAC_DATE})

    project = {
        "name": REGION,
        "synthetic": True,
        "boundary": {"region": "山西省/朔州市", "level": "county"},
        "landcover": [{"year": y, "path": f"landcover_clcd_{y}.tif", "legend": "clcd",
                       "synthetic": True} for y in YEARS],
        "imagery": {"scenes": scenes, "inbox": "inbox"},
        "growing_stock": {"table": "tables/growing_stock_inventory.csv", "year": 2020},
        "wetlands": {"file": "vectors/wetland_parks.geojson", "name_field": "name"},
        "mines": {"disturbed": "vectors/mines_disturbed.geojson",
                  "reclaimed": "vectors/mines_reclaimed.geojson"},
        "subsidence": {"panels": "vectors/longwall_panels.geojson", "threshold_mm": 10.0},
        "pv_constraints": {"cropland": "vectors/cropland.geojson", "redline": "vectors/redline.geojson",
                           "roads": "vectors/roads.geojson", "settlements": "vectors/settlements.geojson",
                           "rivers": "vectors/rivers.geojson", "dem": "dem.tif"},
        "targets": ["sz_mine_reclamation_rate", "sz_mine_vegetation_cover",
                    "sz_new_energy_share_2025", "sz_new_energy_share_2030"],
        "output": "output",
    }
    (folder / "README.md").write_text(demo_readme(seed), encoding="utf-8")
    header = (f"# 朔州市 region project: SYNTHETIC DEMO DATA generated by geo_sink.demo "
              f"v{GENERATOR_VERSION} (seed {seed}),\n# on the real county boundaries. Not observations.\n")
    (folder / "project.yaml").write_text(header + yaml.safe_dump(project, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")


def demo_readme(seed: int) -> str:
    """What the generated folder holds, what each part was calibrated to, and the scene the
    pipeline must quarantine."""
    return f"""# 朔州市 demo: SYNTHETIC DEMO DATA

Generated by geo_sink.demo v{GENERATOR_VERSION} (seed {seed}) on the real county boundaries of 朔州市.
Nothing here is an observation; every file says so (GeoTIFF tag SYNTHETIC=true, GeoJSON
property synthetic, project flag).

## Calibrated to published figures (data_catalog/demo/)
- Land cover (landcover_clcd_2015.tif, landcover_clcd_2020.tif; CLCD legend, 30 m, Albers):
  the 2020 map's forest share of 右玉县 is its published 2021 森林覆盖率 (32.81%); the other
  counties take the Shanxi provincial coverage (23.18%, end of 2019) as no county figure was
  found; cropland (with orchards), built-up, water, shrub and barren shares of the city are those
  of the 山西省第三次国土调查主要数据公报 (provincial stand-ins), grassland the rest
  (shuozhou_calibration.csv, each row with its document). Classes are placed by terrain:
  towns around the county seats, cropland and water in the 桑干河 basin, forest and shrub on
  high ground and slopes, 右玉's shelterbelt grid; 2015 lacks the afforestation blocks of
  2016-2020.
- Mines (vectors/mines_*.geojson): the Pingshuo open pits and dumps in the sizes and reclamation
  years of pingshuo_sites.csv (Antaibao's dumps after 张泽民 et al. 2018, 生态学报 38(4)); per-mine
  reclamation rates straddle the plan's 60% bar.
- Scenes (scenes/): reclaimed dumps grow to the mean FVC 张泽民 et al. measured per planting
  pattern (pingshuo_reclaimed_fvc.csv), with bare patches; August and May scenes, greener and
  drier years; each scene has a cloud and its shadow in its mask band.
- PV on subsidence land: the underground mine's trough (vectors/longwall_panels.geojson) lies on
  farmland and grass, under a county road, beside a stream, with a village in it, a water-source
  protection zone over one corner and a loess gully across it, so that every siting rule removes
  land and parcels above and below the minimum area remain.

## The inbox and the scene the pipeline must quarantine
Drop new Sentinel-2 L2A / Landsat C2 L2 scene folders or land-cover GeoTIFFs into inbox/;
`geo-sink update` picks them up. One is there on purpose: inbox/{sc.BAD_INBOX_SCENE.name}: its folder name says {sc.BAD_INBOX_SCENE.date}, its STAC item
{sc.BAD_INBOX_STAC_DATE} (a mis-filed download). `geo-sink demo`, `geo-sink run` and `geo-sink update`
move it to inbox/quarantine/ with a .reason.txt; `geo-sink demo --regenerate` puts it back.
"""
