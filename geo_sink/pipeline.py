"""The main job: every analysis that exists, on the embedded default regions.

I/O and printing live here (and in the CLI), never in the analysis functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from geo_sink.catalog import load_catalog
from geo_sink.io import load_boundaries, write_table
from geo_sink.io.rasters import catalog_raster
from geo_sink.zonal import class_areas

#: Embedded default regions and the real land cover they run on.
DEMO_REGIONS = ("石家庄市", "朔州市")
DEMO_LANDCOVER = "mcd12c1_2019_china"


def ecosystem_table(areas: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Wide table: km^2 per ecosystem class and county, plus the accounting columns."""
    wide = areas.pivot_table(index=["zone_id", "zone_name"], columns="ecosystem",
                             values="area_km2", aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{c}_km2" for c in wide.columns]
    out = summary.set_index(["zone_id", "zone_name"]).join(wide).reset_index()
    return out


def run_demo(out_dir: Path) -> Iterator[str]:
    """Run the main job and yield one line per output written."""
    cat = load_catalog()
    ds = cat.dataset(DEMO_LANDCOVER)
    legend = cat.legend(ds.legend)
    path, crs = catalog_raster(cat, DEMO_LANDCOVER)
    for region in DEMO_REGIONS:
        zones = load_boundaries(region)
        res = class_areas(path, zones, legend, crs=crs)
        folder = Path(out_dir) / region
        tag = "synthetic demo data" if ds.synthetic else "real data"
        a = write_table(res.areas, folder / "class_areas.csv")
        s = write_table(ecosystem_table(res.areas, res.summary), folder / "ecosystem_areas.csv")
        yield (f"{region}: {len(zones)} counties, land cover {ds.id} ({tag}) -> {a}, {s}; "
               f"area closure within {res.summary['closure_pct'].abs().max():.4f}%")
