"""IPCC Tier 1 carbon densities per climate zone, built from the published parameters.

The densities of every ecosystem and pool are *derived* from a small set of IPCC default
parameters (reference soil stocks, land-use factors, above-ground biomass, root-to-shoot
ratios, litter, carbon fractions) by the formulas of ``data_catalog/carbon/tier1_pools.csv``:
cropland soil is the reference stock times the land-use factor, forest below-ground biomass is
above-ground biomass times the root-to-shoot ratio, and so on.  Both the parameters (with their
table numbers and uncertainties, ``ipcc_tier1_defaults.csv``) and the formulas are catalog
data; this module only evaluates them.

Because pools are derived, the Monte Carlo draws each *parameter* once per climate zone (or
once for all zones where the catalog gives one value for all) and evaluates the formulas on
the draws: soil stocks of every class move with their zone's reference stock, below-ground
biomass with above-ground biomass, and two legend codes of one ecosystem share every draw.

All functions are pure: tables in, arrays out.

References
----------
.. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4
   (AFOLU), Ch. 2 Tables 2.2-2.3, Ch. 4 Tables 4.3, 4.4, 4.7, Ch. 5 Tables 5.5, 5.9,
   Ch. 6 Table 6.4; Ch. 3 Annex 3A.5 (climate zones).
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_sink.errors import InputDataError
from geo_sink.sinks.pools import POOLS, PoolTable
from geo_sink.uncertainty import DEFAULT_DESIGN, lognormal_draws, sd_from_uncertainty

PARAMETER_COLUMNS = ["parameter", "climate_zone", "edition", "value", "unit", "uncertainty_pct", "lo", "hi",
                     "uncertainty_basis", "table", "source", "status"]
FORMULA_COLUMNS = ["ecosystem", "pool", "formula", "basis"]
#: A parameter row for every climate zone.
ALL_ZONES = "all"
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def formula_names(expr: str) -> set[str]:
    """Parameter names a pool formula uses (raises ValueError for anything but + - * / ( ))."""
    names: set[str] = set()

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return walk(node.left), walk(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return walk(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return None
        if isinstance(node, ast.Name):
            names.add(node.id)
            return None
        raise ValueError(f"formula {expr!r}: only numbers, parameter names, + - * / and brackets are allowed")

    walk(ast.parse(str(expr), mode="eval"))
    return names


def evaluate_formula(expr: str, env: dict) -> np.ndarray | float:
    """Value of a pool formula with parameter values (scalars or arrays of draws) from ``env``."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        raise ValueError(f"formula {expr!r}: unsupported element {ast.dump(node)}")

    formula_names(expr)
    return ev(ast.parse(str(expr), mode="eval"))


@dataclass(frozen=True)
class Tier1Defaults:
    """IPCC Tier 1 parameters and the pool formulas.

    Attributes
    ----------
    parameters : DataFrame
        :data:`PARAMETER_COLUMNS` plus ``sd`` (computed from the published uncertainty).
    formulas : DataFrame
        :data:`FORMULA_COLUMNS`.
    edition : str
        ``"2006"`` or ``"2019"``: the 2019 Refinement's row where it has one for a parameter
        and zone, the 2006 row otherwise.
    source : str
        Where the tables came from (for messages).
    """

    parameters: pd.DataFrame
    formulas: pd.DataFrame
    edition: str = "2006"
    source: str = "IPCC Tier 1 defaults"

    @classmethod
    def from_tables(cls, parameters: pd.DataFrame, formulas: pd.DataFrame, edition: str = "2006",
                    source: str = "IPCC Tier 1 defaults") -> "Tier1Defaults":
        """Validate the two catalog tables and compute each parameter's sd."""
        for df, cols, what in ((parameters, PARAMETER_COLUMNS, "parameters"), (formulas, FORMULA_COLUMNS, "formulas")):
            miss = [c for c in cols if c not in df.columns]
            if miss:
                raise InputDataError(f"{source} ({what}): missing column(s) {miss}")
        p = parameters.copy()
        p["edition"] = p["edition"].astype(str)
        p["climate_zone"] = p["climate_zone"].astype(str)
        if str(edition) not in set(p["edition"]):
            raise InputDataError(f"{source}: no parameters of IPCC edition {edition!r}; "
                                 f"the table has {sorted(set(p['edition']))}")
        sds = []
        for i, r in p.iterrows():
            try:
                sds.append(sd_from_uncertainty(r["value"], None if pd.isna(r["uncertainty_pct"]) else r["uncertainty_pct"],
                                               None if pd.isna(r["lo"]) else r["lo"],
                                               None if pd.isna(r["hi"]) else r["hi"], str(r["uncertainty_basis"])))
            except ValueError as e:
                raise InputDataError(f"{source}: row {i + 2} ({r['parameter']}, {r['climate_zone']}): {e}") from None
        p["sd"] = sds
        dup = p[p.duplicated(["parameter", "climate_zone", "edition"], keep=False)]
        if len(dup):
            raise InputDataError(f"{source}: parameter rows given twice: "
                                 f"{sorted(set(map(tuple, dup[['parameter', 'climate_zone', 'edition']].values)))[:5]}")
        f = formulas.copy()
        for i, r in f.iterrows():
            try:
                formula_names(r["formula"])
            except (ValueError, SyntaxError) as e:
                raise InputDataError(f"{source}: formula row {i + 2} ({r['ecosystem']}, {r['pool']}): {e}") from None
        bad = sorted(set(f["pool"]) - set(POOLS))
        if bad:
            raise InputDataError(f"{source}: formula pools {bad}; expected {list(POOLS)}")
        return cls(p, f, str(edition), source)

    def zones(self) -> list[str]:
        """Climate zones with zone-specific parameters."""
        return sorted(set(self.parameters["climate_zone"]) - {ALL_ZONES})

    def rows_for(self, zone: str) -> pd.DataFrame:
        """The parameter rows in force in ``zone``: zone rows over ``all`` rows, the chosen
        edition over 2006.  Raises when a parameter a formula needs has no row."""
        p = self.parameters
        p = p[p["climate_zone"].isin([zone, ALL_ZONES])]
        rank = (p["climate_zone"] == zone).astype(int) * 2 + (p["edition"] == self.edition).astype(int)
        p = p[(p["edition"] == self.edition) | (p["edition"] == "2006")]
        chosen = p.assign(_r=rank).sort_values("_r").drop_duplicates("parameter", keep="last").drop(columns="_r")
        need = set().union(*[formula_names(x) for x in self.formulas["formula"]])
        missing = sorted(need - set(chosen["parameter"]))
        if missing:
            raise InputDataError(f"{self.source}: climate zone {zone!r} has no value for parameter(s) {missing}; "
                                 f"zones with parameters: {self.zones()}")
        return chosen.set_index("parameter")

    def _densities(self, env: dict, ecosystems) -> np.ndarray:
        """(..., len(ecosystems), 4) densities from parameter values (scalars or (n,) draws)."""
        by = {(r.ecosystem, r.pool): r.formula for r in self.formulas.itertuples()}
        out = []
        for eco in ecosystems:
            row = []
            for pool in POOLS:
                if (eco, pool) not in by:
                    raise InputDataError(f"{self.source}: no formula for ecosystem {eco!r}, pool {pool!r}")
                row.append(np.asarray(evaluate_formula(by[(eco, pool)], env), dtype=float))
            out.append(np.stack(np.broadcast_arrays(*row), axis=-1))
        return np.stack(np.broadcast_arrays(*out), axis=-2)

    def mean_densities(self, zone: str, ecosystems) -> np.ndarray:
        """(ecosystems, 4) Mg C/ha at the parameters' central values."""
        rows = self.rows_for(zone)
        return self._densities(rows["value"].astype(float).to_dict(), list(ecosystems))

    def draw_densities(self, zones, ecosystems, n: int, rng: np.random.Generator,
                       design: str = DEFAULT_DESIGN) -> np.ndarray:
        """(n, zones, ecosystems, 4) Mg C/ha, one lognormal draw per parameter row.

        A parameter row used in several zones (``climate_zone: all``) is drawn once and shared
        by all of them; zone rows are independent coefficients.  Formulas are evaluated on the
        draws, so derived pools share their parameters' draws.
        """
        zones = list(zones)
        chosen = {z: self.rows_for(z) for z in zones}
        keys = sorted({(name, r["climate_zone"], r["edition"]) for z in zones for name, r in chosen[z].iterrows()})
        pos = {k: i for i, k in enumerate(keys)}
        table = self.parameters.set_index(["parameter", "climate_zone", "edition"])
        mean = np.array([float(table.loc[k, "value"]) for k in keys])
        sd = np.array([float(table.loc[k, "sd"]) for k in keys])
        d = lognormal_draws(mean, sd, n, rng, design)       # (n, parameters)
        out = []
        for z in zones:
            env = {name: d[:, pos[(name, r["climate_zone"], r["edition"])]] for name, r in chosen[z].iterrows()}
            out.append(self._densities(env, list(ecosystems)))
        return np.stack(out, axis=1)

    def pool_table(self, legend, zone: str) -> PoolTable:
        """The densities of one zone as an InVEST-style pools table for a legend (means only;
        the sd columns give each pool's spread from the parameter draws, for information)."""
        codes = np.array(legend.codes, dtype=np.int64)
        ecos = [c.ecosystem for c in legend.classes]
        mean = self.mean_densities(zone, ecos)
        sd = self.draw_densities([zone], ecos, 20_000, np.random.default_rng(0))[:, 0].std(axis=0)
        return PoolTable(codes=codes, mean=mean, sd=sd, source=f"{self.source} ({zone}, IPCC {self.edition})")

    def table_rows(self, zones) -> pd.DataFrame:
        """Every parameter value in force in ``zones``, with its table and source (for outputs)."""
        frames = [self.rows_for(z).reset_index().assign(applied_zone=z) for z in zones]
        cols = ["applied_zone", "parameter", "climate_zone", "edition", "value", "unit", "sd", "table", "status"]
        return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
