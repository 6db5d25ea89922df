"""Run-wide defaults every command shows in its help (kept free of numpy so ``--help`` is fast)."""

#: Monte Carlo draws of the carbon, wetland and reclamation intervals, on a Latin hypercube
#: (DEFAULT_DESIGN).  Chosen by a precision study on 117 Shanxi counties (benchmarks/draws.py,
#: 12 seeds each): the seed-to-seed standard deviation of a county's 5th and 95th percentiles is
#: at most 0.30% (stocks) and 0.59% (sinks) of its central value with 40,000 LHS draws, against
#: 0.46% and 0.60% with the 100,000 simple random draws used before (RMS over counties 0.15% and
#: 0.31% against 0.26% and 0.38%); tests/test_carbon.py checks < 1% between seeds.
DEFAULT_DRAWS = 40_000
#: Sampling design of every Monte Carlo draw: "lhs" (Latin hypercube) or "random".
DEFAULT_DESIGN = "lhs"
#: Seed of the carbon, wetland and reclamation draws: the date of the 石家庄市 implementation plan.
DEFAULT_SEED = 20220719
#: Seed of the PV energy draws and of the typical year's daily clearness: the date of 朔政办发〔2024〕1号.
ENERGY_SEED = 20240104
