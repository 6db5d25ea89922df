"""``geo-sink carbon A --lulc-later B`` (#15): two maps that are differenced share grid and
legend, or the command stops (exit status 3, nothing written); --legend-later differences two
legends through their IPCC land categories, --align resamples B onto A's grid; a county a map
does not cover gets NaN with a note, never 0.

Hand-made maps: 40 x 40 cells of 30 m in an Albers equal-area CRS (each cell exactly 0.09 ha),
in Shanxi; zone 甲 is cells (rows 4-35, cols 4-19), zone 乙 cells (rows 4-35, cols 20-35), 512
cells each.  Land: cropland west of col 20 with a 4 x 4 block of water in 甲, forest east of it.
"""

import tempfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.enums import Resampling
from rasterio.warp import reproject
from shapely.geometry import box

from geo_sink.cli import EXIT_INPUT, EXIT_WARNINGS, cli
from geo_sink.grid import Grid
from geo_sink.io.align import align_to_grid, same_grid
from tests.conftest import write_raster

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
RES = 30.0
N = 40
ZONE = "cool_temperate_dry"
CLCD_TO_WORLDCOVER = {0: 0, 1: 40, 2: 10, 3: 20, 4: 30, 5: 80, 6: 70, 7: 60, 8: 50, 9: 90}
HA_PER_CELL = RES * RES / 1e4


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("carbon_guard")
    x, y = pyproj.Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True).transform(112.5, 39.5)
    x0, y0 = float(np.floor(x / 1200) * 1200), float(np.floor(y / 1200) * 1200)   # grid origin (top left)
    land = np.ones((N, N), np.uint8)
    land[:, 20:] = 2
    land[10:14, 6:10] = 5
    zones = gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲", "乙"]},
        geometry=[box(x0 + 4 * RES, y0 - 36 * RES, x0 + 20 * RES, y0 - 4 * RES),
                  box(x0 + 20 * RES, y0 - 36 * RES, x0 + 36 * RES, y0 - 4 * RES)], crs=ALBERS)
    zf = d / "zones.gpkg"
    zones.to_file(zf, driver="GPKG")
    a = write_raster(d / "a_clcd.tif", land, crs=ALBERS, origin=(x0, y0), res=(RES, RES), nodata=0)
    return {"dir": d, "x0": x0, "y0": y0, "land": land, "zones": zf, "a": a}


def run(site, *args, out="out.csv"):
    o = site["dir"] / out
    if o.exists():
        o.unlink()
    r = CliRunner().invoke(cli, ["carbon", str(site["a"]), str(site["zones"]), "--legend", "clcd",
                                 "--zone-field", "code", "--name-field", "name", "--climate-zone", ZONE,
                                 "--draws", "200", "-o", str(o), *map(str, args)])
    return r, o


def totals(path):
    df = pd.read_csv(path, dtype={"zone_id": str})
    return df, df[df.pool == "total"].set_index("zone_id")


def densities(catalog, ecosystems):
    """Mg C/ha per pool (above, below, soil, dead) of each ecosystem, from the catalog."""
    from geo_sink.sinks.carbon_run import tier1_defaults
    return dict(zip(ecosystems, tier1_defaults(catalog).mean_densities(ZONE, ecosystems)))


def fine_copy(site, land_fn=None, name="b_fine.tif", shift=RES / 2, cells=82, codes=None, nodata=0):
    """The land of ``site`` on a grid of 15 m cells whose origin is one fine cell west and north
    of A's (``cells`` x ``cells``: past A's edges, filled with A's edge classes)."""
    res = RES / 2
    x0, y0 = site["x0"] - shift, site["y0"] + shift
    centres = (np.arange(cells) + 0.5) * res - shift          # offsets from A's origin
    idx = np.clip(np.floor(centres / RES).astype(int), 0, N - 1)
    fine = site["land"][np.ix_(idx, idx)].copy()
    if land_fn is not None:
        fine = land_fn(fine, x0, y0, res)
    if codes is not None:
        fine = np.vectorize(codes.get)(fine).astype(np.uint8)
    return write_raster(site["dir"] / name, fine, crs=ALBERS, origin=(x0, y0), res=(res, res), nodata=nodata)


def worldcover_copy(site, land, name):
    wc = np.vectorize(CLCD_TO_WORLDCOVER.get)(land).astype(np.uint8)
    return write_raster(site["dir"] / name, wc, crs=ALBERS, origin=(site["x0"], site["y0"]), res=(RES, RES), nodata=0)


# ----------------------------------------------------------------------------- refusals

def test_other_grid_without_align_is_refused_and_writes_nothing(site):
    b = fine_copy(site)
    r, out = run(site, "--lulc-later", b, "--years", 2000, 2020)
    assert r.exit_code == EXIT_INPUT, r.output
    assert "cell 30 x 30, 40 x 40" in r.output and "cell 15 x 15, 82 x 82" in r.output   # both grids
    assert "legend clcd" in r.output and "--align nearest|mode" in r.output
    assert not out.exists()


def test_other_legend_without_legend_later_is_refused_and_writes_nothing(site):
    b = worldcover_copy(site, site["land"], "b_worldcover.tif")
    r, out = run(site, "--lulc-later", b, "--years", 2000, 2020)
    assert r.exit_code == EXIT_INPUT, r.output
    assert "legend clcd" in r.output and "worldcover" in r.output and "--legend-later" in r.output
    assert "100.0% of its area" in r.output
    assert not out.exists()


def test_catalog_dataset_in_another_legend_is_refused_before_any_work(site):
    """The catalog knows the later dataset's legend (MODIS IGBP), whose producer says its maps are
    not for change between years: refused with that reason before any work (no --legend-later or
    --align could make the pair a difference of the land)."""
    r, out = run(site, "--lulc-later", "mcd12c1_2019_china", "--years", 2015, 2019)
    assert r.exit_code == EXIT_INPUT, r.output
    assert "MODIS Land Cover Type 1 (IGBP), MCD12Q1 / MCD12C1 maps are not for change between years" in r.output
    assert "Nothing written" in r.output and not out.exists()


def test_pools_table_with_two_legends_is_refused(site):
    b = worldcover_copy(site, site["land"], "b_worldcover_pools.tif")
    o = site["dir"] / "pools.csv"
    r = CliRunner().invoke(cli, ["carbon", str(site["a"]), str(site["zones"]), "--legend", "clcd",
                                 "--zone-field", "code", "--lulc-later", str(b), "--legend-later", "worldcover",
                                 "--years", "2000", "2020", "--pools", "carbon_pools_clcd_cool_temperate_dry",
                                 "-o", str(o)])
    assert r.exit_code == EXIT_INPUT and "one legend" in r.output and not o.exists()


def test_align_and_legend_later_need_a_later_map(site):
    r, out = run(site, "--align", "nearest")
    assert r.exit_code == EXIT_INPUT and "--lulc-later" in r.output and not out.exists()


# ----------------------------------------------------------------------------- two legends

def test_same_land_in_two_legends_has_no_sink(site, catalog):
    b = worldcover_copy(site, site["land"], "b_worldcover_same.tif")
    r, out = run(site, "--lulc-later", b, "--legend-later", "worldcover", "--years", 2000, 2020)
    assert r.exit_code == 0, r.output
    assert "sink from the IPCC land categories of both legends" in r.output
    assert "forest = clcd 2 = worldcover 10" in r.output
    df, tot = totals(out)
    assert np.allclose(df["sink_t_co2e_yr"], 0.0, atol=1e-6)
    np.testing.assert_allclose(df["stock_later_mg_c"], df["stock_mg_c"], rtol=1e-12)
    # the stock of each zone by hand: 甲 = 496 cells cropland + 16 water (0), 乙 = 512 cells forest
    d = densities(catalog, ["cropland", "forest"])
    assert tot.loc["a", "stock_mg_c"] == pytest.approx(496 * HA_PER_CELL * d["cropland"].sum(), rel=1e-9)
    assert tot.loc["b", "stock_mg_c"] == pytest.approx(512 * HA_PER_CELL * d["forest"].sum(), rel=1e-9)
    assert tot.loc["ALL", "stock_mg_c"] == pytest.approx(tot.loc["a", "stock_mg_c"] + tot.loc["b", "stock_mg_c"])
    np.testing.assert_allclose(tot["covered_pct"].drop("ALL"), 100.0, rtol=1e-9)


def test_known_change_across_legends_gives_the_hand_computed_sink(site, catalog):
    land = site["land"].copy()
    land[20:30, 4:14] = 2                     # 100 cells of cropland in 甲 become forest
    b = worldcover_copy(site, land, "b_worldcover_change.tif")
    r, out = run(site, "--lulc-later", b, "--legend-later", "worldcover", "--years", 2000, 2020)
    assert r.exit_code == 0, r.output
    df, tot = totals(out)
    d = densities(catalog, ["cropland", "forest"])
    per_pool = 100 * HA_PER_CELL * (d["forest"] - d["cropland"]) / 20 * 44 / 12    # t CO2e/yr
    got = df[df.zone_id == "a"].set_index("pool")["sink_t_co2e_yr"]
    for i, pool in enumerate(["above", "below", "soil", "dead"]):
        assert got[pool] == pytest.approx(per_pool[i], rel=1e-6, abs=1e-9), pool
    assert got["total"] == pytest.approx(per_pool.sum(), rel=1e-6)
    assert tot.loc["b", "sink_t_co2e_yr"] == pytest.approx(0.0, abs=1e-6)
    assert tot.loc["ALL", "sink_t_co2e_yr"] == pytest.approx(per_pool.sum(), rel=1e-6)
    allrow = tot.loc["ALL"]
    assert allrow["sink_t_co2e_yr_p05"] < allrow["sink_t_co2e_yr"] < allrow["sink_t_co2e_yr_p95"]


# ----------------------------------------------------------------------------- other grids

@pytest.mark.parametrize("method", ["nearest", "mode"])
def test_align_resamples_the_later_map_onto_the_first_grid(site, method, monkeypatch):
    scratch = site["dir"] / f"tmp_{method}"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    b = fine_copy(site, name=f"b_fine_{method}.tif")
    r, out = run(site, "--lulc-later", b, "--years", 2000, 2020, "--align", method)
    assert r.exit_code == 0, r.output
    assert "resampled from" in r.output and f"with {method} resampling" in r.output
    assert "cell 15 x 15, 82 x 82" in r.output and "cell 30 x 30, 40 x 40" in r.output
    df, tot = totals(out)
    np.testing.assert_allclose(df["stock_later_mg_c"], df["stock_mg_c"], rtol=1e-12)
    assert np.allclose(df["sink_t_co2e_yr"], 0.0, atol=1e-6)
    assert list(scratch.iterdir()) == []          # the temporary GeoTIFF is gone


def test_align_with_a_change_and_another_legend(site, catalog):
    """B finer, shifted and in WorldCover codes, with 20 x 20 fine cells (100 A cells) of 甲's
    cropland turned to forest: --align mode --legend-later worldcover gives the same sink as the
    hand computation."""
    def change(fine, x0, y0, res):
        # fine cells of A's rows 20-29, cols 4-13 (one fine cell of shift: fine index = 2 * A index + 1)
        fine[41:61, 9:29] = 2
        return fine
    b = fine_copy(site, change, name="b_fine_wc_change.tif", codes=CLCD_TO_WORLDCOVER)
    r, out = run(site, "--lulc-later", b, "--years", 2000, 2020, "--align", "mode", "--legend-later", "worldcover")
    assert r.exit_code == 0, r.output
    _, tot = totals(out)
    d = densities(catalog, ["cropland", "forest"])
    want = 100 * HA_PER_CELL * (d["forest"] - d["cropland"]).sum() / 20 * 44 / 12
    assert tot.loc["a", "sink_t_co2e_yr"] == pytest.approx(want, rel=1e-6)
    assert tot.loc["b", "sink_t_co2e_yr"] == pytest.approx(0.0, abs=1e-6)


# ----------------------------------------------------------------------------- coverage guard

def test_county_the_later_map_does_not_cover_gets_nan_not_zero(site):
    land = site["land"].copy()
    land[:, 20:] = 0                          # the later map: nodata over all of 乙
    b = write_raster(site["dir"] / "b_west.tif", land, crs=ALBERS, origin=(site["x0"], site["y0"]),
                     res=(RES, RES), nodata=0)
    r, out = run(site, "--lulc-later", b, "--years", 2000, 2020)
    assert r.exit_code == EXIT_WARNINGS, r.output
    assert "no value for 乙" in r.output
    df, tot = totals(out)
    rows = df[df.zone_id == "b"]
    assert len(rows) == 5
    for col in ("stock_mg_c", "stock_t_co2e", "stock_later_mg_c", "sink_t_co2e_yr", "sink_t_co2e_yr_p05"):
        assert rows[col].isna().all(), col
    assert rows["note"].str.contains("covers 0.0% of this county").all()
    assert tot.loc["b", "covered_later_pct"] == pytest.approx(0.0)
    assert tot.loc["b", "covered_pct"] == pytest.approx(100.0)
    # the ALL row is 甲 alone, and says whom it leaves out
    for col in ("stock_mg_c", "stock_later_mg_c", "sink_t_co2e_yr"):
        assert tot.loc["ALL", col] == pytest.approx(tot.loc["a", col])
    assert "leaves out 乙" in tot.loc["ALL", "note"]


def test_county_beyond_the_extent_of_a_resampled_map_gets_nan(site):
    """B (finer, another grid) covers only the west half: after --align, 乙 is outside, not 0."""
    b = fine_copy(site, name="b_fine_west.tif", cells=82)
    with rasterio.open(b) as src:
        arr, prof = src.read(1), src.profile
    prof.update(width=41)
    with rasterio.open(site["dir"] / "b_fine_west_only.tif", "w", **prof) as dst:
        dst.write(arr[:, :41], 1)
    r, out = run(site, "--lulc-later", site["dir"] / "b_fine_west_only.tif", "--years", 2000, 2020,
                 "--align", "nearest")
    assert r.exit_code == EXIT_WARNINGS, r.output
    _, tot = totals(out)
    assert np.isnan(tot.loc["b", "stock_later_mg_c"]) and np.isnan(tot.loc["b", "sink_t_co2e_yr"])
    assert tot.loc["a", "sink_t_co2e_yr"] == pytest.approx(0.0, abs=1e-6)
    assert "no value" in tot.loc["b", "note"]


def test_first_map_alone_leaves_an_uncovered_county_nan(site):
    land = site["land"].copy()
    land[:, 20:] = 0
    a = write_raster(site["dir"] / "a_west.tif", land, crs=ALBERS, origin=(site["x0"], site["y0"]),
                     res=(RES, RES), nodata=0)
    o = site["dir"] / "alone.csv"
    r = CliRunner().invoke(cli, ["carbon", str(a), str(site["zones"]), "--legend", "clcd", "--zone-field", "code",
                                 "--name-field", "name", "--climate-zone", ZONE, "--draws", "0", "-o", str(o)])
    assert r.exit_code == EXIT_WARNINGS, r.output
    _, tot = totals(o)
    assert np.isnan(tot.loc["b", "stock_mg_c"]) and tot.loc["a", "stock_mg_c"] > 0
    assert tot.loc["ALL", "stock_mg_c"] == pytest.approx(tot.loc["a", "stock_mg_c"])


# ----------------------------------------------------------------------------- align_to_grid

def patches(rng, rows, cols, size=10):
    """A class map of ``size`` x ``size`` cell patches of random classes 1-9."""
    return np.kron(rng.integers(1, 10, size=(rows, cols)), np.ones((size, size))).astype(np.uint8)


@pytest.mark.parametrize("method", ["nearest", "mode"])
def test_align_to_grid_in_chunks_gives_the_centre_or_the_majority(tmp_path, method):
    """A target grid of 3 x 3 source cells, resampled in chunks of one output tile with 1 MB of
    warp memory: nearest is each block's centre cell, mode its majority class (where one class
    has more cells than any other), computed here with numpy."""
    src = patches(np.random.default_rng(5), 200, 340)                     # 2000 x 3400 cells
    p = write_raster(tmp_path / "src.tif", src, crs="EPSG:4326", origin=(112.0, 40.0), res=(0.0001, 0.0001),
                     nodata=0, tiled=True)
    from rasterio.transform import from_origin
    r0, c0 = 3, 6                                                         # target origin, in source cells
    grid = Grid(1100, 650, from_origin(112.0 + c0 * 0.0001, 40.0 - r0 * 0.0001, 0.0003, 0.0003),
                pyproj.CRS.from_epsg(4326))
    out = align_to_grid(p, grid, tmp_path / "out.tif", method, chunk_cells=512 * 512, warp_mem_mb=1)
    with rasterio.open(out) as o:
        got = o.read(1)
        assert o.nodata == 0 and o.profile["tiled"] and (o.profile["blockxsize"], o.profile["blockysize"]) == (512, 512)
        assert same_grid(Grid(o.width, o.height, o.transform, pyproj.CRS.from_wkt(o.crs.to_wkt())), grid)
    blocks = src[r0:r0 + 3 * grid.height, c0:c0 + 3 * grid.width].reshape(grid.height, 3, grid.width, 3)
    if method == "nearest":
        np.testing.assert_array_equal(got, blocks[:, 1, :, 1])
        return
    counts = np.stack([(blocks == k).sum(axis=(1, 3)) for k in range(10)])   # (class, rows, cols)
    top = np.sort(counts, axis=0)
    unique = top[-1] > top[-2]
    assert unique.mean() > 0.9
    np.testing.assert_array_equal(got[unique], counts.argmax(axis=0)[unique])


@pytest.mark.parametrize("method", ["nearest", "mode"])
def test_align_to_grid_across_crs_agrees_with_one_reprojection(tmp_path, method):
    """Across CRSs, chunked resampling and one reprojection of the whole raster differ only by
    GDAL's approximation of the transform (1/8 of a source cell): here under 0.5% of the cells;
    the part of the grid the map does not reach is nodata."""
    src = patches(np.random.default_rng(3), 70, 90)
    src[:50, :50] = 0
    p = write_raster(tmp_path / "src.tif", src, crs="EPSG:4326", origin=(112.0, 40.0), res=(0.0001, 0.0001),
                     nodata=0, tiled=True)
    from rasterio.transform import from_origin
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True).transform(112.0, 40.0)
    grid = Grid(1100, 650, from_origin(x - 200, y + 100, 20.0, 15.0), pyproj.CRS.from_epsg(32649))
    out = align_to_grid(p, grid, tmp_path / "out.tif", method, chunk_cells=512 * 512, warp_mem_mb=1)
    with rasterio.open(out) as o:
        got = o.read(1)
    want = np.zeros((grid.height, grid.width), np.uint8)
    with rasterio.open(p) as s:
        reproject(s.read(1), want, src_transform=s.transform, src_crs=s.crs, src_nodata=0,
                  dst_transform=grid.transform, dst_crs="EPSG:32649", dst_nodata=0,
                  resampling=getattr(Resampling, method))
    assert 0.2 < (got > 0).mean() < 0.8
    assert (got != want).mean() < 0.005, (got != want).sum()


def test_same_grid_compares_crs_by_meaning():
    from rasterio.transform import from_origin
    t = from_origin(100.0, 40.0, 0.001, 0.001)
    a = Grid(10, 10, t, pyproj.CRS.from_epsg(4326))
    b = Grid(10, 10, t, pyproj.CRS.from_wkt(pyproj.CRS.from_epsg(4326).to_wkt("WKT1_GDAL")))
    assert same_grid(a, b)
    assert not same_grid(a, Grid(10, 11, t, a.crs))
    assert not same_grid(a, Grid(10, 10, from_origin(100.0005, 40.0, 0.001, 0.001), a.crs))
    assert not same_grid(a, Grid(10, 10, t, pyproj.CRS.from_epsg(4490)))
