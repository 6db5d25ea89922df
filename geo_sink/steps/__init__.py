"""The analyses of a project run as declared steps (:mod:`geo_sink.steps.chain`).

======================  ============================================  ==========================
step                    reads                                         writes
======================  ============================================  ==========================
``landcover`` (year)    the year's map, boundary, legend              class and ecosystem areas
``carbon``              every year's areas, climate zones, Tier 1     stocks, sinks, parameters
``carbon_map`` (year)   the last year's areas and map                 density table and map
``forest``              every year's areas, growing stock             coverage, growing stock
``wetland`` (year)      the last year's areas, named wetlands         wetland fluxes
``transitions`` (pair)  two consecutive maps                          transition matrices
``reclamation_rate``    mines                                         rates per mine, county, year
``reclamation``         the rates' pieces, scenes                     FVC series, cover, carbon
``subsidence``          InSAR raster or panels                        subsidence map, areas
``pv``                  subsidence land, last map, PV layers          parcels, energy, CO2
``targets``             the tables above                              targets.csv
``counties``            areas, coverage, carbon                       the county layer
``overlay`` (year)      the year's map, boundary                      display codes (for the report)
``relief``              the DEM or pvlib's terrain grid, boundary     hillshade (for the report)
======================  ============================================  ==========================

:func:`run_project` runs them for a project into an output folder, keeping the tasks whose
inputs did not change since the folder's last run.
"""

from __future__ import annotations

from geo_sink.steps.chain import Step, run_steps, task_id
from geo_sink.steps.context import LandCoverInput, RunContext, landcover_inputs, project_zones, study_latitude
from geo_sink.steps.run import STEPS, run_project

__all__ = ["STEPS", "run_project", "Step", "RunContext", "LandCoverInput", "run_steps", "task_id", "landcover_inputs",
           "project_zones", "study_latitude"]
