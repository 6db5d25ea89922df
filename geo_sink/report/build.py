"""Build the HTML map report of a region from the tables :func:`geo_sink.steps.run_project`
wrote: a view of the results, never a second computation of them."""

from __future__ import annotations

import html
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_sink import __version__
from geo_sink.catalog import load_catalog
from geo_sink.errors import InputDataError
from geo_sink.io.atomic import atomic_path
from geo_sink.io.display import SIMPLIFY_DEG, landcover_codes
from geo_sink.measurability import change_bar
from geo_sink.report import charts
from geo_sink.report.assets import indexed_png_data_url, inline_assets, png_data_url, use_offline_assets
from geo_sink.report.i18n import labels, note_text
from geo_sink.report.inputs import model_inputs_section, zone_name

#: Zoom from which small features are drawn as their shapes only (their markers hidden).
MARKER_MAX_ZOOM = 12


def esc(v) -> str:
    return html.escape(str(v), quote=True)


def diverging(value: float, centre: float, span: float) -> str:
    """Brown below ``centre``, blue-green above, near-white at it (hex): the ends of ColorBrewer's
    BrBG, a diverging scheme readable with red-green colour blindness."""
    if value is None or not np.isfinite(value):
        return "#bdbdbd"
    t = float(np.clip((value - centre) / span, -1, 1)) if span > 0 else 0.0
    lo, mid, hi = np.array([140, 81, 10]), np.array([245, 245, 245]), np.array([1, 102, 94])
    rgb = mid + (hi - mid) * t if t >= 0 else mid + (mid - lo) * t
    return "#%02x%02x%02x" % tuple(int(round(c)) for c in rgb)


def sequential(value: float, vmax: float) -> str:
    if value is None or not np.isfinite(value) or vmax <= 0:
        return "#bdbdbd"
    t = float(np.clip(value / vmax, 0, 1))
    a, b = np.array([255, 247, 188]), np.array([102, 37, 6])
    return "#%02x%02x%02x" % tuple(int(round(c)) for c in a + (b - a) * t)


def _fmt(v, nd=1):
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:,.{nd}f}"


def _class_lut(codes: np.ndarray, legend, alpha: int = 190) -> np.ndarray:
    """(top + 1, 4) uint8: the RGBA colour of every code from 0 to the larger of ``codes``' and
    the legend's largest (transparent for a code without a class)."""
    top = max([int(codes.max()) if codes.size else 0] + [c.code for c in legend.classes])
    lut = np.zeros((top + 1, 4), dtype=np.uint8)        # one colour per code: a single gather
    for c in legend.classes:
        hexc = c.color.lstrip("#")
        lut[c.code] = [int(hexc[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]
    return lut


def _class_rgba(codes: np.ndarray, legend, alpha: int = 190) -> np.ndarray:
    """Codes coloured by their legend (transparent where a code has no class)."""
    codes = np.asarray(codes)
    lut = _class_lut(codes, legend, alpha)
    if codes.size and codes.min() < 0:                  # a signed map's nodata (-999): no class
        return np.where((codes >= 0)[..., None], lut[np.maximum(codes, 0)], 0).astype(np.uint8)
    return lut[codes]


def _class_png(codes: np.ndarray, legend, alpha: int = 190) -> str:
    """The overlay of a class map as a PNG data URL: an indexed-colour PNG of the codes with the
    legend's colours as palette when they are 8-bit (a quarter of the RGBA image's bytes), else
    the RGBA image (:func:`_class_rgba`)."""
    codes = np.asarray(codes)
    if codes.dtype == np.uint8:     # (a legend's codes above 255 cannot be in an 8-bit map)
        return indexed_png_data_url(codes, _class_lut(codes, legend, alpha)[:256])
    return png_data_url(_class_rgba(codes, legend, alpha))


def _display_result(results_dir: Path, task: str, box: tuple) -> dict | None:
    """A display step's result (``overlay-<year>``, ``relief``) kept in the folder for the same
    lon/lat box, or None."""
    from geo_sink.steps.chain import load_result
    ok, res = load_result(Path(results_dir), task)
    return res if ok and isinstance(res, dict) and res.get("bounds_ll") == box else None


def _relief(results_dir: Path, project, box: tuple, geoms, zone_ids):
    """(the hillshade under the map, the region's outline, the counties ``geoms`` (WGS 84) as
    drawn): the ``relief`` step's result when it is of these counties (``zone_ids``, in order),
    else computed now (:func:`geo_sink.steps.overlay.relief_and_outline`)."""
    res = _display_result(results_dir, "relief", box)
    if res is None or "shown" not in res or res.get("zone_ids") != [str(z) for z in zone_ids]:
        from geo_sink.steps.overlay import relief_and_outline
        res = relief_and_outline(project, box, geoms)
    return res["shade"], res["outline"], res["shown"]


def _reclaimed_pieces(results_dir: Path, project):
    """The reclaimed land split by county: the ``reclamation_rate`` step's, else cut now from the
    mine polygons (:func:`geo_sink.reclamation_run.reclaimed_pieces`)."""
    from geo_sink.reclamation_run import ReclamationSites
    from geo_sink.steps.chain import load_result
    ok, sites = load_result(Path(results_dir), "reclamation_rate")
    if ok and isinstance(sites, ReclamationSites):
        return sites.pieces.copy()
    from geo_sink.reclamation_run import load_sites, reclaimed_pieces
    from geo_sink.steps import project_zones
    dd, rr = load_sites(project)
    return reclaimed_pieces(rr, dd, project_zones(project))


def _overlay_codes(results_dir: Path, lc, box: tuple):
    """A land-cover year at display size: the ``overlay`` step's result, else read now."""
    res = _display_result(results_dir, f"overlay-{lc.year}", box)
    return (res["codes"], res["bounds"]) if res is not None else landcover_codes(lc.path, lc.crs, box)


def _lonlat(gdf, what: str):
    """A layer in WGS 84 lon/lat, what Leaflet draws (a county, wetland or mine file in a
    projected CRS, e.g. CGCS2000 Gauss-Kruger, would otherwise land its metres as degrees)."""
    if gdf.crs is None:
        raise InputDataError(f"the report's layer {what!r} has no CRS; set one in its file (e.g. EPSG:4326)")
    return gdf if gdf.crs.equals(4326) else gdf.to_crs(4326)


def _geojson(gdf, what: str) -> dict:
    """A GeoDataFrame as a GeoJSON dict in lon/lat (properties first, no feature ids)."""
    props = [c for c in gdf.columns if c != "geometry"]
    return json.loads(_lonlat(gdf, what)[props + ["geometry"]].to_json(drop_id=True))


def _geojson_layer(gdf, name, style, popup_fields, lab_aliases, show=True, overlay=True):
    """A GeoJSON layer with popups (``gdf``: a GeoDataFrame or a GeoJSON dict); ``overlay=False``
    makes it one of the map's choropleths, of which the layer control shows one at a time
    (radio buttons)."""
    import folium

    from geo_sink.report.mapui import text_snippets
    layer = text_snippets(folium.GeoJson)(
        gdf if isinstance(gdf, dict) else _geojson(gdf, name), name=name, show=show, overlay=overlay,
        style_function=style,
        popup=text_snippets(folium.GeoJsonPopup)(fields=popup_fields, aliases=lab_aliases, localize=False, labels=True),
        tooltip=text_snippets(folium.GeoJsonTooltip)(fields=[popup_fields[0]], aliases=[lab_aliases[0]], labels=False),
    )
    return layer


def build_reports(project, results_dir, out_html) -> list[Path]:
    """The Chinese report at ``out_html`` and the English one beside it (``<stem>.en.html``), each
    with a link to the other."""
    out_html = Path(out_html)
    en = out_html.with_name(f"{out_html.stem}.en{out_html.suffix}")
    return [build_report(project, results_dir, out_html, lang="zh", other_href=en.name),
            build_report(project, results_dir, en, lang="en", other_href=out_html.name)]


def build_report(project, results_dir, out_html, lang: str = "zh", other_href: str | None = None) -> Path:
    """Write one self-contained, offline HTML report for a project's results.

    Parameters
    ----------
    project : Project
    results_dir : path
        Folder with the pipeline's tables (``counties.parquet``, ``forest_coverage.csv``, ...).
    out_html : path
    lang : {"zh", "en"}
    other_href : str, optional
        Link (relative) to the same report in the other language, shown at the top.

    Returns
    -------
    Path of the report.
    """
    import folium

    from geo_sink.report.mapui import (point_labels_js, point_markers_js, script_element, share_geojson_data,
                                       text_element, text_snippets)
    L = labels(lang)
    cat = load_catalog()
    rd = Path(results_dir)
    counties = _lonlat(gpd.read_parquet(rd / "counties.parquet"), "counties.parquet")    # simplified and drawn in degrees
    county_rows = pd.DataFrame(counties.drop(columns="geometry"))   # the county table and counties.csv
    prov = json.loads((rd / "provenance.json").read_text(encoding="utf-8"))
    synthetic = bool(prov.get("synthetic")) or any(i.get("synthetic") for i in prov.get("inputs", []))
    box = tuple(float(v) for v in counties.total_bounds)   # the overlays' box (unsimplified)
    shade, region, shown = _relief(rd, project, box, counties.geometry.values, counties["zone_id"])
    counties["geometry"] = shown                # region: the city's outline (simplified as the counties)
    b = counties.total_bounds
    m = text_snippets(folium.Map)(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], tiles=None, zoom_start=9,
                   control_scale=True, height="620px", prefer_canvas=False, scrollWheelZoom=False)
    use_offline_assets(m)
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    folium.map.CustomPane("gs-relief", z_index=250).add_to(m)      # below every overlay
    if shade is not None:
        text_snippets(folium.raster_layers.ImageOverlay)(png_data_url(shade[0]), bounds=shade[1], name=f"{L['relief']} ({shade[2]})", show=True,
                                          mercator_project=False, pane="gs-relief", interactive=False).add_to(m)

    cov = pd.read_csv(rd / "forest_coverage.csv", dtype={"zone_id": str}) if (rd / "forest_coverage.csv").exists() else None
    target = None
    cov_last = cov[cov["year"] == cov["year"].max()] if cov is not None else None
    # a target is drawn on the map (and gaps shown) only where the map can measure forest
    if cov_last is not None and "target_pct" in cov_last and bool(cov_last.get("measurable", pd.Series([True])).all()):
        target = float(cov_last["target_pct"].dropna().min())
    # --- county table in every popup (values escaped: rendered as text)
    c = counties.copy()
    c["name"] = [esc(v) for v in c["zone_name"]]
    # a figure whose map cannot carry it (the county layer's *_measurable) says so wherever it is drawn
    context = {k: _context_flagged(c, k) for k in ("coverage", "stock", "sink")}
    tag = {k: f" · {L['context_only']}" if context[k] else "" for k in context}
    c["cov"] = [_fmt(v, 2) + " %" + tag["coverage"] if pd.notna(v) else "—"
                for v in c.get("coverage_pct", pd.Series([np.nan] * len(c)))]
    c["tgt"] = f"{target:g} %" if target is not None else "—"
    c["gap"] = [_fmt(target - v, 2) if target is not None and pd.notna(v) else "—" for v in c.get("coverage_pct", pd.Series([np.nan] * len(c)))]
    has_stock = "stock_t_co2e" in c
    c["stock"] = [f"{_fmt(v / 1e6, 2)} Mt CO2e ({_fmt(lo / 1e6, 2)}–{_fmt(hi / 1e6, 2)}){tag['stock']}" for v, lo, hi in
                  zip(c["stock_t_co2e"], c.get("stock_t_co2e_p05", c["stock_t_co2e"]), c.get("stock_t_co2e_p95", c["stock_t_co2e"]))] if has_stock else "—"
    if "sink_t_co2e_yr" in c:
        c["sink"] = [f"{_fmt(v, 0)} t CO2e/yr ({_fmt(lo, 0)}–{_fmt(hi, 0)}){tag['sink']}" for v, lo, hi in
                     zip(c["sink_t_co2e_yr"], c.get("sink_t_co2e_yr_p05", c["sink_t_co2e_yr"]), c.get("sink_t_co2e_yr_p95", c["sink_t_co2e_yr"]))]
    else:
        c["sink"] = "—"
    c["pv"] = L["not_measured"]
    if (rd / "pv_by_county.csv").exists():
        pvc = pd.read_csv(rd / "pv_by_county.csv", dtype={"zone_id": str}).set_index("zone_id")
        c["pv"] = [f"{pvc.loc[z, 'capacity_mw']:,.0f} MW ({pvc.loc[z, 'capacity_mw_p05']:,.0f}–{pvc.loc[z, 'capacity_mw_p95']:,.0f})"
                   if z in pvc.index else "0 MW" for z in counties["zone_id"]]
    fields = ["name", "cov", "tgt", "gap", "stock", "sink", "pv"]
    aliases = [esc(x) for x in (L["counties"], L["coverage"], L["target"], L["gap"], L["stock"] + " (" + L["interval"] + ")",
                                L["sink"] + " (" + L["interval"] + ")", L["pv"])]
    if (rd / "reclaimed_carbon_by_county.csv").exists():
        rcz = pd.read_csv(rd / "reclaimed_carbon_by_county.csv", dtype={"zone_id": str}).set_index("zone_id")
        c["rsink"] = [f"{_fmt(rcz.loc[z, 'sink_t_co2e_yr'], 0)} t CO2e/yr "
                      f"({_fmt(rcz.loc[z].get('sink_t_co2e_yr_p05', np.nan), 0)}–{_fmt(rcz.loc[z].get('sink_t_co2e_yr_p95', np.nan), 0)})"
                      if z in rcz.index else "—" for z in counties["zone_id"]]
        fields.append("rsink")
        aliases.append(esc(L["reclaimed_sink"] + " (" + L["interval"] + ")"))
    keep = fields + ["geometry", "coverage_pct"] + (["stock_t_co2e", "zone_area_km2"] if has_stock else []) + \
        (["sink_t_co2e_yr"] if "sink_t_co2e_yr" in c else [])
    c = c[[k for k in keep if k in c.columns]]
    legends = []           # (layer, title, [(colour, label)]): the map's legend shows those on the map
    fills, images = [], []  # what the opacity slider acts on (fills: the choropleths, the first shown)
    small = []             # (features, colour, label) drawn as markers at low zoom

    if has_stock:
        c = c.assign(dens=c["stock_t_co2e"] / (c["zone_area_km2"] * 100))    # t CO2e/ha
    county_data = _geojson(c, "counties")       # one geometry for every choropleth, written once in the page
    choropleths = []

    def choropleth(name, style, items):
        layer = _geojson_layer(county_data, name, style, fields, aliases, show=not fills, overlay=False)
        layer.add_to(m)
        legends.append((layer, name, items))
        fills.append(layer.get_name())
        choropleths.append(layer)

    if "coverage_pct" in c:
        centre = target if target is not None else float(c["coverage_pct"].median())
        span = max(5.0, float(np.nanmax(np.abs(c["coverage_pct"] - centre))))
        lo = max(0.0, centre - span)          # a coverage below 0% does not exist
        choropleth(L["coverage"] + (f" ({L['context_only']})" if context["coverage"] else ""), lambda f, ce=centre, sp=span: {
            "fillColor": diverging(f["properties"].get("coverage_pct"), ce, sp), "color": "#333",
            "weight": 1, "fillOpacity": 0.6},
            [(diverging(lo, centre, span), f"{lo:.1f}%"),
             (diverging(centre, centre, span), f"{centre:.2f}% ({L['target'] if target is not None else L['median']})"),
             (diverging(centre + span, centre, span), f"{centre + span:.1f}%")])
    if has_stock:
        vmax = float(np.nanmax(c["dens"]))
        choropleth(L["stock"] + (f" ({L['context_only']})" if context["stock"] else ""), lambda f, v=vmax: {"fillColor": sequential(f["properties"].get("dens"), v),
                                                      "color": "#333", "weight": 1, "fillOpacity": 0.6},
                   [(sequential(0, vmax), "0"), (sequential(vmax / 2, vmax), f"{vmax / 2:.0f}"),
                    (sequential(vmax, vmax), f"{vmax:.0f} t CO2e/ha")])
    if "sink_t_co2e_yr" in c:
        span = max(1.0, float(np.nanmax(np.abs(c["sink_t_co2e_yr"]))))
        choropleth(L["sink"] + (f" ({L['context_only']})" if context["sink"] else ""), lambda f, sp=span: {"fillColor": diverging(f["properties"].get("sink_t_co2e_yr"), 0, sp),
                                                    "color": "#333", "weight": 1, "fillOpacity": 0.6},
                   [(diverging(-span, 0, span), f"{-span:,.0f}"), (diverging(0, 0, span), "0"),
                    (diverging(span, 0, span), f"{span:,.0f} t CO2e/yr")])
    if choropleths:
        share_geojson_data(choropleths, county_data, "geo_sink_counties").add_to(m)
    # --- base lines from the project's own layers: the city's outline, rivers, roads
    lines = text_snippets(folium.FeatureGroup)(name=L["base_lines"], show=True)
    outline = gpd.GeoDataFrame(geometry=[region], crs=4326)
    text_snippets(folium.GeoJson)(json.loads(outline.to_json(drop_id=True)), interactive=False,
                   style_function=lambda f: {"color": "#222", "weight": 3, "fill": False}).add_to(lines)
    items = [("#222", esc(f"{L['city_outline']} {project.name}"))]
    pc = project.spec.pv_constraints
    for attr, colour, weight in (("rivers", "#1f78b4", 2), ("roads", "#666666", 1.5)):
        path = getattr(pc, attr, None) if pc is not None else None
        if path is not None:
            g = _lonlat(gpd.read_file(path), attr)[["geometry"]]
            text_snippets(folium.GeoJson)(json.loads(g.to_json(drop_id=True)), interactive=False,
                           style_function=lambda f, c=colour, w=weight: {"color": c, "weight": w}).add_to(lines)
            items.append((colour, esc(L[attr])))
    lines.add_to(m)
    legends.append((lines, L["base_lines"], items))
    # --- land cover of every year, a change layer per pair of years (swipe between the two)
    swipe = None
    if project.spec.landcover:
        from geo_sink.steps import landcover_inputs
        years = []
        for lc in landcover_inputs(project, cat):
            legend = cat.legend(lc.legend)
            codes, bounds = _overlay_codes(rd, lc, box)
            img = text_snippets(folium.raster_layers.ImageOverlay)(_class_png(codes, legend), bounds=bounds,
                                                    name=f"{L['landcover']} {lc.year}", show=False,
                                                    mercator_project=False).add_to(m)
            images.append(img.get_name())
            legends.append((img, f"{L['landcover']} {lc.year} ({legend.name})",
                            [(cl.color, esc(cl.name_zh if lang == 'zh' else cl.name)) for cl in legend.classes]))
            years.append((lc, legend, codes, bounds, img))
        for (a, la, ca, ba, ia), (z, lz, cz, bz, iz) in zip(years[:-1], years[1:]):
            if ca.shape != cz.shape or not np.allclose(ba, bz) or la.id != lz.id:
                continue               # other grids or legends: no cell-by-cell change picture
            changed = np.where((ca != cz) & (cz != 0), cz, 0)
            caveat = _change_caveat({a.year: la, z.year: lz}, L)
            img = text_snippets(folium.raster_layers.ImageOverlay)(_class_png(changed, lz, alpha=235), bounds=bz,
                                                    name=f"{L['change']} {a.year}→{z.year}", show=False,
                                                    mercator_project=False).add_to(m)
            images.append(img.get_name())
            legends.append((img, f"{L['change']} {a.year}→{z.year} ({L['changed_to']}){caveat}",
                            [(cl.color, esc(cl.name_zh if lang == 'zh' else cl.name)) for cl in lz.classes
                             if (changed == cl.code).any()]))
            swipe = (ia.get_name(), iz.get_name(), a.year, z.year)
    # --- wetlands and mines
    if project.spec.wetlands is not None:
        w = gpd.read_file(project.spec.wetlands.file)
        w = w.assign(name=[esc(v) for v in w[project.spec.wetlands.name_field]])[["name", "geometry"]]
        lyr = _geojson_layer(w, L["wetlands"], lambda f: {"fillColor": "#289be8", "color": "#0b5394", "weight": 1,
                                                          "fillOpacity": 0.6}, ["name"], [esc(L["wetlands"])]).add_to(m)
        legends.append((lyr, L["wetlands"], [("#289be8", esc(L["wetlands"]))]))
    if project.spec.mines is not None:
        d = gpd.read_file(project.spec.mines.disturbed)
        d = d.assign(name=[esc(f"{a} · {t}") for a, t in zip(d[project.spec.mines.mine_field], d[project.spec.mines.type_field])])
        status = {}
        if (rd / "reclamation_by_mine.csv").exists():
            rm = pd.read_csv(rd / "reclamation_by_mine.csv")
            status = {r.mine: r.rate_pct for r in rm.itertuples()}
        d["rate"] = [f"{_fmt(status.get(mn, np.nan), 1)} %" for mn in d[project.spec.mines.mine_field]]
        d["rate_v"] = [status.get(mn, np.nan) for mn in d[project.spec.mines.mine_field]]
        lyr = _geojson_layer(d[["name", "rate", "rate_v", "geometry"]], L["mines"],
                             lambda f: {"fillColor": diverging(f["properties"].get("rate_v"), 60, 60), "color": "#7f3b08",
                                        "weight": 1, "fillOpacity": 0.6}, ["name", "rate"],
                             [esc(L["mines"]), esc(L["rate_vs_bar"])]).add_to(m)
        small.append((d, "#7f3b08", L["mines"]))
        legends.append((lyr, L["mines"] + " (" + L["rate_vs_bar"] + ")",
                        [(diverging(0, 60, 60), "0%"), (diverging(60, 60, 60), "60%"), (diverging(120, 60, 60), "≥100%")]))
        if (rd / "fvc_series.csv").exists():
            s = pd.read_csv(rd / "fvc_series.csv")
            last = s[s["date"] == s["date"].max()].set_index("polygon_id")
            pieces = _reclaimed_pieces(rd, project)
            pieces["fvc_v"] = pieces["polygon_id"].map(last["mean_fvc"])
            pieces["fvc"] = [_fmt(v, 2) for v in pieces["fvc_v"]]
            pieces["name"] = [esc(f"{a} · {v} · {y}") for a, v, y in zip(pieces["mine"], pieces["vegetation"], pieces["year"])]
            fields, aliases = ["name", "fvc"], [esc(L["reclaimed"]), "FVC"]
            if (rd / "reclaimed_carbon.csv").exists():
                rc = pd.read_csv(rd / "reclaimed_carbon.csv", dtype={"zone_id": str})
                rc = rc.set_index([rc["polygon_id"].astype(str), rc["zone_id"]])
                key = list(zip(pieces["polygon_id"].astype(str), pieces["zone_id"].astype(str)))
                sink = [rc["sink_t_co2e_yr"].get(k, np.nan) for k in key]
                pieces["sink"] = [f"{_fmt(v, 0)} t CO2e/yr" for v in sink]
                fields, aliases = fields + ["sink"], aliases + [esc(L["reclaimed_sink"])]
            lyr = _geojson_layer(pieces[fields + ["fvc_v", "geometry"]], L["reclaimed"],
                                 lambda f: {"fillColor": sequential(f["properties"].get("fvc_v"), 1.0), "color": "#1b7837",
                                            "weight": 1, "fillOpacity": 0.8}, fields, aliases).add_to(m)
            legends.append((lyr, L["reclaimed"], [(sequential(0, 1), "FVC 0"), (sequential(0.5, 1), "0.5"),
                                                  (sequential(1, 1), "1")]))
    if (rd / "subsidence_boundary.geojson").exists():
        sb = gpd.read_file(rd / "subsidence_boundary.geojson")
        sb_labels = list(sb["label"])  # the boundary threshold with its unit, e.g. "≥ 10 mm cumulative"
        sb_labels = [note_text(lab, lang) for lab in sb_labels]
        sb = sb.assign(name=[esc(f"{L['subsidence']} {lab}") for lab in sb_labels])[["name", "geometry"]]
        lyr = _geojson_layer(sb, L["subsidence"], lambda f: {"fillColor": "#542788", "color": "#2d004b", "weight": 1,
                                                            "fillOpacity": 0.4}, ["name"], [esc(L["subsidence"])]).add_to(m)
        legends.append((lyr, L["subsidence"], [("#542788", esc(sb_labels[0]) if sb_labels else "")]))
        small.append((sb, "#542788", L["subsidence"]))
    if (rd / "pv_parcels.parquet").exists():
        pvp = gpd.read_parquet(rd / "pv_parcels.parquet")
        pvp = pvp.assign(name=[esc(f"{i} · {c} · #{r}") for i, c, r in zip(pvp["parcel_id"], pvp["county"], pvp["rank"])],
                         cap=[f"{v:,.1f} MW · {e:,.1f} GWh/yr" for v, e in zip(pvp["capacity_mw"], pvp["energy_gwh_yr"])])
        lyr = _geojson_layer(pvp[["name", "cap", "geometry"]], L["pv"], lambda f: {"fillColor": "#fdb863", "color": "#b35806",
                                                                                   "weight": 1, "fillOpacity": 0.8},
                             ["name", "cap"], [esc(L["pv"]), "MW"]).add_to(m)
        legends.append((lyr, L["pv"], [("#fdb863", esc(L["pv"]))]))
        small.append((pvp, "#b35806", L["pv"]))
    # small features (mines, subsidence, PV parcels) are a few pixels at the city's zoom: a marker
    # at each, shown below zoom MARKER_MAX_ZOOM (the map script hides them closer in)
    # (one script per layer: a folium element per marker costs ~2 ms each to render)
    marks = text_snippets(folium.FeatureGroup)(name=L["markers"], show=True)
    points = [(pt.y, pt.x, colour, esc(label)) for g, colour, label in small
              for pt in _lonlat(g, label).geometry.representative_point()]
    n_marks = len(points)
    if n_marks:
        script_element(point_markers_js(marks.get_name(), points)).add_to(marks)
        marks.add_to(m)
        legends.append((marks, L["markers"], [(colour, esc(label)) for _, colour, label in small]))
    labels_fg = text_snippets(folium.FeatureGroup)(name=L["county_labels"], show=True)
    script_element(point_labels_js(labels_fg.get_name(), [
        (pt.y, pt.x, esc(name)) for name, pt in zip(counties["zone_name"], counties.geometry.representative_point())
    ])).add_to(labels_fg)
    labels_fg.add_to(m)
    text_snippets(folium.LayerControl)(collapsed=False).add_to(m)
    # the map's own legend (following the layers shown), zoom to a county, reset view, opacity
    from geo_sink.report.mapui import legend_html, map_controls
    county_bounds = [(str(n), [[g.bounds[1], g.bounds[0]], [g.bounds[3], g.bounds[2]]])
                     for n, g in sorted(zip(counties["zone_name"], counties.geometry), key=lambda x: str(x[0]))]
    controls = script_element(map_controls(
        m.get_name(), {lyr.get_name(): legend_html(t, items) for lyr, t, items in legends}, fills, images,
        county_bounds, [[b[1], b[0]], [b[3], b[2]]], L, swipe,
        markers=(marks.get_name(), MARKER_MAX_ZOOM) if n_marks else None))
    # the mouse wheel scrolls the page until the map is clicked, and again once the mouse leaves it
    mv = m.get_name()
    wheel = script_element(f"{mv}.on('click', function() {{ {mv}.scrollWheelZoom.enable(); }});"
                           f"{mv}.on('mouseout', function() {{ {mv}.scrollWheelZoom.disable(); }});")
    m.add_child(wheel)
    m.add_child(controls)
    root = m.get_root()
    # --- legend, dashboard, charts, footer, banner
    target_rows = _target_rows(rd, cat, lang)
    dash = _dashboard(target_rows, L)
    figs = []
    if cov is not None:
        figs.append(charts.coverage_chart(cov[cov["year"] == cov["year"].max()], target,
                                          L["coverage"] + (f" ({L['context_only']})" if context["coverage"] else "")))
    if (rd / "carbon_stock.csv").exists():
        st = pd.read_csv(rd / "carbon_stock.csv", dtype={"zone_id": str})
        st = st[st["zone_id"].isin(counties["zone_id"])]   # counties only: the city row is their sum
        figs.append(charts.pools_chart(st[st["year"] == st["year"].max()],
                                       L["stock"] + (f" ({L['context_only']})" if context["stock"] else ""),
                                       {k: L[f"pool_{k}"] for k in ("above", "below", "soil", "dead")}))
    if (rd / "fvc_series.csv").exists():
        figs.append(charts.fvc_chart(pd.read_csv(rd / "fvc_series.csv"), L["fvc"]))
    if (rd / "reclamation_by_mine_year.csv").exists():
        ry = pd.read_csv(rd / "reclamation_by_mine_year.csv")
        if len(ry):
            bar = float(ry["bar_pct"].iloc[0]) if "bar_pct" in ry else None
            figs.append(charts.reclamation_chart(ry, bar, L["reclamation_rate"]))
    inputs = "".join(f"<li>{esc(L.get('role_' + str(i.get('kind')), i.get('kind')))} {esc(i.get('year', ''))}: "
                     f"<code>{esc(Path(i['path']).name)}</code>"
                     f"{' [SYNTHETIC]' if i.get('synthetic') else ''}</li>" for i in prov.get("inputs", []))
    banner = f"<div id='gs-synthetic' class='gs-banner'>{esc(L['synthetic'])}</div>" if synthetic else ""
    root.header.add_child(text_element(STYLE))
    root.header.add_child(text_element(f"<title>{esc(project.name)} · {esc(L['title'])}</title>"))
    from geo_sink.steps import landcover_inputs
    maps = {lc.year: cat.legend(lc.legend) for lc in landcover_inputs(project, cat)} if project.spec.landcover else {}
    summary = _summary_band(rd, target_rows, L, project.total_zone()[0], lang, no_sink=_no_sink(maps, L))
    other = (f"<a id='gs-other-lang' href='{esc(other_href)}' hreflang='{'en' if lang == 'zh' else 'zh-CN'}'>"
             f"{esc(L['other_lang'])}</a>" if other_href else "")
    top = (f"<div id='gs-top'>{other}<h1>{esc(project.name)} · {esc(L['title'])}</h1>{banner}{summary}"
           f"{_warnings_section(rd, L, _project_folders(project))}</div>")
    county_html = _county_table(county_rows, L, lang, _carbon_table_note(rd, L, lang))
    downloads = _downloads(rd, county_rows, L)
    body = (f"<div id='gs-bottom'><section id='gs-dashboard'>{dash}<p class='gs-note'>{esc(L['coverage_note'])}</p></section>"
            f"{county_html}{downloads}"
            f"<section id='gs-charts'><h2>{esc(L['charts'])}</h2>{''.join(figs)}</section>"
            f"{model_inputs_section(rd, prov, cat, L, lang)}"
            f"<footer id='gs-provenance'><h3>{esc(L['provenance'])}</h3><ul>{inputs}</ul>"
            f"<p>geo-sink {esc(__version__)} · {esc(L['simplified'])} {SIMPLIFY_DEG}° · {esc(Path(prov.get('project', '')).name)}</p></footer></div>")
    root.html.add_child(text_element(top + body))
    page = inline_assets(root.render())
    page = page.replace("<html>", f"<html lang='{'zh-CN' if lang == 'zh' else 'en'}'>", 1)
    out_html = Path(out_html)
    with atomic_path(out_html) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out_html


def file_names_only(text: str, folders=()) -> str:
    """``text`` with the analyst's folders left out (a report goes to people who do not share
    them; the run's table keeps the paths): each of ``folders`` (the project's own, with spaces
    or not) cut to its name, then any other absolute path without spaces cut to its last part.  Text that is not a path (units such as
    t C/ha/yr, dates, URLs, relative names) is left alone.

    >>> file_names_only("inbox: S2 quarantined to /data/inbox/quarantine (/data/inbox/S2/B04.tif: bad)")
    'inbox: S2 quarantined to quarantine (B04.tif: bad)'
    >>> file_names_only("moved to /d/My Scenes/inbox/quarantine", folders=["/d/My Scenes/inbox"])
    'moved to inbox/quarantine'
    """
    import re
    for f in sorted({str(f).rstrip("/\\") for f in folders if str(f).strip("/\\")}, key=len, reverse=True):
        name = re.split(r"[\\/]", f)[-1]
        text = re.sub(re.escape(f) + r"(?=[\\/])", name, text)
        text = re.sub(re.escape(f) + r"(?![\w.-])", name, text)
    return re.sub(r"(?<![\w:/\\.-])(?:[A-Za-z]:)?(?:[\\/][^\s\\/()'\"]+)+[\\/]([^\s\\/()'\"]+)", r"\1", text)


def _project_folders(project) -> list[str]:
    """The folders a project's warnings may name: its own, its output, and those of its inputs."""
    paths = [project.path.parent, project.output]

    def walk(v):
        if isinstance(v, Path):
            paths.extend([v, v.parent])
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(project.spec.model_dump())
    return [str(Path(p)) for p in paths if str(p) not in ("", ".")]


def _warnings_section(rd: Path, L: dict, folders=()) -> str:
    """The run's warnings (:data:`geo_sink.outputs.WARNINGS`: inputs quarantined, skipped or left
    out, each with its reason) under the summary, or '' when there were none."""
    from geo_sink.outputs import WARNINGS
    try:
        rows = pd.read_csv(rd / WARNINGS, dtype=str)["warning"].dropna().tolist()
    except (OSError, ValueError, KeyError, pd.errors.EmptyDataError):
        return ""
    if not rows:
        return ""
    items = "".join(f"<li>{esc(file_names_only(w, folders))}</li>" for w in rows)
    return (f"<section id='gs-warnings' class='gs-warnings'><h2>{esc(L['run_warnings'])} ({len(rows)})</h2>"
            f"<ul>{items}</ul><p class='gs-note'>{esc(L['run_warnings_note'])}</p></section>")


def _unit(u) -> str:
    """A catalog unit as a reader writes it (percent -> %, 10^4 m3 -> 10⁴ m³)."""
    return {"percent": "%", "10^4 m3": "10⁴ m³", "10^4 kW": "10⁴ kW", "km2": "km²"}.get(str(u), str(u))


STATUS_COLOURS = {"met": "#1a9850", "not_met": "#d73027", "not_measurable": "#6f6f6f", "not_computed": "#b8860b"}


def _interval(row, col: str, scale: float, nd: int) -> str:
    lo, hi = row.get(f"{col}_p05"), row.get(f"{col}_p95")
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return ""
    return f" ({_fmt(lo / scale, nd)}–{_fmt(hi / scale, nd)})"


def _change_caveat(legends: dict, L: dict) -> str:
    """" — why the change" for a change layer between maps that cannot be differenced (their
    producer's word, two versions: :func:`geo_sink.measurability.change_bar`), else ''."""
    bar = change_bar(legends)
    if bar is None:
        return ""
    return f" — {L['not_for_change'] if bar[1] is None else L['versions_change'].format(v=bar[1])}"


def _no_sink(legends: dict, L: dict) -> str:
    """Why the run gives no land-cover-change sink from maps of one product, or ''."""
    bar = change_bar(legends)
    if bar is None:
        return ""
    leg, versions = bar
    return L["not_for_change_no_sink"].format(name=leg.name) if versions is None else L["versions_no_sink"].format(v=versions)


def _context_flagged(counties, figure: str) -> bool:
    """Whether the county layer says the ``figure`` ("coverage", "stock", "sink") of some county comes from a
    map too coarse to carry it (``<figure>_measurable`` false; layers without the column: no)."""
    col = f"{figure}_measurable"
    if col not in counties:
        return False
    flags = counties[col].dropna()
    return bool(len(flags)) and not flags.astype(bool).all()


def _context_only(row, L: dict, lang: str) -> str:
    """"Context only" and the reason, for a carbon row whose map cannot resolve what the stock is
    weighted by (its ``measurability_note`` in the report's language)."""
    why = row.get("measurability_note_zh" if lang == "zh" else "measurability_note")
    return L["context_only"] + ((("：" if lang == "zh" else ": ") + why) if isinstance(why, str) else "")


def _carbon_table_note(rd: Path, L: dict, lang: str) -> str:
    """Why the county table's carbon stock (last year) or sink (first to last year) is context
    only, or '' when both maps can resolve what a stock is weighted by (``carbon_stock.csv`` and
    ``carbon_sink.csv``, column ``measurable``)."""
    notes = []
    for name, label, pick in (("carbon_stock.csv", "stock", lambda t: t[t["year"] == t["year"].max()]),
                              ("carbon_sink.csv", "sink", lambda t: t[(t["year_from"] == t["year_from"].min())
                                                                      & (t["year_to"] == t["year_to"].max())])):
        if not (rd / name).is_file():
            continue
        t = pd.read_csv(rd / name)
        rows = pick(t) if len(t) and "measurable" in t else t.iloc[0:0]
        off = rows[~rows["measurable"].astype(bool)] if len(rows) else rows
        if len(off):
            notes.append((L[label], _context_only(off.iloc[0], L, lang)))
    if len(notes) == 2 and notes[0][1] == notes[1][1]:
        notes = [(f"{notes[0][0]} · {notes[1][0]}", notes[0][1])]
    return " ".join(f"{lab}{'：' if lang == 'zh' else ': '}{why}" for lab, why in notes)


def _total_cards(rd: Path, L: dict, total_id: str, lang: str = "zh", no_sink: str = "") -> list[tuple[str, str, str]]:
    """(label, value with unit and 5–95% interval, note) of the region totals in the result tables."""
    def read(name):
        return pd.read_csv(rd / name, dtype={"zone_id": str}) if (rd / name).is_file() else None

    def note(r):
        n = r.get("note")
        text = note_text(str(n), lang) if isinstance(n, str) else ""
        m = r.get("measurable")
        if m is not None and not pd.isna(m) and not bool(m):
            # a map too coarse for what the stock is weighted by: the value is context only
            text = " ".join(x for x in (_context_only(r, L, lang), text) if x)
        return text

    cards = []
    st = read("carbon_stock.csv")
    if st is not None:
        r = st[(st["zone_id"] == total_id) & (st["pool"] == "total") & (st["year"] == st["year"].max())]
        if len(r):
            r = r.iloc[0]
            cards.append((f"{L['stock_total']} {int(r['year'])}", f"{_fmt(r['stock_t_co2e'] / 1e6, 1)} Mt CO2e"
                          + _interval(r, "stock_t_co2e", 1e6, 1), note(r)))
    sk = read("carbon_sink.csv")
    if sk is not None and len(sk):
        r = sk[(sk["zone_id"] == total_id) & (sk["pool"] == "total") & (sk["year_from"] == sk["year_from"].min())
               & (sk["year_to"] == sk["year_to"].max())]
        if len(r):
            r = r.iloc[0]
            cards.append((f"{L['sink_total']} {int(r['year_from'])}–{int(r['year_to'])}",
                          f"{_fmt(r['sink_t_co2e_yr'], 0)} t CO2e/yr" + _interval(r, "sink_t_co2e_yr", 1, 0), note(r)))
    elif no_sink and st is not None:
        cards.append((L["sink_total"], "—", no_sink))
    for name, label in (("wetlands.csv", "wetland_net"), ("reclaimed_carbon_by_county.csv", "reclaimed_total")):
        t = read(name)
        if t is None:
            continue
        col = "net_t_co2e_yr" if label == "wetland_net" else "sink_t_co2e_yr"
        r = t[t["zone_id"] == total_id]
        if len(r):
            r = r.iloc[0]
            cards.append((L[label], f"{_fmt(r[col], 0)} t CO2e/yr" + _interval(r, col, 1, 0), ""))
    pv = read("pv_by_county.csv")
    if pv is not None:
        r = pv[pv["zone_id"] == total_id]
        if len(r):
            r = r.iloc[0]
            cards.append((L["pv_total"], f"{_fmt(r['capacity_mw'], 0)} MW" + _interval(r, "capacity_mw", 1, 0)
                          + f" · {_fmt(r['energy_gwh_yr'], 0)} GWh/yr · {_fmt(r['co2_avoided_t_yr'], 0)} t CO2/yr"
                          + _interval(r, "co2_avoided_t_yr", 1, 0), ""))
    return cards


def _target_rows(rd: Path, cat, lang: str) -> list[tuple]:
    """``(row, indicator name, measured value with unit and year, reason)`` of each row of the
    run's ``targets.csv`` in the report's language (empty without it): what the summary cards
    and the target table both show."""
    if not (rd / "targets.csv").is_file():
        return []
    out = []
    for r in pd.read_csv(rd / "targets.csv", dtype={"zone_id": str, "measured_year": str}).itertuples():
        ind = cat.indicators.get(r.indicator)
        name = (ind.name_zh if lang == "zh" else ind.name_en) if ind else r.indicator
        measured = "—" if pd.isna(r.measured_value) else f"{r.measured_value:,.2f} {_unit(r.unit)}"
        if pd.notna(r.measured_year) and measured != "—":
            measured += f" ({r.measured_year})"
        reason = r.reason_zh if lang == "zh" and isinstance(getattr(r, "reason_zh", None), str) and r.reason_zh \
            else r.reason
        out.append((r, name, measured, reason if isinstance(reason, str) else ""))
    return out


def _summary_band(rd: Path, target_rows: list[tuple], L: dict, total_id: str, lang: str = "zh",
                  no_sink: str = "") -> str:
    """The answer first: one card per target (measured value, target, gap, status in words and
    colour, document) from ``targets.csv``, and the region totals with their 5–95% intervals,
    all read from the run's tables (nothing is computed here); ``no_sink``: why the run gives no
    land-cover-change sink, shown in its card's place when it has none."""
    cards = []
    for r, name, measured, reason in target_rows:
        extra = ""
        if pd.notna(r.needed_mw):
            extra = f"<div>{esc(L['needed'])}: {_fmt(r.needed_mw, 0)} MW"
            if pd.notna(r.pv_closes_pct):
                extra += f"; {esc(L['pv_closes'])} {_fmt(r.pv_closes_pct, 1)}%"
            extra += "</div>"
        colour = STATUS_COLOURS.get(r.status, "#6f6f6f")
        cards.append(
            f"<div class='gs-card gs-{esc(r.status)}' style='border-left:6px solid {colour}'>"
            f"<div class='gs-card-h'>{esc(r.region)} · {esc(name)} · {r.target_year}</div>"
            f"<div class='gs-card-v'>{esc(measured)}</div>"
            f"<div>{esc(L['target'])} {esc(r.comparison)} {r.target_value:g} {esc(_unit(r.unit))}"
            + ("" if pd.isna(r.gap) else f" · {esc(L['target_gap'])} {_fmt(r.gap, 2)}") + "</div>"
            f"<div class='gs-card-s' style='color:{colour}'><b>{esc(L.get(r.status, r.status))}</b></div>{extra}"
            f"<div class='gs-note'>{esc(reason)}</div>"
            f"<div class='gs-note'>{esc(r.document)}</div></div>")
    totals = "".join(f"<div class='gs-card gs-total'><div class='gs-card-h'>{esc(lab)}</div>"
                     f"<div class='gs-card-v'>{esc(val)}</div>"
                     + (f"<div class='gs-note'>{esc(n)}</div>" if n else "") + "</div>"
                     for lab, val, n in _total_cards(rd, L, total_id, lang, no_sink))
    if not cards and not totals:
        return ""
    return (f"<section id='gs-summary'><h2>{esc(L['summary'])}</h2><div class='gs-cards'>{''.join(cards)}</div>"
            + (f"<h3>{esc(L['totals'])} <span class='gs-note'>({esc(L['interval'])})</span></h3>"
               f"<div class='gs-cards'>{totals}</div><p class='gs-note'>{esc(L['interval_scope'])}</p>"
               if totals else "") + "</section>")


#: the county table's columns: (column of counties.parquet, label key, decimals, scale)
COUNTY_COLUMNS = (("zone_area_km2", "area_km2", 1, 1), ("forest_km2", "forest_km2", 1, 1),
                  ("coverage_pct", "coverage", 2, 1), ("stock_t_co2e", "stock_mt", 2, 1e6),
                  ("sink_t_co2e_yr", "sink_t", 0, 1), ("climate_zone", "climate_zone", None, None))

#: tables embedded in the report for download (each at most this many bytes)
MAX_EMBEDDED_BYTES = 2_000_000

SORT_JS = """<script>
document.querySelectorAll('table.gs-sortable th').forEach(function(th, i){
  th.style.cursor='pointer'; th.title='sort';
  th.addEventListener('click', function(){
    var tb=th.closest('table').tBodies[0], rows=Array.from(tb.rows), up=th.dataset.dir!=='asc';
    rows.sort(function(a,b){var x=a.cells[i].dataset.v, y=b.cells[i].dataset.v, nx=parseFloat(x), ny=parseFloat(y);
      var c=(isNaN(nx)||isNaN(ny))?String(x).localeCompare(String(y),'zh'):nx-ny; return up?c:-c;});
    th.dataset.dir=up?'asc':'desc'; rows.forEach(function(r){tb.appendChild(r);});
  });
});
</script>"""


def _county_table(county_rows: pd.DataFrame, L: dict, lang: str = "zh", carbon_note: str = "") -> str:
    """Every county in one sortable table: area, forest, coverage, stock and sink with their
    5–95% intervals, climate zone (``counties.parquet`` without geometry); empty cells stay
    empty ("—"); ``carbon_note``: why its carbon columns are context only, shown above it."""
    c = county_rows.sort_values("zone_id")
    cols = [x for x in COUNTY_COLUMNS if x[0] in c.columns]
    head = f"<th>{esc(L['counties'])}</th>" + "".join(f"<th>{esc(L[k])}</th>" for _, k, _, _ in cols)
    rows = []
    for _, r in c.iterrows():
        cells = [f"<td data-v='{esc(r['zone_name'])}'>{esc(r['zone_name'])}</td>"]
        for col, _, nd, scale in cols:
            v = r[col]
            if nd is None:      # the climate zone, in the report's language
                cells.append(f"<td data-v='{esc(v if isinstance(v, str) else '')}'>{esc(zone_name(v, lang))}</td>")
                continue
            text = _fmt(None if pd.isna(v) else float(v) / scale, nd) + _interval(r, col, scale, nd)
            cells.append(f"<td data-v='{'' if pd.isna(v) else float(v)}'>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    extra = f"<p class='gs-note gs-context-only'>{esc(carbon_note)}</p>" if carbon_note else ""
    return (f"<section id='gs-counties'><h2>{esc(L['county_table'])}</h2><p class='gs-note'>{esc(L['sort_note'])}</p>{extra}"
            f"<div class='gs-scroll'><table class='gs-t gs-sortable'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div></section>{SORT_JS}")


def _downloads(rd: Path, county_rows: pd.DataFrame, L: dict) -> str:
    """The run's tables embedded as downloadable files (data: URIs), so a report sent by e-mail
    carries its data; a table over :data:`MAX_EMBEDDED_BYTES` is listed, not embedded."""
    import base64
    # the county table, then every CSV table of the run (not only those provenance lists)
    items = [("counties.csv", county_rows.to_csv(index=False).encode("utf-8"))]
    items += [(f.name, f.read_bytes()) for f in sorted(rd.glob("*.csv"))]
    links = []
    for name, data in items:
        if len(data) > MAX_EMBEDDED_BYTES:
            links.append(f"<li>{esc(name)} ({len(data) / 1e6:.1f} MB: {esc(L['not_embedded'])})</li>")
            continue
        b64 = base64.b64encode(data).decode("ascii")
        links.append(f"<li><a download='{esc(name)}' href='data:text/csv;charset=utf-8;base64,{b64}'>{esc(name)}</a>"
                     f" ({len(data) / 1e3:,.1f} kB)</li>")
    return f"<section id='gs-downloads'><h2>{esc(L['downloads'])}</h2><ul class='gs-dl'>{''.join(links)}</ul></section>"


def _dashboard(target_rows: list[tuple], L: dict) -> str:
    """The targets table, drawn from the run's ``targets.csv`` (nothing is computed here)."""
    if not target_rows:
        return ""
    rows = []
    for r, name, measured, reason in target_rows:
        gap = "—" if pd.isna(r.gap) else f"{r.gap:,.2f}"
        applied = f" [{L['applied_from']} {r.applied_from}]" if isinstance(r.applied_from, str) and r.applied_from else ""
        doc = r.document + (f" · {r.article}" if isinstance(r.article, str) and r.article else "")
        rows.append(f"<tr class='gs-{esc(r.status)}'><td>{esc(r.region)}</td><td>{esc(name)}</td>"
                    f"<td>{esc(r.comparison)} {r.target_value:g} {esc(_unit(r.unit))}</td><td>{r.target_year}</td>"
                    f"<td>{esc(measured)}</td><td>{esc(gap)}</td><td><b>{esc(L.get(r.status, r.status))}</b>"
                    f"{' · ' + esc(reason) if reason else ''}</td>"
                    f"<td>{esc(doc)}{esc(applied)}</td></tr>")
    head = "".join(f"<th>{esc(L[k])}</th>" for k in ("region", "indicator", "target", "target_year", "measured", "target_gap",
                                                     "status", "document"))
    return (f"<h2>{esc(L['dashboard'])}</h2><div class='gs-scroll'><table class='gs-t' id='gs-targets'><tr>{head}</tr>"
            f"{''.join(rows)}</table></div>")


STYLE = """<style>
body{font-family:sans-serif;margin:0 1em;display:flex;flex-direction:column}
#gs-top{order:0}.folium-map{order:1;flex:none}#gs-bottom{order:2}
.gs-banner{background:#b2182b;color:#fff;padding:.5em 1em;font-weight:bold;margin:.5em 0}
.gs-warnings{border-left:6px solid #b8860b;background:#fdf6e3;padding:.3em 1em;margin:.8em 0}
.gs-warnings h2{font-size:1.05em;margin:.3em 0}.gs-warnings li{font-size:.9em;word-break:break-all}
.gs-legend{display:flex;flex-wrap:wrap;gap:1em;font-size:12px;margin:.5em 0}
.gs-leg span{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #666}
.gs-maplegend{background:rgba(255,255,255,.92);padding:4px 8px;font-size:12px;max-height:45vh;overflow-y:auto;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}.gs-maplegend .gs-leg{margin:2px 0 6px}
.gs-tools{background:#fff;padding:4px;font-size:12px;display:flex;flex-direction:column;gap:4px}
.gs-tools select,.gs-tools button{font-size:12px}
.gs-t{border-collapse:collapse;font-size:13px}.gs-t td,.gs-t th{border:1px solid #ccc;padding:2px 6px}
.gs-note{font-size:12px;color:#555}#gs-charts svg{max-width:48%;height:auto}
footer{font-size:12px;color:#444;border-top:1px solid #ccc;margin-top:1em}
.gs-scroll{overflow-x:auto;max-width:100%}
.gs-label{transform:translate(-50%,-50%);white-space:nowrap;font-size:12px;font-weight:bold;color:#222;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none}
@media (max-width:600px){.gs-legend{max-height:40vh;overflow-y:auto}.gs-card{min-width:0;max-width:100%}
 #gs-charts svg{max-width:100%}.gs-maplegend{max-height:25vh}}
@page{size:A4;margin:12mm}
@media print{.folium-map{break-inside:avoid;page-break-inside:avoid;max-width:100%;break-before:page;break-after:page}
 .leaflet-control-layers,.gs-tools,.leaflet-control-zoom{display:none!important}
 .gs-maplegend{print-color-adjust:exact;-webkit-print-color-adjust:exact;max-height:none!important;overflow:visible!important}
 .gs-banner{border:3px solid #b2182b;color:#b2182b!important;background:none!important}
 section,.gs-card,tr{break-inside:avoid}#gs-downloads{display:none}
 #gs-inputs .gs-scroll,#gs-inputs h3,#gs-inputs .gs-note{display:none}
 .gs-print-only{display:block!important}#gs-charts svg{max-width:48%}}
.gs-print-only{display:none}.gs-dl{columns:3 16em;font-size:13px}
.gs-cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.4em 0}
.gs-card{border:1px solid #ccc;padding:.4em .6em;min-width:14em;max-width:24em;font-size:13px;background:#fafafa}
.gs-card-h{font-weight:bold}.gs-card-v{font-size:18px;margin:.2em 0}
#gs-other-lang{float:right;margin-top:.6em;font-size:14px}
</style>"""
