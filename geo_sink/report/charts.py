"""Report charts as inline SVG drawn directly (no plotting library: milliseconds, where
matplotlib took ~1 s to import and draw): text stays text, so Chinese names render with the
viewer's fonts even where the build machine has no CJK font."""

from __future__ import annotations

import pandas as pd


#: Colours of stacked series (matplotlib's default cycle, as the line charts use).
SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def nice_ticks(top: float, n: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top`` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    import math
    if not top > 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def bar_chart_svg(labels, series: dict, ylabel: str, title: str, hline: float | None = None,
                  colors=None) -> str:
    """A bar chart with one bar per label, stacked when ``series`` has several entries ({name:
    values}), as SVG text (labels stay text, so Chinese names use the viewer's fonts): drawn
    directly, in milliseconds for a province's counties (matplotlib takes ~1 s for 117 bars)."""
    from xml.sax.saxutils import escape

    import numpy as np
    labels = [str(x) for x in labels]
    vals = {k: np.nan_to_num(np.asarray(v, dtype=float)) for k, v in series.items()}
    n = len(labels)
    tot = sum(vals.values()) if vals else np.zeros(n)
    top = max([float(np.max(tot)) if n else 0.0] + ([hline] if hline is not None else []))
    ticks = nice_ticks(top * 1.05)
    ymax = ticks[-1]
    fs = 11 if n <= 25 else 9 if n <= 60 else 7
    longest = max((len(x) for x in labels), default=1)
    left, right, top_m = 58, 16, 34
    bottom = 16 + int(0.87 * fs * 1.1 * min(longest, 14))       # rotated labels (60 degrees)
    w, ph = 720, 210
    h = top_m + ph + bottom
    pw = w - left - right
    colors = list(colors or SERIES_COLORS)

    def y(v):
        return top_m + ph - (v / ymax) * ph if ymax else top_m + ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
           f'font-family="sans-serif" role="img"><title>{escape(title)}</title>',
           f'<text x="{w / 2:.0f}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 5}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="10">{t:g}</text>')
    out.append(f'<text transform="translate(14 {top_m + ph / 2:.0f}) rotate(-90)" text-anchor="middle" '
               f'font-size="11">{escape(ylabel)}</text>')
    slot = pw / max(n, 1)
    for i, lab in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        base = 0.0
        for k, (name, v) in enumerate(vals.items()):
            if v[i] > 0:
                out.append(f'<rect x="{x0:.2f}" y="{y(base + v[i]):.2f}" width="{slot * 0.8:.2f}" '
                           f'height="{y(base) - y(base + v[i]):.2f}" fill="{colors[k % len(colors)]}">'
                           f'<title>{escape(lab)}: {escape(str(name))} {v[i]:,.4g}</title></rect>')
            base += v[i]
        cx = left + (i + 0.5) * slot
        out.append(f'<text transform="translate({cx:.1f} {top_m + ph + 6}) rotate(-60)" text-anchor="end" '
                   f'dominant-baseline="middle" font-size="{fs}">{escape(lab)}</text>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#333"/>')
    items = list(vals) if len(vals) > 1 else []
    if hline is not None:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(hline):.1f}" y2="{y(hline):.1f}" '
                   'stroke="#b2182b" stroke-dasharray="6 4"/>')
    legend = [(str(k), colors[i % len(colors)], "rect") for i, k in enumerate(items)]
    if hline is not None:
        legend.append((f"{hline:g}%" if ylabel == "%" else f"{hline:g}", "#b2182b", "line"))
    for i, (name, c, kind) in enumerate(legend):
        ly = top_m + 4 + i * 15
        mark = (f'<rect x="{w - right - 120}" y="{ly}" width="12" height="10" fill="{c}"/>' if kind == "rect" else
                f'<line x1="{w - right - 122}" x2="{w - right - 106}" y1="{ly + 5}" y2="{ly + 5}" stroke="{c}" '
                'stroke-dasharray="6 4"/>')
        out.append(mark + f'<text x="{w - right - 102}" y="{ly + 9}" font-size="10">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def coverage_chart(cov: pd.DataFrame, target: float | None, title: str) -> str:
    """Forest coverage (%) per county, counties in zone-id order, with the target as a line."""
    c = cov[cov["zone_id"] != "ALL"].drop_duplicates("zone_id").sort_values("zone_id")
    return bar_chart_svg(c["zone_name"], {"coverage": c["coverage_pct"]}, "%", title, hline=target,
                         colors=["#1a9850"])


def pools_chart(stock: pd.DataFrame, title: str, pool_names: dict | None = None) -> str:
    """Stacked bars of the carbon pools per county (Mt CO2e), counties in the same (zone id)
    order as the coverage chart, pools named in the report's language (``pool_names``)."""
    st = stock[stock["pool"] != "total"]
    s = st.pivot_table(index="zone_id", columns="pool", values="stock_t_co2e", aggfunc="sum") / 1e6
    names = st.drop_duplicates("zone_id").set_index("zone_id")["zone_name"]
    s = s.rename(columns=pool_names or {})
    return bar_chart_svg(s.index.map(names), {c: s[c].to_numpy() for c in s.columns}, "Mt CO2e", title)


def line_chart_svg(lines: dict, x_range: tuple[float, float], x_ticks: list, y_range: tuple[float, float],
                   ylabel: str, title: str, hline: float | None = None, hline_label: str = "",
                   step: bool = False) -> str:
    """Lines with point markers ({name: (x, y)}, x numeric), as SVG text drawn directly.

    ``x_ticks``: (x, label) pairs; ``step``: each value holds until the next x (a rate at the
    end of each year).  A horizontal dashed line at ``hline`` (a policy bar) is in the legend
    as ``hline_label``."""
    from xml.sax.saxutils import escape

    import numpy as np
    left, right, top_m, bottom = 58, 16, 34, 34
    w, ph = 720, 210
    h = top_m + ph + bottom
    pw = w - left - right
    (x0, x1), (y0, y1) = x_range, y_range
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def X(v):
        return left + (v - x0) / (x1 - x0) * pw

    def Y(v):
        return top_m + ph - (v - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
           f'font-family="sans-serif" role="img"><title>{escape(title)}</title>',
           f'<text x="{w / 2:.0f}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>']
    for t in nice_ticks(y1 - y0):
        if y0 + t <= y1 + 1e-9:
            out.append(f'<line x1="{left}" x2="{w - right}" y1="{Y(y0 + t):.1f}" y2="{Y(y0 + t):.1f}" stroke="#ddd"/>'
                       f'<text x="{left - 5}" y="{Y(y0 + t) + 4:.1f}" text-anchor="end" font-size="10">{y0 + t:g}</text>')
    for xv, lab in x_ticks:
        out.append(f'<line x1="{X(xv):.1f}" x2="{X(xv):.1f}" y1="{top_m + ph}" y2="{top_m + ph + 4}" stroke="#333"/>'
                   f'<text class="gs-xtick" x="{X(xv):.1f}" y="{top_m + ph + 16}" text-anchor="middle" '
                   f'font-size="10">{escape(str(lab))}</text>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{Y(y0):.1f}" y2="{Y(y0):.1f}" stroke="#333"/>'
               f'<text transform="translate(14 {top_m + ph / 2:.0f}) rotate(-90)" text-anchor="middle" '
               f'font-size="11">{escape(ylabel)}</text>')
    legend = []
    for i, (name, (xs, ys)) in enumerate(lines.items()):
        c = SERIES_COLORS[i % len(SERIES_COLORS)]
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        pts = []
        for j, (xv, yv) in enumerate(zip(xs, ys)):
            if step and j:
                pts.append((xv, ys[j - 1]))
            pts.append((xv, yv))
        path = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in pts if np.isfinite(b))
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="1.5"/>')
        out += [f'<circle cx="{X(a):.1f}" cy="{Y(b):.1f}" r="3" fill="{c}"><title>{escape(str(name))}: {b:.3g}</title>'
                f'</circle>' for a, b in zip(xs, ys) if np.isfinite(b)]
        legend.append((str(name), c, "line"))
    if hline is not None:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{Y(hline):.1f}" y2="{Y(hline):.1f}" stroke="#b2182b" '
                   'stroke-dasharray="6 4"/>')
        legend.append((hline_label or f"{hline:g}", "#b2182b", "dash"))
    for i, (name, c, kind) in enumerate(legend):
        ly = top_m + 4 + i * 14
        dash = ' stroke-dasharray="6 4"' if kind == "dash" else ""
        out.append(f'<line x1="{left + 8}" x2="{left + 24}" y1="{ly + 5}" y2="{ly + 5}" stroke="{c}" stroke-width="1.5"'
                   f'{dash}/><text x="{left + 28}" y="{ly + 9}" font-size="9">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def fvc_chart(series: pd.DataFrame, title: str) -> str:
    """Mean FVC of each mine's reclaimed land at every scene date (0-1), ticks on whole years."""
    g = series.groupby(["mine", "date"])["mean_fvc"].mean().reset_index()
    when = pd.to_datetime(g["date"])
    g["t"] = when.dt.year + (when.dt.day_of_year - 1) / 365.25
    lo, hi = (float(g["t"].min()), float(g["t"].max())) if len(g) else (2000.0, 2001.0)
    years = list(range(int(lo), int(hi) + 2))
    x_range = (min(lo, years[0]) - 0.05, max(hi, years[-1] - 1) + 0.3)
    ticks = [(y, y) for y in years if x_range[0] <= y <= x_range[1]]
    return line_chart_svg({m: (d["t"], d["mean_fvc"]) for m, d in g.groupby("mine")}, x_range, ticks, (0.0, 1.0),
                          "FVC", title)


def reclamation_chart(by_year: pd.DataFrame, bar: float | None, title: str) -> str:
    """Reclamation rate per mine at the end of each year (step line, %), with the policy bar;
    one year is drawn with a year either side, not a century."""
    d = by_year.dropna(subset=["year"]).sort_values("year")
    years = d["year"].astype(int)
    lo, hi = (int(years.min()), int(years.max())) if len(years) else (2000, 2001)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    every = max(1, (hi - lo) // 12 + 1)
    ticks = [(y, y) for y in range(lo, hi + 1, every)]
    return line_chart_svg({m: (g["year"], g["rate_pct"]) for m, g in d.groupby("mine")}, (lo - 0.3, hi + 0.3),
                          ticks, (0.0, 100.0), "%", title, hline=bar,
                          hline_label=f"{bar:g}%" if bar is not None else "", step=True)
