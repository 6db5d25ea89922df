# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Your own region from nothing: 忻州市 / 忻府区
#
# An analyst at the 忻州市 planning bureau has land-cover maps of 忻府区 only and wants the
# city's carbon-sink tables and a report against the targets of 忻府区's own plan. This notebook
# goes the way a new user does: find the region, make a project with `geo-sink init`, add the
# maps, targets and a capacity baseline, `check`, `run`, drop a new map into the inbox,
# `update`, and read `targets.csv`.
#
# **The two land-cover maps here are SYNTHETIC DEMO DATA** drawn below (a CLCD-legend 30 m
# map in UTM 49N): stand-ins for the analyst's own CLCD or WorldCover files. The capacity
# baseline is an **illustrative value, not an official figure**, and says so in its `document`.

# %%
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import yaml
from rasterio.transform import from_origin


def geo_sink(*args):
    """Run the geo-sink command line as a user would; print what it says; return its exit status."""
    r = subprocess.run([sys.executable, "-m", "geo_sink.cli", *map(str, args)], capture_output=True, text=True)
    print(r.stdout[-3000:], r.stderr[-3000:], sep="\n")
    return r.returncode


work = Path("xinzhou").resolve()
work.mkdir(exist_ok=True)
geo_sink("regions", "忻州")   # or "xinzhou shi", 140900, 山西/忻州; plain "Xinzhou" is also 信州区 and 新洲区

# %% [markdown]
# ## 1. The analyst's own maps
# Two CLCD-legend maps of 忻府区 at 30 m in UTM zone 49N (EPSG:32649), 2015 and 2020: cropland
# in the 滹沱河 basin, forest and shrub on the western and northern hills, grassland between,
# built-up land around the county seat, a river; between the years some hill grassland is
# afforested. Written as GeoTIFFs with the tags `GEO_SINK_SYNTHETIC=true`.

# %%
from geo_sink.io import load_boundaries

xinfu = load_boundaries("忻府区").to_crs(32649)
w, s, e, n = (np.floor(xinfu.total_bounds / 30) * 30) + np.array([-300, -300, 300, 300])
res = 30.0
rows, cols = int((n - s) / res), int((e - w) / res)
yy, xx = np.mgrid[0:rows, 0:cols]
u, v = xx / cols, yy / rows                               # 0..1 west-east, north-south
rng = np.random.default_rng(20241202)
hills = np.clip(1.4 - 2.2 * u - 0.9 * v, 0, None) + np.clip(0.6 - 2.0 * v, 0, None) + 0.15 * rng.random((rows, cols))
lc2015 = np.full((rows, cols), 1, np.uint8)               # cropland
lc2015[hills > 0.35] = 4                                  # grassland on the slopes
lc2015[hills > 0.75] = 3                                  # shrub
lc2015[hills > 0.95] = 2                                  # forest on the hill tops
lc2015[(u - 0.62) ** 2 + (v - 0.55) ** 2 < 0.004] = 8    # the county seat
lc2015[np.abs(v - (0.35 + 0.5 * u)) < 0.004] = 5          # the river
lc2020 = lc2015.copy()
lc2020[(lc2015 == 4) & (hills > 0.6)] = 2                 # afforestation of upper grassland


def write_map(path, array, year):
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype="uint8", crs="EPSG:32649",
                   transform=from_origin(w, n, res, res), nodata=0, tiled=True, blockxsize=512, blockysize=512,
                   compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        dst.update_tags(GEO_SINK_SYNTHETIC="true", DESCRIPTION=f"synthetic CLCD-legend map of 忻府区, {year}")
    return path


write_map(work / "xinfu_clcd_2015.tif", lc2015, 2015)
print(rows, "x", cols, "cells; 2015 forest share of the raster:", round(float((lc2015 == 2).mean()) * 100, 1), "%")

# %% [markdown]
# ## 2. A starter project with `geo-sink init`
# `init` resolves the region (忻州市, 14 counties), lists the catalog targets that belong to it
# (忻府区's 60% new-energy share by 2025, from its green-economy plan) and leaves the maps as
# commented placeholders.

# %%
project = work / "xinzhou.yaml"
geo_sink("init", "忻州市", "-o", project, "--force")
print(project.read_text(encoding="utf-8")[:1500])

# %% [markdown]
# ## 3. Fill it in: the 2015 map, an inbox, the capacity baseline, the output
# The catalog target `xf_new_energy_share_2025` needs an installed-capacity baseline of
# 忻府区; the project gives one inline. A catalog target of another region (石家庄市's 43%
# forest coverage) would be refused unless the project says `apply_to: 忻府区`: shown below.

# %%
spec = yaml.safe_load(project.read_text(encoding="utf-8"))
(work / "inbox").mkdir(exist_ok=True)
spec.update({
    "landcover": [{"year": 2015, "path": "xinfu_clcd_2015.tif", "legend": "clcd", "synthetic": True}],
    "imagery": {"inbox": "inbox"},
    "baselines": [{"indicator": "installed_power_capacity", "region": "忻府区", "year": 2020, "value": 120,
                   "unit": "10^4 kW", "new_energy_share_pct": 35,
                   "document": "illustrative value for this notebook, not an official figure"}],
    "output": "out/忻州市",
})
spec["targets"] = list(spec.get("targets") or []) + ["sjz_forest_coverage_2025"]
project.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
assert geo_sink("check", project) == 3          # refused: 石家庄市's target in a 忻州市 project

# %%
spec["targets"][-1] = {"id": "sjz_forest_coverage_2025", "apply_to": "忻府区"}
project.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
assert geo_sink("check", project) in (0, 10)    # valid (10: with warnings)

# %% [markdown]
# ## 4. Run
# The map covers 忻府区 only: the other 13 counties get no coverage, stock or sink (empty, with
# the share of them the map covers), never 0, and the city row says whom it leaves out.

# %%
assert geo_sink("run", project, "--draws", 500) in (0, 10)
out = work / "out" / "忻州市"
cov = pd.read_csv(out / "forest_coverage.csv", dtype={"zone_id": str})
cov[["zone_name", "coverage_pct", "covered_pct", "status"]].drop_duplicates("zone_name").head(6)

# %%
targets = pd.read_csv(out / "targets.csv", dtype={"zone_id": str})
targets[["target_id", "region", "target_value", "unit", "measured_value", "gap", "status", "reason"]]

# %% [markdown]
# ## 5. A new map arrives: drop it into the inbox and `update`
# The name `CLCD_v01_2020_albert.tif` follows CLCD's own naming, so geo-sink reads the year
# and legend from it; the project file is not rewritten (the ledger records the map).
# `update` sees a new land-cover year and recomputes: transitions and the stock-difference sink
# appear.

# %%
write_map(work / "inbox" / "CLCD_v01_2020_albert.tif", lc2020, 2020)
assert geo_sink("update", project, "--draws", 500) in (0, 10)
sink = pd.read_csv(out / "carbon_sink.csv", dtype={"zone_id": str})
sink[(sink.pool == "total")][["zone_name", "year_from", "year_to", "sink_t_co2e_yr", "sink_t_co2e_yr_p05",
                              "sink_t_co2e_yr_p95", "note"]].head(3)

# %%
report = out / "忻州市.html"
print(report, f"{report.stat().st_size / 1e6:.1f} MB")
geo_sink("history", project)
