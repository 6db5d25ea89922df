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
