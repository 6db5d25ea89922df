"""The report map's own controls: a legend inside the map that follows the layers shown (one
choropleth at a time, chosen with the layer control's radio buttons, plus the overlays ticked),
zoom to a county by name, a reset-view button and an opacity slider.

Everything here is HTML and JavaScript text for folium; the layers' legends are built by
:mod:`geo_sink.report.build` from the run's tables.
"""

from __future__ import annotations

import html
import json


def legend_html(title: str, items: list[tuple[str, str]]) -> str:
    """One legend block: a title and (colour, label) rows (labels already escaped)."""
    rows = "".join(f"<div><span style='background:{c}'></span>{lab}</div>" for c, lab in items)
    return f"<div class='gs-leg'><b>{html.escape(title)}</b>{rows}</div>"


def map_controls(map_name: str, legends: dict[str, str], fill_layers: list[str], images: list[str],
                 county_bounds: list[tuple[str, list]], all_bounds: list, L: dict) -> str:
    """The script (a folium macro body) that adds the controls to the map ``map_name``.

    Parameters
    ----------
    legends : {layer variable name: legend HTML}
        Shown in the map's legend while the layer is on the map.
    fill_layers, images : layer variable names
        What the opacity slider acts on (GeoJSON fill opacity; image overlay opacity).
    county_bounds : [(county name, [[south, west], [north, east]])]
    all_bounds : [[south, west], [north, east]] of the region (the reset view).
    """
    options = "".join(f"<option value='{i}'>{html.escape(n)}</option>" for i, (n, _) in enumerate(county_bounds))
    tools = (f"<select id='gs-zoom' aria-label='{html.escape(L['zoom_to'])}'>"
             f"<option value=''>{html.escape(L['zoom_to'])}</option>{options}</select>"
             f"<button id='gs-reset' type='button'>{html.escape(L['reset_view'])}</button>"
             f"<label>{html.escape(L['opacity'])} <input id='gs-opacity' type='range' min='0.1' max='1' step='0.05' "
             f"value='0.75'></label>")
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
  document.getElementById('gs-reset').addEventListener('click', function() {{
    document.getElementById('gs-zoom').value = ''; map.fitBounds(all);
  }});
  document.getElementById('gs-opacity').addEventListener('input', function(e) {{
    var v = parseFloat(e.target.value);
    fills.forEach(function(k) {{ if (window[k]) window[k].setStyle({{fillOpacity: v}}); }});
    images.forEach(function(k) {{ if (window[k]) window[k].setOpacity(v); }});
  }});
}})();
"""
