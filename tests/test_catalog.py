import shutil
from pathlib import Path

import pytest
import yaml

from geo_sink.catalog import load_catalog
from geo_sink.errors import CatalogError, LegendError, MissingInputError

POLICY = Path(__file__).resolve().parents[2] / "shared" / "policy_documents"


@pytest.mark.parametrize("legend,code,ecosystem", [
    ("clcd", 1, "cropland"), ("clcd", 2, "forest"), ("clcd", 3, "shrubland"), ("clcd", 5, "water"),
    ("clcd", 8, "built_up"), ("clcd", 9, "wetland"),
    ("worldcover", 10, "forest"), ("worldcover", 40, "cropland"), ("worldcover", 50, "built_up"),
    ("worldcover", 60, "barren"), ("worldcover", 90, "wetland"), ("worldcover", 95, "wetland"),
    ("modis_igbp", 0, "water"), ("modis_igbp", 1, "forest"), ("modis_igbp", 8, "forest"),
    ("modis_igbp", 9, "grassland"), ("modis_igbp", 11, "wetland"), ("modis_igbp", 12, "cropland"),
    ("modis_igbp", 14, "cropland"), ("modis_igbp", 16, "barren"), ("modis_igbp", 17, "water"),
    ("globeland30", 10, "cropland"), ("globeland30", 20, "forest"), ("globeland30", 50, "wetland"),
    ("globeland30", 80, "built_up"), ("globeland30", 100, "snow_ice"),
])
def test_legend_mapping(catalog, legend, code, ecosystem):
    assert catalog.legend(legend).by_code()[code].ecosystem == ecosystem


@pytest.mark.parametrize("legend,n,nodata", [("clcd", 9, [0]), ("worldcover", 11, [0]),
                                             ("modis_igbp", 18, [255]), ("globeland30", 10, [0, 255])])
def test_legend_sizes(catalog, legend, n, nodata):
    leg = catalog.legend(legend)
    assert len(leg.classes) == n and leg.nodata == nodata


def test_every_dataset_has_citation_and_synthetic_flag(catalog):
    for ds in catalog.datasets.values():
        assert ds.citation and ds.licence and ds.synthetic in (True, False)


@pytest.mark.parametrize("tid,value,year,cmp", [
    ("sjz_forest_coverage_2025", 43, 2025, ">="), ("sjz_forest_coverage_2030", 43.25, 2030, "~"),
    ("sjz_growing_stock_2025", 1467, 2025, ">="), ("sjz_growing_stock_2030", 1695, 2030, ">="),
    ("sz_mine_reclamation_rate", 60, 2020, ">="), ("sz_mine_vegetation_cover", 90, 2020, ">="),
    ("sz_new_energy_share_2025", 50, 2025, ">="), ("sz_new_energy_share_2030", 60, 2030, ">="),
    ("xf_new_energy_share_2025", 60, 2025, ">="),
])
def test_targets(catalog, tid, value, year, cmp):
    t = catalog.targets[tid]
    assert (t.value, t.year, t.comparison) == (value, year, cmp)


def test_reclamation_bar_is_recorded_as_reported_achieved(catalog):
    assert catalog.targets["sz_mine_reclamation_rate"].status == "reported_achieved"
    assert catalog.baselines["sz_installed_capacity_2020"].value == 1732.47
    assert catalog.baselines["sz_wind_pv_share_2020"].value == 38.05


@pytest.mark.skipif(not POLICY.is_dir(), reason="shared/policy_documents not beside the repo")
def test_target_quotes_are_the_documents_words(catalog):
    """Every quoted fragment (split at the ellipsis) stands in the cited document."""
    for t in list(catalog.targets.values()) + list(catalog.baselines.values()):
        doc = catalog.documents[t.document]
        text = (POLICY / doc.file).read_text(encoding="utf-8").replace(" ", "")
        for frag in t.quote.replace(" ", "").split("……"):
            assert frag in text, (t.id, frag)


@pytest.fixture
def cat_copy(tmp_path):
    src = Path(__file__).resolve().parents[1] / "data_catalog"
    dst = tmp_path / "data_catalog"
    shutil.copytree(src, dst)
    return dst


def _edit(path, fn):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_missing_source_names_file_and_entry(cat_copy):
    _edit(cat_copy / "legends" / "clcd.yaml", lambda d: d.pop("source"))
    with pytest.raises(CatalogError, match=r"clcd\.yaml.*'clcd'.*source"):
        load_catalog(cat_copy)


def test_unknown_ecosystem(cat_copy):
    _edit(cat_copy / "legends" / "clcd.yaml",
          lambda d: d["classes"][0].update(ecosystem="farmland"))
    with pytest.raises(LegendError, match=r"clcd\.yaml: class 1 .*'farmland'"):
        load_catalog(cat_copy)


def test_dataset_with_unknown_legend(cat_copy):
    _edit(cat_copy / "datasets.yaml", lambda d: d["datasets"][0].update(legend="corine"))
    with pytest.raises(LegendError, match=r"datasets\.yaml: dataset 'mcd12c1_2019_china'.*'corine'"):
        load_catalog(cat_copy)


def test_target_without_unit(cat_copy):
    _edit(cat_copy / "targets.yaml", lambda d: d["targets"][0].pop("unit"))
    with pytest.raises(CatalogError, match=r"targets\.yaml: target 'sjz_forest_coverage_2025': unit"):
        load_catalog(cat_copy)


def test_missing_dataset_file(cat_copy):
    (cat_copy / "modis" / "MCD12C1_2019_IGBP_china.tif").unlink()
    with pytest.raises(MissingInputError, match="mcd12c1_2019_china"):
        load_catalog(cat_copy)


def test_unknown_legend_lookup(catalog):
    with pytest.raises(LegendError, match="corine.*clcd"):
        catalog.legend("corine")


def test_readme_status_table_is_the_catalog(catalog):
    """The README's table of checked / verify / convention values is generated from the files."""
    from geo_sink.catalog.audit import BEGIN, END, coefficient_status, status_markdown
    readme = (catalog.root.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(BEGIN):readme.index(END) + len(END)]
    assert block == status_markdown(catalog), "regenerate: python -c 'from geo_sink.catalog import load_catalog; " \
        "from geo_sink.catalog.audit import status_markdown; print(status_markdown(load_catalog()))'"
    t = coefficient_status(catalog).set_index("dataset")
    assert t.loc["ipcc_tier1_defaults", "verify"] > 0 and t.loc["measurability_rules", "convention"] == 4
    assert (t[["checked", "verify", "convention", "other"]].sum(axis=1) == t["rows"]).all()
