import os
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

from geo_sink.errors import MissingInputError
from geo_sink.pipeline import run_project
from geo_sink.project import load_project
from geo_sink.report import build_report

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
XSS = '<img src=x onerror="document.title=\'pwned\'">'
CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_BROWSER = Path(CHROMIUM).exists() and Path(DRIVER).exists()
if os.environ.get("GEO_SINK_REQUIRE_BROWSER") == "1" and not HAVE_BROWSER:
    raise RuntimeError("GEO_SINK_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed")
browser = pytest.mark.skipif(not HAVE_BROWSER, reason="chromium and chromedriver not installed")


@pytest.fixture(scope="module")
def xss_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("xss")
    zones = gpd.GeoDataFrame({"code": ["A", "B"], "名称": [XSS, "正常县"]},
                             geometry=[shapely.box(114.0, 37.8, 114.4, 38.2), shapely.box(114.4, 37.8, 114.8, 38.2)], crs=4326)
    zones.to_file(d / "zones.gpkg")
    (d / "p.yaml").write_text(yaml.safe_dump({
        "name": "测试市", "boundary": {"file": "zones.gpkg", "id_field": "code", "name_field": "名称"},
        "landcover": [{"year": 2019, "dataset": "mcd12c1_2019_china"}],
        "targets": [{"id": "sjz_forest_coverage_2025", "apply_to": "测试市"}], "output": "out"}, allow_unicode=True), encoding="utf-8")
    p = load_project(d / "p.yaml")
    list(run_project(p, p.output, draws=500))
    return build_report(p, p.output, d / "report.html")


@pytest.fixture(scope="module")
def demo_report(demo_reports):
    """The demo's Chinese report (:func:`demo_reports`)."""
    return demo_reports[0]


def test_self_contained_and_small(xss_report, demo_report):
    for f in (xss_report, demo_report):
        text = f.read_text(encoding="utf-8")
        assert not re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="https?://', text)
        assert "L.map(" in text and ".leaflet-container" in text  # Leaflet JS and CSS inlined
        assert f.stat().st_size < 10e6


def test_synthetic_banner_only_for_synthetic(xss_report, demo_report):
    assert "SYNTHETIC DEMO DATA" in demo_report.read_text(encoding="utf-8")
    assert "gs-synthetic" not in xss_report.read_text(encoding="utf-8")


def test_names_are_escaped(xss_report):
    text = xss_report.read_text(encoding="utf-8")
    assert XSS not in text and "&lt;img src=x onerror=" in text


def test_english_labels(xss_report, tmp_path):
    p = load_project(xss_report.parent / "p.yaml")
    en = build_report(p, p.output, tmp_path / "en.html", lang="en").read_text(encoding="utf-8")
    assert "Forest coverage (map-derived)" in en and "森林覆盖率" not in en


def test_missing_asset_fails_with_its_name(xss_report, tmp_path, monkeypatch):
    import geo_sink.report.assets as assets
    monkeypatch.setattr(assets, "leaflet_dir", lambda: tmp_path)
    p = load_project(xss_report.parent / "p.yaml")
    with pytest.raises(MissingInputError, match="leaflet"):
        build_report(p, p.output, tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--window-size=1400,1600"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    yield d
    d.quit()


def open_page(driver, path):
    driver.get(path.resolve().as_uri())
    time.sleep(1.0)
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@browser
def test_browser_xss_report(driver, xss_report):
    errors = open_page(driver, xss_report)
    assert errors == []
    assert driver.title != "pwned"
    # two county shapes (one choropleth at a time; the other layers start hidden)
    assert driver.execute_script("return document.querySelectorAll('path.leaflet-interactive').length") == 2
    layers = driver.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')].map(l => l.innerText.trim())")
    base = driver.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-base label')].map(l => l.innerText.trim())")
    # a 0.05° MODIS map: both figures are context only, and the layer control says so
    assert base == ["森林覆盖率（地图推算） (仅供参考)", "碳储量 (仅供参考)"]
    assert layers == ["地形晕渲 (pvlib 1/12° terrain)", "市界、河流与道路", "土地覆被 2019", "县（区）名称"]
    # county names on the map; the mouse wheel zooms only after a click on the map
    assert driver.execute_script("return document.querySelectorAll('.gs-label').length") == 2
    wheel = "return window[document.querySelector('.folium-map').id].scrollWheelZoom.enabled()"
    assert driver.execute_script(wheel) is False
    assert driver.execute_script("return document.getElementById('gs-maplegend').offsetHeight") > 0
    driver.execute_script("document.querySelector('path.leaflet-interactive').dispatchEvent("
                          "new MouseEvent('click', {bubbles: true, clientX: 500, clientY: 500}))")
    time.sleep(0.5)
    text = driver.execute_script("var p = document.querySelector('.leaflet-popup-content'); return p ? p.innerText : null")
    assert text is not None and "<img src=x onerror=" in text
    driver.execute_script("window[document.querySelector('.folium-map').id].fire('click')")
    assert driver.execute_script(wheel) is True
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report_xss.png"))


@browser
def test_browser_demo_report(driver, demo_report):
    assert open_page(driver, demo_report) == []
    layers = driver.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')].map(l => l.innerText.trim())")
    base = driver.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-base label')].map(l => l.innerText.trim())")
    assert base == ["森林覆盖率（地图推算）", "碳储量", "年碳汇"]
    assert {"湿地", "矿区", "复垦地（植被覆盖度）", "土地覆被 2015", "土地覆被 2020", "土地覆被变化 2015→2020",
            "采煤沉陷区", "光伏装机", "地形晕渲 (dem.tif)", "市界、河流与道路"} <= set(layers)
    assert driver.execute_script("return document.getElementById('gs-synthetic').offsetHeight") > 0
    charts = driver.execute_script("return [...document.querySelectorAll('#gs-charts svg')].map(s => s.textContent)")
    assert len(charts) == 4       # coverage, pools, FVC series, reclamation rate by year
    assert "矿区土地复垦率（逐年）" in charts[3] and "60%" in charts[3]
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report_demo.png"))


def test_large_map_overlay_is_read_decimated_and_matches_the_full_read(tmp_path, catalog):
    """A 6000 x 6000 class map (four classes in quadrants, a river, a small patch) gives the
    same overlay read decimated (nearest, at twice the overlay size) as read whole and reprojected: the same size and
    at least 99% of the overlay pixels the same colour."""
    import numpy as np

    from geo_sink.io.display import landcover_codes as _landcover_codes
    from geo_sink.report.build import _class_rgba
    from tests.conftest import write_raster
    a = np.ones((6000, 6000), np.uint8)
    a[:3000, 3000:] = 2
    a[3000:, :3000] = 4
    a[3000:, 3000:] = 8
    a[:, 1500:1530] = 5
    write_raster(tmp_path / "big.tif", a, crs="EPSG:32649", origin=(600000, 4300000), res=(10, 10), nodata=0,
                 tiled=True, compress="deflate")
    import pyproj
    t = pyproj.Transformer.from_crs(32649, 4326, always_xy=True)
    bounds = t.transform_bounds(600000, 4240000, 660000, 4300000)
    legend = catalog.legend("clcd")
    fast, b1 = _landcover_codes(tmp_path / "big.tif", None, bounds)
    full, b2 = _landcover_codes(tmp_path / "big.tif", None, bounds, max_read_px=10**9)
    fast, full = _class_rgba(fast, legend), _class_rgba(full, legend)
    assert fast.shape == full.shape and np.allclose(b1, b2, atol=1e-6)
    same = (fast == full).all(axis=2).mean()
    assert same > 0.99, same


@browser
def test_browser_summary_first_and_county_table_sorts(driver, embedded_reports):
    """At 1366 x 768 the summary band starts on the first screen with a card per target and the
    region totals; every county is in the county table; a click on the carbon-stock header sorts
    the county rows by stock (then reverses), and the download links are there."""
    import pandas as pd
    report = embedded_reports[0]
    rd = report.parent / report.stem
    n_targets = len(pd.read_csv(rd / "targets.csv"))
    n_counties = len(gpd.read_parquet(rd / "counties.parquet"))
    driver.set_window_size(1366, 768)
    try:
        assert open_page(driver, report) == []
        top = driver.execute_script("return document.getElementById('gs-summary').getBoundingClientRect().top")
        assert 0 < top < 768
        cards = driver.execute_script("return document.querySelectorAll('#gs-summary .gs-card:not(.gs-total)').length")
        totals = driver.execute_script("return document.querySelectorAll('#gs-summary .gs-total').length")
        assert cards == n_targets and totals >= 1

        def column(i):
            return driver.execute_script(
                f"return [...document.querySelectorAll('#gs-counties tbody tr')].map(r => parseFloat(r.cells[{i}].dataset.v))")
        heads = driver.execute_script("return [...document.querySelectorAll('#gs-counties th')].map(h => h.innerText)")
        i = next(k for k, h in enumerate(heads) if "Mt CO2e" in h)
        driver.execute_script(f"document.querySelectorAll('#gs-counties th')[{i}].click()")
        up = column(i)
        assert up == sorted(up) and len(up) == n_counties
        driver.execute_script(f"document.querySelectorAll('#gs-counties th')[{i}].click()")
        assert column(i) == sorted(up, reverse=True)
        n = driver.execute_script("return document.querySelectorAll('#gs-downloads a[download]').length")
        assert n == len(list(rd.glob("*.csv"))) + 1 and n >= 8      # every table of the run, and counties.csv
    finally:
        driver.set_window_size(1400, 1600)


def test_page_language_footer_and_legend_glitches(demo_report, demo_project):
    """#18 glitches: the page says its language, the footer names the project file (not the
    machine's absolute path), the coverage legend does not start below 0%, print CSS is A4."""
    text = demo_report.read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in text
    footer = text[text.index("id='gs-provenance'"):]
    assert str(demo_project.parent) not in footer and "project.yaml" in footer
    legend = text[text.index("<b>森林覆盖率（地图推算）</b>"):]
    first = re.search(r"</span>(-?[0-9.]+)%</div>", legend).group(1)
    assert float(first) >= 0
    assert "@page{size:A4" in text


def test_reclamation_chart_of_one_year_spans_years_not_a_century():
    import pandas as pd

    from geo_sink.report.charts import reclamation_chart
    svg = reclamation_chart(pd.DataFrame({"mine": ["A"], "year": [2020], "rate_pct": [45.0]}), 60.0, "rate")
    years = [int(x) for x in re.findall(r'class="gs-xtick"[^>]*>(\d{4})</text>', svg)]
    assert years == [2019, 2020, 2021]


def test_line_chart_points_and_steps_are_at_their_values():
    """Points sit at their x and y on the axes' scales; a step line holds each value until the
    next x; the bar is a dashed line at its height, named in the legend."""
    import xml.etree.ElementTree as ET

    import pandas as pd

    from geo_sink.report.charts import line_chart_svg, reclamation_chart
    svg = line_chart_svg({"A": ([2020, 2022], [10.0, 50.0])}, (2020, 2024), [(2020, "2020"), (2024, "2024")],
                         (0.0, 100.0), "%", "t", hline=60.0, hline_label="60%", step=True)
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(svg)
    left, pw, top, ph = 58, 720 - 58 - 16, 34, 210
    pts = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{ns}circle")]
    assert pts == [(pytest.approx(left), pytest.approx(top + ph - 0.1 * ph, abs=0.06)),
                   (pytest.approx(left + 0.5 * pw, abs=0.06), pytest.approx(top + ph - 0.5 * ph, abs=0.06))]
    line = [tuple(map(float, p.split(","))) for p in root.find(f"{ns}polyline").get("points").split()]
    assert len(line) == 3 and line[1][1] == pytest.approx(line[0][1]) and line[1][0] == pytest.approx(line[2][0])
    dashed = [x for x in root.iter(f"{ns}line") if x.get("stroke-dasharray") and x.get("x1") == str(left)]
    assert float(dashed[0].get("y1")) == pytest.approx(top + ph - 0.6 * ph, abs=0.06)
    assert "60%" in "".join(t.text or "" for t in root.iter(f"{ns}text"))
    by_year = pd.DataFrame({"mine": ["安太堡", "安太堡", "东露天"], "year": [2016, 2020, 2020], "rate_pct": [20.0, 64.3, 12.9]})
    svg = reclamation_chart(by_year, 60.0, "矿区土地复垦率（逐年）")
    assert "安太堡" in svg and "东露天" in svg and "矿区土地复垦率（逐年）" in svg


@pytest.fixture(scope="module")
def demo_reports(demo_project, tmp_path_factory):
    """The demo's report in both languages, each linking the other."""
    from geo_sink.report import build_reports
    p = load_project(demo_project)
    out = tmp_path_factory.mktemp("both")
    list(run_project(p, out / "朔州市", draws=500))
    return build_reports(p, out / "朔州市", out / "朔州市.html")


@pytest.fixture(scope="module")
def sjz_reports(tmp_path_factory):
    """The other embedded region's reports (real data: MODIS 0.05 deg, 22 counties)."""
    from geo_sink.catalog import load_catalog
    from geo_sink.report import build_reports
    p = load_project(load_catalog().root / "regions" / "石家庄市.yaml")
    out = tmp_path_factory.mktemp("sjz")
    list(run_project(p, out / "石家庄市", draws=500))
    return build_reports(p, out / "石家庄市", out / "石家庄市.html")


@pytest.fixture(params=["朔州市", "石家庄市"])
def embedded_reports(request):
    """Both embedded regions' (zh, en) reports, one per test run."""
    return request.getfixturevalue("demo_reports" if request.param == "朔州市" else "sjz_reports")


def test_each_language_links_the_other_and_reasons_are_in_its_language(demo_reports):
    import pandas as pd
    zh, en = demo_reports
    tz, te = zh.read_text(encoding="utf-8"), en.read_text(encoding="utf-8")
    assert "href='朔州市.en.html'" in tz and "href='朔州市.html'" in te
    t = pd.read_csv(zh.parent / "朔州市" / "targets.csv")
    assert t["reason_zh"].notna().all() and (t["reason_zh"].str.len() > 0).all()
    for r in t.itertuples():
        assert html_escape(r.reason_zh) in tz and html_escape(r.reason) not in tz
        assert html_escape(r.reason) in te
    assert "冷温带干旱区" in tz and "cool temperate dry" in te


def html_escape(x: str) -> str:
    import html
    return html.escape(x, quote=True)


def test_model_inputs_name_every_parameter_and_input_file(demo_reports):
    """The model-inputs section lists the climate zone of every county with its station, every
    Tier 1 parameter applied, the PV/subsidence parameters, the grid factors, the Monte Carlo
    draws and seeds, and every input file by name with the SHA-256 of provenance.json (no
    absolute path of the machine)."""
    import json

    import pandas as pd
    zh = demo_reports[0]
    text = zh.read_text(encoding="utf-8")
    sec = text[text.index("id='gs-inputs'"):text.index("id='gs-provenance'")]
    rd = zh.parent / "朔州市"
    prov = json.loads((rd / "provenance.json").read_text(encoding="utf-8"))
    for name, meta in prov["input_files"].items():
        assert f"<code>{html_escape(Path(name).name)}</code>" in sec and meta["sha256"] in sec
        assert str(Path(name).parent) not in sec
    for r in pd.read_csv(rd / "climate_zones.csv").itertuples():
        assert html_escape(r.zone_name) in sec and f"{r.station} ({r.station_id})" in sec
    for r in pd.read_csv(rd / "carbon_parameters.csv").itertuples():
        assert f"<code>{r.parameter}</code>" in sec
    for name in ("max_slope_deg", "road_buffer_m", "subsidence_factor_q", "shanxi_avg_2022"):
        assert f"<code>{name}</code>" in sec
    assert f"{prov['draws']}" in sec and str(prov["seed"]) in sec and str(prov["pv_seed"]) in sec


def _internal_ids(rd: Path, catalog) -> set[str]:
    """Identifiers a reader should never see: result-table columns, status codes, indicator,
    climate-zone and ecosystem ids."""
    import pandas as pd

    from geo_sink.report.inputs import CLIMATE_ZONE_NAMES
    ids = {"not_met", "not_measurable", "not_computed", *CLIMATE_ZONE_NAMES["en"], *catalog.indicators,
           *catalog.ecosystems}
    for f in rd.glob("*.csv"):
        ids |= {c for c in pd.read_csv(f, nrows=1).columns if "_" in c}
    return {i for i in ids if "_" in i}


@browser
def test_browser_zh_report_shows_no_internal_identifier(driver, embedded_reports, catalog):
    zh = embedded_reports[0]
    assert open_page(driver, zh) == []
    text = driver.execute_script("var c = document.body.cloneNode(true); c.querySelectorAll("
                                 "'code, script, style, #gs-downloads').forEach(e => e.remove()); return c.innerText")
    words = set(re.findall(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+", text))
    ids = _internal_ids(zh.parent / zh.stem, catalog)
    assert not words & ids, words & ids


@browser
def test_browser_one_choropleth_legend_zoom_reset_opacity(driver, demo_reports):
    """Choosing another choropleth swaps the legend inside the map; zoom to a county by name,
    reset the view; the opacity slider reaches the choropleth."""
    assert open_page(driver, demo_reports[0]) == []
    legend = "return document.getElementById('gs-maplegend').innerText"
    assert "森林覆盖率" in driver.execute_script(legend) and "碳储量" not in driver.execute_script(legend)
    driver.execute_script("[...document.querySelectorAll('.leaflet-control-layers-base label')]"
                          ".find(l => l.innerText.includes('碳储量')).querySelector('input').click()")
    time.sleep(0.3)
    assert "碳储量" in driver.execute_script(legend) and "森林覆盖率" not in driver.execute_script(legend)
    mapjs = "window[document.querySelector('.folium-map').id]"
    z0 = driver.execute_script(f"return {mapjs}.getZoom()")
    driver.execute_script("var s = document.getElementById('gs-zoom'); s.value = [...s.options].find("
                          "o => o.text === '右玉县').value; s.dispatchEvent(new Event('change'));")
    time.sleep(0.5)
    c = driver.execute_script(f"var c = {mapjs}.getCenter(); return [c.lat, c.lng]")
    assert driver.execute_script(f"return {mapjs}.getZoom()") > z0 and c[0] > 39.8      # 右玉县, the north
    driver.execute_script("document.getElementById('gs-reset').click()")
    time.sleep(0.5)
    assert driver.execute_script(f"return {mapjs}.getZoom()") == z0
    # printing shows the whole region on its page, whatever the zoom; the screen size comes back
    driver.execute_script("var s = document.getElementById('gs-zoom'); s.value = [...s.options].find("
                          "o => o.text === '应县').value; s.dispatchEvent(new Event('change'));")
    time.sleep(0.5)
    driver.execute_script("window.dispatchEvent(new Event('beforeprint'))")
    nb = driver.execute_script(f"var b = {mapjs}.getBounds(); return [b.getNorth(), b.getEast(), b.getSouth(), b.getWest()]")
    assert nb[0] >= 40.29 and nb[1] >= 113.56 and nb[2] <= 39.09 and nb[3] <= 111.9, nb     # all of 朔州市
    driver.execute_script("window.dispatchEvent(new Event('afterprint'))")
    assert driver.execute_script("return document.querySelector('.folium-map').offsetHeight") == 620
    driver.execute_script("var r = document.getElementById('gs-opacity'); r.value = 0.3; r.dispatchEvent(new Event('input'));")
    ops = driver.execute_script("return [...document.querySelectorAll('path.leaflet-interactive')]"
                                ".map(p => p.getAttribute('fill-opacity'))")
    assert "0.3" in ops
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report_map_controls.png"))


@browser
def test_browser_phone_width_has_no_sideways_scroll(driver, embedded_reports):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 412, "height": 900, "deviceScaleFactor": 1, "mobile": True})
    try:
        for f in embedded_reports:
            assert open_page(driver, f) == []
            w = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert w[0] <= w[1] == 412, w
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"report_412px_{embedded_reports[0].stem}.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@browser
def test_browser_print_is_a4_and_at_most_six_pages(driver, embedded_reports):
    import base64
    for f in embedded_reports:
        assert open_page(driver, f) == []
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                          "printBackground": False})["data"])
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]", pdf)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)   # A4 in pt
        assert 2 <= pages <= 6, pages
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"report_print_{f.stem}.pdf").write_bytes(pdf)


@browser
def test_browser_years_side_by_side_and_the_base_map(driver, demo_reports):
    """The swipe shows 2015 left and 2020 right of its line (both land-cover layers put on the
    map, the later one clipped at the line); the change layer and the base map (hillshade of the
    project's DEM, city outline, rivers and roads) are there with their legends."""
    assert open_page(driver, demo_reports[0]) == []
    shown = "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')]" \
            ".filter(l => l.querySelector('input').checked).map(l => l.innerText.trim())"
    assert {"地形晕渲 (dem.tif)", "市界、河流与道路"} <= set(driver.execute_script(shown))
    legend = driver.execute_script("return document.getElementById('gs-maplegend').innerText")
    assert "河流" in legend and "道路" in legend
    driver.execute_script("var r = document.getElementById('gs-swipe'); r.value = 0.3; r.dispatchEvent(new Event('input'));")
    time.sleep(0.5)
    assert {"土地覆被 2015", "土地覆被 2020"} <= set(driver.execute_script(shown))
    clips = driver.execute_script("return [...document.querySelectorAll('img.leaflet-image-layer')]"
                                  ".map(i => i.style.clipPath).filter(c => c)")
    assert len(clips) == 1 and clips[0].startswith("inset(0px 0px 0px ")
    cut = float(clips[0].split()[3].rstrip("px)"))
    driver.execute_script("var r = document.getElementById('gs-swipe'); r.value = 0.7; r.dispatchEvent(new Event('input'));")
    time.sleep(0.3)
    later = driver.execute_script("return [...document.querySelectorAll('img.leaflet-image-layer')]"
                                  ".map(i => i.style.clipPath).filter(c => c)")[0]
    assert float(later.split()[3].rstrip("px)")) > cut          # the line moved right
    driver.execute_script("[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
                          ".find(l => l.innerText.includes('→')).querySelector('input').click()")
    time.sleep(0.3)
    assert "变为" in driver.execute_script("return document.getElementById('gs-maplegend').innerText")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report_swipe.png"))


def test_hillshade_of_a_plane_is_the_closed_form():
    """A plane rising 0.1 m/m to the east, sun from the north-west at 45 deg: illumination
    cos45 cos(s) + sin45 sin(s) cos(315 - 270) with s = atan(0.1) (the slope faces west, 270)."""
    import numpy as np
    import pyproj
    from affine import Affine

    from geo_sink.grid import Grid
    from geo_sink.io.relief import hillshade
    g = Grid(20, 20, Affine(30, 0, 600000, 0, -30, 4400000), pyproj.CRS(32649))
    z = np.tile(np.arange(20) * 3.0, (20, 1))
    s = np.arctan(0.1)
    want = np.cos(np.radians(45)) * np.cos(s) + np.sin(np.radians(45)) * np.sin(s) * np.cos(np.radians(315 - 270))
    assert hillshade(z, g)[10, 10] == pytest.approx(want, rel=1e-6)     # slope and aspect are float32


@browser
def test_browser_small_features_have_markers_until_zoomed_in(driver, demo_reports):
    from geo_sink.report.build import MARKER_MAX_ZOOM
    assert open_page(driver, demo_reports[0]) == []
    mapjs = "window[document.querySelector('.folium-map').id]"
    count = "return document.querySelectorAll('path.leaflet-interactive[stroke=\"#b35806\"]').length"
    assert driver.execute_script(f"return {mapjs}.getZoom()") < MARKER_MAX_ZOOM
    assert driver.execute_script(count) >= 3                      # PV parcels: markers (and shapes)
    driver.execute_script(f"{mapjs}.setZoom({MARKER_MAX_ZOOM + 1}, {{animate: false}})")
    time.sleep(0.5)
    layer = "[...document.querySelectorAll('.leaflet-control-layers-overlays label')].find(l => l.innerText.includes('小图斑'))"
    assert driver.execute_script(f"return {layer}.querySelector('input').checked") is False
    driver.execute_script(f"{mapjs}.setZoom(9, {{animate: false}})")
    time.sleep(0.5)
    assert driver.execute_script(f"return {layer}.querySelector('input').checked") is True


def test_bar_chart_svg_bars_are_the_values_to_scale():
    """Each bar's height is its value over the axis top times the plot height (stacked bars
    start where the one below ends), zero values draw nothing, labels and the target line are
    there as text and a dashed line at the target's height."""
    import xml.etree.ElementTree as ET

    from geo_sink.report.charts import bar_chart_svg, nice_ticks
    assert nice_ticks(52.5) == [0, 20, 40, 60] and nice_ticks(0.0) == [0.0, 1.0]
    assert nice_ticks(3.2) == [0, 1, 2, 3, 4] and nice_ticks(262.5)[-1] == 300
    svg = bar_chart_svg(["平鲁区", "右玉县", "<x&y>"], {"a": [10.0, 0.0, 30.0], "b": [5.0, 20.0, 0.0]},
                        "%", "覆盖率", hline=43.0)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    bars = [r for r in rects if r.find(f"{ns}title") is not None]
    assert len(bars) == 4                                       # 10, 30 (a) and 5, 20 (b)
    ticks = nice_ticks(43.0 * 1.05)                             # the target is the largest: 43
    ph = 210
    heights = sorted(round(float(r.get("height")), 1) for r in bars)
    assert heights == sorted(round(v / ticks[-1] * ph, 1) for v in (10, 30, 5, 20))
    first = [r for r in bars if "平鲁区" in r.find(f"{ns}title").text]
    lower, upper = sorted(first, key=lambda r: -float(r.get("y")))
    assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(float(lower.get("y")), abs=0.02)
    texts = "".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "平鲁区" in texts and "<x&y>" in texts and "43%" in texts and "覆盖率" in texts
    dashed = [line for line in root.findall(f"{ns}line") if line.get("stroke-dasharray")]
    y43 = 34 + ph - 43.0 / ticks[-1] * ph
    assert any(float(line.get("y1")) == pytest.approx(y43, abs=0.1) for line in dashed)


def test_png_data_url_decodes_to_the_image():
    """The overlay PNG: signature, IHDR of the size and RGBA 8 bit, CRCs, and the pixels back
    after inflating the IDAT and dropping each row's filter byte."""
    import base64
    import struct
    import zlib

    from geo_sink.report.assets import png_data_url
    img = np.random.default_rng(5).integers(0, 256, (37, 53, 4)).astype(np.uint8)
    url = png_data_url(img)
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        n = struct.unpack(">I", png[pos:pos + 4])[0]
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks[kind] = data
        pos += 12 + n
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (53, 37, 8, 6, 0, 0, 0) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(37, 1 + 53 * 4)
    assert (rows[:, 0] == 0).all() and np.array_equal(rows[:, 1:].reshape(37, 53, 4), img)


def test_class_overlay_png_is_indexed_and_decodes_to_the_class_colours(catalog):
    """An 8-bit class map's overlay is an indexed-colour PNG (IHDR colour type 3, PLTE of the
    legend's colours, tRNS of their alpha, one byte a pixel); Pillow (an independent decoder)
    gives back, pixel for pixel, the RGBA image of the class colours (codes without a class
    transparent).  A palette too short for the codes is refused."""
    import base64
    import io
    import struct

    from PIL import Image

    from geo_sink.report.assets import indexed_png_data_url
    from geo_sink.report.build import _class_png, _class_rgba
    legend = catalog.legend("clcd")
    codes = np.random.default_rng(7).choice(np.array([0, 1, 2, 5, 9, 200], np.uint8), (41, 67))
    url = _class_png(codes, legend)
    png = base64.b64decode(url.split(",", 1)[1])
    assert struct.unpack(">IIBBBBB", png[16:29]) == (67, 41, 8, 3, 0, 0, 0)
    assert b"PLTE" in png and b"tRNS" in png
    got = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    assert np.array_equal(got, _class_rgba(codes, legend))
    with pytest.raises(ValueError, match="beyond the palette"):
        indexed_png_data_url(codes, np.zeros((10, 4), np.uint8))
    # a legend with codes above 255 (allowed up to 65,535) and an 8-bit map: its 256 first colours
    from geo_sink.catalog.models import Legend, LegendClass
    wide = Legend(id="wide", name="wide", product_resolution_m=30, source="hand-made for this test", nodata=[0],
                  classes=[LegendClass(code=1, name="a", name_zh="甲", ecosystem="forest", color="#00ff00"),
                           LegendClass(code=300, name="b", name_zh="乙", ecosystem="cropland", color="#ff0000")])
    small = np.array([[0, 1], [1, 0]], np.uint8)
    png = base64.b64decode(_class_png(small, wide).split(",", 1)[1])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")), _class_rgba(small, wide))
    # a signed map's codes keep the RGBA image
    signed = codes.astype(np.int16)
    signed[0, 0] = -999
    png = base64.b64decode(_class_png(signed, legend).split(",", 1)[1])
    assert png[25] == 6
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")), _class_rgba(signed, legend))


def _shared_counties(html: str) -> dict:
    import json
    head = "<script>var geo_sink_counties = "
    assert html.count(head) == 1
    start = html.index(head) + len(head)
    return json.loads(html[start:html.index(";</script>", start)])


def test_county_geometry_is_written_once_for_every_choropleth(demo_reports, demo_project):
    """The three county choropleths (coverage, stock, sink) add their features from one shared
    variable; no layer embeds a copy of the counties."""
    html = demo_reports[0].read_text(encoding="utf-8")
    data = _shared_counties(html)
    counties = gpd.read_parquet(demo_reports[0].parent / "朔州市" / "counties.parquet")
    assert len(data["features"]) == len(counties) == 6
    assert {"name", "cov", "stock", "sink", "coverage_pct", "dens"} <= set(data["features"][0]["properties"])
    layers = re.findall(r"(geo_json_[0-9a-f]+)_add\(geo_sink_counties\);", html)
    assert len(set(layers)) == 3
    inline = re.findall(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);\n", html, flags=re.S)
    assert not [d for d in inline if '"cov"' in d]          # no layer carries the counties itself


@browser
def test_browser_every_choropleth_draws_every_county(driver, demo_reports):
    """Each choropleth built from the shared variable holds one polygon per county, coloured by
    its own quantity (the coverage and the stock layers colour the counties differently)."""
    html = demo_reports[0].read_text(encoding="utf-8")
    layers = list(dict.fromkeys(re.findall(r"(geo_json_[0-9a-f]+)_add\(geo_sink_counties\);", html)))
    assert open_page(driver, demo_reports[0]) == []
    fills = [driver.execute_script(f"return window['{n}'].getLayers().map(l => l.options.fillColor)") for n in layers]
    assert [len(f) for f in fills] == [6, 6, 6]
    assert fills[0] != fills[1]


def test_class_colours_by_code_with_unknown_and_negative_codes_transparent(catalog):
    """Each legend code takes its class colour (alpha 190), a code without a class and a signed
    map's negative nodata stay transparent; hand-built from the legend's hex colours."""
    from geo_sink.report.build import _class_rgba
    legend = catalog.legend("clcd")
    by = {c.code: c.color.lstrip("#") for c in legend.classes}
    codes = np.array([[1, 2, 200], [-999, 9, 0]], dtype=np.int16)
    got = _class_rgba(codes, legend)

    def rgba(code):
        if code not in by:
            return [0, 0, 0, 0]
        h = by[code]
        return [int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 190]
    expected = np.array([[rgba(int(v)) for v in row] for row in codes], dtype=np.uint8)
    assert got.dtype == np.uint8 and np.array_equal(got, expected)
    assert np.array_equal(_class_rgba(codes[:1, :2].astype(np.uint8), legend), expected[:1, :2])


def test_display_codes_mode_for_own_cells_nearest_for_a_sample(tmp_path):
    """A map of 5s with one 7 in every 4 x 4 block of cells (1/16 of them), 3000 cells a side.
    Read whole (``max_read_px`` above the window), a display pixel covers about 2 x 2 cells of
    which at most one is a 7, so the mode leaves almost no 7.  With the defaults (the window
    is over 2 x 1,400 cells: sampled by nearest, one cell per display pixel, as a province's
    map is) the overlay holds the sampled cells as they are: about one in sixteen a 7."""
    import pyproj

    from geo_sink.io.display import landcover_codes, overlay_plan
    from tests.conftest import write_raster
    tile = np.full((4, 4), 5, np.uint8)
    tile[1, 2] = 7
    a = np.tile(tile, (750, 750))
    path = write_raster(tmp_path / "m.tif", a, crs="EPSG:32649", origin=(600000, 4300000), res=(10, 10), nodata=0,
                        tiled=True)
    box = pyproj.Transformer.from_crs(32649, 4326, always_xy=True).transform_bounds(600000, 4270000, 630000, 4300000)
    assert overlay_plan(path, None, box).decimated
    whole, _ = landcover_codes(path, None, box, max_read_px=10**9)    # every cell, by mode
    sampled, _ = landcover_codes(path, None, box)                     # the defaults: a nearest sample
    assert whole.shape == sampled.shape          # one display grid however the map was sampled
    share = [(x[x != 0] == 7).mean() for x in (whole, sampled)]
    assert share[0] < 0.01 and 0.03 < share[1] < 0.1, share


def test_a_map_in_degrees_is_sampled_once_per_display_row(tmp_path):
    """A map in degrees at 48 deg N (6,000 x 2,000 cells of 0.001 deg) whose every row holds its
    own code (row number mod 250, + 1): Web Mercator stretches it north-south by about
    1/cos(48 deg), so its display grid has more rows than a sample sized in its own cells would
    (466 for 1,399); sampled once per display row, no two consecutive display rows repeat one
    sampled row (fewer than 1%; a sample sized in map cells repeated about half of them)."""
    from geo_sink.io.display import landcover_codes, overlay_plan
    from tests.conftest import write_raster
    rows = (np.arange(2000) % 250 + 1).astype(np.uint8)
    a = np.repeat(rows[:, None], 6000, axis=1)
    path = write_raster(tmp_path / "deg.tif", a, origin=(100.0, 49.0), res=(0.001, 0.001), nodata=0, tiled=True)
    box = (100.0005, 47.0005, 105.9995, 48.9995)
    plan = overlay_plan(path, None, box)
    codes, _ = landcover_codes(path, None, box)
    assert plan.decimated and plan.read_shape[0] >= 0.99 * codes.shape[0], (plan.read_shape, codes.shape)
    inner = codes[1:-1, 1:-1]
    repeated = np.mean([(inner[i] == inner[i - 1]).all() for i in range(1, len(inner))])
    assert repeated < 0.01, repeated

def test_layers_in_a_projected_crs_are_drawn_in_lon_lat(tmp_path):
    """Counties and wetlands in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547, common for
    Chinese survey data): every coordinate the report draws is lon/lat inside the counties'
    box (the map once drew their metres as degrees), the counties are drawn where they are
    (their bounds back within 1e-6 deg), and the relief step's counties and outline are in
    degrees too."""
    from geo_sink.steps.chain import load_result
    boxes = [shapely.box(114.0, 37.8, 114.4, 38.2), shapely.box(114.4, 37.8, 114.8, 38.2)]
    zones = gpd.GeoDataFrame({"code": ["A", "B"], "名称": ["甲县", "乙县"]}, geometry=boxes, crs=4326)
    zones.to_crs(4547).to_file(tmp_path / "zones.gpkg")
    wet = gpd.GeoDataFrame({"name": ["湿地公园"]}, geometry=[shapely.box(114.1, 37.9, 114.2, 38.0)], crs=4326)
    wet.to_crs(4547).to_file(tmp_path / "wetlands.gpkg")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "name": "测试市", "boundary": {"file": "zones.gpkg", "id_field": "code", "name_field": "名称"},
        "landcover": [{"year": 2019, "dataset": "mcd12c1_2019_china"}],
        "wetlands": {"file": "wetlands.gpkg", "name_field": "name"}, "output": "out"}, allow_unicode=True),
        encoding="utf-8")
    p = load_project(tmp_path / "p.yaml")
    list(run_project(p, p.output, draws=200))
    import geo_sink.steps.overlay as overlay

    def no_relief(*a, **k):
        raise AssertionError("the report computed the relief again: the step's result did not match")
    with pytest.MonkeyPatch.context() as mp:       # the relief step's result (in degrees) is the one drawn
        mp.setattr(overlay, "relief_and_outline", no_relief)
        html = build_report(p, p.output, tmp_path / "report.html").read_text(encoding="utf-8")
    arrays = re.findall(r'"coordinates":\s*(\[[\[\]\d.,\se+-]+\])', html)
    assert len(arrays) >= 4                  # two counties, the outline, the wetland
    pts = np.array([float(x) for a in arrays for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", a)]).reshape(-1, 2)
    assert pts[:, 0].min() > 113.99 and pts[:, 0].max() < 114.81, pts[:, 0]
    assert pts[:, 1].min() > 37.79 and pts[:, 1].max() < 38.21, pts[:, 1]
    counties = _shared_counties(html)
    drawn = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in counties["features"]])
    np.testing.assert_allclose(drawn.bounds, (114.0, 37.8, 114.8, 38.2), atol=1e-6)
    ok, relief = load_result(p.output, "relief")
    assert ok and np.allclose(relief["outline"].bounds, (114.0, 37.8, 114.8, 38.2), atol=1e-6)
    assert all(np.allclose(g.bounds, b.bounds, atol=1e-6) for g, b in zip(relief["shown"], boxes))
