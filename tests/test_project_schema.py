"""The project file's JSON Schema (docs/project.schema.json) and reference (docs/project.md):
generated, committed, never drifting from the models; the example in the reference is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from geo_sink import project as P
from geo_sink.project import ProjectSpec
from geo_sink.project_schema import (CATALOG_BEGIN, CATALOG_END, EXACTLY_ONE, KEYS_BEGIN, KEYS_END, NEEDS,
                                     SCHEMA_DRAFT, catalog_markdown, generated_block, key_rows,
                                     keys_markdown, project_json_schema, schema_text)

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "docs" / "project.schema.json"
DOC = REPO / "docs" / "project.md"
MODELS = [P.BoundarySpec, P.LandCoverSpec, P.GrowingStockSpec, P.SceneSpec, P.WetlandSpec, P.ImagerySpec,
          P.MinesSpec, P.SubsidenceSpec, P.PVConstraintsSpec, P.PVSpec, P.CatalogTargetRef, P.InlineTarget,
          P.InlineBaseline, P.ProjectSpec]


def as_json(data):
    """A YAML document as a JSON document (dates as the strings an editor sees)."""
    return json.loads(json.dumps(data, default=str))


def example_project() -> str:
    text = DOC.read_text(encoding="utf-8")
    i = text.index("<!-- example-project -->")
    return re.search(r"```yaml\n(.*?)```", text[i:], re.S).group(1)


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = project_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_every_field_has_a_description():
    missing = [f"{m.__name__}.{k}" for m in MODELS for k, f in m.model_fields.items() if not f.description]
    assert not missing, f"fields without description=: {missing}"


def test_climate_zone_description_names_every_zone():
    from geo_sink.sinks.climate import ZONES
    desc = ProjectSpec.model_fields["climate_zone"].description
    assert all(z in desc for z in ZONES)


def test_schema_header():
    s = project_json_schema()
    assert list(s)[:4] == ["$schema", "$id", "title", "description"]
    assert s["$schema"] == SCHEMA_DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert s["additionalProperties"] is False and set(s["required"]) == {"name", "boundary", "output"}
    assert '"format": "path"' not in schema_text()      # pydantic's, no JSON Schema format
    assert '"format": "path"' in json.dumps(project_json_schema(path_format=True))


def test_committed_schema_is_the_generated_one():
    assert SCHEMA_FILE.is_file(), "docs/project.schema.json is missing: python -m geo_sink.project_schema > docs/project.schema.json"
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == project_json_schema(), (
        "docs/project.schema.json differs from the models in geo_sink/project.py; regenerate it: "
        "python -m geo_sink.project_schema > docs/project.schema.json")


def test_schema_module_prints_the_schema(capsysbinary):
    from geo_sink.project_schema import main
    assert main([]) == 0
    assert json.loads(capsysbinary.readouterr().out.decode("utf-8")) == project_json_schema()


def test_reference_key_table_is_generated():
    text = DOC.read_text(encoding="utf-8")
    assert generated_block(text, KEYS_BEGIN, KEYS_END) == keys_markdown(), (
        "the key table of docs/project.md differs from the schema; regenerate it: "
        "python -m geo_sink.project_schema --markdown docs/project.md")


def test_reference_catalog_tables_are_generated(catalog):
    text = DOC.read_text(encoding="utf-8")
    assert generated_block(text, CATALOG_BEGIN, CATALOG_END) == catalog_markdown(catalog), (
        "the catalog tables of docs/project.md differ from data_catalog/; regenerate them: "
        "python -m geo_sink.project_schema --markdown docs/project.md")


def test_key_table_has_every_key():
    paths = {r[0] for r in key_rows()}
    for key in ("mines.disturbed", "boundary.region", "landcover[].legend", "imagery.scenes[].date",
                "subsidence.threshold_mm_yr", "pv_constraints.dem", "targets[].apply_to",
                "targets[].indicator", "baselines[].new_energy_share_pct", "ipcc_edition", "output"):
        assert key in paths
    row = {r[0]: r for r in key_rows()}
    assert row["boundary.level"][2] == "`county`" and row["output"][3] == "yes"
    assert row["boundary.id_field"][3] == "with `file`"
    assert row["landcover[].path"][3] == "one of `path`, `dataset`"


def test_example_in_the_reference_is_a_valid_project():
    data = yaml.safe_load(example_project())
    spec = ProjectSpec.model_validate(data)
    assert spec.subsidence.line_of_sight and len(spec.targets) == 3 and len(spec.baselines) == 2


def test_example_in_the_reference_uses_every_key():
    text = example_project()
    leaves = {r[0].rsplit(".", 1)[-1].removesuffix("[]") for r in key_rows()}
    missing = sorted(k for k in leaves if not re.search(rf"(^|[\s{{,]){re.escape(k)}:", text, re.M))
    assert not missing, f"the example project of docs/project.md does not show {missing}"


def test_schema_validates_the_embedded_projects(validator, demo_project):
    for path in (REPO / "data_catalog" / "regions" / "石家庄市.yaml", demo_project):
        data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, f"{path}: {errors}"


def test_schema_validates_the_reference_example(validator):
    assert not list(validator.iter_errors(as_json(yaml.safe_load(example_project()))))


def test_schema_rejects_an_unknown_key(validator):
    data = as_json(yaml.safe_load((REPO / "data_catalog" / "regions" / "石家庄市.yaml").read_text(encoding="utf-8")))
    data["colour"] = "red"
    errors = list(validator.iter_errors(data))
    assert errors and any("colour" in e.message for e in errors)
    nested = {"name": "x", "boundary": {"region": "朔州市", "levle": "county"}, "output": "o"}
    assert not validator.is_valid(nested)


BASE = {"name": "x", "boundary": {"region": "朔州市"}, "output": "out"}


@pytest.mark.parametrize("edit", [
    lambda d: d["boundary"].update(file="z.gpkg", id_field="code"),              # region and file
    lambda d: d.update(boundary={"file": "z.gpkg"}),                              # file without id_field
    lambda d: d.update(boundary={"level": "county"}),                             # neither region nor file
    lambda d: d.update(landcover=[{"year": 2020, "path": "lc.tif"}]),             # path without legend
    lambda d: d.update(landcover=[{"year": 2020, "path": "lc.tif", "legend": "clcd", "dataset": "x"}]),
    lambda d: d.update(landcover=[{"year": 1850, "dataset": "mcd12c1_2019_china"}]),
    lambda d: d.update(growing_stock={"year": 2020}),
    lambda d: d.update(subsidence={"insar": "d.tif"}),                            # insar without unit
    lambda d: d.update(subsidence={"insar": "d.tif", "unit": "mm", "panels": "p.gpkg"}),
    lambda d: d.update(subsidence={"insar": "d.tif", "unit": "mm", "line_of_sight": True}),
    lambda d: d.update(subsidence={"insar": "d.tif", "unit": "cm"}),
    lambda d: d.update(targets=[{"id": "sjz_forest_coverage_2025"}]),             # apply form without apply_to
    lambda d: d.update(targets=[{"id": "t", "indicator": "forest_coverage", "value": 1, "unit": "percent",
                                 "year": 2025}]),                                 # inline without document
    lambda d: d.update(baselines=[{"indicator": "installed_power_capacity", "value": 1, "unit": "MW",
                                   "year": 2020, "document": "doc", "new_energy_share_pct": 100}]),
    lambda d: d.update(ipcc_edition="2013"),
    lambda d: d.pop("output"),
])
def test_schema_and_models_reject_the_same(validator, edit):
    data = json.loads(json.dumps(BASE))
    edit(data)
    assert not validator.is_valid(data)
    with pytest.raises(Exception):
        ProjectSpec.model_validate(data)


@pytest.mark.parametrize("edit", [
    lambda d: None,
    lambda d: d.update(boundary={"file": "z.gpkg", "id_field": "code", "region": None}),
    lambda d: d.update(landcover=[{"year": 2020, "path": "lc.tif", "legend": "clcd"},
                                  {"year": 2019, "dataset": "mcd12c1_2019_china"}]),
    lambda d: d.update(subsidence={"panels": "p.gpkg", "threshold_mm": 10}),
    lambda d: d.update(subsidence={"insar": "d.tif", "unit": "mm/yr", "line_of_sight": True, "incidence_deg": 39,
                                   "threshold_mm_yr": 5}),
    lambda d: d.update(targets=["a", {"id": "b", "apply_to": "朔州市"},
                                {"id": "c", "indicator": "forest_coverage", "value": 1, "unit": "%", "year": 2025,
                                 "document": "doc"}]),
    lambda d: d.update(climate_zone={"平鲁区": "cool_temperate_dry"}),
])
def test_schema_and_models_accept_the_same(validator, edit):
    data = json.loads(json.dumps(BASE))
    edit(data)
    assert validator.is_valid(data), [e.message for e in validator.iter_errors(data)]
    ProjectSpec.model_validate(data)


def test_one_of_rules_follow_the_validators():
    assert set(EXACTLY_ONE) | set(NEEDS) <= {m.__name__ for m in MODELS}
    for model, (a, b) in EXACTLY_ONE.items():
        fields = getattr(P, model).model_fields
        assert a in fields and b in fields
