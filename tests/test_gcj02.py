import numpy as np
import pytest
import shapely

from geo_sink.io.gcj02 import (gcj02_to_wgs84, geometry_gcj02_to_wgs84, in_china_box,
                               wgs84_to_gcj02)

# Published pairs (WGS 84 -> GCJ-02), rounded to 5-6 decimals in their sources:
# Beijing railway station and Tiananmen (documentation of the R package 'geoChina'), and
# the example of the Java library 'Geometry Utilities'.
PAIRS = [
    ((116.42079, 39.90105), (116.42703, 39.90245), 1e-5),
    ((116.39089, 39.90734), (116.3971, 39.90874), 1e-4),
    ((116.348120, 39.980945), (116.354308, 39.982296), 2e-6),
]


@pytest.mark.parametrize("wgs,gcj,tol", PAIRS)
def test_forward_matches_published_pairs(wgs, gcj, tol):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert abs(lon - gcj[0]) <= tol and abs(lat - gcj[1]) <= tol


@pytest.mark.parametrize("wgs,gcj,tol", PAIRS)
def test_inverse_matches_published_pairs(wgs, gcj, tol):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert abs(lon - wgs[0]) <= tol and abs(lat - wgs[1]) <= tol


def test_inverse_is_exact_inverse_over_china():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(19, 53, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    # the offset is hundreds of metres: far from the identity
    assert np.abs(glon - lon).max() > 1e-3
    blon, blat = gcj02_to_wgs84(glon, glat)
    assert np.abs(blon - lon).max() < 1e-8 and np.abs(blat - lat).max() < 1e-8


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02([139.7671, -3.0], [35.6812, 51.5])
    np.testing.assert_array_equal(lon, [139.7671, -3.0])
    assert not in_china_box(139.9, 35.7)


def test_geometry_conversion_moves_every_vertex():
    poly = shapely.box(112.0, 39.0, 112.5, 39.5)
    out = geometry_gcj02_to_wgs84(poly)
    a = shapely.get_coordinates(poly)
    b = shapely.get_coordinates(out)
    exp_lon, exp_lat = gcj02_to_wgs84(a[:, 0], a[:, 1])
    np.testing.assert_allclose(b[:, 0], exp_lon)
    np.testing.assert_allclose(b[:, 1], exp_lat)
