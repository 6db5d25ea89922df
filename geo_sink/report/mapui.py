"""The report map's own controls: a legend inside the map that follows the layers shown (one
choropleth at a time, chosen with the layer control's radio buttons, plus the overlays ticked),
zoom to a county by name, a reset-view button and an opacity slider.

Everything here is HTML and JavaScript text for folium; the layers' legends are built by
:mod:`geo_sink.report.build` from the run's tables.
"""

from __future__ import annotations

import functools
import html
import json


def text_element(text: str):
    """A branca element that renders as ``text``, as it is (branca's own ``Element(text)``
    compiles the text as a Jinja template: slow on large snippets, and wrong on text that holds
    ``{{``)."""
    from branca.element import Element

    class _Text(Element):
        def render(self, **kwargs):
            return text

    return _Text()


@functools.cache
def text_snippets(cls):
    """``cls`` (a folium element class) whose rendered header, html and script snippets go into
    the page as text.

    branca's ``MacroElement.render`` renders an element's macros, then compiles each rendered
    snippet again as a new Jinja template (a choropleth's whole GeoJSON, a land-cover PNG's data
    URL): ~0.4 s of a province report.  The subclass does the same without the second pass.
    """
    from branca.element import MacroElement

    class _Snippets(MacroElement):
        def render(self, **kwargs):
            figure = self.get_root()
            module = self._template.module.__dict__
            shared = getattr(self, "shared_data_js", None)      # see share_geojson_data
            if shared is not None:
                data, self.data = self.data, _SHARED_TOKEN
            try:
                for part in ("header", "html", "script"):
                    macro = module.get(part)
                    if macro is not None:
                        text = macro(self, kwargs)
                        if shared is not None:
                            text = text.replace(f'"{_SHARED_TOKEN}"', shared)
                        getattr(figure, part).add_child(text_element(text), name=self.get_name())
            finally:
                if shared is not None:
                    self.data = data
            for element in self._children.values():      # popups read the layer's own data
                element.render(**kwargs)

    return type(cls.__name__, (cls, _Snippets), {})


#: What a layer's data renders as while it is written as a shared variable (a JSON string).
_SHARED_TOKEN = "__geo_sink_shared_geojson__"


def share_geojson_data(layers, data: dict, var: str):
    """Write ``data`` (one GeoJSON dict) into the page once, as the JavaScript variable ``var``
    in the header, and make each of ``layers`` (``text_snippets(folium.GeoJson)`` objects built
    on that same dict) add its features from the variable instead of embedding a copy: the three
    county choropleths of a report share one geometry (885 KB each for Shanxi's 117 counties).
    Returns the element to add to the map."""
    for layer in layers:
        if layer.data is not data:
            raise ValueError(f"{layer.get_name()}: its data is not the shared GeoJSON dict")
        layer.shared_data_js = var
    return _page_text("header", f"<script>var {var} = {_js_data(data)};</script>", "GeoSinkSharedData")


def _page_text(part: str, text: str, name: str):
    """A folium element that adds ``text`` as it is (no Jinja) to the page's ``part``
    (``"header"`` or ``"script"``) when it renders."""
    from branca.element import MacroElement

    class _Text(MacroElement):
        def render(self, **kwargs):
            getattr(self.get_root(), part).add_child(text_element(text), name=self.get_name())

    el = _Text()
    el._name = name
    return el


def script_element(js: str):
    """A folium element that adds the JavaScript text ``js`` to the page's script as it is
    (no Jinja: ``js`` needs no escaping of template syntax)."""
    return _page_text("script", js, "GeoSinkScript")


def _js_data(value) -> str:
    """JSON for a ``<script>`` body: no ``</`` can close the script early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def point_labels_js(layer: str, points: list[tuple[float, float, str]]) -> str:
    """Script adding a text label (``html``, already escaped) at each (lat, lon) to the layer
    variable ``layer``: one ``L.divIcon`` marker each, not interactive, CSS class ``gs-label``."""
    return (f"(function(){{var g={layer};{_js_data([[float(a), float(b), t] for a, b, t in points])}.forEach("
            "function(p){L.marker([p[0],p[1]],{interactive:false,icon:L.divIcon({className:'gs-label-icon',"
            "iconSize:[0,0],html:\"<div class='gs-label'>\"+p[2]+\"</div>\"})}).addTo(g);});})();")


def point_markers_js(layer: str, points: list[tuple[float, float, str, str]]) -> str:
    """Script adding a circle marker (radius 6 px) at each (lat, lon, colour, tooltip text,
    already escaped) to the layer variable ``layer``."""
    return (f"(function(){{var g={layer};{_js_data([[float(a), float(b), c, t] for a, b, c, t in points])}.forEach("
            "function(p){L.circleMarker([p[0],p[1]],{radius:6,color:p[2],weight:2,fill:true,fillColor:p[2],"
            "fillOpacity:0.9}).bindTooltip(p[3]).addTo(g);});})();")


def legend_html(title: str, items: list[tuple[str, str]]) -> str:
    """One legend block: a title and (colour, label) rows (labels already escaped)."""
    rows = "".join(f"<div><span style='background:{c}'></span>{lab}</div>" for c, lab in items)
    return f"<div class='gs-leg'><b>{html.escape(title)}</b>{rows}</div>"


def map_controls(map_name: str, legends: dict[str, str], fill_layers: list[str], images: list[str],
                 county_bounds: list[tuple[str, list]], all_bounds: list, L: dict,
                 swipe: tuple | None = None, markers: tuple | None = None) -> str:
    """The script (a folium macro body) that adds the controls to the map ``map_name``.

    Parameters
    ----------
    legends : {layer variable name: legend HTML}
        Shown in the map's legend while the layer is on the map.
    fill_layers, images : layer variable names
        What the opacity slider acts on (GeoJSON fill opacity; image overlay opacity).
    county_bounds : [(county name, [[south, west], [north, east]])]
    all_bounds : [[south, west], [north, east]] of the region (the reset view).
    swipe : (earlier image layer, later image layer, earlier year, later year), optional
        A swipe slider: the earlier year shows left of the slider's line, the later year right
        of it (both land-cover layers are put on the map when it is moved).
    markers : (marker layer, zoom), optional
        Markers of small features, hidden from that zoom on (the shapes are readable there)
        and shown again below it, unless the reader unticked them.
    """
    options = "".join(f"<option value='{i}'>{html.escape(n)}</option>" for i, (n, _) in enumerate(county_bounds))
    tools = (f"<select id='gs-zoom' aria-label='{html.escape(L['zoom_to'])}'>"
             f"<option value=''>{html.escape(L['zoom_to'])}</option>{options}</select>"
             f"<button id='gs-reset' type='button'>{html.escape(L['reset_view'])}</button>"
             f"<label>{html.escape(L['opacity'])} <input id='gs-opacity' type='range' min='0.1' max='1' step='0.05' "
             f"value='0.6'></label>")
    if swipe is not None:
        tools += (f"<label>{html.escape(L['swipe'])} {swipe[2]} | {swipe[3]} <input id='gs-swipe' type='range' "
                  f"min='0' max='1' step='0.01' value='0.5'></label>")
    return f"""
(function() {{
  var map = {map_name};
  var legends = {json.dumps(legends, ensure_ascii=False)};
  var fills = {json.dumps(fill_layers)}, images = {json.dumps(images)};
  var bounds = {json.dumps([b for _, b in county_bounds])}, all = {json.dumps(all_bounds)};
  var leg = L.control({{position: 'bottomleft'}});
  leg.onAdd = function() {{
    var d = L.DomUtil.create('div', 'gs-maplegend');
    d.id = 'gs-maplegend';
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    return d;
  }};
  leg.addTo(map);
  function refresh() {{
    var h = '';
    Object.keys(legends).forEach(function(k) {{ if (window[k] && map.hasLayer(window[k])) h += legends[k]; }});
    leg.getContainer().innerHTML = h;
  }}
  map.on('baselayerchange overlayadd overlayremove', refresh);
  refresh();
  var tools = L.control({{position: 'topleft'}});
  tools.onAdd = function() {{
    var d = L.DomUtil.create('div', 'gs-tools leaflet-bar');
    d.innerHTML = {json.dumps(tools, ensure_ascii=False)};
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    return d;
  }};
  tools.addTo(map);
  document.getElementById('gs-zoom').addEventListener('change', function(e) {{
    var b = bounds[parseInt(e.target.value, 10)];
    if (b) map.fitBounds(b);
  }});
  // a printed map fills an A4 page at the whole region's extent, whatever the reader zoomed to
  window.addEventListener('beforeprint', function() {{
    var c = map.getContainer();
    c.dataset.gsW = c.style.width; c.dataset.gsH = c.style.height;
    c.style.width = '680px'; c.style.height = '900px';
    map.stop(); map.invalidateSize({{animate: false}}); map.fitBounds(all, {{animate: false}});
  }});
  window.addEventListener('afterprint', function() {{
    var c = map.getContainer();
    c.style.width = c.dataset.gsW; c.style.height = c.dataset.gsH;
    map.invalidateSize({{animate: false}});
  }});
  document.getElementById('gs-reset').addEventListener('click', function() {{
    document.getElementById('gs-zoom').value = ''; map.fitBounds(all);
  }});
  var swipe = {json.dumps(list(swipe[:2]) if swipe else None)};
  if (swipe) {{
    var early = window[swipe[0]], late = window[swipe[1]], sw = document.getElementById('gs-swipe');
    var clip = function() {{
      if (!map.hasLayer(late) || !late.getElement()) return;
      var mr = map.getContainer().getBoundingClientRect(), el = late.getElement(), ir = el.getBoundingClientRect();
      var cut = Math.max(0, mr.left + mr.width * parseFloat(sw.value) - ir.left) * el.offsetWidth / Math.max(1, ir.width);
      el.style.clipPath = 'inset(0 0 0 ' + cut + 'px)';
    }};
    sw.addEventListener('input', function() {{
      if (!map.hasLayer(early)) map.addLayer(early);
      if (!map.hasLayer(late)) map.addLayer(late);
      clip();
    }});
    map.on('moveend zoomend viewreset overlayadd', clip);
  }}
  var marks = {json.dumps(list(markers) if markers else None)};
  if (marks) {{
    var mk = window[marks[0]], wanted = map.hasLayer(mk), auto = false;
    map.on('overlayadd', function(e) {{ if (e.layer === mk && !auto) wanted = true; }});
    map.on('overlayremove', function(e) {{ if (e.layer === mk && !auto) wanted = false; }});
    var showMarks = function() {{
      var on = wanted && map.getZoom() < marks[1];
      auto = true;
      if (on && !map.hasLayer(mk)) map.addLayer(mk);
      if (!on && map.hasLayer(mk)) map.removeLayer(mk);
      auto = false;
    }};
    map.on('zoomend', showMarks);
    showMarks();
  }}
  document.getElementById('gs-opacity').addEventListener('input', function(e) {{
    var v = parseFloat(e.target.value);
    fills.forEach(function(k) {{ if (window[k]) window[k].setStyle({{fillOpacity: v}}); }});
    images.forEach(function(k) {{ if (window[k]) window[k].setOpacity(v); }});
  }});
}})();
"""
