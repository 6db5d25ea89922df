"""xarray DataArrays in and out (geo_sink.dataarrays): the same raster as a file, an in-memory
DataArray, a lazily loaded one and a dask-chunked one gives identical results; georeferencing is
read from the array with the file's checks; results that are rasters come back as DataArrays with
CF attributes."""

from __future__ import annotations

import threading
import warnings

import dask.array
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray
import shapely
import xarray as xr

from geo_sink.dataarrays import ArrayRaster, grid_dataarray
from geo_sink.errors import CRSError, InputDataError
from geo_sink.grid import Grid
from geo_sink.io.rasters import raster_info
from geo_sink.zonal import class_areas
from geo_sink.zonal.continuous import zonal_density_sum
from geo_sink.zonal.transitions import transition_areas
from tests.conftest import write_raster

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
#: (crs, top-left corner, cell size) of a geographic and an equal-area grid over northern Shanxi
GRIDS = {"wgs84": ("EPSG:4326", (112.0, 39.6), (0.001, 0.001)),
         "albers": (ALBERS, (600000.0, 4400000.0), (30.0, 30.0))}


def _zones(crs_key):
    """Two counties (a box and a disc) inside the test map, in WGS 84."""
    crs, (x0, y0), (dx, dy) = GRIDS[crs_key]
    w, h = 300 * dx, 200 * dy
    g = [shapely.box(x0 + 0.05 * w, y0 - 0.9 * h, x0 + 0.45 * w, y0 - 0.1 * h),
         shapely.Point(x0 + 0.7 * w, y0 - 0.5 * h).buffer(0.25 * h)]
    return gpd.GeoDataFrame({"zone_id": ["140602", "140603"], "zone_name": ["朔城区", "平鲁区"]},
                            geometry=g, crs=crs).to_crs(4326)


def _codes(seed=1, shape=(200, 300), codes=(0, 1, 2, 3, 4, 5, 7, 8)):
    rng = np.random.default_rng(seed)
    return np.asarray(codes, dtype=np.uint8)[rng.integers(0, len(codes), size=shape)]


def _map(tmp_path, crs_key, arr=None, name="lc.tif", nodata=0, **extra):
    crs, origin, res = GRIDS[crs_key]
    arr = _codes() if arr is None else arr
    return write_raster(tmp_path / name, arr, crs=crs, origin=origin, res=res, nodata=nodata, tiled=True, **extra)


def _forms(path):
    """The same raster as the file and as five kinds of DataArray."""
    lazy = rioxarray.open_rasterio(path)
    return {
        "file": path,
        "lazy": lazy,                                                        # read window by window
        "memory": rioxarray.open_rasterio(path).load(),
        "dask": rioxarray.open_rasterio(path, chunks={"x": 64, "y": 32}),
        "masked": rioxarray.open_rasterio(path, masked=True),               # float, NaN for nodata
        "masked_dask": rioxarray.open_rasterio(path, masked=True, chunks={"x": 128, "y": 48}),
        # no rioxarray: plain xarray with a CF grid mapping and the fill value
        "cf": xr.DataArray(lazy.values[0], dims=("y", "x"), coords={"y": lazy.y.values, "x": lazy.x.values,
                                                                      "spatial_ref": lazy.spatial_ref},
                           attrs={"grid_mapping": "spatial_ref", "_FillValue": lazy.attrs["_FillValue"]}),
    }


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


@pytest.mark.parametrize("crs_key", sorted(GRIDS))
@pytest.mark.parametrize("legend_id", ["clcd", "worldcover"])
def test_class_areas_are_identical_for_a_file_and_every_kind_of_dataarray(tmp_path, catalog, crs_key, legend_id):
    legend = catalog.legend(legend_id)
    codes = [c.code for c in legend.classes][:6] + [0]
    path = _map(tmp_path, crs_key, _codes(codes=codes))
    zones = _zones(crs_key)
    want = _quiet(class_areas, path, zones, legend, cache=False)
    assert want.summary["closure_pct"].abs().max() < 1e-6
    for form, src in _forms(path).items():
        got = _quiet(class_areas, src, zones, legend, cache=False)
        pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=True, obj=form)
        pd.testing.assert_frame_equal(got.summary, want.summary, check_exact=True, obj=form)


def test_south_up_and_east_to_west_arrays_are_read_north_up(tmp_path, catalog):
    path = _map(tmp_path, "wgs84")
    zones = _zones("wgs84")
    want = _quiet(class_areas, path, zones, catalog.legend("clcd"), cache=False)
    da = rioxarray.open_rasterio(path).load()
    flipped = da.isel(y=slice(None, None, -1), x=slice(None, None, -1))
    assert flipped.y.values[0] < flipped.y.values[-1]
    got = _quiet(class_areas, flipped, zones, catalog.legend("clcd"), cache=False)
    pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=True)


def test_a_stackstac_style_array_with_corner_coordinates_is_placed_right(tmp_path, catalog):
    """stackstac labels cells by their top-left corners and keeps the CRS and transform as plain
    attributes: read as centres, the grid would sit half a cell off."""
    path = _map(tmp_path, "albers")
    zones = _zones("albers")
    want = _quiet(class_areas, path, zones, catalog.legend("clcd"), cache=False)
    f = rioxarray.open_rasterio(path).load()
    t = f.rio.transform()
    corner = xr.DataArray(dask.array.from_array(f.values, chunks=(1, 64, 64)), dims=("band", "y", "x"),
                          coords={"band": ["B1"], "y": t.f + t.e * np.arange(200), "x": t.c + t.a * np.arange(300)},
                          attrs={"crs": ALBERS, "transform": tuple(t), "_FillValue": 0})
    assert raster_info(corner).grid.transform == raster_info(path).grid.transform
    got = _quiet(class_areas, corner, zones, catalog.legend("clcd"), cache=False)
    pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=True)


def test_negative_nodata_in_a_signed_array_counts_as_nodata(tmp_path, catalog):
    arr = _codes().astype(np.int16)
    arr[:40, :] = -999
    path = _map(tmp_path, "wgs84", arr, nodata=-999)
    zones = _zones("wgs84")
    want = _quiet(class_areas, path, zones, catalog.legend("clcd"), cache=False)
    assert want.summary["nodata_km2"].sum() > 0
    for form in ("memory", "dask", "masked"):
        got = _quiet(class_areas, _forms(path)[form], zones, catalog.legend("clcd"), cache=False)
        pd.testing.assert_frame_equal(got.summary, want.summary, check_exact=True, obj=form)


def test_an_array_with_the_files_tiles_is_cut_into_the_files_blocks(tmp_path, catalog):
    """4400 columns: the file path streams 512-row blocks (its tile height), a layout-free array
    909-row blocks; sums that add in another order differ in the last bits only."""
    crs, origin, _ = GRIDS["wgs84"]
    arr = _codes(seed=3, shape=(1200, 4400))
    path = write_raster(tmp_path / "wide.tif", arr, crs=crs, origin=origin, res=(0.0001, 0.0001), nodata=0,
                        tiled=True, blockxsize=512, blockysize=512)
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"], "zone_name": ["a", "b"]},
                             geometry=[shapely.box(112.02, 39.49, 112.3, 39.595),
                                       shapely.Point(112.35, 39.54).buffer(0.04)], crs=4326)
    leg = catalog.legend("clcd")
    want = _quiet(class_areas, path, zones, leg, cache=False)
    lazy = rioxarray.open_rasterio(path)
    assert ArrayRaster(lazy).block_shape == (512, 512)
    for form in (lazy, lazy.load()):
        got = _quiet(class_areas, form, zones, leg, cache=False)
        pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=True)
    bare = xr.DataArray(lazy.values[0], dims=("y", "x"), coords={"y": lazy.y, "x": lazy.x},
                        attrs={"crs": "EPSG:4326", "_FillValue": 0})
    assert ArrayRaster(bare).block_shape == (1, 4400)
    got = _quiet(class_areas, bare, zones, leg, cache=False)
    pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=False, rtol=1e-12, atol=0)


def test_a_sliced_array_keeps_its_place_on_the_file_grid(tmp_path):
    path = _map(tmp_path, "albers")
    da = rioxarray.open_rasterio(path)
    part = da.isel(x=slice(17, 140), y=slice(9, 120))
    g = raster_info(part).grid
    full = raster_info(path).grid
    assert (g.width, g.height) == (123, 111)
    assert g.transform.c == full.transform.c + 17 * 30.0 and g.transform.f == full.transform.f - 9 * 30.0
    assert g.transform.a == 30.0 and g.transform.e == -30.0


# ---- what the array must say, and the errors when it does not ---------------------------------

def _plain(values=None, **attrs):
    v = _codes(shape=(20, 30)) if values is None else values
    return xr.DataArray(v, dims=("y", "x"), name="lc",
                        coords={"y": 39.5 - 0.01 * (np.arange(v.shape[0]) + 0.5),
                                "x": 112.0 + 0.01 * (np.arange(v.shape[1]) + 0.5)}, attrs=attrs)


def test_crs_from_a_crs_attribute_and_the_transform_from_coordinates():
    g = raster_info(_plain(crs="EPSG:4326")).grid
    assert g.crs.to_epsg() == 4326
    assert tuple(g.transform)[:6] == (0.01, 0.0, 112.0, 0.0, -0.01, 39.5)


def test_no_crs_is_an_error_naming_the_array_and_crs_fixes_it():
    with pytest.raises(CRSError, match=r"DataArray 'lc' \(y: 20, x: 30\): the raster has no CRS"):
        raster_info(_plain())
    assert raster_info(_plain(), crs="EPSG:4490").grid.crs.to_epsg() == 4490


def test_rotated_curvilinear_and_irregular_grids_are_errors():
    da = rioxarray.open_rasterio(write_raster_tmp(), masked=False)
    da.spatial_ref.attrs["GeoTransform"] = "112.0 0.01 0.002 39.5 0.0 -0.01"
    with pytest.raises(InputDataError, match="rotated grids are not supported"):
        raster_info(da)
    irregular = _plain(crs="EPSG:4326")
    xs = irregular.x.values.copy()
    xs[5] += 0.004                      # 0.4 of a cell off the regular spacing
    irregular = irregular.assign_coords(x=xs)
    with pytest.raises(InputDataError, match="'x' is not regularly spaced"):
        raster_info(irregular)
    lon2d = xr.DataArray(np.zeros((20, 30)), dims=("y", "x"))
    curvi = _plain(crs="EPSG:4326").assign_coords(x=lon2d)
    with pytest.raises(InputDataError, match="curvilinear"):
        raster_info(curvi)


def write_raster_tmp():
    import tempfile
    from pathlib import Path
    return write_raster(Path(tempfile.mkdtemp()) / "r.tif", _codes(shape=(20, 30)), origin=(112.0, 39.5),
                        res=(0.01, 0.01), nodata=0)


def test_a_time_stack_must_be_reduced_to_one_map_and_bands_are_checked():
    stack = xr.concat([_plain(crs="EPSG:4326")] * 2, dim="time").assign_coords(time=[2015, 2020])
    bands = xr.concat([_plain(crs="EPSG:4326")] * 2, dim="band")
    with pytest.raises(InputDataError, match=r"more than one map: select one along 'band', 'time'"):
        raster_info(stack.expand_dims(band=[1]))
    assert raster_info(stack.isel(time=1)).grid.width == 30
    assert raster_info(bands, band=2).grid.height == 20
    with pytest.raises(InputDataError, match="band 3 requested, the array has 2"):
        raster_info(bands, band=3)


def test_a_float_land_cover_array_needs_whole_codes(catalog):
    v = _codes(shape=(20, 30)).astype(np.float32)
    v[3, 4] = 2.5
    zones = gpd.GeoDataFrame({"zone_id": ["z"], "zone_name": ["z"]}, geometry=[shapely.box(112, 39.3, 112.3, 39.5)],
                             crs=4326)
    with pytest.raises(InputDataError, match=r"DataArray 'lc' .*value 2.5 \(row 3, col 4\) is not a land-cover code"):
        _quiet(class_areas, _plain(v, crs="EPSG:4326"), zones, catalog.legend("clcd"), cache=False)


# ---- dask: block by block, never the whole array ------------------------------------------------

class CountingArray:
    """A numpy array that records every read (dask's from_array calls ``__getitem__`` per chunk)."""

    def __init__(self, values):
        self.values, self.shape, self.dtype, self.ndim = values, values.shape, values.dtype, values.ndim
        self.reads, self._lock = [], threading.Lock()

    def __getitem__(self, key):
        out = self.values[key]
        with self._lock:
            self.reads.append((key, out.size))
        return out


def test_a_dask_array_is_streamed_one_chunk_at_a_time_and_each_chunk_once(tmp_path, catalog):
    path = _map(tmp_path, "wgs84")
    zones = _zones("wgs84")
    want = _quiet(class_areas, path, zones, catalog.legend("clcd"), cache=False)
    base = rioxarray.open_rasterio(path).load().squeeze("band", drop=True)
    counter = CountingArray(base.values)
    lazy = base.copy(data=dask.array.from_array(counter, chunks=(20, 50), asarray=False))
    got = _quiet(class_areas, lazy, zones, catalog.legend("clcd"), cache=False)
    pd.testing.assert_frame_equal(got.areas, want.areas, check_exact=True)
    sizes = [n for _, n in counter.reads]
    assert max(sizes) <= 20 * 50                    # never more than one chunk per read
    keys = [tuple((s.start, s.stop) for s in k) for k, _ in counter.reads]
    assert len(keys) == len(set(keys))              # no chunk read twice
    assert sum(sizes) <= base.size                  # at most the array once (rows outside the zones: never)


# ---- the other zonal passes ----------------------------------------------------------------------

def test_transitions_are_identical_for_files_and_dataarrays(tmp_path, catalog):
    a = _map(tmp_path, "albers", _codes(seed=1, codes=(1, 2, 4, 8)), name="a.tif")
    b = _map(tmp_path, "albers", _codes(seed=2, codes=(1, 2, 4, 8)), name="b.tif")
    zones, leg = _zones("albers"), catalog.legend("clcd")
    want = transition_areas(a, b, zones, leg, leg, cache=False)
    assert want["area_km2"].sum() > 0
    for form in ("memory", "dask", "masked_dask", "cf"):
        got = transition_areas(_forms(a)[form], _forms(b)[form], zones, leg, leg, cache=False)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=form)
    mixed = transition_areas(a, _forms(b)["dask"], zones, leg, leg, cache=False)
    pd.testing.assert_frame_equal(mixed, want, check_exact=True)


def test_zonal_sums_are_identical_for_a_file_and_dataarrays(tmp_path):
    rng = np.random.default_rng(5)
    vol = rng.gamma(2.0, 40.0, size=(200, 300)).astype(np.float32)     # m3/ha
    vol[50:60, :] = -1.0
    path = _map(tmp_path, "albers", vol, name="vol.tif", nodata=-1.0)
    zones = _zones("albers")
    want = zonal_density_sum(path, zones, cache=False)
    assert want["nodata_km2"].sum() > 0
    for form in ("lazy", "memory", "dask", "masked", "cf"):
        got = zonal_density_sum(_forms(path)[form], zones, cache=False)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=form)


# ---- carbon ------------------------------------------------------------------------------------

def _pools(catalog, legend_id="clcd"):
    from geo_sink.sinks.pools import PoolTable
    codes = np.array([c.code for c in catalog.legend(legend_id).classes])
    mean = np.column_stack([np.linspace(1, 9, len(codes)), np.linspace(0.5, 2, len(codes)),
                            np.full(len(codes), 40.0), np.full(len(codes), 1.0)])
    return PoolTable(codes, mean, 0.1 * mean, "hand-made test pools")


def test_stock_series_from_files_dataarrays_and_a_year_stack_are_identical(tmp_path, catalog):
    from geo_sink.sinks.carbon_run import map_stock_series
    a = _map(tmp_path, "albers", _codes(seed=1, codes=(0, 1, 2, 4, 8)), name="a.tif")
    b = _map(tmp_path, "albers", _codes(seed=2, codes=(0, 1, 2, 4, 8)), name="b.tif")
    zones, leg, pools = _zones("albers"), catalog.legend("clcd"), _pools(catalog)
    kw = dict(draws=500, total=("140600", "朔州市"))
    st, sk, areas = _quiet(map_stock_series, {2015: a, 2020: b}, zones, leg, pools, 44 / 12, **kw)
    # the stock is the sum of area x density by hand
    r = areas[2015].areas
    dens = dict(zip(pools.codes, pools.mean.sum(axis=1)))
    hand = (r["area_km2"] * 100 * r["class_code"].map(dens)).groupby(r["zone_id"]).sum()
    tot = st[(st.year == 2015) & (st.pool == "total")].set_index("zone_id")["stock_mg_c"]
    np.testing.assert_allclose(tot.loc[hand.index], hand, rtol=1e-12)
    stack = xr.concat([rioxarray.open_rasterio(p, chunks={"x": 100, "y": 50}) for p in (a, b)], dim="year")
    for maps in ({2015: _forms(a)["dask"], 2020: _forms(b)["masked"]}, stack.assign_coords(year=[2015, 2020])):
        st2, sk2, _ = _quiet(map_stock_series, maps, zones, leg, pools, 44 / 12, **kw)
        pd.testing.assert_frame_equal(st2, st, check_exact=True)
        pd.testing.assert_frame_equal(sk2, sk, check_exact=True)


def test_maps_given_to_the_table_functions_are_pointed_to_map_stock_series(catalog):
    from geo_sink.sinks.carbon import carbon_stock, carbon_stock_series
    with pytest.raises(TypeError, match="use geo_sink.sinks.carbon_run.map_stock_series"):
        carbon_stock_series({2020: _plain(crs="EPSG:4326")}, _pools(catalog), 44 / 12)
    with pytest.raises(TypeError, match="got DataArray"):
        carbon_stock(_plain(crs="EPSG:4326"), _pools(catalog), 44 / 12)


def test_carbon_density_dataarray_equals_the_cog(tmp_path, catalog):
    import rasterio

    from geo_sink.sinks.carbon import table_densities
    from geo_sink.sinks.carbon_run import carbon_density, write_density_maps
    path = _map(tmp_path, "albers", _codes(codes=(0, 1, 2, 4, 8, 9)))
    pools = _pools(catalog)
    cog = write_density_maps(path, tmp_path / "d.tif", table_densities(pools, pools.codes, ["a"]), {"a": "a"}, form="cog")[0]
    with rasterio.open(cog) as src:
        want = src.read(1)
    lazy = carbon_density(rioxarray.open_rasterio(path, chunks={"x": 64, "y": 64}), pools)
    assert isinstance(lazy.data, dask.array.Array)               # stays lazy until asked
    got = lazy.values
    np.testing.assert_array_equal(np.where(want == -1.0, np.nan, want), got)
    assert np.isnan(got[_codes(codes=(0, 1, 2, 4, 8, 9)) == 0]).all()   # nodata code 0: no density
    assert lazy.attrs["units"] == "Mg C ha-1" and lazy.attrs["long_name"] == "total carbon density"
    assert lazy.rio.crs is not None and raster_info(lazy).grid.fingerprint() == raster_info(path).grid.fingerprint()
    # from a path, and with two climate zones: one map per zone
    from geo_sink.sinks.carbon import ZonedDensities
    two = ZonedDensities(pools.codes, ["WTD", "CTD"], np.stack([pools.mean, 2 * pools.mean]), None,
                         {"a": "WTD", "b": "CTD"}, "two zones")
    both = carbon_density(path, two)
    assert both.dims == ("climate_zone", "y", "x") and list(both.valid_for.values) == ["a", "b"]
    np.testing.assert_allclose(both.sel(climate_zone="CTD").values, 2 * got, equal_nan=True, rtol=1e-6)


def test_a_result_dataarray_round_trips_through_a_geotiff(tmp_path):
    from affine import Affine
    import pyproj
    grid = Grid(30, 20, Affine(30.0, 0, 612345.0, 0, -30.0, 4380000.0), pyproj.CRS(32649))
    v = np.arange(600, dtype=np.float32).reshape(20, 30)
    da = grid_dataarray(v, grid, name="subsidence", units="mm", long_name="final subsidence", nodata=np.float32(np.nan))
    assert raster_info(da).grid == grid
    da.rio.to_raster(tmp_path / "s.tif")
    info = raster_info(tmp_path / "s.tif")
    assert info.grid.transform == grid.transform and info.grid.crs.equals(grid.crs)
    np.testing.assert_array_equal(rioxarray.open_rasterio(tmp_path / "s.tif").values[0], v)


# ---- reflectance, FVC and scene cubes ------------------------------------------------------------

def test_ndvi_and_fvc_of_dataarrays_are_lazy_and_attributed():
    from geo_sink.sinks.reclamation import fvc, ndvi
    red = xr.DataArray(dask.array.from_array(np.array([[[0.05, 0.10]], [[0.08, 0.0]]]), chunks=1),
                       dims=("time", "y", "x"), coords={"time": [1, 2]})
    nir = red * 0 + xr.DataArray(np.array([[[0.45, 0.30]], [[0.40, 0.0]]]), dims=("time", "y", "x"))
    nd = ndvi(red, nir)
    assert isinstance(nd.data, dask.array.Array) and nd.attrs["units"] == "1"
    np.testing.assert_allclose(nd.values[0, 0], [0.8, 0.5], rtol=1e-6)
    assert np.isnan(nd.values[1, 0, 1])
    soil = xr.DataArray([0.2, 0.1], dims="time", coords={"time": [1, 2]})
    veg = xr.DataArray([0.8, 0.7], dims="time", coords={"time": [1, 2]})
    f = fvc(nd, soil, veg).values
    # (0.8-0.2)/0.6 = 1, (0.5-0.2)/0.6 = 0.5; (0.4/0.48 - 0.1)/0.6
    np.testing.assert_allclose(f[0, 0], [1.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(f[1, 0, 0], (0.32 / 0.48 - 0.1) / 0.6, rtol=1e-6)


def test_fvc_series_from_a_cube_equals_the_scene_folders(demo_project):
    from geo_sink.catalog import load_catalog
    from geo_sink.io.scenes import scene_cube
    from geo_sink.steps import project_zones
    from geo_sink.project import load_project
    from geo_sink.reclamation_run import fvc_series_from_cube, load_sites, reclaimed_pieces, update_series
    p = load_project(demo_project)
    d, r = load_sites(p)
    pieces = reclaimed_pieces(r, d, project_zones(p))
    params = dict(pd.read_csv(load_catalog().dataset_path("reclamation_parameters")).set_index("name")["value"])
    scenes = [s for s in p.spec.imagery.scenes if s.product == "sentinel2_l2a"]     # one 10 m grid
    assert len(scenes) >= 2
    want = update_series(None, scenes, pieces, params)[0].drop(columns="scene_key")
    cube = scene_cube(scenes)
    assert cube.dims == ("time", "band", "y", "x") and list(cube.band.values) == ["red", "nir"]
    for form in (cube, cube.chunk({"time": 1, "band": 1, "y": 400, "x": 400})):
        cover, got = fvc_series_from_cube(form, pieces, params)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert cover.dims == ("time", "y", "x") and cover.attrs["units"] == "1"
        np.testing.assert_allclose(cover.ndvi_soil.values, want.groupby("date").ndvi_soil.first().values)
    # a Dataset of bands with a clear-sky mask: masking a whole scene leaves its polygons without data
    ds = cube.to_dataset(dim="band")
    mask = xr.ones_like(ds["red"], dtype=bool)
    mask[0] = False
    mask[0, :5, :5] = True           # a few clear pixels far from the mines, so percentiles exist
    _, masked = fvc_series_from_cube(ds, pieces, params, mask=mask)
    first = masked[masked.date == str(scenes[0].date)]
    assert (first["valid_km2"] == 0).all() and first["mean_fvc"].isna().all()


def test_a_cube_of_digital_numbers_is_refused(demo_project, tmp_path):
    from geo_sink.reclamation_run import fvc_series_from_cube
    from geo_sink.io.scenes import SceneError
    cube = grid_dataarray(np.full((1, 2, 10, 10), 1500.0, dtype=np.float32),
                          Grid(10, 10, __import__("affine").Affine(10.0, 0, 640000.0, 0, -10.0, 4371000.0),
                               __import__("pyproj").CRS(32649)),
                          name="dn", units="1", long_name="DN",
                          dims_before={"time": pd.DatetimeIndex(["2022-08-20"]), "band": ["B04", "B08"]})
    pieces = gpd.GeoDataFrame({"polygon_id": ["R1"], "mine": ["M"], "zone_id": ["a"], "zone_name": ["甲"]},
                              geometry=[shapely.box(640010, 4370910, 640080, 4370990)], crs=32649)
    params = {"ndvi_soil_percentile": 5, "ndvi_veg_percentile": 95, "fvc_vegetated_threshold": 0.3,
              "endmember_margin_km": 5}
    with pytest.raises(SceneError, match="scale digital numbers to reflectance first"):
        fvc_series_from_cube(cube, pieces, params)
    with pytest.raises(InputDataError, match=r"no nir band \(looked for"):
        fvc_series_from_cube(cube.sel(band=["B04"]), pieces, params)


def test_scene_cube_resamples_a_coarser_scene_and_says_so(demo_project):
    from geo_sink.io.scenes import scene_cube
    from geo_sink.project import load_project
    scenes = load_project(demo_project).spec.imagery.scenes
    cube = scene_cube(scenes)
    n = len(scenes)
    assert list(cube.product.values) == ["sentinel2_l2a"] * (n - 1) + ["landsat_c2_l2"]
    assert list(cube.cell_m.values) == [10.0] * (n - 1) + [30.0]          # each scene's own cell
    assert list(cube.resampled.values) == [""] * (n - 1) + ["average from 30 m"]
    assert (np.diff(cube.time.values) > np.timedelta64(0)).all()
    # a 30 m cell averaged onto its nine 10 m cells gives its own value on each
    land = cube.isel(time=n - 1, band=0).values
    block = land[300:303, 300:303]
    assert np.isfinite(block).all() and np.ptp(block) == 0


# ---- PV siting ---------------------------------------------------------------------------------

def test_pv_siting_functions_take_and_give_dataarrays():
    import pyproj
    from affine import Affine

    from geo_sink.pv.siting import eligible_mask, slope_aspect
    from geo_sink.pv.subsidence import subsidence_mask
    grid = Grid(40, 30, Affine(30.0, 0, 612000.0, 0, -30.0, 4380000.0), pyproj.CRS(32649))
    y, x = np.mgrid[0:30, 0:40]
    dem = (1200.0 + 3.0 * x - 1.5 * y).astype(np.float32)   # rises east 0.1 m/m, north 0.05 m/m
    dem_da = grid_dataarray(dem, grid, name="dem", units="m", long_name="elevation")
    s_np, a_np = slope_aspect(dem, grid)
    s, a = slope_aspect(dem_da)
    np.testing.assert_array_equal(s.values, s_np)
    np.testing.assert_array_equal(a.values, a_np)
    # closed form in the interior: slope atan(hypot(0.1, 0.05)), downslope towards the south-west
    assert s.values[10, 10] == pytest.approx(np.degrees(np.arctan(np.hypot(0.1, 0.05))), rel=1e-5)
    assert a.values[10, 10] == pytest.approx((np.degrees(np.arctan2(-0.1, -0.05)) + 360) % 360, rel=1e-5)
    assert s.attrs["units"] == "degree" and s.rio.crs.to_epsg() == 32649
    insar = grid_dataarray(np.where(x < 20, -15.0, 4.0).astype(np.float32), grid, name="los", units="mm/yr",
                           long_name="LOS velocity")
    sub = subsidence_mask(-insar, "mm/yr", 10.0, "mm/yr")
    assert sub.dtype == np.uint8 and int(sub.sum()) == 20 * 30 and sub.attrs["flag_meanings"] == "outside subsided"
    none = xr.zeros_like(sub, dtype=bool)
    ok, table = eligible_mask(sub, none.values, none.values, s, a,
                              {"max_slope_deg": 5.0, "max_north_slope_deg": 3.0, "north_aspect_halfwidth_deg": 45.0})
    assert ok.dims == ("y", "x") and ok.name == "pv_eligible"
    # every cell steeper than 5 deg but the west edge column, whose Horn gradient halves east-west
    # (edge cells repeat their neighbours): atan(hypot(0.05, 0.05)) = 4.0 deg
    assert table.set_index("rule").loc["slope", "pixels_removed"] == 600 - 30
    assert int(ok.sum()) == 30 and ok.values[:, 0].all()


def test_subsidence_grid_on_a_dataarray_template():
    import pyproj
    from affine import Affine

    from geo_sink.pv.subsidence import PIMParameters, subsidence_grid
    grid = Grid(60, 60, Affine(20.0, 0, 600000.0, 0, -20.0, 4380000.0), pyproj.CRS(32649))
    panels = gpd.GeoDataFrame({"thickness_m": [3.0], "depth_m": [200.0], "dip_deg": [0.0]},
                              geometry=[shapely.box(600300, 4379100, 600900, 4379500)], crs=32649)
    p = PIMParameters(q=0.7, tan_beta=2.0, s_over_h=0.1, k_theta=0.7)
    w = subsidence_grid(panels, p, grid)
    da = subsidence_grid(panels, p, grid_dataarray(np.zeros((60, 60), np.float32), grid, name="t", units="1",
                                                   long_name="template"))
    np.testing.assert_array_equal(da.values, w)
    assert da.attrs["units"] == "mm" and da.max() > 0
