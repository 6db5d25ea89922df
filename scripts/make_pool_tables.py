"""Write the InVEST-format carbon pools tables kept in ``data_catalog/carbon/pools/``.

geo-sink itself computes densities from the IPCC Tier 1 parameters of each county's climate
zone (``geo_sink.sinks.tier1``); these tables are the same densities per legend code for the
climate zones of Shanxi and Hebei, for InVEST users and for ``geo-sink carbon --pools``.  The
``*_sd`` columns are the spread of each pool under the parameter draws (20,000 on a Latin hypercube, seed 0).
``tests/test_pools.py`` checks that the files equal what this script writes.

Run:  python scripts/make_pool_tables.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_sink.catalog import load_catalog
from geo_sink.sinks.carbon_run import tier1_defaults
from geo_sink.sinks.pools import POOLS

LEGENDS = ("clcd", "worldcover", "globeland30", "modis_igbp")
ZONES = ("cool_temperate_dry", "warm_temperate_dry")


def pool_frame(cat, legend_id: str, zone: str) -> pd.DataFrame:
    """The pools table of one legend in one climate zone (IPCC 2006 defaults)."""
    legend = cat.legend(legend_id)
    t = tier1_defaults(cat).pool_table(legend, zone)
    df = pd.DataFrame({"lucode": t.codes, "lulc_name": [c.name for c in legend.classes],
                       "ecosystem": [c.ecosystem for c in legend.classes]})
    for i, p in enumerate(POOLS):
        df[f"c_{p}"] = t.mean[:, i].round(3)
    for i, p in enumerate(POOLS):
        df[f"c_{p}_sd"] = t.sd[:, i].round(3)
    df["unit"] = "Mg C/ha"
    df["climate_zone"] = zone
    return df


def main() -> int:
    cat = load_catalog()
    out = Path(cat.root) / "carbon" / "pools"
    out.mkdir(exist_ok=True)
    for leg in LEGENDS:
        for zone in ZONES:
            pool_frame(cat, leg, zone).to_csv(out / f"pools_{leg}_{zone}.csv", index=False)
    print(f"wrote {len(LEGENDS) * len(ZONES)} tables to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
