"""The report's "model inputs" section (as InVEST reports list theirs): every parameter a run
applied, with its source, and every input file by name with its SHA-256 and size.

Read from the run's own tables (``climate_zones.csv``, ``carbon_parameters.csv``,
``pv_by_county.csv``), its ``provenance.json`` and the catalog's parameter tables; nothing is
computed here.  Parameter ids are shown as ``<code>``: they are the catalog's names, to look up in
``data_catalog/``.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

#: IPCC climate zones as a report reader says them.
CLIMATE_ZONE_NAMES = {
    "zh": {"cool_temperate_dry": "冷温带干旱区", "cool_temperate_moist": "冷温带湿润区", "warm_temperate_dry": "暖温带干旱区",
           "warm_temperate_moist": "暖温带湿润区", "boreal_dry": "北方干旱区", "boreal_moist": "北方湿润区",
           "tropical_dry": "热带干旱区", "tropical_moist": "热带湿润区", "tropical_wet": "热带多雨区",
           "tropical_montane": "热带山地", "polar_dry": "极地干旱区", "polar_moist": "极地湿润区"},
    "en": {"cool_temperate_dry": "cool temperate dry", "cool_temperate_moist": "cool temperate moist",
           "warm_temperate_dry": "warm temperate dry", "warm_temperate_moist": "warm temperate moist",
           "boreal_dry": "boreal dry", "boreal_moist": "boreal moist", "tropical_dry": "tropical dry",
           "tropical_moist": "tropical moist", "tropical_wet": "tropical wet", "tropical_montane": "tropical montane",
           "polar_dry": "polar dry", "polar_moist": "polar moist"},
}


def zone_name(zone, lang: str) -> str:
    """An IPCC climate zone in the report's language (the id itself when unknown)."""
    if not isinstance(zone, str):
        return "—"
    return "+".join(CLIMATE_ZONE_NAMES[lang].get(z, z) for z in zone.split("+"))


def _e(v) -> str:
    return html.escape(str(v), quote=True)


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table of already-escaped cells."""
    h = "".join(f"<th>{x}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<div class='gs-scroll'><table class='gs-t {cls}'><tr>{h}</tr>{body}</table></div>"


def _num(v, nd=3) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    return "—" if f != f else f"{f:,.{nd}g}"


def model_inputs_section(rd: Path, prov: dict, cat, L: dict, lang: str) -> str:
    """The section's HTML: Monte Carlo, climate zones per county, carbon parameters, PV and
    subsidence parameters, grid factors, input files."""
    rd = Path(rd)
    parts = [f"<h2>{_e(L['model_inputs'])}</h2>"]
    from geo_sink.uncertainty import DEFAULT_SEED
    parts.append(f"<p>{_e(L['mc_draws'])}: {_e(prov.get('draws', '—'))} · {_e(L['mc_seed'])}: "
                 f"{_e(prov.get('seed', DEFAULT_SEED))}"
                 + (f" · {_e(L['pv_seed'])}: {_e(prov['pv_seed'])}" if prov.get("pv_seed") is not None else "") + "</p>")
    if (rd / "climate_zones.csv").is_file():
        cz = pd.read_csv(rd / "climate_zones.csv", dtype={"zone_id": str, "station_id": str})
        rows = [[_e(r.zone_name), _e(zone_name(r.climate_zone, lang)), _e(f"{r.station} ({r.station_id})"),
                 _num(r.distance_km, 3), _num(r.mean_elevation_m, 4), _num(r.mat_c, 3), _num(r.map_mm, 3),
                 _num(r.pet_mm, 4)] for r in cz.itertuples()]
        from geo_sink.report.i18n import note_text
        bases = sorted({note_text(str(x), lang) for x in cz["climate_basis"]})
        parts.append(f"<h3>{_e(L['climate_zones'])}</h3>" + "".join(f"<p class='gs-note'>{_e(x)}</p>" for x in bases) + _table(
            [_e(L[k]) for k in ("counties", "climate_zone", "station", "distance_km", "mean_elevation_m", "mat_c",
                                "map_mm", "pet_mm")], rows))
    if (rd / "carbon_parameters.csv").is_file():
        cp = pd.read_csv(rd / "carbon_parameters.csv")
        rows = [[_e(zone_name(r.applied_zone, lang)), f"<code>{_e(r.parameter)}</code>", _num(r.value), _e(r.unit),
                 _num(r.sd), _e(r.table), _e(r.status)] for r in cp.itertuples()]
        parts.append(f"<h3>{_e(L['carbon_parameters'])}</h3>" + _table(
            [_e(L[k]) for k in ("climate_zone", "parameter", "value", "unit", "sd", "source", "param_status")], rows))
    for ds, key, value_col in (("pv_siting_parameters", "pv_parameters", "value"),
                               ("pv_energy_parameters", "energy_parameters", "value"),
                               ("subsidence_parameters", "subsidence_parameters", "mean")):
        if (rd / "pv_by_county.csv").is_file() or (ds == "subsidence_parameters" and (rd / "subsidence_by_county.csv").is_file()):
            t = pd.read_csv(cat.dataset_path(ds))
            rows = [[f"<code>{_e(r['name'])}</code>", _num(r[value_col]), _e(r.get("unit", "")), _num(r.get("sd", "")),
                     _e(r["source"]), _e(r.get("status", ""))] for _, r in t.iterrows()]
            parts.append(f"<h3 class='gs-params-h'>{_e(L[key])} <span class='gs-note'>(<code>data_catalog/"
                         f"{_e(Path(cat.dataset_path(ds)).relative_to(cat.root).as_posix())}</code>)</span></h3>"
                         + _table([_e(L[k]) for k in ("parameter", "value", "unit", "sd", "source", "param_status")], rows,
                                  "gs-params"))
    if (rd / "pv_by_county.csv").is_file():
        pv = pd.read_csv(rd / "pv_by_county.csv", dtype={"zone_id": str}).iloc[0]
        rows = [[_e(L["grid_factor"]), f"<code>{_e(pv['grid_factor_id'])}</code>", _e(pv["grid_factor_region"]),
                 _e(pv["grid_factor_year"]), _num(pv["grid_factor_t_co2_mwh"], 4), _e(pv["grid_factor_document"])]]
        if isinstance(pv.get("alt_grid_factor_id"), str):
            rows.append([_e(L["alt_grid_factor"]), f"<code>{_e(pv['alt_grid_factor_id'])}</code>",
                         _e(pv["alt_grid_factor_region"]), _e(pv["alt_grid_factor_year"]),
                         _num(pv["alt_grid_factor_t_co2_mwh"], 4), _e(pv["alt_grid_factor_document"])])
        parts.append(f"<h3>{_e(L['grid_factors'])}</h3><p class='gs-note'>{_e(pv.get('weather', ''))}</p>" + _table(
            [_e(L[k]) for k in ("role", "parameter", "region", "year", "t_co2_mwh", "source")], rows))
    files = prov.get("input_files", {})
    if files:
        rows = [[f"<code>{_e(Path(p).name)}</code>", _e(L.get(f"role_{v.get('role', '')}", v.get("role", ""))),
                 f"{v.get('bytes', 0) / 1e6:,.2f} MB",
                 f"<code>{_e(v.get('sha256', ''))}</code>"] for p, v in sorted(files.items(), key=lambda x: Path(x[0]).name)]
        parts.append(f"<h3 class='gs-files-h'>{_e(L['input_files'])}</h3>" + _table(
            [_e(L[k]) for k in ("file", "role", "size", "sha256")], rows, "gs-files"))
    parts.append(f"<p class='gs-print-only'>{_e(L['print_params_note'])}</p>")
    return f"<section id='gs-inputs'>{''.join(parts)}</section>"
