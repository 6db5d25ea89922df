"""Report charts (matplotlib) as inline SVG: text stays text, so Chinese names render with the
viewer's fonts even where the build machine has no CJK font."""

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


def _county_bars(fig, ax, ylabel: str, title: str) -> str:
    """Label a chart with one bar (group) per county and return it as SVG."""
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=60)
    return _svg(fig)


def coverage_chart(cov: pd.DataFrame, target: float | None, title: str) -> str:
    plt = _setup()
    c = cov[cov["zone_id"] != "ALL"].drop_duplicates("zone_id").sort_values("zone_id")
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(c["zone_name"], c["coverage_pct"], color="#1a9850")
    if target is not None:
        ax.axhline(target, color="#b2182b", linestyle="--", label=f"{target:g}%")
        ax.legend()
    return _county_bars(fig, ax, "%", title)


def pools_chart(stock: pd.DataFrame, title: str, pool_names: dict | None = None) -> str:
    """Stacked bars of the carbon pools per county, counties in the same (zone id) order as the
    coverage chart, pools named in the report's language (``pool_names``)."""
    plt = _setup()
    st = stock[stock["pool"] != "total"]
    s = st.pivot_table(index="zone_id", columns="pool", values="stock_t_co2e", aggfunc="sum") / 1e6
    s.index = s.index.map(st.drop_duplicates("zone_id").set_index("zone_id")["zone_name"])
    s = s.rename(columns=pool_names or {})
    s.index.name, s.columns.name = None, None
    fig, ax = plt.subplots(figsize=(7, 3))
    s.plot(kind="bar", stacked=True, ax=ax)
    return _county_bars(fig, ax, "Mt CO2e", title)


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
