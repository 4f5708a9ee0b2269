"""IQM and the stratified bootstrap, pinned to hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advrun.sweeps.stats import iqm, mean_band, stratified_bootstrap_ci


def test_iqm_hand_computed() -> None:
    # n=8: drop floor(8/4)=2 from each end -> mean(3, 4, 5, 6)
    assert iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5
    # n=5: drop floor(5/4)=1 each end -> mean(2, 3, 100) = 35
    assert iqm([1000, 2, 3, 100, -50]) == 35.0
    # n=4: drop 1 each end -> mean(2, 3)
    assert iqm([1, 2, 3, 4]) == 2.5
    # n < 4: nothing is dropped
    assert iqm([1, 2, 9]) == 4.0
    assert math.isnan(iqm([]))


def test_iqm_matches_scipy_trim_mean() -> None:
    import scipy.stats as scipy_stats

    rng = np.random.default_rng(0)
    for n in range(1, 30):
        x = rng.normal(size=n)
        assert iqm(x) == pytest.approx(scipy_stats.trim_mean(x, 0.25))


def test_bootstrap_of_constant_scores_is_exact() -> None:
    assert stratified_bootstrap_ci([[3.0, 3.0, 3.0]], reps=50) == (3.0, 3.0, 3.0)


def test_bootstrap_resamples_within_strata() -> None:
    # Two strata, one run each: every resample must take that run from each stratum,
    # so the pooled mean is always (0 + 10) / 2 and the CI collapses onto it. An
    # unstratified bootstrap would also draw (0, 0) and (10, 10).
    point, low, high = stratified_bootstrap_ci([[0.0], [10.0]], np.mean, reps=200)
    assert (point, low, high) == (5.0, 5.0, 5.0)
    sizes = []

    def record(x: np.ndarray) -> float:
        sizes.append(x.size)
        return float(x.mean())

    stratified_bootstrap_ci([[1, 2, 3], [4, 5]], record, reps=20)
    assert set(sizes) == {5}


def test_bootstrap_percentiles_hand_computed() -> None:
    # One stratum {0, 1}, mean over 2 draws: resample means are 0, 0.5, 1 with
    # probabilities 1/4, 1/2, 1/4, so the 95% percentile CI is [0, 1] and the
    # resample distribution centres on 0.5.
    point, low, high = stratified_bootstrap_ci([[0.0, 1.0]], np.mean, reps=4000, seed=1)
    assert point == 0.5
    assert (low, high) == (0.0, 1.0)
    point, low, high = stratified_bootstrap_ci(
        [[0.0, 1.0]], np.mean, reps=4000, confidence=0.4, seed=1
    )
    assert (low, high) == (0.5, 0.5)


def test_mean_band_brackets_the_mean() -> None:
    curves = [np.array([0.0, 1.0, 2.0]), np.array([2.0, 3.0, 4.0])]
    mean, low, high = mean_band(curves, reps=200)
    np.testing.assert_allclose(mean, [1.0, 2.0, 3.0])
    assert np.all(low <= mean) and np.all(mean <= high)
    assert np.all(low >= [0.0, 1.0, 2.0]) and np.all(high <= [2.0, 3.0, 4.0])
    single, lo1, hi1 = mean_band([np.array([1.0, 2.0])])
    np.testing.assert_allclose(lo1, single)
    np.testing.assert_allclose(hi1, single)
