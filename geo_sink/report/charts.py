"""Report charts as inline SVG: text stays text, so Chinese names render with the viewer's fonts
even where the build machine has no CJK font.  The county bar charts are drawn directly
(:func:`bar_chart_svg`); the time series with matplotlib."""

from __future__ import annotations

import io
import warnings

import pandas as pd


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing CJK glyphs: the browser draws the text
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _setup():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"
    import matplotlib.pyplot as plt
    return plt


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


def fvc_chart(series: pd.DataFrame, title: str) -> str:
    plt = _setup()
    g = series.groupby(["mine", "date"])["mean_fvc"].mean().reset_index()
    fig, ax = plt.subplots(figsize=(7, 3))
    for mine, d in g.groupby("mine"):
        ax.plot(pd.to_datetime(d["date"]), d["mean_fvc"], marker="o", label=mine)
    import matplotlib.dates as mdates
    ax.xaxis.set_major_locator(mdates.YearLocator())          # whole years, no half-year ticks
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_ylim(0, 1)
    ax.set_ylabel("FVC")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return _svg(fig)


def reclamation_chart(by_year: pd.DataFrame, bar: float | None, title: str) -> str:
    """Reclamation rate per mine at the end of each year (step line), with the policy bar."""
    plt = _setup()
    fig, ax = plt.subplots(figsize=(7, 3))
    for mine, d in by_year.sort_values("year").groupby("mine"):
        ax.step(d["year"], d["rate_pct"], where="post", marker="o", label=mine)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    years = by_year["year"].dropna()
    if len(years) and years.min() == years.max():             # one year: a year either side, not a century
        ax.set_xlim(years.min() - 1, years.max() + 1)
    if bar is not None:
        ax.axhline(bar, color="#b2182b", linestyle="--", linewidth=1, label=f"{bar:g}%")
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return _svg(fig)
