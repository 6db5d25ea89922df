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
    with_nan = a.copy()
    with_nan.flat[0] = np.nan
    got = percentile_interval(with_nan, lo, hi)
    assert np.isnan(got[0].flat[0]) and np.isnan(got[1].flat[0])
