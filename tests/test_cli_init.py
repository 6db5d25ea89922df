"""``geo-sink init``: a commented starter project that passes ``geo-sink check`` as written, and
whose commented entries are valid once uncommented."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from geo_sink.cli import cli
from geo_sink.project import ProjectSpec, load_project

SECTIONS = ("landcover", "growing_stock", "wetlands", "imagery", "mines", "subsidence", "pv_constraints", "pv")


def init(tmp_path, *args, name="project.yaml"):
    out = tmp_path / name
    res = CliRunner().invoke(cli, ["init", *args, "-o", str(out)])
    return res, out


def uncomment(text: str, keys) -> str:
    """``text`` with the commented blocks of ``keys`` (``# key: …`` and the ``#   …`` lines under
    it) uncommented; with ``targets``, also the commented entries of an active ``targets:`` list
    (and ``targets: []`` dropped); with ``landcover``, the commented map entries."""
    keys = set(keys)
    out, block, active = [], False, None
    lines = text.splitlines()
    if "targets" in keys and "# targets:" in lines:
        lines = [x for x in lines if x != "targets: []"]
    for line in lines:
        m = re.match(r"^# (\w+):", line)
        if m and m.group(1) in keys:
            block = True
            out.append(line[2:])
            continue
        if block and line.startswith("#  "):
            out.append(line[2:])
            continue
        block = False
        if re.match(r"^\w+:$", line):          # an active section: its commented entries follow it
            active = line[:-1]
        elif not line.startswith(("  ", "#  ")):
            active = None
        if active == "targets" and "targets" in keys and re.match(r"^  # (- |  )", line):
            out.append("  " + line[4:])
        elif active == "landcover" and "landcover" in keys and line.startswith("#   "):
            out.append(line[2:])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("region,units,own", [("忻州市", 14, ["xf_new_energy_share_2025"]),
                                              ("石家庄市", 22, ["sjz_forest_coverage_2025", "sjz_forest_coverage_2030",
                                                            "sjz_growing_stock_2025", "sjz_growing_stock_2030"]),
                                              ("忻府区", 1, ["xf_new_energy_share_2025"])])
def test_starter_project_passes_check(tmp_path, catalog, region, units, own):
    res, out = init(tmp_path, region)
    assert res.exit_code == 0, res.output
    assert f"{units} county unit(s)" in res.output
    text = out.read_text(encoding="utf-8")
    assert f"# {units} county unit(s) of {region}" in text and "# WGS 84 bounding box (degrees): west " in text
    p = load_project(out)
    assert p.name == region and p.spec.boundary.level == "county" and p.spec.boundary.region.endswith(region)
    assert p.output == (tmp_path / "out" / region)
    assert [t.id for t in p.targets] == own
    assert [lc.dataset for lc in p.spec.landcover] == ["mcd12c1_2019_china"]
    for key in SECTIONS[1:]:
        assert getattr(p.spec, key) is None
        assert f"# {key}:" in text
    # catalog targets of other regions are there, commented, in the apply_to form
    others = [t for t in catalog.targets if t not in own]
    assert all(f"- {{id: {t}, apply_to: {region}}}" in text for t in others)
    assert "# baselines:" in text and "new_energy_share_pct" in text


def test_units_and_bbox_are_listed(tmp_path):
    res, out = init(tmp_path, "忻州市")
    text = out.read_text(encoding="utf-8")
    for unit in ("140902 忻府区", "140981 原平市", "140932 偏关县"):
        assert unit in text
    m = re.search(r"west ([\d.]+), south ([\d.]+), east ([\d.]+), north ([\d.]+)", text)
    w, s, e, n = map(float, m.groups())
    assert 110 < w < e < 115 and 37 < s < n < 41


def test_commented_targets_baselines_and_zones_are_valid(tmp_path, catalog):
    res, out = init(tmp_path, "忻州市")
    edited = tmp_path / "edited.yaml"
    edited.write_text(uncomment(out.read_text(encoding="utf-8"),
                                ["targets", "baselines", "climate_zone", "ipcc_edition"]), encoding="utf-8")
    p = load_project(edited)
    ids = [t.id for t in p.targets]
    assert ids[0] == "xf_new_energy_share_2025" and "my_forest_coverage_2025" in ids
    assert len(ids) == len(catalog.targets) + 1
    applied = [t for t in p.targets if t.applied_from]
    assert applied and all(t.region == "忻州市" for t in applied)
    assert any(b.new_energy_share_pct == 35 for b in p.baselines)
    assert p.spec.ipcc_edition == "2019" and p.spec.climate_zone == {"忻府区": "cool_temperate_dry"}


def test_commented_targets_without_catalog_targets(tmp_path, catalog):
    res, out = init(tmp_path, "大同市")
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "targets: []" in text
    assert load_project(out).targets == []
    edited = tmp_path / "edited.yaml"
    edited.write_text(uncomment(text, ["targets"]), encoding="utf-8")
    assert len(load_project(edited).targets) == len(catalog.targets) + 1


def test_commented_sections_are_valid_forms(tmp_path):
    res, out = init(tmp_path, "忻州市")
    spec = ProjectSpec.model_validate(yaml.safe_load(uncomment(out.read_text(encoding="utf-8"), SECTIONS)))
    for key in SECTIONS:
        assert getattr(spec, key) not in (None, []), key
    assert [lc.year for lc in spec.landcover] == [2015, 2019, 2020]
    assert spec.subsidence.unit == "mm/yr" and spec.mines.reclaimed is not None


def test_refuses_to_overwrite(tmp_path):
    res, out = init(tmp_path, "忻府区")
    assert res.exit_code == 0
    out.write_text("# mine\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["init", "石家庄市", "-o", str(out)])
    assert res.exit_code == 3
    assert "exists" in res.output and "--force" in res.output
    assert out.read_text(encoding="utf-8") == "# mine\n"
    res = CliRunner().invoke(cli, ["init", "石家庄市", "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert load_project(out).name == "石家庄市"


@pytest.mark.parametrize("args", [["不存在市"], ["忻府区", "--level", "city"]])
def test_bad_region_or_level_is_an_input_error(tmp_path, args):
    res, out = init(tmp_path, *args)
    assert res.exit_code == 3, res.output
    assert "geo-sink: error:" in res.output and not out.exists()


def test_other_levels(tmp_path):
    res, out = init(tmp_path, "河北省", "--level", "city")
    assert res.exit_code == 0, res.output
    p = load_project(out)
    assert p.spec.boundary.level == "city" and len(p.scope.members) == 11
    res, out = init(tmp_path, "140902", "--level", "self", name="self.yaml")
    assert res.exit_code == 0, res.output
    assert load_project(out).name == "忻府区"


def test_from_demo_for_shuozhou_is_the_working_demo(tmp_path, demo_project):
    res, out = init(tmp_path, "朔州市", "--from-demo")
    assert res.exit_code == 0, res.output
    p = load_project(out)
    demo = load_project(demo_project)
    assert p.spec.synthetic and p.output == tmp_path / "out" / "朔州市"
    for key in SECTIONS:
        assert getattr(p.spec, key) == getattr(demo.spec, key), key
    assert [t.id for t in p.targets] == [t.id for t in demo.targets]
    assert "SYNTHETIC DEMO DATA" in out.read_text(encoding="utf-8")


def test_from_demo_for_a_county_of_shuozhou(tmp_path, demo_project):
    res, out = init(tmp_path, "平鲁区", "--from-demo")
    assert res.exit_code == 0, res.output
    p = load_project(out)
    assert p.spec.synthetic and p.spec.mines is not None and p.scope.members == (("140603", "平鲁区"),)
    assert "#   - {id: sz_mine_reclamation_rate, apply_to: 平鲁区}" in out.read_text(encoding="utf-8")


def test_from_demo_elsewhere_comments_the_demo_out(tmp_path, demo_project):
    res, out = init(tmp_path, "忻州市", "--from-demo")
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "cover 朔州市 only" in text and "commented out" in res.output
    p = load_project(out)
    assert not p.spec.synthetic and p.spec.mines is None and [t.id for t in p.targets] == ["xf_new_energy_share_2025"]
    spec = ProjectSpec.model_validate(yaml.safe_load(uncomment(text, SECTIONS)))
    assert spec.mines.disturbed == load_project(demo_project).spec.mines.disturbed
    assert [lc.year for lc in spec.landcover] == [2015, 2019, 2020]
