"""Atomic outputs: write to a temporary file beside the target, then rename over it.

A run that dies midway leaves the previous output intact and no half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(target, suffix: str | None = None):
    """Yield a temporary path next to ``target``; on success rename it to ``target``.

    The temporary file keeps the target's suffix (drivers pick formats by it).  On any
    exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=suffix or target.suffix,
                               dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # let the writer create it (some drivers refuse existing files)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(df: pd.DataFrame, target) -> Path:
    """Write a table atomically; the format follows the suffix (.csv UTF-8 with BOM-less
    header, .parquet, .geoparquet, .gpkg for GeoDataFrames)."""
    target = Path(target)
    suffix = target.suffix.lower()
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8", float_format="%.6f")
        elif suffix in (".parquet", ".geoparquet"):
            df.to_parquet(tmp, index=False)
        elif suffix == ".gpkg":
            df.to_file(tmp, driver="GPKG", layer=target.stem)
        else:
            raise ValueError(f"{target}: unsupported table format {suffix!r} (csv, parquet, gpkg)")
    return target
