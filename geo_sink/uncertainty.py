"""Monte Carlo propagation of coefficient uncertainty (seeded, reproducible, vectorised).

Each coefficient with a mean and a standard deviation is drawn from a lognormal distribution
with that mean and standard deviation (positive, as densities and rates are); coefficients
with sd = 0 stay fixed.  One draw of a coefficient is shared by every county, as a
mis-estimated density would be: intervals of sums over counties are therefore not narrowed
by averaging.
"""

from __future__ import annotations

import numpy as np

#: Draws by default: the 5th and 95th percentiles of county stocks and sinks move by < 1% of
#: the central value between seeds at this size (tests/test_carbon.py checks it; 10,000 draws
#: left sink bounds moving by ~2%).
DEFAULT_DRAWS = 100_000
DEFAULT_SEED = 20220719  # the date of the 石家庄市 implementation plan


def lognormal_draws(mean, sd, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of lognormal variables with the given means and standard deviations.

    Parameters
    ----------
    mean, sd : array_like (same shape), >= 0
        Mean and standard deviation of each variable (same units).
    n : int
        Number of draws.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, *mean.shape)
        Draws; exactly ``mean`` where ``sd == 0`` or ``mean == 0``.
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    if (mean < 0).any() or (sd < 0).any():
        raise ValueError("lognormal draws need mean >= 0 and sd >= 0")
    varying = (mean > 0) & (sd > 0)
    cv2 = np.where(varying, (sd / np.where(mean > 0, mean, 1.0)) ** 2, 0.0)
    sigma = np.sqrt(np.log1p(cv2))
    mu = np.log(np.where(mean > 0, mean, 1.0)) - sigma ** 2 / 2
    z = rng.standard_normal((n,) + mean.shape)
    return np.where(varying, np.exp(mu + sigma * z), mean)


def percentile_interval(draws: np.ndarray, lo: float = 5.0, hi: float = 95.0) -> tuple[np.ndarray, np.ndarray]:
    """The (lo, hi) percentiles over the first axis."""
    p = np.percentile(draws, [lo, hi], axis=0)
    return p[0], p[1]
