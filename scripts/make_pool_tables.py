"""Write ``data_catalog/carbon/pools_<legend>.csv`` from the ecosystem density table.

Each land-cover code of each legend gets the densities of its ecosystem class, in InVEST's
carbon pools format (``lucode, c_above, c_below, c_soil, c_dead``) plus ``*_sd`` columns, the
class name and the ecosystem; the sources stay in the ecosystem table.  Nodata codes get no row.

Run:  python scripts/make_pool_tables.py
"""

from __future__ import annotations

import pandas as pd

from geo_sink.catalog import load_catalog

POOLS = ("above", "below", "soil", "dead")


def main() -> int:
    cat = load_catalog()
    folder = cat.root / "carbon"
    eco = pd.read_csv(folder / "ecosystem_density_north_china.csv")
    mean = eco.pivot(index="ecosystem", columns="pool", values="mean_mg_c_ha")
    sd = eco.pivot(index="ecosystem", columns="pool", values="sd_mg_c_ha")
    for leg in cat.legends.values():
        rows = []
        for c in leg.classes:
            row = {"lucode": c.code, "lulc_name": c.name, "ecosystem": c.ecosystem}
            row.update({f"c_{p}": mean.loc[c.ecosystem, p] for p in POOLS})
            row.update({f"c_{p}_sd": sd.loc[c.ecosystem, p] for p in POOLS})
            rows.append(row)
        out = folder / f"pools_{leg.id}.csv"
        pd.DataFrame(rows).to_csv(out, index=False, float_format="%.4g")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
