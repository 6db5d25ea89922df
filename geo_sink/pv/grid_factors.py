"""The catalog's grid emission factors (read by the project check and by the PV energy step)."""

from __future__ import annotations

import pandas as pd


def grid_factor_tables(cat) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalog's grid emission factors and combined margins, indexed by id."""
    f = pd.read_csv(cat.dataset_path("grid_emission_factors"), dtype={"adcode_prefixes": str}).set_index("id")
    m = pd.read_csv(cat.dataset_path("grid_combined_margin")).set_index("id")
    return f, m
