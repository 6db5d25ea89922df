"""Run-wide defaults every command shows in its help (kept free of numpy so ``--help`` is fast)."""

#: Monte Carlo draws of the carbon intervals: the 5th and 95th percentiles of county stocks and
#: sinks move by < 1% of the central value between seeds at this size (tests/test_carbon.py
#: checks it; 10,000 draws left sink bounds moving by ~2%).
DEFAULT_DRAWS = 100_000
#: Seed of the carbon, wetland and reclamation draws: the date of the 石家庄市 implementation plan.
DEFAULT_SEED = 20220719
#: Seed of the PV energy draws and of the typical year's daily clearness: the date of 朔政办发〔2024〕1号.
ENERGY_SEED = 20240104
