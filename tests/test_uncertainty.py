"""geo_sink.uncertainty: the percentile interval of Monte Carlo draws."""

import numpy as np
import pytest


@pytest.mark.parametrize("shape", [(100_000, 17, 5), (1000, 3), (7,), (20_001, 2, 2), (2, 4), (1, 3)])
@pytest.mark.parametrize("lo, hi", [(5.0, 95.0), (2.5, 97.5), (0.0, 100.0), (50.0, 50.0)])
def test_percentile_interval_is_numpy_percentile_to_the_bit(shape, lo, hi):
    """Order statistics selected by rank on threads give np.percentile's linear interpolation
    exactly (numpy's own lerp, on both sides of t = 0.5), whatever the stack's shape."""
    from geo_sink.uncertainty import percentile_interval
    a = np.random.default_rng(len(shape) * 7 + shape[0]).lognormal(size=shape)
    ref = np.percentile(a, [lo, hi], axis=0)
    for threads in (1, 2):
        got = percentile_interval(a, lo, hi, threads=threads)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
    keep = a.copy()
    for draws in (a, np.asfortranarray(a)):       # contiguous blocks are the caller's memory
        percentile_interval(draws, lo, hi)
        assert np.array_equal(draws, keep)
    with_nan = a.copy()
    with_nan.flat[0] = np.nan
    got = percentile_interval(with_nan, lo, hi)
    assert np.isnan(got[0].flat[0]) and np.isnan(got[1].flat[0])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 40_000])
@pytest.mark.parametrize("lo, hi", [(5.0, 95.0), (95.0, 5.0), (40.0, 60.0), (0.0, 0.0), (33.0, 34.0)])
def test_row_percentiles_is_numpy_percentile_to_the_bit(n, lo, hi):
    """The in-place partitions (the higher rank first, then the part left of it) give
    np.percentile exactly: ranks next to each other or equal, lo above hi, rows full of ties;
    the input is untouched unless overwrite_input, and a strided input is copied."""
    from geo_sink.uncertainty import row_percentiles
    rng = np.random.default_rng(n)
    for rows in (rng.lognormal(size=(6, n)), rng.integers(0, 3, (6, n)).astype(float)):
        ref = np.percentile(rows, [lo, hi], axis=1)
        keep = rows.copy()
        got = row_percentiles(rows, lo, hi)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
        assert np.array_equal(rows, keep)
        got = row_percentiles(rows[:, ::-1], lo, hi, overwrite_input=True)      # strided: copied
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
        assert np.array_equal(rows, keep)
        got = row_percentiles(rows, lo, hi, overwrite_input=True)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
        assert np.array_equal(np.sort(rows, axis=1), np.sort(keep, axis=1))      # the same values


# --- the Latin hypercube design ------------------------------------------------------------------

def test_normal_quantile_against_scipy():
    """Acklam's approximation is within 1.2e-9 (relative, or absolute near 0) of scipy's ndtri
    (Cephes), over the whole range and at its break-points; 0 and 1 give -inf and inf."""
    from scipy.special import ndtri

    from geo_sink.uncertainty import normal_quantile
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 400_001), np.geomspace(1e-300, 0.1, 500),
                        [0.02425, 1 - 0.02425, 0.5, 0.975]])
    ref = ndtri(p)
    assert np.max(np.abs(normal_quantile(p) - ref) / np.maximum(1.0, np.abs(ref))) < 1.2e-9
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, abs=1e-8)
    assert list(normal_quantile([0.0, 1.0])) == [-np.inf, np.inf]
    assert np.isnan(normal_quantile([np.nan])[0])


def test_latin_hypercube_puts_one_draw_in_each_stratum():
    """Each column has exactly one draw in each of the n equal-probability strata of N(0, 1)
    (checked with scipy's CDF), the columns in different orders and uncorrelated."""
    from scipy.special import ndtr

    from geo_sink.uncertainty import latin_hypercube_normals
    n, k = 5000, 6
    z = latin_hypercube_normals(n, k, np.random.default_rng(3))
    strata = np.floor(ndtr(z) * n).astype(int)
    for j in range(k):
        assert np.array_equal(np.sort(strata[:, j]), np.arange(n))
    assert not np.array_equal(strata[:, 0], strata[:, 1])
    corr = np.corrcoef(z.T)[np.triu_indices(k, 1)]
    assert np.abs(corr).max() < 4 / np.sqrt(n)
    assert np.array_equal(z, latin_hypercube_normals(n, k, np.random.default_rng(3)))   # seeded


def test_lhs_percentiles_of_one_lognormal_are_near_exact():
    """One lognormal coefficient: its 5th/95th percentiles are exp(mu -+ 1.645 sigma) in closed
    form.  With 2,000 LHS draws they are within 0.2%: the order statistics sit in their own
    strata, 1/2000 of probability wide, 0.14% of the value here (2,000 simple random draws miss by
    ~1-3%)."""
    from geo_sink.uncertainty import lognormal_draws, percentile_interval
    mean, sd = 40.0, 12.0
    sigma = np.sqrt(np.log1p((sd / mean) ** 2))
    mu = np.log(mean) - sigma ** 2 / 2
    exact = np.exp(mu + np.array([-1, 1]) * 1.6448536269514722 * sigma)
    errs = {}
    for design in ("lhs", "random"):
        e = []
        for seed in range(20):
            d = lognormal_draws(mean, sd, 2000, np.random.default_rng(seed), design=design)
            e.append(np.abs(np.array(percentile_interval(d)) - exact) / exact)
        errs[design] = np.max(e)
    assert errs["lhs"] < 2e-3
    assert errs["random"] > 5 * errs["lhs"]
    with pytest.raises(ValueError, match="sampling design"):
        lognormal_draws(mean, sd, 10, np.random.default_rng(0), design="sobol")


def test_lhs_bounds_vary_less_between_seeds_than_random(catalog):
    """The precision study in small (benchmarks/draws.py runs it on 117 counties): IPCC Tier 1
    stocks and sinks of 12 counties, the bounds' spread over 8 seeds.  40,000 LHS draws (the
    default) vary less between seeds than 100,000 simple random draws, stocks and sinks alike,
    and agree with them within the random draws' own spread."""
    import pandas as pd

    from geo_sink.sinks.carbon import carbon_stock_series, tier1_densities
    from geo_sink.sinks.carbon_run import tier1_defaults
    legend = catalog.legend("clcd")
    rng = np.random.default_rng(7)
    codes = [1, 2, 3, 4, 5, 7]
    ids = [f"z{i:02d}" for i in range(12)]
    a0 = rng.uniform(10, 500, (12, len(codes)))
    a1 = a0 * rng.uniform(0.85, 1.2, a0.shape)

    def table(a):
        return pd.DataFrame([(z, z, c, a[i, j]) for i, z in enumerate(ids) for j, c in enumerate(codes)],
                            columns=["zone_id", "zone_name", "class_code", "area_km2"])
    zone_climate = {z: ("warm_temperate_dry" if i % 2 else "cool_temperate_dry") for i, z in enumerate(ids)}
    dens = tier1_densities(tier1_defaults(catalog), legend, codes, zone_climate)
    series = {2015: table(a0), 2020: table(a1)}
    spread, means = {}, {}
    for design, n in (("lhs", 40_000), ("random", 100_000)):
        runs = [carbon_stock_series(series, dens, 44 / 12, draws=n, seed=s, design=design) for s in range(8)]
        b_st = np.stack([r[0].loc[r[0].pool == "total", ["stock_t_co2e_p05", "stock_t_co2e_p95"]].to_numpy()
                         for r in runs])
        b_sk = np.stack([r[1].loc[r[1].pool == "total", ["sink_t_co2e_yr_p05", "sink_t_co2e_yr_p95"]].to_numpy()
                         for r in runs])
        c_st = runs[0][0].loc[runs[0][0].pool == "total", "stock_t_co2e"].to_numpy()[:, None]
        c_sk = np.abs(runs[0][1].loc[runs[0][1].pool == "total", "sink_t_co2e_yr"].to_numpy())[:, None]
        spread[design] = (np.sqrt(np.mean((b_st.std(0, ddof=1) / c_st) ** 2)),
                          np.sqrt(np.mean((b_sk.std(0, ddof=1) / c_sk) ** 2)))
        means[design] = (b_st.mean(0) / c_st, b_sk.mean(0) / c_sk, b_st.std(0, ddof=1) / c_st, b_sk.std(0, ddof=1) / c_sk)
    assert spread["lhs"][0] < spread["random"][0] and spread["lhs"][1] < spread["random"][1], spread
    for k in (0, 1):      # same bounds: within 4 standard errors of the difference of the 8-seed means
        se = np.sqrt((means["lhs"][k + 2] ** 2 + means["random"][k + 2] ** 2) / 8)
        assert (np.abs(means["lhs"][k] - means["random"][k]) < 4 * se + 1e-4).all()
