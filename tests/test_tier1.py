"""IPCC Tier 1 densities: formulas evaluated by hand, uncertainty conversions, shared draws."""

import numpy as np
import pandas as pd
import pytest

from geo_sink.errors import InputDataError
from geo_sink.sinks.tier1 import Tier1Defaults, evaluate_formula, formula_names
from geo_sink.uncertainty import Z95, sd_from_uncertainty

ECOS = ["forest", "shrubland", "grassland", "cropland", "wetland", "barren", "water"]


@pytest.fixture(scope="module")
def tier1(catalog):
    from geo_sink.sinks.carbon_run import tier1_defaults
    return tier1_defaults(catalog)


def test_sd_conversions():
    assert sd_from_uncertainty(50, 90, basis="two_sd") == pytest.approx(22.5)
    assert sd_from_uncertainty(5, 75, basis="ci95") == pytest.approx(5 * 0.75 / 1.959964)
    assert sd_from_uncertainty(120, lo=20, hi=320, basis="range95") == pytest.approx(300 / (2 * Z95))
    assert sd_from_uncertainty(3, basis="none") == 0
    with pytest.raises(ValueError, match="lo <= value <= hi"):
        sd_from_uncertainty(400, lo=20, hi=320, basis="range95")
    with pytest.raises(ValueError, match="unknown uncertainty basis"):
        sd_from_uncertainty(1, 10, basis="1sd")


def test_formulas_are_arithmetic_only():
    assert formula_names("(a * (1 - w) + b * w) * cf") == {"a", "b", "w", "cf"}
    assert evaluate_formula("a * 2 - -b / 4", {"a": 3.0, "b": 8.0}) == pytest.approx(8.0)
    for bad in ("__import__('os').system('x')", "a.b", "a ** 2", "f(a)", "[a]"):
        with pytest.raises(ValueError):
            formula_names(bad)


def test_warm_temperate_dry_densities_by_hand(tier1):
    d = dict(zip(ECOS, tier1.mean_densities("warm_temperate_dry", ECOS)))
    # Table 4.7 (20 t d.m./ha <= 20 y, 120 > 20 y, half each) x CF 0.47
    assert d["forest"][0] == pytest.approx((0.5 * 20 + 0.5 * 120) * 0.47)
    # Table 4.4: 0.46 below 75 t/ha, 0.23 at 75-150 t/ha
    assert d["forest"][1] == pytest.approx((0.5 * 20 * 0.46 + 0.5 * 120 * 0.23) * 0.47)
    assert d["forest"][2:].tolist() == pytest.approx([38.0, 28.2])          # Table 2.3 HAC, Table 2.2 litter
    assert d["cropland"].tolist() == pytest.approx([5.0, 0.0, 38.0 * 0.80, 0.0])
    assert d["grassland"].tolist() == pytest.approx([1.6 * 0.47, (6.1 - 1.6) * 0.47, 38.0, 0.0], rel=1e-3)
    assert d["shrubland"][0] == pytest.approx(2 * 1.6 * 0.47)
    assert d["wetland"][2] == 88.0 and d["barren"].tolist() == [0, 0, 19.0, 0]
    assert not d["water"].any()


def test_cool_temperate_dry_and_2019_edition(catalog, tier1):
    d = dict(zip(ECOS, tier1.mean_densities("cool_temperate_dry", ECOS)))
    assert (d["forest"][2], d["cropland"][2], d["barren"][2], d["wetland"][2]) == pytest.approx((50, 40, 34, 87))
    assert d["forest"][3] == 28.0
    from geo_sink.sinks.carbon_run import tier1_defaults
    t19 = tier1_defaults(catalog, "2019")
    d19 = dict(zip(ECOS, t19.mean_densities("warm_temperate_dry", ECOS)))
    # the 2019 reference stock where it changed, the 2006 land-use factor where it did not
    assert d19["forest"][2] == 24.0 and d19["cropland"][2] == pytest.approx(24.0 * 0.80)
    assert d19["wetland"][2] == 88.0


def test_missing_zone_and_bad_tables_are_named(catalog, tier1):
    with pytest.raises(InputDataError, match="climate zone 'tropical_wet' has no value"):
        tier1.mean_densities("tropical_wet", ECOS)
    p = pd.read_csv(catalog.dataset_path("ipcc_tier1_defaults"))
    f = pd.read_csv(catalog.dataset_path("tier1_pool_formulas"))
    with pytest.raises(InputDataError, match="given twice"):
        Tier1Defaults.from_tables(pd.concat([p, p.iloc[:1]]), f)
    with pytest.raises(InputDataError, match="edition '2030'"):
        Tier1Defaults.from_tables(p, f, edition="2030")
    bad = f.copy()
    bad.loc[0, "formula"] = "open('x')"
    with pytest.raises(InputDataError, match="formula row 2"):
        Tier1Defaults.from_tables(p, bad)


def test_every_catalog_row_cites_a_table(catalog):
    p = pd.read_csv(catalog.dataset_path("ipcc_tier1_defaults"))
    assert p["table"].str.len().gt(8).all() and p["source"].str.len().gt(8).all()
    assert set(p["status"]) <= {"verify", "checked", "convention"}


def test_draws_share_parameters_across_pools_codes_and_zones(tier1):
    n = 50_000
    d = tier1.draw_densities(["warm_temperate_dry", "cool_temperate_dry"], ECOS, n, np.random.default_rng(7))
    assert d.shape == (n, 2, len(ECOS), 4)
    w, c = d[:, 0], d[:, 1]
    i = {e: k for k, e in enumerate(ECOS)}
    # one reference stock per zone: forest, shrub and grass soils are the same draw; cropland soil
    # is that draw times the (separately drawn) land-use factor
    np.testing.assert_array_equal(w[:, i["forest"], 2], w[:, i["grassland"], 2])
    ratio = w[:, i["cropland"], 2] / w[:, i["forest"], 2]
    assert ratio.mean() == pytest.approx(0.80, rel=5e-3) and ratio.std() > 0
    # below-ground grass moves with above-ground grass (fixed Table 6.4 ratio)
    np.testing.assert_allclose(w[:, i["grassland"], 1] / w[:, i["grassland"], 0], (6.1 - 1.6) / 1.6, rtol=2e-3)
    # the zones' reference stocks are different coefficients: uncorrelated
    assert abs(np.corrcoef(w[:, i["forest"], 2], c[:, i["forest"], 2])[0, 1]) < 0.02
    # the 'all zones' parameters (Table 4.7 biomass, Table 4.3 carbon fraction) are one draw
    np.testing.assert_array_equal(w[:, i["forest"], 0], c[:, i["forest"], 0])
    # moments: the soil draw has the Table 2.3 mean and sd = 90% / 2 of it
    s = w[:, i["forest"], 2]
    assert s.mean() == pytest.approx(38.0, rel=1e-2) and s.std() == pytest.approx(0.45 * 38.0, rel=3e-2)


def test_shipped_pools_tables_equal_the_model(catalog):
    import importlib.util
    spec = importlib.util.spec_from_file_location("mpt", catalog.root.parent / "scripts" / "make_pool_tables.py")
    mpt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mpt)
    for leg in mpt.LEGENDS:
        for zone in mpt.ZONES:
            shipped = pd.read_csv(catalog.dataset_path(f"carbon_pools_{leg}_{zone}"))
            pd.testing.assert_frame_equal(shipped, mpt.pool_frame(catalog, leg, zone), check_dtype=False)
