"""Monte Carlo propagation of coefficient uncertainty (seeded, reproducible, vectorised).

Conventions (README, "Method and sources"):

* Each coefficient with a mean and a standard deviation is drawn from a lognormal
  distribution with that mean and standard deviation (positive, as densities and rates are);
  coefficients with sd = 0 stay fixed.
* Published uncertainties are converted to a standard deviation by :func:`sd_from_uncertainty`:
  IPCC's "+-x %" is the half-width of a 95% interval (sd = x% / 1.96 of the mean); where a
  table says its error is "2 x sd as percent of the mean" (IPCC 2006 Table 2.3) sd = x% / 2;
  a published range lo-hi read as a 95% range gives sd = (hi - lo) / (2 x 1.96).
* One draw per coefficient: a value used by several land-cover codes, several counties or
  several pools (a reference soil stock that every class's soil stock is derived from, an
  above-ground stock that below-ground is derived from) is drawn once and shared, as a
  mis-estimated coefficient would be.  Intervals of sums over counties are therefore not
  narrowed by averaging, and city totals come from summing the same draws (never from adding
  county percentiles).
* The draws are a Latin hypercube (:func:`latin_hypercube_normals`): each coefficient's draws
  cover its distribution evenly, one draw per equal-probability stratum, in an independent
  random order per coefficient.  40,000 such draws give 5-95% bounds as stable between seeds
  as 100,000 simple random draws did (``geo_sink.defaults.DEFAULT_DRAWS``).
"""

from __future__ import annotations

import numpy as np

from geo_sink.defaults import DEFAULT_DESIGN, DEFAULT_DRAWS, DEFAULT_SEED  # noqa: F401 - re-exported


def lognormal_draws(mean, sd, n: int, rng: np.random.Generator, design: str = DEFAULT_DESIGN) -> np.ndarray:
    """``n`` draws of lognormal variables with the given means and standard deviations.

    Parameters
    ----------
    mean, sd : array_like (same shape), >= 0
        Mean and standard deviation of each variable (same units).
    n : int
        Number of draws.
    rng : numpy.random.Generator
    design : {"random", "lhs"}
        ``random``: independent draws (simple Monte Carlo); ``lhs``: a Latin hypercube, each
        variable's ``n`` draws one from each of its ``n`` equal-probability strata, in an
        independent random order per variable (:func:`latin_hypercube_normals`).

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
    if design == "random":
        z = rng.standard_normal((n,) + mean.shape)
    elif design == "lhs":
        z = latin_hypercube_normals(n, mean.size, rng).reshape((n,) + mean.shape)
    else:
        raise ValueError(f"unknown sampling design {design!r}; expected 'random' or 'lhs'")
    return np.where(varying, np.exp(mu + sigma * z), mean)


def latin_hypercube_normals(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(n, k) standard normal draws on a Latin hypercube (McKay, Beckman & Conover 1979).

    Column j holds ``Phi^-1((pi_j(i) + u_ij) / n)``: one draw uniformly placed in each of the
    ``n`` equal-probability strata of the normal distribution, ``pi_j`` an independent random
    permutation per column.  Each variable's marginal is then covered evenly (no stratum over-
    or under-drawn), which removes the additive part of the sampling error of any function of
    the variables (Stein 1987); the columns stay independent.

    References
    ----------
    McKay, M. D., Beckman, R. J. & Conover, W. J. (1979) A comparison of three methods for
    selecting values of input variables in the analysis of output from a computer code.
    Technometrics 21(2), 239-245.
    Stein, M. (1987) Large sample properties of simulations using Latin hypercube sampling.
    Technometrics 29(2), 143-151.
    """
    strata = rng.permuted(np.broadcast_to(np.arange(n, dtype=float), (k, n)), axis=1).T   # (n, k)
    u = np.clip(rng.random((n, k)), 2.0 ** -53, 1 - 2.0 ** -53)      # never a stratum's edge: 0 or 1 -> -inf or inf
    return normal_quantile((strata + u) / n)


#: Acklam's rational approximation of the standard normal quantile (relative error < 1.15e-9).
_ACKLAM_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_ACKLAM_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01)
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)


def normal_quantile(p) -> np.ndarray:
    """The standard normal quantile ``Phi^-1(p)`` for ``0 < p < 1`` (vectorised; relative error
    below 1.2e-9, far inside any Monte Carlo error; ``p`` of 0 or 1 gives -inf or inf).

    References
    ----------
    Acklam, P. J. (2003) An algorithm for computing the inverse normal cumulative distribution
    function.  The rational approximation with coefficients a1-a6, b1-b5, c1-c6, d1-d4 and
    break-point 0.02425.
    """
    p = np.asarray(p, dtype=float)
    out = np.empty_like(p)
    lo, hi = p < 0.02425, p > 1 - 0.02425
    mid = ~(lo | hi)
    a, b, c, d = _ACKLAM_A, _ACKLAM_B, _ACKLAM_C, _ACKLAM_D
    q = p[mid] - 0.5
    r = q * q
    out[mid] = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))
    for sel, sign, pp in ((lo, 1.0, p[lo]), (hi, -1.0, 1 - p[hi])):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.sqrt(-2 * np.log(pp))
            out[sel] = np.where(pp > 0, sign * ((((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
                                                ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1)), -sign * np.inf)
    out[np.isnan(p)] = np.nan
    return out


#: z of the two-sided 95% interval of a normal distribution.
Z95 = 1.959963984540054


def sd_from_uncertainty(value, pct=None, lo=None, hi=None, basis: str = "ci95") -> float:
    """Standard deviation from a published uncertainty.

    Parameters
    ----------
    value : float
        The central value.
    pct : float, optional
        "+-x %" of the value (``ci95``, ``two_sd``).
    lo, hi : float, optional
        A published range (``range95``).
    basis : {"ci95", "two_sd", "range95", "none"}
        ``ci95``: +-pct% is the half-width of a 95% interval, sd = pct/100 x value / 1.96 (IPCC's
        convention for "+-x %" uncertainties, 2006 GL Vol.1 Ch.3 section 3.1.3);
        ``two_sd``: +-pct% is two standard deviations, sd = pct/100 x value / 2;
        ``range95``: lo-hi is a 95% range, sd = (hi - lo) / (2 x 1.96);
        ``none``: no uncertainty given, sd = 0.

    Returns
    -------
    float
        The standard deviation, in the value's unit.
    """
    value = float(value)
    if basis == "none":
        return 0.0
    if basis in ("ci95", "two_sd"):
        if pct is None or not np.isfinite(float(pct)) or float(pct) < 0:
            raise ValueError(f"basis {basis!r} needs a non-negative percentage, got {pct!r}")
        return abs(value) * float(pct) / 100.0 / (Z95 if basis == "ci95" else 2.0)
    if basis == "range95":
        if lo is None or hi is None or not float(lo) <= value <= float(hi):
            raise ValueError(f"basis 'range95' needs lo <= value <= hi, got {lo!r} <= {value} <= {hi!r}")
        return (float(hi) - float(lo)) / (2.0 * Z95)
    raise ValueError(f"unknown uncertainty basis {basis!r}; expected ci95, two_sd, range95 or none")


def shared_lognormal_draws(mean, sd, n: int, rng: np.random.Generator, design: str = DEFAULT_DESIGN) -> np.ndarray:
    """Lognormal draws where equal (mean, sd) pairs are the same coefficient, drawn once.

    Parameters
    ----------
    mean, sd : array_like, same shape (e.g. codes x pools)
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, *mean.shape)
        Entries with the same (mean, sd) pair hold identical draws (a pools table that gives
        one grassland value for two legend codes has one grassland coefficient).  Callers that
        must keep pools apart pass them column by column or encode them in ``mean``.
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    pairs = np.stack([mean.reshape(-1), sd.reshape(-1)], axis=1)
    uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
    d = lognormal_draws(uniq[:, 0], uniq[:, 1], n, rng, design)       # (n, k)
    return d[:, inv.reshape(-1)].reshape((n,) + mean.shape)


def row_percentiles(rows: np.ndarray, lo: float = 5.0, hi: float = 95.0,
                    overwrite_input: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The (lo, hi) percentiles of each row of an (m, n) array, equal to
    ``np.percentile(rows, [lo, hi], axis=1)`` (numpy's linear interpolation, the same floats; only
    the sign of a zero may differ where a row holds both 0.0 and -0.0, which compare equal).

    Each percentile interpolates the order statistics k and k + 1 of its row.  One in-place
    ``partition`` at the higher rank (a single rank: numpy's vectorised quickselect, ~5x faster
    than a partition at several ranks) puts every smaller value left of it; a second partition
    of that left part alone finds the lower rank; each (k + 1)-th is the smallest value right of
    its k (about 1.5x the two whole-row partitions of a copy each that this replaced).
    ``overwrite_input``: partition ``rows`` itself (a temporary of the caller's), as
    ``np.percentile``'s option of that name; else ``rows`` is left as it is."""
    m, n = rows.shape
    if not (0 <= lo <= 100 and 0 <= hi <= 100):
        raise ValueError(f"percentiles must be in [0, 100], got {lo} and {hi}")
    if n == 0 or np.isnan(rows).any():
        p = np.percentile(rows, [lo, hi], axis=1)     # numpy's own rules (NaN propagates)
        return p[0], p[1]
    if lo > hi:
        b, a = row_percentiles(rows, hi, lo, overwrite_input)
        return a, b
    own = overwrite_input and rows.flags.c_contiguous and rows.flags.writeable
    part = rows if own else np.array(rows, dtype=rows.dtype, order="C")
    kh, th = _rank(hi, n)
    part.partition(kh, axis=1)
    ah = part[:, kh]
    bh = part[:, kh + 1:].min(axis=1) if kh + 1 < n else ah
    kl, tl = _rank(lo, n)
    if kl < kh:
        left = part[:, :kh]                     # every value of a row not above its ah
        left.partition(kl, axis=1)
        al = left[:, kl]
        bl = np.minimum(left[:, kl + 1:].min(axis=1), ah) if kl + 1 < kh else ah
    else:
        al, bl = ah, bh
    return _lerp(al, bl, tl), _lerp(ah, bh, th)


def _rank(q: float, n: int) -> tuple[int, float]:
    """Order statistic k (0-based) and weight t of numpy's linear percentile q of n values."""
    x = q / 100.0 * (n - 1)
    k = int(np.floor(x))
    return k, x - k


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy's ``_lerp``, so that a percentile is np.percentile's to the bit."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def percentile_interval(draws: np.ndarray, lo: float = 5.0, hi: float = 95.0,
                        threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (lo, hi) percentiles over the first axis, equal to ``np.percentile(draws, [lo, hi],
    axis=0)`` (see :func:`row_percentiles`).

    The columns are taken in contiguous blocks (:func:`row_percentiles`: only the order
    statistics needed are selected) on ``threads`` threads (default: up to 2 for large stacks;
    the partition releases the GIL): about 3x ``np.percentile`` on an (n, zones, pools) stack,
    which partitions along a strided axis.
    """
    d = np.asarray(draws, dtype=float)
    n = d.shape[0]
    flat = d.reshape(n, -1)
    m = flat.shape[1]
    if threads is None:
        import os
        threads = 2 if n * m >= 1_000_000 and (os.cpu_count() or 1) > 1 else 1
    bounds = np.linspace(0, m, min(m, 4 * threads) + 1).astype(int)
    parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]

    def block(cols: slice):
        rows = np.ascontiguousarray(flat[:, cols].T)
        # a block that is already contiguous is the caller's memory, not a copy: leave it be
        return row_percentiles(rows, lo, hi, overwrite_input=not np.shares_memory(rows, d))

    if threads > 1 and len(parts) > 1:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(threads) as ex:
            res = list(ex.map(block, parts))
    else:
        res = [block(c) for c in parts]
    if not res:
        empty = np.empty(d.shape[1:])
        return empty, empty.copy()
    return (np.concatenate([r[0] for r in res]).reshape(d.shape[1:]),
            np.concatenate([r[1] for r in res]).reshape(d.shape[1:]))
