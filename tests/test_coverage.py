import numpy as np
import pyproj
import pytest
import shapely
from affine import Affine

from geo_sink.errors import GeometryError
from geo_sink.grid import Grid
from geo_sink.zonal.coverage import polygon_coverage
from tests.conftest import dense_coverage

GRID = Grid(10, 10, Affine(1, 0, 0, 0, -1, 10), pyproj.CRS("EPSG:3857"))


def dense(cov, grid=GRID):
    return dense_coverage(cov, grid)


def shapely_fractions(geom, grid=GRID):
    """Independent reference: intersect every cell box with the polygon."""
    t = grid.transform
    out = np.zeros((grid.height, grid.width))
    for r in range(grid.height):
        for c in range(grid.width):
            x0, y0 = t.c + t.a * c, t.f + t.e * r
            x1, y1 = x0 + t.a, y0 + t.e
            box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            out[r, c] = box.intersection(geom).area / box.area
    return out


def test_square_with_partial_pixels_hand_computed():
    # x 0.5..3.0, y 0.25..2.0 on a 1-unit grid whose top is y=10: rows 8 and 9 are touched.
    cov = dense(polygon_coverage(shapely.box(0.5, 0.25, 3.0, 2.0), GRID))
    exp = np.zeros((10, 10))
    exp[8, 0:3] = [0.5, 1.0, 1.0]          # y 1..2: full height; x 0.5..1 is half of col 0
    exp[9, 0:3] = [0.375, 0.75, 0.75]      # y 0.25..1: 0.75 of the height
    np.testing.assert_allclose(cov, exp, atol=1e-12)


@pytest.mark.parametrize("geom", [
    shapely.Polygon([(0.1, 0.2), (9.3, 1.7), (4.2, 9.9)]),
    shapely.box(0.3, 0.3, 8.7, 8.7).difference(shapely.Point(4.4, 4.6).buffer(2.1)),
    shapely.Point(5, 5).buffer(7),                       # crosses the grid edge
    shapely.MultiPolygon([shapely.box(1, 1, 4, 4), shapely.box(6.5, 6.5, 9.2, 9.0)]),
    shapely.box(2, 2, 5, 5),                             # edges on grid lines
    shapely.Polygon([(1.5, 1.5), (8.5, 1.5), (8.5, 8.5), (1.5, 8.5)]).difference(
        shapely.box(3, 3, 7, 7)),
])
def test_matches_cell_by_cell_intersection(geom):
    np.testing.assert_allclose(dense(polygon_coverage(geom, GRID)), shapely_fractions(geom),
                               atol=1e-12)


def test_ring_orientation_does_not_matter():
    g = shapely.Polygon([(0.1, 0.2), (4.2, 9.9), (9.3, 1.7)])  # clockwise
    np.testing.assert_allclose(dense(polygon_coverage(g, GRID)), shapely_fractions(g), atol=1e-12)


def test_south_up_grid():
    grid = Grid(10, 10, Affine(1, 0, 0, 0, 1, 0), pyproj.CRS("EPSG:3857"))
    g = shapely.Polygon([(0.1, 0.2), (9.3, 1.7), (4.2, 9.9)])
    np.testing.assert_allclose(dense(polygon_coverage(g, grid), grid), shapely_fractions(g, grid),
                               atol=1e-12)


def test_large_polygon_has_few_boundary_cells():
    grid = Grid(2000, 2000, Affine(1, 0, 0, 0, -1, 2000), pyproj.CRS("EPSG:3857"))
    cov = polygon_coverage(shapely.Point(1000, 1000).buffer(900, quad_segs=64), grid)
    assert len(cov.rows) < 10_000           # ~ perimeter, not area
    assert cov.cell_count() == pytest.approx(shapely.Point(0, 0).buffer(900, quad_segs=64).area,
                                             rel=1e-12)


def test_self_overlapping_polygon_is_repaired_with_a_warning():
    """An invalid MultiPolygon (overlapping parts) is repaired at the API entry, as read_zones
    does: the coverage is that of the union (issue #21, item 6)."""
    from geo_sink.io.vectors import GeometryRepairWarning
    bowtie_overlap = shapely.MultiPolygon([shapely.box(1, 1, 5, 5), shapely.box(3, 3, 7, 7)])
    with pytest.warns(GeometryRepairWarning, match=r"Self-intersection.*area 32 -> 28"):
        cov = polygon_coverage(bowtie_overlap, GRID)
    union = shapely.union(shapely.box(1, 1, 5, 5), shapely.box(3, 3, 7, 7))
    np.testing.assert_allclose(dense(cov), shapely_fractions(union), atol=1e-12)


def test_unrepaired_self_overlap_is_caught_by_the_closure_check():
    """The internal entry (for geometries already checked) still refuses overlapping rings."""
    from geo_sink.zonal.coverage import exact_coverage
    bowtie_overlap = shapely.MultiPolygon([shapely.box(1, 1, 5, 5), shapely.box(3, 3, 7, 7)])
    with pytest.raises(GeometryError, match="did not close"):
        exact_coverage(bowtie_overlap, GRID)


def test_empty_geometry_is_an_error():
    with pytest.raises(GeometryError):
        polygon_coverage(shapely.Polygon(), GRID)
