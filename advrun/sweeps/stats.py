"""Aggregate statistics for sweeps: IQM and stratified-bootstrap confidence intervals.

Following Agarwal et al., "Deep RL at the Edge of the Statistical Precipice" (NeurIPS
2021): the interquartile mean (IQM) of per-run scores is robust to the odd outlier run
yet uses half the runs (the median uses one), and its uncertainty is a percentile
bootstrap CI whose resamples draw runs *within* each stratum (task), so every
resample keeps the same number of runs per task. Written here (numpy only) instead of
depending on rliable, whose pandas pin conflicts with current pandas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


def iqm(scores: Sequence[float] | np.ndarray) -> float:
    """Interquartile mean: the mean of the scores left after dropping the lowest and the
    highest ``floor(n / 4)`` (``scipy.stats.trim_mean(x, 0.25)``, as rliable uses).

    [1, 2, ..., 8] drops 1, 2 and 7, 8 and gives mean(3, 4, 5, 6) = 4.5."""
    x = np.sort(np.asarray(scores, dtype=float).ravel())
    if x.size == 0:
        return math.nan
    cut = int(0.25 * x.size)
    return float(x[cut : x.size - cut].mean())


def stratified_bootstrap_ci(
    strata: Sequence[Sequence[float] | np.ndarray],
    statistic: Callable[[np.ndarray], float] = iqm,
    *,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(point estimate, low, high) of ``statistic`` over all scores pooled.

    Each of ``reps`` resamples draws ``len(s)`` scores with replacement from every
    stratum ``s`` separately and pools them; ``low``/``high`` are the
    ``(1 ± confidence) / 2`` percentiles of the statistic over the resamples."""
    arrays = [np.asarray(s, dtype=float).ravel() for s in strata]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return math.nan, math.nan, math.nan
    point = statistic(np.concatenate(arrays))
    rng = np.random.default_rng(seed)
    stats = np.empty(reps)
    for r in range(reps):
        sample = [a[rng.integers(0, a.size, size=a.size)] for a in arrays]
        stats[r] = statistic(np.concatenate(sample))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(stats, [100 * alpha, 100 * (1 - alpha)])
    return point, float(low), float(high)


def mean_band(
    curves: Sequence[np.ndarray], *, reps: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pointwise mean of equally long curves (one per seed) and a bootstrap CI band:
    resample the seeds with replacement and take percentiles of the mean curve."""
    stack = np.asarray(curves, dtype=float)
    mean = stack.mean(axis=0)
    if stack.shape[0] < 2:
        return mean, mean.copy(), mean.copy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, stack.shape[0], size=(reps, stack.shape[0]))
    means = stack[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(means, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return mean, low, high


def iqm_band(
    curves: Sequence[np.ndarray], *, reps: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pointwise IQM of equally long curves (one per seed) and a percentile bootstrap CI
    band: resample the seeds with replacement, take the IQM curve of each resample.

    IQM at each point as :func:`iqm`: sort the ``n`` seeds' values, drop ``floor(n/4)``
    from each end, average the rest."""
    stack = np.asarray(curves, dtype=float)
    n = stack.shape[0]
    cut = int(0.25 * n)

    def trimmed(x: np.ndarray) -> np.ndarray:  # x: [..., n, points]
        s = np.sort(x, axis=-2)
        return s[..., cut : n - cut, :].mean(axis=-2)

    point = trimmed(stack)
    if n < 2:
        return point, point.copy(), point.copy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(reps, n))
    boot = trimmed(stack[idx])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(boot, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return point, low, high
