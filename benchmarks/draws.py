"""Precision study of the Monte Carlo intervals: how far a county's 5th and 95th percentiles of
carbon stock and sink move between seeds, per sampling design and number of draws.

On the province project of ``benchmarks/pipeline.py`` (117 Shanxi counties, two CLCD-legend
years of synthetic benchmark land cover, IPCC 2006 Tier 1 densities of each county's climate
zone): the class areas are computed once, then ``carbon_stock_series`` runs ``--seeds`` times per
design.  Printed per design: seconds per run (the Monte Carlo is most of it), and over the
counties' total-pool rows

  sd max / rms   the seed-to-seed standard deviation of a bound, as a share of the county's
                 central value (largest over counties and both bounds / root mean square)
  vs reference   the largest difference between the design's mean bound and the mean bound of
                 the reference (100,000 simple random draws), as a share of the central value
                 (noise of both means included: about 3 standard errors is expected)

geo-sink's default (``geo_sink.defaults``: DEFAULT_DRAWS on DEFAULT_DESIGN) was chosen as the
smallest Latin hypercube whose spread is no larger than the reference's on both measures.

Run:  python benchmarks/draws.py [--quick] [--seeds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import build_project, project_rasters  # noqa: E402

DESIGNS = (("random", 100_000), ("lhs", 20_000), ("lhs", 32_000), ("lhs", 40_000), ("random", 40_000))


def province_inputs(quick: bool):
    """(areas by year, densities, CO2/C) of the benchmark project."""
    import geopandas as gpd
    import yaml

    from geo_sink.catalog import load_catalog
    from geo_sink.sinks.carbon import constants
    from geo_sink.sinks.carbon_run import density_for
    from geo_sink.zonal import class_areas

    project = build_project(quick, 2)
    spec = yaml.safe_load(project.read_text(encoding="utf-8"))
    cat = load_catalog()
    zones = gpd.read_file(spec["boundary"]["file"])[["zone_id", "zone_name", "geometry"]]
    legend = cat.legend("clcd")
    areas = {}
    for lc, path in zip(spec["landcover"], project_rasters(project)):
        a = class_areas(path, zones, legend).areas
        areas[int(lc["year"])] = a[a["ecosystem"] != "unknown"]
    codes = sorted(set().union(*[set(a["class_code"]) for a in areas.values()]))
    dens, _, _ = density_for(cat, legend, codes, zones)
    return areas, dens, constants(cat.dataset_path("carbon_constants"))["co2_per_c"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the 0.001 deg rasters of pipeline.py --quick")
    ap.add_argument("--seeds", type=int, default=12)
    a = ap.parse_args(argv)
    from geo_sink.sinks.carbon import carbon_stock_series

    areas, dens, co2 = province_inputs(a.quick)
    bounds = {}
    for design, n in DESIGNS:
        st, sk, secs = [], [], []
        for seed in range(1, a.seeds + 1):
            t0 = time.perf_counter()
            s, k = carbon_stock_series(areas, dens, co2, draws=n, seed=seed, design=design)
            secs.append(time.perf_counter() - t0)
            s, k = s[s["pool"] == "total"], k[k["pool"] == "total"]
            st.append(s[["stock_t_co2e_p05", "stock_t_co2e_p95"]].to_numpy())
            sk.append(k[["sink_t_co2e_yr_p05", "sink_t_co2e_yr_p95"]].to_numpy())
        centre = (np.abs(s["stock_t_co2e"].to_numpy())[:, None], np.abs(k["sink_t_co2e_yr"].to_numpy())[:, None])
        bounds[(design, n)] = (np.stack(st), np.stack(sk), centre, statistics.median(secs))
    ref = bounds[DESIGNS[0]]
    counties = len(set().union(*[set(x["zone_id"]) for x in areas.values()]))
    print(f"{counties} counties x {len(areas)} years (stocks) and {counties} sinks, {a.seeds} seeds per design; "
          "spreads as % of the county's central value")
    print(f"{'design':>8} {'draws':>8} {'s/run':>6} | {'stock sd max':>12} {'rms':>6} {'vs ref':>7} | "
          f"{'sink sd max':>11} {'rms':>6} {'vs ref':>7}")
    for (design, n), (st, sk, (cst, csk), sec) in bounds.items():
        cols = []
        for b, c, r in ((st, cst, ref[0]), (sk, csk, ref[1])):
            sd = b.std(0, ddof=1) / c
            cols += [np.nanmax(sd), np.sqrt(np.nanmean(sd ** 2)), np.nanmax(np.abs(b.mean(0) - r.mean(0)) / c)]
        print(f"{design:>8} {n:>8,} {sec:6.2f} | {cols[0]:12.3%} {cols[1]:6.3%} {cols[2]:7.3%} | "
              f"{cols[3]:11.3%} {cols[4]:6.3%} {cols[5]:7.3%}")


if __name__ == "__main__":
    main()
