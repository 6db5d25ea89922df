"""Leaflet's JS and CSS from the ``xstatic-leaflet`` package, inlined into the report.

No CDN is ever referenced: folium's default asset lists are replaced by placeholders that
:func:`inline_assets` swaps for the files' contents (CSS images become data URIs).  A missing
asset fails the build with its name.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from geo_sink.errors import MissingInputError

PLACEHOLDER = "geo-sink-asset:"
JS = [("leaflet", "leaflet.js")]
CSS = [("leaflet_css", "leaflet.css")]


def leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xl
    except ImportError:
        raise MissingInputError("report asset 'leaflet.js' needs the package xstatic-leaflet "
                                "(pip install xstatic-leaflet)") from None
    return Path(xl.BASE_DIR)


def asset_text(name: str) -> str:
    path = leaflet_dir() / name
    if not path.is_file():
        raise MissingInputError(f"report asset {name!r} not found in {path.parent}")
    text = path.read_text(encoding="utf-8")
    if name.endswith(".css"):
        text = _inline_css_urls(text, path.parent)
    return text


def _inline_css_urls(css: str, base: Path) -> str:
    def repl(m):
        ref = m.group(1).strip("'\"")
        if ref.startswith(("data:", "#")):  # data URIs; IE behaviours like #default#VML
            return m.group(0)
        f = base / ref
        if not f.is_file():
            raise MissingInputError(f"report asset {ref!r} (referenced by leaflet.css) not found in {base}")
        mime = "image/svg+xml" if f.suffix == ".svg" else f"image/{f.suffix.lstrip('.')}"
        return f"url(data:{mime};base64,{base64.b64encode(f.read_bytes()).decode()})"
    return re.sub(r"url\(([^)]+)\)", repl, css)


def use_offline_assets(m) -> None:
    """Point a folium Map at placeholders instead of CDNs."""
    m.default_js = [(k, PLACEHOLDER + f) for k, f in JS]
    m.default_css = [(k, PLACEHOLDER + f) for k, f in CSS]


def inline_assets(html: str) -> str:
    """Replace the placeholders with inline <script>/<style>; fail on any tag that would load
    something over http(s) (checked before the assets go in: their own texts hold links)."""
    left = re.findall(r'<(?:script|img|iframe|link|source)\b[^>]*\b(?:src|href)="(https?://[^"]+)"', html)
    if left:
        raise MissingInputError(f"report still references external assets: {left[:3]}")
    for _, f in JS:
        html = re.sub(rf'<script src="{re.escape(PLACEHOLDER + f)}"></script>',
                      lambda _m, f=f: f"<script>{asset_text(f)}</script>", html)
    for _, f in CSS:
        html = re.sub(rf'<link rel="stylesheet" href="{re.escape(PLACEHOLDER + f)}"\s*/>',
                      lambda _m, f=f: f"<style>{asset_text(f)}</style>", html)
    if PLACEHOLDER in html:
        raise MissingInputError(f"report asset placeholder left: {PLACEHOLDER}")
    return html
