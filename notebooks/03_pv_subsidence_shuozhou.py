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
# # 朔州市: PV on coal-mining subsidence land
#
# **Synthetic demo data** for the panels and constraint layers. The plan puts PV on the
# damaged, unused land of subsidence areas and never on cropland. Steps: subsidence from
# longwall panels (probability integral method), eligible land, parcels, capacity, yield.

# %%
from geo_sink.catalog import load_catalog
from geo_sink.demo import ensure_demo
from geo_sink.project import load_project
from geo_sink.pv.subsidence import max_subsidence_mm
from geo_sink.pv.subsidence_run import panels_grid, pim_parameters
import geopandas as gpd

cat = load_catalog()
project = load_project(ensure_demo())
panels = gpd.read_file(project.spec.subsidence.panels)
params = pim_parameters(cat)
panels[["panel", "thickness_m", "depth_m", "dip_deg"]].assign(
    w0_mm=max_subsidence_mm(panels.thickness_m, params.q, panels.dip_deg))

# %% [markdown]
# ## 1. Subsidence trough
# W0 = m·q·cos α is the deepest subsidence of a panel wide enough; neighbouring panels add up.

# %%
import matplotlib.pyplot as plt
from geo_sink.pv.subsidence import subsidence_grid

grid = panels_grid(panels, params)
w = subsidence_grid(panels.to_crs(grid.crs), params, grid)
plt.imshow(w, cmap="magma_r")
plt.colorbar(label="subsidence (mm)")
plt.show()

# %% [markdown]
# ## 2. Yield of 1 kWp and CO2 avoided
# A typical year of hourly weather from the monthly climatology of station 53578 朔州 (seeded
# day-to-day clearness, Collares-Pereira & Rabl hours, Erbs direct/diffuse split), Perez on the
# tilted plane; CO2 with the default grid factor of the province (山西 2022 average) and the North
# China combined margin beside it.

# %%
from geo_sink.pv.energy import (annual_yield_kwh_per_kwp, co2_avoided_t, default_grid_factor_ids,
                                diffuse_fraction, grid_factor, share_gap_closed)
from geo_sink.pv.grid_factors import grid_factor_tables
from geo_sink.pv.siting_run import energy_parameters, project_weather

e = energy_parameters(cat)["value"]
wx, how = project_weather(project, cat, 39.40, 112.55, 1300)
print(how)
y = annual_yield_kwh_per_kwp(39.40, 112.55, 1300, wx, e["tilt_deg"], e["azimuth_deg"], e["system_losses_pct"],
                             e["gamma_pdc_per_c"], e["inverter_efficiency"], e["albedo"])
factors, margins = grid_factor_tables(cat)
main_id, alt_id = default_grid_factor_ids(factors, margins, "14")
for fid in (main_id, alt_id):
    f = grid_factor(factors, margins, fid)
    print(f"{y:.0f} kWh/kWp a year ({100 * diffuse_fraction(wx):.0f}% diffuse); 100 MW avoid "
          f"{co2_avoided_t(100 * y, f['t_co2_mwh']):,.0f} t CO2/yr with {f['id']} ({f['t_co2_mwh']:.4f} t/MWh, {f['year']})")

# %% [markdown]
# ## 3. How far 100 MW goes toward the new-energy share targets

# %%
for target in (50, 60):
    print(target, share_gap_closed(100.0, 1732.47, 38.05, target))
