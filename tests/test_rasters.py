import numpy as np
import pyproj
import pytest
import rasterio
import rasterio.errors

from geo_sink.errors import CRSError, InputDataError
from geo_sink.io.rasters import (CRSOverrideWarning, catalog_raster, is_modis_cmg_crs,
                                 raster_info)
from geo_sink.zonal import class_areas
from tests.conftest import write_raster


def test_modis_file_keeps_its_odd_crs_and_is_read_as_wgs84(catalog):
    path = catalog.dataset_path("mcd12c1_2019_china")
    with rasterio.open(path) as src:
        file_crs = pyproj.CRS.from_wkt(src.crs.to_wkt())
        assert "Clarke 1866" in file_crs.to_wkt()
        # the WKT declares latitude first...
        assert [a.direction for a in file_crs.axis_info] == ["north", "east"]
        # ...but the geotransform is longitude first: x origin 73 E, y origin 54 N
        assert (src.transform.c, src.transform.f) == (73.0, 54.0)
    assert is_modis_cmg_crs(file_crs)
    info = raster_info(path)
    assert info.grid.crs.to_epsg() == 4326 and "MODIS CMG" in info.crs_note
    from geo_sink.io import load_boundaries
    with pytest.warns(CRSOverrideWarning, match="MODIS CMG"):
        class_areas(path, load_boundaries("平鲁区"), catalog.legend("modis_igbp"))
    assert catalog_raster(catalog, "mcd12c1_2019_china")[1] == "EPSG:4326"


def test_modis_values_at_known_places(catalog):
    path = catalog.dataset_path("mcd12c1_2019_china")
    with rasterio.open(path) as src:
        sample = lambda lon, lat: next(src.sample([(lon, lat)]))[0]
        assert sample(114.9, 37.9) in (12, 14)       # North China Plain east of 石家庄: cropland
        assert sample(87.0, 33.0) in (10, 16, 15)     # Tibetan plateau: grass/barren/snow
        assert sample(121.6, 31.2) == 13              # Shanghai: urban
        assert sample(124.0, 51.0) in (1, 3, 4, 5, 8)  # Greater Khingan: forest


def test_catalog_raster_rejects_a_different_crs(catalog, tmp_path, monkeypatch):
    import shutil
    cat_dir = tmp_path / "cat"
    shutil.copytree(catalog.root, cat_dir)
    write_raster(cat_dir / "modis" / "MCD12C1_2019_IGBP_china.tif", np.zeros((4, 4), np.uint8),
                 crs="EPSG:3857")
    from geo_sink.catalog.loader import _load
    other = _load(cat_dir)
    with pytest.raises(CRSError, match="expects CRS EPSG:4326"):
        catalog_raster(other, "mcd12c1_2019_china")


def test_shijiazhuang_is_mostly_cropland_on_real_modis(catalog):
    from geo_sink.io import load_boundaries
    path, crs = catalog_raster(catalog, "mcd12c1_2019_china")
    res = class_areas(path, load_boundaries("石家庄市"), catalog.legend("modis_igbp"), crs=crs)
    eco = res.areas.groupby("ecosystem").area_km2.sum()
    assert eco.idxmax() == "cropland"
    assert abs(res.summary.closure_pct).max() < 0.05
    assert res.summary.zone_area_km2.sum() == pytest.approx(14_100, rel=0.03)


@pytest.mark.parametrize("env, expected", [(None, [("GDAL_CACHEMAX", 2**20)]), ("64", [])])
def test_gdal_cache_is_small_unless_the_user_set_one(monkeypatch, env, expected):
    """rasterio passes an integer GDAL_CACHEMAX to GDALSetCacheMax (bytes): 1 MiB, not 1 byte
    or 1 TB; a user's GDAL_CACHEMAX wins."""
    from geo_sink.io import rasters
    calls = []
    monkeypatch.setattr(rasters.rasterio.env, "set_gdal_config", lambda k, v: calls.append((k, v)))
    if env is None:
        monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    else:
        monkeypatch.setenv("GDAL_CACHEMAX", env)
    rasters.limit_gdal_cache()
    assert calls == expected


@pytest.mark.parametrize("readers", [0, 1, 2])
def test_reused_block_buffers_hold_the_same_rows(tmp_path, readers):
    """reuse=True decodes into readers + 1 buffers made once; each block, read before the next
    is asked for, equals a freshly allocated read, including the short last block."""
    from geo_sink.io.rasters import iter_row_blocks
    a = np.arange(70 * 24, dtype=np.uint16).reshape(70, 24) % 997
    path = write_raster(tmp_path / "r.tif", a, tiled=True)
    fresh = [(r, b.copy()) for r, b in iter_row_blocks(path, (3, 70), (2, 21), 16, readers=readers)]
    got, bases = [], set()
    for r, b in iter_row_blocks(path, (3, 70), (2, 21), 16, readers=readers, reuse=True):
        got.append((r, b.copy()))
        bases.add(id(b.base))
    assert [r for r, _ in got] == [r for r, _ in fresh] == [3, 16, 32, 48, 64]
    for (r, x), (_, y) in zip(got, fresh):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, a[r:min(70, (r // 16 + 1) * 16), 2:21])
    assert len(bases) == (readers + 1 if readers else 1)


@pytest.mark.parametrize("window, shape", [((0, 0, 1501, 1037), (300, 401)), ((13, 7, 1000, 900), (123, 77)),
                                           ((0, 0, 1501, 1037), (1037, 1501)), ((500, 600, 3, 400), (1, 2))])
def test_decimated_read_equals_gdal_nearest(tmp_path, window, shape):
    """The streamed nearest decimation samples the cells GDAL's nearest ``out_shape`` read does."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    from geo_sink.io.rasters import decimated_read
    a = np.random.default_rng(1).integers(0, 200, (1037, 1501)).astype(np.uint8)
    p = write_raster(tmp_path / "d.tif", a, tiled=True, origin=(110.0, 40.0), res=(0.001, 0.001))
    win = Window(*window)
    with rasterio.open(p) as src:
        gdal = src.read(1, window=win, out_shape=shape, resampling=Resampling.nearest)
    assert np.array_equal(decimated_read(p, win, shape), gdal)


@pytest.mark.parametrize("crs", [None, "EPSG:4326"])
def test_a_raster_without_a_geotransform_is_refused_naming_the_file(tmp_path, crs):
    """GDAL gives a file without a geotransform the identity transform (pixel (0, 0) at 0 deg
    E, 0 deg N, one unit a pixel, rows going north): refused, with or without a CRS given."""
    import warnings

    path = tmp_path / "nogeo.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="uint8") as dst:
            dst.write(np.ones((3, 4), np.uint8), 1)
        with pytest.raises(InputDataError, match=r"nogeo\.tif: the raster has no geotransform"):
            raster_info(path, crs=crs)


def test_array_reprojects_and_rasterizes_on_two_threads_say_nothing(tmp_path):
    """rasterio hides its NotGeoreferencedWarning for a reproject of arrays and a rasterize of
    shapes with ``warnings.catch_warnings``, which threads race on; with the filters
    :func:`quiet_array_datasets` installs (``run_steps`` does before its threads start) 800
    reprojects on one thread beside 800 reprojects and 800 masks on the other warn nothing
    (without them, 2 of 3 runs of 600 reprojects warned)."""
    import threading
    import warnings

    import rasterio.features
    import shapely
    from rasterio.transform import from_origin
    from rasterio.warp import reproject

    from geo_sink.io.rasters import quiet_array_datasets

    def work(mask):
        src = np.ones((50, 50), np.uint8)
        for _ in range(800):
            reproject(src, np.zeros((40, 40), np.uint8), src_transform=from_origin(112, 37, 0.01, 0.01),
                      src_crs="EPSG:4326", dst_transform=from_origin(12467782, 4439106, 1000, 1000),
                      dst_crs="EPSG:3857")
            if mask:
                m = rasterio.features.geometry_mask([shapely.box(112.1, 36.7, 112.3, 36.9)], out_shape=(50, 50),
                                                    transform=from_origin(112, 37, 0.01, 0.01), invert=True)
                assert m.sum() == 400
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        quiet_array_datasets()
        threads = [threading.Thread(target=work, args=(m,)) for m in (False, True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not [w for w in rec if issubclass(w.category, rasterio.errors.NotGeoreferencedWarning)]
