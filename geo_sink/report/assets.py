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


def png_data_url(rgba, level: int = 1) -> str:
    """An RGBA (h, w, 4) uint8 image as a ``data:image/png`` URL.

    zlib level 1: the report's overlays are large flat areas of a few colours, which level 1
    packs within a few per cent of level 9 in a fraction of the time (branca's writer uses 9:
    0.7 s for a province's four overlays)."""
    import numpy as np
    a = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = a.shape[:2]
    return _png_url(a.reshape(h, 4 * w), w, colour_type=6, level=level)


def indexed_png_data_url(index, palette_rgba, level: int = 1) -> str:
    """An image of palette indices (h, w; uint8) and its palette (n <= 256 RGBA colours, every
    index below n) as an indexed-colour ``data:image/png`` URL (PNG colour type 3: the colours
    in PLTE, their alpha in tRNS): one byte a pixel to compress instead of the RGBA image's four
    (a class map's overlay, :func:`png_data_url` otherwise)."""
    import numpy as np
    idx = np.ascontiguousarray(index, dtype=np.uint8)
    pal = np.ascontiguousarray(palette_rgba, dtype=np.uint8)
    if not 1 <= len(pal) <= 256 or pal.shape[1:] != (4,):
        raise ValueError(f"a PNG palette holds 1 to 256 RGBA colours, got shape {pal.shape}")
    if idx.size and int(idx.max()) >= len(pal):
        raise ValueError(f"index {int(idx.max())} beyond the palette's {len(pal)} colours")
    return _png_url(idx, idx.shape[1], colour_type=3, level=level,
                    chunks=((b"PLTE", pal[:, :3].tobytes()), (b"tRNS", pal[:, 3].tobytes())))


def _png_url(rows, width: int, colour_type: int, level: int, chunks=()) -> str:
    """The PNG data URL of ``rows`` (h, bytes per row; 8 bits a sample) with the given IHDR
    colour type and chunks before the image data; no filter (each row's filter byte 0)."""
    import struct
    import zlib

    import numpy as np
    h = rows.shape[0]
    raw = np.zeros((h, 1 + rows.shape[1]), dtype=np.uint8)        # filter byte 0 (none) before each row
    raw[:, 1:] = rows

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, h, 8, colour_type, 0, 0, 0))
           + b"".join(chunk(k, d) for k, d in chunks)
           + chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
