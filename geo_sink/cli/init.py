"""``geo-sink init``: write a commented starter project file for a Chinese region.

The file names the region and its units, lists the catalog targets of the region (active) and of
other regions (commented, in the ``{id, apply_to}`` form), and carries every other section as a
commented placeholder with the forms the inputs take; with ``--from-demo`` the sections are those
of the 朔州市 demo, their paths pointing into the generated demo folder.  As written (placeholders
still commented out) it passes ``geo-sink check``.  Every key: ``docs/project.md``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import click

from geo_sink.cli.options import level_option

#: Sections of a project in the order the starter file gives them.
SECTIONS = ("landcover", "growing_stock", "wetlands", "imagery", "mines", "subsidence", "pv_constraints", "pv")


@click.command()
@click.argument("region")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("project.yaml"), show_default=True, help="The project file to write.")
@level_option
@click.option("--from-demo", is_flag=True,
              help="Take the sections of the 朔州市 demo project (paths into the generated demo folder): "
                   "active for 朔州市 and its counties, commented examples for any other region.")
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def init(region, out: Path, level: str, from_demo: bool, force: bool):
    """Write a commented starter project file for REGION (a Chinese province, city or county:
    name, pinyin, path such as 山西省/忻州市, or adcode).

    The file names the region's units and bounding box, lists the catalog targets of the region
    and its units (active) and of other regions (commented, with apply_to), and gives every
    other section (land cover, growing stock, wetlands, imagery, mines, subsidence, PV) as a
    commented placeholder.  Edit it, then `geo-sink check FILE`, `geo-sink run FILE`.  An
    existing file is not overwritten (exit 3) unless --force is given."""
    from geo_sink.errors import InputDataError

    if (out.exists() or out.is_symlink()) and not force:
        raise InputDataError(f"{out} exists; geo-sink init does not overwrite a file: give --force to replace "
                             "it, or -o another file name")
    import yaml

    from geo_sink.catalog import load_catalog
    from geo_sink.io.atomic import atomic_path
    from geo_sink.io.boundaries import load_boundaries, resolve_region
    from geo_sink.project import ProjectSpec

    reg = resolve_region(region)
    zones = load_boundaries(reg.adcode, level=level)
    units = list(zip(zones["zone_id"].astype(str), zones["zone_name"].astype(str)))
    cat = load_catalog()
    demo = None
    if from_demo:
        from geo_sink.demo import ensure_demo
        demo = ensure_demo()
    text, info = starter_project(reg, level, units, tuple(float(v) for v in zones.total_bounds), cat, demo,
                                 file_name=str(out))
    ProjectSpec.model_validate(yaml.safe_load(text))  # the template is valid as written (a bug otherwise)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    click.echo(f"{out}: starter project for {reg.full_name} ({reg.adcode}), {len(units)} {level} unit(s), "
               f"{info['targets']} catalog target(s) of the region"
               + (f", the 朔州市 demo's sections ({'active' if info['demo_active'] else 'commented out'})"
                  if demo is not None else ""))
    click.echo(f"  next: edit it (every key: docs/project.md), then geo-sink check {out}; geo-sink run {out}")


# --- the template --------------------------------------------------------------------------------

#: Column of the comments after a key.
_COL = 42


def _scalar(v) -> str:
    """``v`` as one line of YAML (a scalar or a flow mapping/list)."""
    import yaml
    text = yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, width=10 ** 6, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _comment(text: str, indent: str = "", width: int = 100) -> list[str]:
    """``text`` as comment lines, wrapped."""
    return textwrap.wrap(text, width=width, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ",
                         break_long_words=False, break_on_hyphens=False) or [f"{indent}#"]


def _list_comment(label: str, items: list[str], indent: str = "", width: int = 100) -> list[str]:
    """``# label: a, b, c`` wrapped, continuation lines aligned under the first item."""
    head = f"{indent}# {label}: "
    return textwrap.wrap(", ".join(items), width=width, initial_indent=head,
                         subsequent_indent=f"{indent}#" + " " * (len(head) - len(indent) - 1),
                         break_long_words=False, break_on_hyphens=False)


def _kv(text: str, note: str = "") -> str:
    """A YAML line with its comment at :data:`_COL`."""
    return f"{text.ljust(_COL - 1)} # {note}" if note else text


def _commented(lines: list[str]) -> list[str]:
    """YAML lines commented out (``# `` before each)."""
    return [f"# {x}" if x.strip() else "#" for x in lines]


def _dump(key: str, value) -> list[str]:
    """``{key: value}`` as block YAML lines, list items indented under their key."""
    import yaml

    class Indented(yaml.SafeDumper):
        def increase_indent(self, flow=False, indentless=False):
            return super().increase_indent(flow, False)

    return yaml.dump({key: value}, Dumper=Indented, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100).rstrip("\n").splitlines()


def _schema_file() -> Path | None:
    p = Path(__file__).resolve().parents[2] / "docs" / "project.schema.json"
    return p if p.is_file() else None


def _covering_rasters(cat, bbox) -> list:
    """Catalog land-cover rasters (not generated) whose extent holds ``bbox`` (WGS 84), newest first."""
    import rasterio
    found = []
    for d in cat.datasets.values():
        if d.kind != "raster" or not d.legend or d.generated_by is not None:
            continue
        try:
            with rasterio.open(cat.dataset_path(d.id)) as src:
                b = src.bounds
        except Exception:  # a raster that cannot be opened is not offered (check would say why)
            continue
        if b.left <= bbox[0] and b.bottom <= bbox[1] and b.right >= bbox[2] and b.top >= bbox[3]:
            found.append(d)
    return sorted(found, key=lambda d: -(d.year or 0))


def _demo_sections(demo: Path) -> dict:
    """The demo project's sections with absolute paths (``model_dump`` form, defaults left out)."""
    import yaml

    from geo_sink.project import ProjectSpec, _absolute
    spec = _absolute(ProjectSpec.model_validate(yaml.safe_load(demo.read_text(encoding="utf-8"))), demo.parent)
    dumped = spec.model_dump(mode="json", exclude_defaults=True)
    return {k: dumped[k] for k in SECTIONS if k in dumped}


def _placeholders(cat, reg, bbox) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Per section: (active lines, placeholder YAML lines to comment out, notes: comment lines)."""
    import pandas as pd

    out = {}
    cover = _covering_rasters(cat, bbox)
    legends = [f"{x.id} ({x.name}{f', {x.product_resolution_m:g} m' if x.product_resolution_m else ''})"
               for x in sorted(cat.legends.values(), key=lambda x: x.id)]
    active: list[str] = []
    if cover:
        d = cover[0]
        active = ["landcover:", *_comment(f"a real map of the catalog that covers {reg.name}: {d.title}, {d.resolution} "
                                          "(coarse: a 30 m map measures far more; add yours, below)", "  "),
                  f"  - {_scalar({'year': d.year, 'dataset': d.id})}"]
    out["landcover"] = (active, ([] if cover else ["landcover:"]) + [
        _kv("  - {year: 2020, path: data/landcover_2020.tif, legend: clcd}", "class codes; any number of years"),
        _kv("  - {year: 2015, path: data/landcover_2015.tif, legend: clcd, crs: EPSG:4326}", "crs: only if the file has none")],
        _list_comment("legends", legends))
    bef = pd.read_csv(cat.dataset_path("bef_fang2001"))["forest_type"].tolist()
    out["growing_stock"] = ([], [
        _kv("growing_stock:", "蓄积量: an inventory table or a m3/ha raster"),
        _kv("  table: data/growing_stock.csv", "CSV: zone_id (adcode), forest_type, area_ha, volume_m3"),
        _kv("  # raster: data/growing_stock_m3_ha.tif", "instead of table: m3/ha, with a CRS"),
        "  year: 2020"], _list_comment("forest types", bef))
    out["wetlands"] = ([], [_kv("wetlands: {file: data/wetland_parks.gpkg, name_field: name}",
                                "named wetland polygons (湿地公园)")], [])
    out["imagery"] = ([], [
        _kv("imagery:", "red/NIR scenes: vegetation cover of reclaimed land"),
        "  scenes:",
        _kv("    - {path: scenes/S2A_49SFJ_20220820_0_L2A, product: sentinel2_l2a, date: 2022-08-20}", "B04, B08, SCL"),
        _kv("    - {path: scenes/LC09_L2SP_126032_20230810_20230812_02_T1, product: landsat_c2_l2, date: 2023-08-10}",
            "*_SR_B4, *_SR_B5, *_QA_PIXEL"),
        _kv("  inbox: inbox", "new scene folders dropped here are used; bad ones go to inbox/quarantine/"),
        _kv("  # stac: stac/catalog.json", "or a static STAC catalog")], [])
    veg = list(dict.fromkeys(pd.read_csv(cat.dataset_path("reclaimed_carbon"))["vegetation"].astype(str)))
    out["mines"] = ([], [
        "mines:",
        _kv("  disturbed: data/mines_disturbed.gpkg", "polygons: mine, type (open_pit, waste_dump, subsidence)"),
        _kv("  reclaimed: data/mines_reclaimed.gpkg", f"polygons: mine, year, vegetation ({', '.join(veg)})"),
        _kv("  # mine_field: mine", "the field names, where yours differ"),
        "  # type_field: type", "  # year_field: year", "  # vegetation_field: vegetation"], [])
    out["subsidence"] = ([], [
        _kv("subsidence:", "an InSAR raster or longwall panels, not both"),
        _kv("  insar: data/insar_velocity.tif", "band 1, with a CRS and nodata"),
        _kv("  unit: mm/yr", "mm (cumulative) or mm/yr (a rate)"),
        _kv("  sign: negative", "subsidence negative (SBAS, LiCSBAS); positive: drawn positive down"),
        _kv("  threshold_mm_yr: 10", "boundary of subsidence land (threshold_mm: cumulative)"),
        _kv("  # active_rate_mm_yr: 20", "parcels at or above this rate are 'active'"),
        _kv("  # line_of_sight: true", "line-of-sight values: / cos(incidence) to the vertical"),
        "  # incidence_deg: 39",
        _kv("  # panels: data/longwall_panels.gpkg", "instead of insar: thickness_m, depth_m, dip_deg")], [])
    sp = pd.read_csv(cat.dataset_path("pv_siting_parameters")).set_index("name")["value"]
    out["pv_constraints"] = ([], [
        _kv("pv_constraints:", "layers that keep PV off subsidence land (any you have)"),
        _kv("  cropland: data/cropland.gpkg", "polygons: excluded"),
        _kv("  redline: data/redline.gpkg", "生态保护红线 polygons: excluded"),
        _kv("  roads: data/roads.gpkg", f"lines: excluded within {sp['road_buffer_m']:g} m"),
        _kv("  settlements: data/settlements.gpkg", f"excluded within {sp['settlement_buffer_m']:g} m"),
        _kv("  rivers: data/rivers.gpkg", f"excluded within {sp['river_buffer_m']:g} m"),
        _kv("  dem: data/dem.tif", f"metres: slopes > {sp['max_slope_deg']:g} deg, north-facing > "
                                   f"{sp['max_north_slope_deg']:g} deg excluded")], [])
    factors = pd.read_csv(cat.dataset_path("grid_emission_factors"), dtype={"adcode_prefixes": str})
    margins = pd.read_csv(cat.dataset_path("grid_combined_margin"))
    prov = [r.id for r in factors.itertuples() if pd.notna(r.adcode_prefixes)
            and reg.adcode[:2] in [x.strip() for x in str(r.adcode_prefixes).split(";")]]
    national = factors.loc[factors["kind"] == "national_average", "id"].tolist()
    out["pv"] = ([], [
        "pv:",
        _kv("  weather: data/tmy.epw", "hourly, one year: CSV, EPW or TMY3 (default: climatology)"),
        _kv(f"  grid_factor: {(prov or national or factors['id'].tolist())[0]}",
            "t CO2/MWh; default: the province's latest average")],
        _list_comment("grid factors", factors["id"].tolist() + margins["id"].tolist()))
    return out


def _target_lines(cat, reg, units) -> tuple[list[str], int]:
    """The ``targets:`` key: the catalog's targets of the region and its units active, those of
    other regions commented in the apply_to form, a commented inline example."""
    inside = {reg.adcode} | {a for a, _ in units}
    own = [t for t in cat.targets.values() if t.adcode in inside]
    other = [t for t in cat.targets.values() if t.adcode not in inside]

    def what(t) -> str:
        when = f"reported achieved {t.year}" if t.status == "reported_achieved" else f"by {t.year}"
        return f"{t.region}: {t.indicator} {t.comparison} {t.value:g} {t.unit} {when}"

    lines = _comment("Targets (data_catalog/targets.yaml; docs/project.md): a catalog id; a catalog target of "
                     "another region held to this one, {id, apply_to}; or an inline target from a plan of "
                     "your own.")
    if own:
        lines += ["targets:", *_comment(f"the catalog's targets of {reg.name} and its units:", "  ")]
        for t in own:
            lines += [f"  - {t.id}", *_comment(f"{what(t)} ({cat.documents[t.document].title})", "    ")]
        ci, cc = "  # ", "  "      # before a commented entry of the list above, before a comment
    else:
        lines += [*_comment(f"the catalog has no target of {reg.name} or its units"), "targets: []",
                  _kv("# targets:", "a list instead of [] above")]
        ci, cc = "#   ", "#   "
    if other:
        lines += _comment(f"catalog targets of other regions, to hold {reg.name} (or one of its units) to one:", cc)
        lines += [f"{ci}- {_scalar({'id': t.id, 'apply_to': reg.name})}   # {what(t)}" for t in other]
    ind = cat.indicators.get("forest_coverage") or next(i for i in cat.indicators.values() if i.kind == "target")
    units_of = ", ".join(u for u, d in cat.units.items() if d.canonical == ind.unit)
    example = [_kv(f"- id: my_{ind.indicator}_2025", "your id (not a catalog target's)"),
               _kv(f"  indicator: {ind.indicator}", "a target indicator of data_catalog/indicators.csv"),
               "  value: 30",
               _kv(f"  unit: {_scalar(ind.unit)}", f"a unit of the indicator: {units_of}"),
               "  year: 2025",
               _kv('  comparison: ">="', ">=, <=, ~ (about, 左右), =="),
               _kv(f"  region: {_scalar(reg.name)}", "the region (default) or one of its units"),
               "  document: 《…碳达峰实施方案》（…〔2022〕…号）",
               "  article: 二、主要目标",
               "  quote: 到2025年，森林覆盖率达到30%"]
    lines += _comment("an inline target (every indicator and unit: docs/project.md):", cc)
    lines += [f"{ci}{x}" for x in example]
    return lines, len(own)


def _baseline_lines(cat, reg, units) -> list[str]:
    """Commented ``baselines:`` with the catalog's baselines of the region named."""
    inside = {reg.adcode} | {a for a, _ in units}
    own = [b for b in cat.baselines.values() if b.adcode in inside]
    lines: list[str] = []
    if own:
        lines += _comment("Baselines: the catalog's baselines of the region count without being listed: "
                          + "; ".join(f"{b.id} ({b.region} {b.indicator} {b.value:g} {b.unit}, {b.year})" for b in own))
    lines += _comment("A baseline of your own (a new-energy share target is measured from the installed capacity "
                      "and its new-energy share):")
    cap = cat.indicators.get("installed_power_capacity")
    cap_units = ", ".join(u for u, d in cat.units.items() if cap is not None and d.canonical == cap.unit)
    return lines + _commented([
        "baselines:",
        _kv("  - indicator: installed_power_capacity", "or wind_pv_installed_share (percent)"),
        _kv(f"    region: {_scalar(reg.name)}", "the region (default) or one of its units"),
        "    year: 2020",
        "    value: 1000",
        _kv("    unit: 10^4 kW", cap_units),
        _kv("    new_energy_share_pct: 35", "new and clean energy, percent of the capacity"),
        "    document: 《…“十四五”能源发展规划》（…〔2021〕…号）"])


def starter_project(reg, level: str, units: list[tuple[str, str]], bbox: tuple[float, float, float, float], cat,
                    demo: Path | None = None, file_name: str = "FILE") -> tuple[str, dict]:
    """The text of a starter project for ``reg`` and what it holds.

    Parameters
    ----------
    reg : geo_sink.io.boundaries.Region
    level : str
        The boundary level (county, city, province, self).
    units : list of (adcode, name)
        The region's units at ``level``.
    bbox : (west, south, east, north)
        WGS 84 bounding box of the units.
    cat : Catalog
    demo : Path, optional
        The demo's ``project.yaml``: its sections replace the placeholders (active when the demo
        covers ``reg``, i.e. 朔州市 or one of its counties; commented out otherwise).
    file_name : str
        The project file's name, for the commands in the header.

    Returns
    -------
    (text, info)
        ``info``: ``targets`` (catalog targets active), ``demo_active`` (bool).
    """
    from geo_sink import __version__
    from geo_sink.project import safe_file_name
    from geo_sink.sinks.climate import ZONES

    lines = [f"# geo-sink region project: {reg.name} ({reg.full_name}, adcode {reg.adcode}, a {reg.level}), "
             f"{level} units.",
             f"# Written by `geo-sink init` (geo-sink {__version__}). Every key: docs/project.md; JSON Schema: "
             "docs/project.schema.json."]
    schema = _schema_file()
    if schema is not None:
        lines.append(f"# yaml-language-server: $schema={schema.as_uri()}")
    lines += _comment("Sections commented out are placeholders: uncomment those you have data for and point "
                      "their paths to your files (relative paths resolve against this file's folder). Then:")
    lines += [_kv(f"#   geo-sink check {file_name}", "every key, path, catalog id and CRS; all problems at once"),
              _kv(f"#   geo-sink run {file_name}", "every analysis, the report <output>/<name>.html"),
              _kv(f"#   geo-sink update {file_name}", "later: only what changed (new scenes in the inbox, ...)"), ""]
    demo_active = False
    sections: dict[str, dict] = {}
    if demo is not None:
        from geo_sink.demo import REGION
        from geo_sink.io.boundaries import resolve_region
        home = resolve_region(REGION)
        demo_active = reg.adcode == home.adcode or (reg.level == "county" and reg.city == home.name)
        sections = _demo_sections(demo)
        lines += _comment(f"The sections below are those of the {REGION} demo, its files in {demo.parent}: "
                          "SYNTHETIC DEMO DATA generated by geo_sink.demo (`geo-sink demo --regenerate` rebuilds "
                          "them; another geo-sink version may put them into another folder).")
        if demo_active:
            lines.append(_kv("synthetic: true", "the demo data is synthetic: every output says so"))
        else:
            lines += _comment(f"The demo files cover {REGION} only, not {reg.name}: they stay commented out, a "
                              "complete example of each section; point them to files of your own.")
        lines.append("")
    lines += [f"name: {_scalar(reg.name)}", f"boundary: {_scalar({'region': reg.full_name, 'level': level})}"]
    lines += _comment(f"{len(units)} {level} unit(s) of {reg.name} (adcode name): "
                      + ", ".join(f"{a} {n}" for a, n in units))
    w, s, e, n = bbox
    lines += [f"# WGS 84 bounding box (degrees): west {w:.4f}, south {s:.4f}, east {e:.4f}, north {n:.4f}", ""]
    for key, (active, placeholder, notes) in _placeholders(cat, reg, bbox).items():
        if key in sections and demo_active:
            lines += _dump(key, sections[key])
        elif key in sections:
            block = _dump(key, sections[key])
            lines += active + _commented(block[1:] if active else block)
        else:
            lines += active + _commented(placeholder)
        lines += notes + [""]
    tlines, n_own = _target_lines(cat, reg, units)
    lines += tlines + [""] + _baseline_lines(cat, reg, units)
    lines += ["", *_comment("IPCC climate zone(s) instead of the decision from the station table: one zone, or "
                            "{county: zone}."), *_list_comment("zones", list(ZONES)),
              f"# climate_zone: {_scalar({units[0][1]: ZONES[7]})}" if units else f"# climate_zone: {ZONES[7]}",
              _kv('# ipcc_edition: "2019"', 'IPCC Tier 1 defaults: "2006" (default) or the 2019 Refinement'),
              _kv("# carbon_density_map: cog", "density map: vrt (default, over the land-cover file), cog "
                  "(self-contained, slower) or none"),
              "",
              "# The output folder, replaced as a whole by each run: a folder of its own, holding no input.",
              f"output: {_scalar('out/' + safe_file_name(reg.name))}", ""]
    return "\n".join(lines), {"targets": n_own, "demo_active": demo_active}
