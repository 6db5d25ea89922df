from pathlib import Path

import numpy as np
import pytest
import yaml

from geo_sink.project import ProjectError, load_project
from tests.conftest import write_raster

REPO = Path(__file__).resolve().parents[1]


def test_embedded_shijiazhuang_project(catalog):
    p = load_project(REPO / "data_catalog" / "regions" / "石家庄市.yaml")
    assert p.name == "石家庄市" and p.spec.landcover[0].dataset == "mcd12c1_2019_china"
    assert not p.spec.synthetic


def test_demo_project_paths_resolve_against_the_file(demo_project):
    p = load_project(demo_project)
    assert p.spec.synthetic
    assert all(lc.path.is_absolute() and lc.path.parent == demo_project.parent for lc in p.spec.landcover)
    assert [lc.year for lc in p.spec.landcover] == [2015, 2020]
    assert len(p.spec.imagery.scenes) >= 3


@pytest.fixture
def proj(tmp_path):
    write_raster(tmp_path / "lc.tif", np.ones((4, 4), np.uint8), origin=(112.0, 40.0), res=(0.01, 0.01))
    data = {"name": "测试", "boundary": {"region": "朔州市"},
            "landcover": [{"year": 2020, "path": "lc.tif", "legend": "clcd", "crs": "EPSG:4326"}],
            "output": "out"}

    def make(edit=None):
        d = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        if edit:
            edit(d)
        f = tmp_path / "project.yaml"
        f.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
        return f
    return make


def test_valid_minimal_project(proj):
    p = load_project(proj())
    assert p.spec.landcover[0].path.name == "lc.tif" and p.spec.output.name == "out"


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d["landcover"][0].update(path="missing.tif"), r"landcover\[0\] \(year 2020\)\.path: file .*missing\.tif does not exist"),
    (lambda d: d["landcover"][0].update(legend="corine"), r"landcover\[0\].*legend: unknown legend 'corine'"),
    (lambda d: d["landcover"][0].update(crs="EPSG:32649"), r"landcover\[0\].*crs: the project says EPSG:32649 but lc\.tif is in WGS 84"),
    (lambda d: d["landcover"][0].update(year=1850), r"landcover\.0\.year: Input should be greater than or equal to 1985"),
    (lambda d: d.update(colour="red"), r"colour: unknown key"),
    (lambda d: d.pop("output"), r"output: required key is missing"),
    (lambda d: d["boundary"].update(region="朔州县"), r"boundary\.region: no region named '朔州县'.*朔州市"),
    (lambda d: d.update(mines={"disturbed": "x.geojson"}), r"mines\.reclaimed: required key is missing"),
    (lambda d: d.update(targets=["sz_nothing"]), r"targets\[0\]: unknown target id 'sz_nothing'"),
    (lambda d: d.update(subsidence={"insar": "x.tif"}), r"subsidence: Value error, an 'insar' raster needs 'unit'"),
    (lambda d: d.update(imagery={"scenes": [{"path": "s", "product": "sentinel2_l2a", "date": "2023-13-01"}]}),
     r"imagery\.scenes\.0\.date"),
    (lambda d: d.update(climate_zone="cold_temperate"), r"climate_zone: Value error, unknown IPCC climate zone\(s\) \['cold_temperate'\]"),
    (lambda d: d.update(climate_zone={"平鲁区": "temperate"}), r"climate_zone: Value error, unknown IPCC climate zone\(s\) \['temperate'\]"),
    (lambda d: d.update(ipcc_edition="2021"), r"ipcc_edition: Input should be '2006' or '2019'"),
])
def test_each_problem_named(proj, edit, expected):
    with pytest.raises(ProjectError, match=expected):
        load_project(proj(edit))


def test_all_problems_reported_together(proj):
    def edit(d):
        d["landcover"].append({"year": 2015, "path": "gone.tif", "legend": "corine"})
        d["mines"] = {"disturbed": "nope.geojson", "reclaimed": "nope2.geojson"}
        d["targets"] = ["bad_target"]
    with pytest.raises(ProjectError) as e:
        load_project(proj(edit))
    msg = str(e.value)
    assert len(e.value.problems) == 5
    for frag in ("gone.tif", "corine", "mines.disturbed", "mines.reclaimed", "bad_target"):
        assert frag in msg


def test_duplicate_years(proj):
    with pytest.raises(ProjectError, match="years must be unique"):
        load_project(proj(lambda d: d["landcover"].append(dict(d["landcover"][0]))))


def test_missing_project_file(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "none.yaml")


def test_project_with_every_target_and_baseline_kind_is_written_out_without_warnings():
    """``model_dump`` (the project's fingerprint in every run) of a catalog id, a catalog target
    applied to a region, an inline target, a catalog baseline id and an inline baseline: no
    pydantic serializer warning (each entry is written as its own kind, it was printed on every
    run with an applied or inline target) and the dump reads back to the same project."""
    import warnings

    from geo_sink.project import CatalogTargetRef, InlineBaseline, InlineTarget, ProjectSpec
    raw = {"name": "x", "boundary": {"region": "朔州市"}, "output": "/tmp/x",
           "targets": ["sjz_forest_coverage_2025", {"id": "sjz_forest_coverage_2030", "apply_to": "朔州市"},
                       {"id": "my_cov", "indicator": "forest_coverage", "value": 30, "unit": "percent", "year": 2025,
                        "comparison": ">=", "document": "《某方案》", "quote": "到2025年森林覆盖率达到30%"}],
           "baselines": ["sz_installed_capacity_2020",
                         {"indicator": "installed_power_capacity", "year": 2020, "value": 1000, "unit": "10^4 kW",
                          "document": "《某规划》", "new_energy_share_pct": 35}]}
    spec = ProjectSpec.model_validate(raw)
    assert [type(t) for t in spec.targets] == [str, CatalogTargetRef, InlineTarget]
    assert [type(b) for b in spec.baselines] == [str, InlineBaseline]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dumped = spec.model_dump(mode="json")
    assert dumped["targets"][1] == {"id": "sjz_forest_coverage_2030", "apply_to": "朔州市"}
    assert dumped["targets"][2]["quote"] == "到2025年森林覆盖率达到30%" and dumped["baselines"][1]["value"] == 1000
    assert ProjectSpec.model_validate(dumped) == spec
