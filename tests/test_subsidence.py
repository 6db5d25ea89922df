import numpy as np
import pytest

from geo_sink.pv.subsidence import Panel, PIMParameters, los_to_vertical, max_subsidence_mm, subsidence_mm

P = PIMParameters(q=0.8, tan_beta=2.0, s_over_h=0.1, k_theta=0.68)


def test_super_critical_panel_reaches_w0():
    # 4 km x 4 km at 300 m depth: r = 150 m, far beyond critical width
    pan = Panel(0, 4000, 0, 4000, thickness_m=5.0, depth_m=300.0, dip_deg=0.0)
    w = subsidence_mm(np.array([2000.0]), np.array([2000.0]), pan, P)
    assert w[0] == pytest.approx(5000 * 0.8, rel=1e-9)        # W0 = m q cos 0
    assert max_subsidence_mm(5.0, 0.8, 10.0) == pytest.approx(5000 * 0.8 * np.cos(np.radians(10)))


def test_half_w0_at_inflection_point():
    pan = Panel(0, 4000, 0, 4000, thickness_m=5.0, depth_m=300.0, dip_deg=0.0)
    s = 0.1 * 300
    w = subsidence_mm(np.array([s]), np.array([2000.0]), pan, P)
    assert w[0] == pytest.approx(0.5 * 4000, rel=1e-9)


def test_flat_seam_profile_is_symmetric():
    pan = Panel(0, 1000, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=0.0)
    x = np.linspace(-500, 1500, 201)
    w = subsidence_mm(x, np.full_like(x, 125.0), pan, P)
    np.testing.assert_allclose(w, w[::-1], rtol=1e-12)
    y = np.linspace(-400, 650, 211)
    wy = subsidence_mm(np.full_like(y, 500.0), y, pan, P)
    np.testing.assert_allclose(wy, wy[::-1], rtol=1e-12, atol=1e-12)


def test_inclined_seam_shifts_the_trough_down_dip():
    flat = Panel(0, 1000, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=0.0)
    dip = Panel(0, 1000, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=8.0)
    y = np.linspace(-400, 650, 2101)
    c = lambda pan: y[np.argmax(subsidence_mm(np.full_like(y, 500.0), y, pan, P))]
    assert c(flat) == pytest.approx(125.0, abs=1.0)
    assert c(dip) > c(flat) + 10


def test_superposition_two_adjacent_panels_equal_one():
    """With no inflection offset the erf terms telescope: two panels side by side along strike
    subside exactly like the one panel they make up."""
    p0 = PIMParameters(q=0.8, tan_beta=2.0, s_over_h=0.0, k_theta=0.68)
    whole = Panel(0, 1000, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=5.0)
    left = Panel(0, 400, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=5.0)
    right = Panel(400, 1000, 0, 250, thickness_m=4.0, depth_m=250.0, dip_deg=5.0)
    x, y = np.meshgrid(np.linspace(-300, 1300, 41), np.linspace(-300, 600, 37))
    np.testing.assert_allclose(subsidence_mm(x, y, left, p0) + subsidence_mm(x, y, right, p0),
                               subsidence_mm(x, y, whole, p0), rtol=1e-10, atol=1e-9)


def test_los_to_vertical():
    assert los_to_vertical(-30.0, 60.0) == pytest.approx(-60.0)


def test_subsidence_grid_matches_the_frame_formula():
    import geopandas as gpd
    import pyproj
    import shapely
    from affine import Affine
    from geo_sink.grid import Grid
    from geo_sink.pv.subsidence import subsidence_grid, subsided_area
    # a panel rotated 30 deg, dip to the south-east (azimuth 120 deg)
    rect = shapely.affinity.rotate(shapely.box(-600, -125, 600, 125), 30, origin=(0, 0))
    panels = gpd.GeoDataFrame({"thickness_m": [5.0], "depth_m": [300.0], "dip_deg": [0.0]},
                               geometry=[rect], crs="EPSG:32649")
    grid = Grid(200, 200, Affine(10, 0, -1000, 0, -10, 1000), pyproj.CRS("EPSG:32649"))
    w = subsidence_grid(panels, P, grid)
    # the panel centre is pixel (100, 100)'s corner; the trough is symmetric about it
    np.testing.assert_allclose(w, w[::-1, ::-1], rtol=1e-4, atol=1e-3)
    flat = Panel(0, 1200, 0, 250, 5.0, 300.0, 0.0)
    # along the strike axis through the centre: same value as the panel-frame formula
    d = 205.0  # metres from the centre along strike
    x = d * np.cos(np.radians(30))
    y = d * np.sin(np.radians(30))
    c, r = int((x + 1000) // 10), int((1000 - y) // 10)
    xc, yc = -1000 + (c + 0.5) * 10, 1000 - (r + 0.5) * 10
    s = xc * np.cos(np.radians(30)) + yc * np.sin(np.radians(30))
    n = -xc * np.sin(np.radians(30)) + yc * np.cos(np.radians(30))
    exp = subsidence_mm(np.array([600 + s]), np.array([125 - n]), flat, P)[0]
    assert w[r, c] == pytest.approx(exp, rel=1e-4)
    area = subsided_area(w, grid, 10.0)
    assert area.contains(shapely.Point(0, 0)) and not area.contains(shapely.Point(-990, 990))


def test_panel_without_thickness_is_an_error():
    import geopandas as gpd
    import pyproj
    import shapely
    from affine import Affine
    from geo_sink.errors import InputDataError
    from geo_sink.grid import Grid
    from geo_sink.pv.subsidence import subsidence_grid
    panels = gpd.GeoDataFrame({"depth_m": [300.0], "dip_deg": [0.0]}, geometry=[shapely.box(0, 0, 100, 500)], crs="EPSG:32649")
    with pytest.raises(InputDataError, match="thickness_m"):
        subsidence_grid(panels, P, Grid(10, 10, Affine(10, 0, 0, 0, -10, 100), pyproj.CRS("EPSG:32649")))


def test_sign_units_and_uplift_by_hand():
    """A hand-made LOS rate field with both signs (SBAS/LiCSBAS convention: negative = away from
    the satellite): -24 LOS at 60 deg incidence is 48 mm/yr of subsidence, +24 is 48 mm/yr uplift."""
    from geo_sink.pv.subsidence import in_unit, subsidence_mask, subsidence_positive_down
    los = np.array([[-24.0, 24.0], [-3.0, np.nan]])
    v = subsidence_positive_down(los_to_vertical(los, 60.0), "negative")
    np.testing.assert_allclose(v, [[48.0, -48.0], [6.0, np.nan]])
    # a map drawn positive down is taken as it is
    np.testing.assert_allclose(subsidence_positive_down(np.array([5.0, -2.0]), "positive"), [5.0, -2.0])
    # rate boundary 10 mm/yr: only the subsiding pixel; the equally large uplift never counts
    assert subsidence_mask(v, "mm/yr", 10.0, "mm/yr").tolist() == [[True, False], [False, False]]
    # cumulative boundary 10 mm over 2 years: 6 mm/yr x 2 = 12 mm now counts, uplift still not
    assert subsidence_mask(v, "mm/yr", 10.0, "mm", years=2.0).tolist() == [[True, False], [True, False]]
    # a cumulative raster against a rate boundary: 30 mm over 4 years = 7.5 mm/yr < 10
    assert subsidence_mask(np.array([30.0, 50.0]), "mm", 10.0, "mm/yr", years=4.0).tolist() == [False, True]
    assert in_unit(np.array([7.0]), "mm", "mm").tolist() == [7.0]
    from geo_sink.errors import InputDataError
    with pytest.raises(InputDataError, match="without 'years'"):
        subsidence_mask(v, "mm/yr", 10.0, "mm")
    with pytest.raises(ValueError, match="sign must be"):
        subsidence_positive_down(los, "down")


@pytest.mark.parametrize("sub,msg", [
    ({"insar": "x.tif", "unit": "mm/yr"}, "give 'years'"),
    ({"insar": "x.tif", "unit": "mm/yr", "threshold_mm": 10}, "the raster is in mm/yr but the boundary threshold in mm"),
    ({"insar": "x.tif", "unit": "mm", "threshold_mm_yr": 5}, "the raster is in mm but the boundary threshold in mm/yr"),
    ({"insar": "x.tif", "unit": "mm/yr", "threshold_mm": 10, "threshold_mm_yr": 5}, "give one boundary threshold"),
    ({"insar": "x.tif", "unit": "mm", "active_rate_mm_yr": 5}, "needs a rate raster"),
    ({"insar": "x.tif", "unit": "mm/yr", "threshold_mm_yr": 10, "sign": "down"}, "sign"),
])
def test_insar_units_are_checked_in_the_project(sub, msg):
    from geo_sink.project import SubsidenceSpec
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match=msg):
        SubsidenceSpec.model_validate(sub)


def test_insar_spec_threshold_carries_its_unit():
    from geo_sink.project import SubsidenceSpec
    s = SubsidenceSpec.model_validate({"insar": "x.tif", "unit": "mm/yr", "threshold_mm_yr": 8})
    assert (s.threshold, s.threshold_unit, s.sign) == (8, "mm/yr", "negative")
    s = SubsidenceSpec.model_validate({"insar": "x.tif", "unit": "mm/yr", "years": 3})
    assert (s.threshold, s.threshold_unit) == (10.0, "mm")     # the 10 mm cumulative boundary, rate x 3 yr
    s = SubsidenceSpec.model_validate({"panels": "p.geojson"})
    assert (s.threshold, s.threshold_unit) == (10.0, "mm")
