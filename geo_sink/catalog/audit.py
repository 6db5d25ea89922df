"""What the catalog's coefficient tables say about their own standing: for each table with a
``status`` column, how many values are ``checked`` against the cited original, ``verify``
(transcribed from the cited source, not checked here), ``convention`` (a stated geo-sink
choice) or anything else.  The README's "Method and sources" table is this, generated."""

from __future__ import annotations

import pandas as pd

from geo_sink.catalog.loader import Catalog

BEGIN, END = "<!-- coefficient-status:begin -->", "<!-- coefficient-status:end -->"


def coefficient_status(cat: Catalog) -> pd.DataFrame:
    """One row per catalog table with a ``status`` column: ``dataset, title, file, rows`` and the
    count of each status (``checked, verify, convention, other``)."""
    rows = []
    for ds in sorted(cat.datasets.values(), key=lambda d: d.path or ""):
        if ds.kind != "table" or not ds.path or not ds.path.endswith(".csv"):
            continue
        df = pd.read_csv(cat.dataset_path(ds.id))
        if "status" not in df.columns:
            continue
        st = df["status"].astype(str)
        rows.append({"dataset": ds.id, "title": ds.title, "file": ds.path, "rows": len(df),
                     "checked": int((st == "checked").sum()), "verify": int((st == "verify").sum()),
                     "convention": int((st == "convention").sum()),
                     "other": int((~st.isin(["checked", "verify", "convention"])).sum())})
    return pd.DataFrame(rows, columns=["dataset", "title", "file", "rows", "checked", "verify", "convention", "other"])


def status_markdown(cat: Catalog) -> str:
    """The status table as the Markdown block the README carries between its markers."""
    t = coefficient_status(cat)
    lines = [BEGIN, "| table | file | values | checked | verify | convention | other |", "|---|---|---|---|---|---|---|"]
    for r in t.itertuples():
        lines.append(f"| {r.title} | `data_catalog/{r.file}` | {r.rows} | {r.checked} | {r.verify} | "
                     f"{r.convention} | {r.other} |")
    lines.append(END)
    return "\n".join(lines)
