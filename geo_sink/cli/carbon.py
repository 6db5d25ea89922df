"""``geo-sink carbon``: carbon stock by county and pool, and the sink between two years.

A stock-difference sink is a difference of the land only when both maps count the same cells
in known classes.  The command therefore refuses (exit status 3, nothing written) a later map on
another grid (CRS, transform or shape) unless ``--align`` resamples it onto the first map's grid,
and a later map in another legend unless ``--legend-later`` names it; a later map whose codes
are mostly not in the first map's legend is taken for one in another legend.  A county a map
leaves uncovered (outside its extent, nodata, codes not in its legend) beyond the catalog's
``max_uncovered_pct`` gets no value (NaN, with ``covered_pct`` and a ``note``), never 0, as in
:func:`geo_sink.steps.run_project`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from geo_sink.cli.options import (YEAR_RANGE, OutputFile, cache_option, cluster_options, crs_option, draws_option,
                                  legend_option, level_option, name_field_option, open_cluster, output_option,
                                  zone_field_option)
from geo_sink.defaults import DEFAULT_DRAWS, DEFAULT_SEED
from geo_sink.errors import InputDataError
from geo_sink.cli.progress import say
from geo_sink.runs.notices import notice

TOTAL = ("ALL", "(all zones)")


@click.command()
@click.argument("lulc")
@click.argument("zones")
@legend_option
@click.option("--pools", "pools_arg", metavar="POOLS.csv",
              help="Carbon pools table (InVEST CSV: lucode, c_above, c_below, c_soil, c_dead in "
                   "Mg C/ha) for every county; default: IPCC Tier 1 defaults of each county's "
                   "climate zone (decided from the catalog's stations, see climate_zones in the README).")
@click.option("--climate-zone", "climate_zone", metavar="ZONE",
              help="IPCC climate zone for every county (e.g. warm_temperate_dry) instead of the decision.")
@click.option("--ipcc-edition", type=click.Choice(["2006", "2019"]), default="2006", show_default=True,
              help="IPCC Tier 1 defaults: the 2006 Guidelines or the 2019 Refinement where it changed them.")
@click.option("--lulc-later", metavar="LULC2",
              help="A later land-cover map (file or catalog dataset id).  It must be on LULC's grid (same "
                   "CRS, transform and shape) unless --align is given, and in LULC's legend unless "
                   "--legend-later is given; otherwise the command stops with exit status 3 and writes nothing.")
@click.option("--legend-later", "legend_later", metavar="NAME",
              help="Legend of LULC2 (a catalog legend id, as for --legend); default: LULC's legend (a catalog "
                   "dataset: its own legend, which must then be LULC's).  With two legends each year's stock "
                   "uses its own legend, and the sink is taken through the IPCC land categories: every code "
                   "counts by the catalog ecosystem class it maps to, and the IPCC Tier 1 densities depend "
                   "only on that class and the county's climate zone.  Differences between the two products' "
                   "class definitions then count as land-cover change.  Not with --pools (a pools table is "
                   "keyed by one legend's codes).")
@click.option("--align", type=click.Choice(["nearest", "mode"]),
              help="Resample LULC2 onto LULC's grid (into a temporary GeoTIFF, removed afterwards) when the "
                   "grids differ: 'mode' (the most frequent class under each cell) when LULC2's cells are "
                   "finer than LULC's, 'nearest' otherwise.  Without it, maps on different grids are refused.")
@click.option("--years", nargs=2, type=click.IntRange(*YEAR_RANGE), metavar="Y1 Y2",
              help=f"Years of LULC and LULC2 ({YEAR_RANGE[0]}-{YEAR_RANGE[1]}).")
@zone_field_option
@name_field_option
@level_option
@crs_option
@draws_option(DEFAULT_DRAWS)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True)
@cache_option
@output_option(help="Tidy table: zone_id, zone_name, pool, stock_mg_c, stock_t_co2e, … (+ sink columns), "
                    "covered_pct (and covered_later_pct) and note.")
@click.option("--geoparquet", type=OutputFile((".parquet", ".geoparquet"), "GeoParquet"),
              help="Totals per county with geometry (GeoParquet).")
@click.option("--density-cog", type=OutputFile((".tif", ".tiff"), "a Cloud-Optimized GeoTIFF"),
              help="Total carbon density of LULC (Mg C/ha) as a Cloud-Optimized GeoTIFF.")
@cluster_options
def carbon(lulc, zones, legend_id, pools_arg, climate_zone, ipcc_edition, lulc_later, legend_later, align, years,
           zone_field, name_field, level, crs, draws, seed, cache, output, geoparquet, density_cog, workers, scheduler):
    """Carbon stock (Mg C, t CO2e) of each county by pool; with --lulc-later and --years, the
    annual sink (t CO2e/yr) by stock difference, with Monte Carlo 5-95% intervals.

    The two maps must share grid and legend (see --align and --legend-later).  A county a map
    leaves uncovered beyond max_uncovered_pct (data_catalog/analysis_parameters.csv) gets no
    stock or sink (NaN, with covered_pct and a note), never 0; the ALL row sums the counties
    with a value and its note names those it leaves out."""
    import numpy as np
    import pandas as pd

    from geo_sink.catalog import load_catalog
    from geo_sink.cli.resolve import resolve_raster
    from geo_sink.io import load_zones, write_table
    from geo_sink.measurability import change_problem
    from geo_sink.steps.forest import catalog_measurability_rules, first_unmeasurable, raster_verdict
    from geo_sink.sinks.carbon import carbon_stock_series, constants, stock_and_sink_table
    from geo_sink.sinks.carbon_run import areas_by_ecosystem, density_for, ecosystem_legend, write_density_maps
    from geo_sink.sinks.pools import read_pools
    from geo_sink.zonal import class_areas
    if (lulc_later is None) != (not years):
        raise InputDataError("--lulc-later and --years Y1 Y2 go together")
    if years and years[1] <= years[0]:
        raise InputDataError(f"--years: the later year must be after the first, got {years[0]} {years[1]}")
    if lulc_later is None and (legend_later or align):
        raise InputDataError(f"{'--legend-later' if legend_later else '--align'} is about the later map: "
                             "give --lulc-later LULC2 and --years Y1 Y2")
    if climate_zone is not None:
        from geo_sink.sinks.climate import ZONES
        if climate_zone not in ZONES:
            raise click.BadParameter(f"{climate_zone!r} is not an IPCC climate zone; expected one of {list(ZONES)}",
                                     param_hint="--climate-zone")
    cat = load_catalog()
    path, leg_id, crs1, label = resolve_raster(cat, lulc, legend_id, crs)
    legend = cat.legend(leg_id)
    pools = None
    if pools_arg is not None:
        if climate_zone:
            raise InputDataError("--pools and --climate-zone exclude each other: a pools table is used for every county")
        pools = read_pools(cat.dataset_path(pools_arg) if pools_arg in cat.datasets else Path(pools_arg))
    co2 = constants(cat.dataset_path("carbon_constants"))["co2_per_c"]
    max_uncovered = float(pd.read_csv(cat.dataset_path("analysis_parameters")).set_index("name")
                          .loc["max_uncovered_pct", "value"])
    z = load_zones(zones, id_field=zone_field, name_field=name_field, level=level)
    y1, y2 = years if years else (0, None)
    with contextlib.ExitStack() as stack:   # a resampled later map lives in a temporary folder until the areas are in
        maps = {y1: (path, crs1, leg_id, label)}
        # whether a stock can be taken from each map (as in project runs: geo_sink.steps.carbon)
        rules = catalog_measurability_rules(cat)
        verdicts = {y1: raster_verdict(cat, "land_cover_carbon", path, crs1, leg_id, z, rules)}
        assumed = False
        if lulc_later:
            p2, leg2, crs2, label2, assumed = _later_map(cat, lulc_later, leg_id, legend_later, crs)
            if leg2 != leg_id and pools is not None:
                raise InputDataError(f"--pools with two legends ({leg_id}, {leg2}): a pools table is keyed by the "
                                     "codes of one legend; drop --pools (the IPCC Tier 1 densities are per ecosystem "
                                     "class) or give maps of one legend")
            versions = change_problem({y1: legend, y2: cat.legend(leg2)}) if years else None
            if versions:      # before anything is resampled
                raise InputDataError(f"{label2} against {label}: {versions}; no stock-difference sink from them "
                                     "(run without --lulc-later for each year's stock). Nothing written")
            # each map judged from its own file (a resampled copy would have the first map's cells)
            verdicts[y2] = raster_verdict(cat, "land_cover_carbon", p2, crs2, leg2, z, rules)
            p2, crs2 = _on_first_grid(stack, (path, crs1, leg_id, label), (p2, crs2, leg2, label2), (y1, y2),
                                      align, explicit_legend=legend_later is not None or leg2 == leg_id,
                                      scratch=output.parent if scheduler else None)
            maps[y2] = (p2, crs2, leg2, label2)
        areas, summaries = {}, {}
        with open_cluster(workers, scheduler) as client:
            for y, (p, c, lid, lab) in maps.items():
                res = class_areas(p, z, cat.legend(lid), crs=c, cache=cache, client=client)
                if y == y2 and assumed:
                    _check_legend_fits(cat, res, leg_id, max_uncovered, label2, label)
                areas[y], summaries[y] = res.areas[res.areas["ecosystem"] != "unknown"], res.summary
                if len(res.unknown_codes):
                    notice(f"{lab}: codes not in legend {lid} left out of the stock: "
                           f"{[int(c) for c in res.unknown_codes['class_code']]}")
    legends = {y: cat.legend(m[2]) for y, m in maps.items()}
    two_legends = len({m[2] for m in maps.values()}) > 1
    # counties a map leaves uncovered beyond the tolerance get no value from it, never 0
    from geo_sink.measurability import map_coverage
    from geo_sink.steps.carbon import left_out_rows, with_left_out
    guard = {y: map_coverage(summaries[y], max_uncovered) for y in maps}
    for y, g in guard.items():
        if not g["measured"].all():
            bad = g[~g["measured"]]
            notice(f"{maps[y][3]}{f' ({y})' if years else ''}: no value for {', '.join(bad['zone_name'].astype(str))}: "
                   f"the map leaves more than {max_uncovered:g}% of them uncovered (covered "
                   f"{', '.join(f'{c:.1f}%' for c in np.nan_to_num(bad['covered_pct']))})")
    in_all = set.intersection(*[set(g.loc[g["measured"], "zone_id"]) for g in guard.values()])
    if two_legends:
        eco_legend = ecosystem_legend(cat, [legends[y1], legends[y2]])
        areas = {y: areas_by_ecosystem(a, eco_legend) for y, a in areas.items()}
        dens_legend = eco_legend
        say(_categories_line(cat, legends[y1], legends[y2], areas))
    else:
        dens_legend = legend
    codes = sorted(set().union(*[set(a["class_code"]) for a in areas.values()]))
    dens, climate, tier1 = density_for(cat, dens_legend, codes, z, pools=pools, climate_zone=climate_zone,
                                       edition=ipcc_edition)
    if climate is None:   # a pools table: every county has its densities
        climate = pd.DataFrame({"zone_id": z["zone_id"].to_numpy(), "climate_zone": "(pools table)",
                                "climate_basis": ""})
    undecided = climate[climate["climate_zone"].isna()]
    if len(undecided):
        notice(f"no climate zone for {', '.join(undecided['zone_name'].astype(str))}: left out "
               "(give --climate-zone)")
    ok = in_all & set(climate.loc[climate["climate_zone"].notna(), "zone_id"])
    left = left_out_rows(z, climate, in_all, guard)
    if not ok:
        raise InputDataError("no zone has a carbon value: " + "; ".join(
            f"{n}: {w}" for n, w in zip(left["zone_name"], left["note"])) + "; nothing written")
    known = {y: a[a["zone_id"].isin(ok)] for y, a in areas.items()}
    stocks, sinks = carbon_stock_series(known, dens, co2, draws=draws, seed=seed, total=TOTAL)
    table = with_left_out(stock_and_sink_table(stocks, sinks, y1, y2), left, TOTAL[0])
    table = _with_coverage(table, guard, y1, y2, z)
    table = _with_measurability(table, verdicts, y1, y2)
    flagged = [(f"{label}: the stock", verdicts[y1])]
    if y2 is not None:
        flagged += [(f"{maps[y2][3]}: the later stock", verdicts[y2]),
                    (f"{label}: the sink", first_unmeasurable(verdicts.values()))]
    for what, v in flagged:
        if not v.measurable:
            say(f"{what} is context only, {v.note}")
    write_table(table, output)
    n_left = f" ({len(left)} without a value: {', '.join(left['zone_name'].astype(str))})" if len(left) else ""
    say(f"{label}: carbon stock of {len(z)} zones{n_left} by pool ({', '.join(dens.groups)}) -> {output}")
    if geoparquet:
        tot = table[table["pool"] == "total"].drop(columns=["pool"])
        g = z[["zone_id", "geometry"]].merge(tot, on="zone_id")
        write_table(g, geoparquet)
        say(f"county totals -> {geoparquet}")
    if density_cog:
        if two_legends:   # the densities of the first map's own codes
            from geo_sink.sinks.carbon import tier1_densities
            dens = tier1_densities(tier1, legend, legend.codes, dens.zone_group)
        for p in write_density_maps(path, density_cog, dens, dict(zip(z["zone_id"], z["zone_name"])), form="cog"):
            say(f"carbon density (Mg C/ha) -> {p}")


def _later_map(cat, arg, leg_id, legend_later, crs):
    """(path, legend id, CRS, label, assumed) of the later map; ``assumed``: its legend is the
    first map's by default, not known from the command line or the catalog."""
    p = Path(arg)
    from geo_sink.cli.resolve import resolve_raster
    known = None
    if not p.exists() and arg in cat.datasets:
        known = cat.dataset(arg).legend
    leg2 = legend_later or known or leg_id
    p2, leg2, crs2, label2 = resolve_raster(cat, arg, leg2, crs)
    return p2, leg2, crs2, label2, legend_later is None and known is None


def _with_measurability(table, verdicts: dict, y1, y2):
    """The table's stock (``measurable``, ``measurability_note``), later stock
    (``stock_later_measurable``) and sink (``sink_measurable``, ``sink_measurability_note``: both
    maps) flags."""
    from geo_sink.steps.forest import first_unmeasurable
    v1 = verdicts[y1]
    table = table.assign(measurable=v1.measurable, measurability_note=v1.note)
    if y2 is None:
        return table
    vs = first_unmeasurable(verdicts.values())
    return table.assign(stock_later_measurable=verdicts[y2].measurable, sink_measurable=vs.measurable,
                        sink_measurability_note=vs.note)


def _on_first_grid(stack, first, later, years, align, explicit_legend, scratch=None):
    """The later map on the first map's grid: as it is, resampled (``align``), or refused with
    both grids and legends named (:func:`geo_sink.measurability.difference_problem`)."""
    import numpy as np
    from geo_sink.io.align import align_to_grid, grid_label, same_grid
    from geo_sink.io.rasters import raster_info
    from geo_sink.measurability import difference_problem

    (p1, crs1, l1, lab1), (p2, crs2, l2, lab2) = first, later
    g1 = raster_info(p1, crs=crs1).grid
    info2 = raster_info(p2, crs=crs2)
    g2 = info2.grid
    grid_ok = same_grid(g1, g2)
    if (not grid_ok and align is None) or not explicit_legend:
        problem = difference_problem({years[0]: (g1, l1), years[1]: (g2, l2)})
        fixes = []
        if not grid_ok and align is None:
            fixes.append(f"give --align nearest|mode to resample {lab2} onto the grid of {lab1} ('mode' when the "
                         "later map's cells are finer, 'nearest' otherwise)")
        if not explicit_legend:
            fixes.append(f"give --legend-later {l2} to difference the two legends through their IPCC land categories")
        raise InputDataError(f"{lab2} against {lab1}: {problem}; {'; and '.join(fixes)}. Nothing written")
    if grid_ok:
        if align is not None:
            say(f"{lab2} is already on the grid of {lab1} ({grid_label(g1)}): nothing resampled")
        return p2, crs2
    import tempfile
    if scratch is not None:   # dask workers elsewhere read the resampled map: beside the output
        Path(scratch).mkdir(parents=True, exist_ok=True)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="geo-sink-align-", dir=scratch)))
    from geo_sink.catalog import load_catalog
    dt = np.dtype(info2.dtype)
    fill = None
    if np.issubdtype(dt, np.integer):
        fill = next((c for c in load_catalog().legend(l2).nodata
                     if np.iinfo(dt).min <= c <= np.iinfo(dt).max), None)
    out = align_to_grid(p2, g1, tmp / f"{Path(p2).stem}_on_first_grid.tif", align, src_crs=crs2, fill=fill)
    if not same_grid(raster_info(out, crs=crs1).grid, g1):   # pragma: no cover - a bug of align_to_grid
        raise RuntimeError(f"{out}: the resampled map is not on the grid of {lab1}")
    say(f"{lab2}: resampled from {grid_label(g2)} onto the grid of {lab1} ({grid_label(g1)}) with {align} "
        f"resampling (rasterio.warp.reproject, Resampling.{align}), in a temporary GeoTIFF")
    return out, crs1


def _check_legend_fits(cat, res, leg_id, tol, label2, label1) -> None:
    """Refuse a later map whose codes, read in the first map's legend (the default), leave more
    than ``tol`` percent of its area in the zones unknown: it is in another legend."""
    a = res.areas
    total = float(a["area_km2"].sum())
    if total <= 0:
        return
    unk = a[a["ecosystem"] == "unknown"]
    pct = 100.0 * float(unk["area_km2"].sum()) / total
    if pct <= tol:
        return
    by_code = a.groupby("class_code")["area_km2"].sum()
    fits = [lid for lid, lg in sorted(cat.legends.items()) if lid != leg_id and
            100.0 * float(by_code[~by_code.index.isin(list(lg.codes) + list(lg.nodata))].sum()) / total <= tol
            and by_code.index.isin(lg.codes).any()]
    hint = (f"its codes fit legend {' or '.join(fits)}" if fits else "no catalog legend holds all its codes")
    codes = sorted(int(c) for c in unk["class_code"].unique())
    raise InputDataError(
        f"{label2}: {pct:.1f}% of its area in the zones holds codes that are not in legend {leg_id} of {label1} "
        f"(codes {codes[:12]}{' …' if len(codes) > 12 else ''}): the later map is in another legend ({hint}); "
        f"its stock would count those cells as nothing and the sink would be a difference of legends, not of land. Give "
        f"--legend-later LEGEND (catalog legends: {', '.join(sorted(cat.legends))}). Nothing written")


def _categories_line(cat, la, lb, areas) -> str:
    present = set().union(*[set(a["ecosystem"]) for a in areas.values()])

    def codes(lg, e):
        return ",".join(str(c.code) for c in lg.classes if c.ecosystem == e) or "-"

    parts = [f"{e} = {la.id} {codes(la, e)} = {lb.id} {codes(lb, e)}" for e in cat.ecosystems if e in present]
    return (f"sink from the IPCC land categories of both legends: each code counts by its ecosystem class "
            f"({'; '.join(parts)}); the IPCC Tier 1 densities are per ecosystem class and climate zone, not per "
            f"legend, but differences between the {la.id} and {lb.id} class definitions count as land-cover change")


def _with_coverage(table, guard: dict, y1, y2, z):
    """``covered_pct`` (and ``covered_later_pct``) per county; rows in the zones' order, the ALL
    row last."""
    cov = guard[y1][["zone_id", "covered_pct"]]
    if y2 is not None:
        cov = cov.merge(guard[y2][["zone_id", "covered_pct"]].rename(columns={"covered_pct": "covered_later_pct"}),
                        on="zone_id", how="outer")
    out = table.merge(cov, on="zone_id", how="left")
    order = {zid: i for i, zid in enumerate(z["zone_id"])}
    key = out["zone_id"].map(lambda v: order.get(v, len(order)))
    out = out.assign(_k=key.to_numpy()).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    return out[[c for c in out.columns if c != "note"] + ["note"]]
