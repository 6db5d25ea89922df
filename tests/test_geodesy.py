import numpy as np
import pyproj
import pytest
import shapely

from geo_sink.geodesy import geodesic_area, quadrangle_area

WGS84_SURFACE_KM2 = 510_065_621.724  # NIMA TR8350.2, table 3.5 (surface area of the WGS 84 ellipsoid)


def test_whole_ellipsoid():
    total = quadrangle_area(-90, 90, 360) / 1e6
    assert total == pytest.approx(WGS84_SURFACE_KM2, rel=1e-9)


def test_sphere_limit_is_closed_form():
    r = 6371000.0
    a = quadrangle_area(30, 31, 2, a=r, f=0.0)
    exp = r * r * np.radians(2) * (np.sin(np.radians(31)) - np.sin(np.radians(30)))
    assert a == pytest.approx(exp, rel=1e-12)


@pytest.mark.parametrize("lat", [0.0, 20.0, 39.5, 60.0, 85.0])
def test_cell_area_matches_pyproj_geod(lat):
    # a 0.05 deg cell; pyproj integrates geodesic edges, so densify the parallels first
    cell = shapely.segmentize(shapely.box(112.0, lat, 112.05, lat + 0.05), 0.0005)
    geod = pyproj.Geod(ellps="WGS84")
    exp = abs(geod.geometry_area_perimeter(cell)[0])
    assert quadrangle_area(lat, lat + 0.05, 0.05) == pytest.approx(exp, rel=1e-6)


def test_geodesic_area_rejects_projected():
    with pytest.raises(ValueError):
        geodesic_area([shapely.box(0, 0, 1, 1)], "EPSG:3857")
