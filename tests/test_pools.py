import numpy as np
import pandas as pd
import pytest

from geo_sink.errors import InputDataError
from geo_sink.sinks.pools import POOLS, read_pools

INVEST = "lucode,LULC_Name,c_above,c_below,c_soil,c_dead\n1,Cropland,5,0,40,0\n2,Forest,28.2,8.2,50,14\n"


def write(tmp_path, text, name="pools.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_invest_table_read_as_is(tmp_path):
    t = read_pools(write(tmp_path, INVEST))
    assert t.codes.tolist() == [1, 2]
    np.testing.assert_array_equal(t.mean[1], [28.2, 8.2, 50, 14])
    assert (t.sd == 0).all()


@pytest.mark.parametrize("text,match", [
    ("lucode,c_above,c_below,c_soil\n1,1,1,1\n", r"pools\.csv: missing column\(s\) \['c_dead'\]"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1,,1,1\n", r"column 'c_below' has missing or non-numeric values in row\(s\) \[2\] \(lucode \[1\]\)"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1,abc,1,1\n", r"'c_below' has missing or non-numeric"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1,-2,1,1\n", r"'c_below' is negative for lucode \[1\]"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,5000,1\n", r"'c_soil' holds 5000 for lucode 1: not plausible in Mg C/ha"),
    ("lucode,c_above,c_below,c_soil,c_dead,unit\n1,1,1,1,1,kg C/m2\n", r"column 'unit' says \['kg C/m2'\]"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n1,2,2,2,2\n", r"duplicate lucode\(s\) \[1\]"),
])
def test_bad_tables(tmp_path, text, match):
    with pytest.raises(InputDataError, match=match):
        read_pools(write(tmp_path, text))


def test_missing_legend_code(tmp_path, catalog):
    with pytest.raises(InputDataError, match=r"no row for code\(s\) \[3, 4, 5, 6, 7, 8, 9\] of legend 'clcd'"):
        read_pools(write(tmp_path, INVEST), catalog.legend("clcd"))


@pytest.mark.parametrize("zone", ["cool_temperate_dry", "warm_temperate_dry"])
@pytest.mark.parametrize("legend", ["clcd", "worldcover", "modis_igbp", "globeland30"])
def test_catalog_tables_repeat_the_tier1_densities_per_ecosystem(catalog, legend, zone):
    """Each legend's pools table gives every class the Tier 1 densities of its ecosystem."""
    from geo_sink.sinks.carbon_run import tier1_defaults

    t = read_pools(catalog.dataset_path(f"carbon_pools_{legend}_{zone}"), catalog.legend(legend))
    by = catalog.legend(legend).by_code()
    tier1 = tier1_defaults(catalog)
    for i, code in enumerate(t.codes):
        e = by[int(code)].ecosystem
        np.testing.assert_allclose(t.mean[i], tier1.mean_densities(zone, [e])[0], atol=5e-4)
