"""Vectorised estimators vs plain-Python loop references (see conftest.py)."""

from __future__ import annotations

import pytest
import torch

from advrun.advantages import gae, mc, nstep, td

CASES = [
    # (T, N, gamma, lam, n, p_done, seed)
    (1, 1, 0.9, 0.95, 1, 0.0, 0),
    (1, 3, 0.9, 0.95, 5, 0.5, 1),
    (2, 1, 0.5, 0.5, 2, 0.5, 2),
    (5, 3, 0.99, 0.95, 3, 0.3, 3),
    (12, 2, 0.0, 0.5, 4, 0.3, 4),
    (12, 2, 1.0, 1.0, 5, 0.3, 5),
    (16, 4, 0.9, 0.0, 16, 0.2, 6),
    (17, 5, 0.95, 0.8, 40, 0.1, 7),
    (20, 3, 0.7, 0.3, 7, 1.0, 8),  # every step done
    (25, 6, 0.97, 0.9, 6, 0.0, 9),  # no dones
]


def _check(actual, expected):
    torch.testing.assert_close(actual[0], expected[0], rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(actual[1], expected[1], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("T", "N", "gamma", "lam", "n", "p_done", "seed"), CASES)
def test_against_reference(ref, rollout, T, N, gamma, lam, n, p_done, seed):
    data = rollout(T, N, seed, p_done=p_done)
    _check(td(*data, gamma=gamma), ref.td(*data, gamma=gamma))
    _check(gae(*data, gamma=gamma, lam=lam), ref.gae(*data, gamma=gamma, lam=lam))
    _check(mc(*data, gamma=gamma), ref.mc(*data, gamma=gamma))
    _check(nstep(*data, gamma=gamma, n=n), ref.nstep(*data, gamma=gamma, n=n))


@pytest.mark.parametrize("seed", range(5))
def test_against_reference_inconsistent_values(ref, seed):
    # Fully random next_values (not tied to values[t+1]) and independent dones/terminations.
    g = torch.Generator().manual_seed(100 + seed)
    T, N = 11, 3
    r, v, nv = (torch.randn(T, N, generator=g, dtype=torch.float64) for _ in range(3))
    done = torch.rand(T, N, generator=g) < 0.3
    term = done & (torch.rand(T, N, generator=g) < 0.5)
    data = (r, v, nv, term, done)
    _check(gae(*data, gamma=0.9, lam=0.6), ref.gae(*data, gamma=0.9, lam=0.6))
    _check(mc(*data, gamma=0.9), ref.mc(*data, gamma=0.9))
    for n in (1, 2, 3, 11, 12):
        _check(nstep(*data, gamma=0.9, n=n), ref.nstep(*data, gamma=0.9, n=n))


def test_reference_matches_hand_numbers(ref):
    # Guard against a broken reference: the spec example (gamma = lam = 0.5, r = 1, V = 0)
    # gives GAE [1.3125, 1.25, 1.0]; MC with bootstrap 0 gives [1.75, 1.5, 1.0].
    r = torch.ones(3, 1, dtype=torch.float64)
    z = torch.zeros(3, 1, dtype=torch.float64)
    f = torch.zeros(3, 1, dtype=torch.bool)
    adv, _ = ref.gae(r, z, z, f, f, gamma=0.5, lam=0.5)
    assert adv[:, 0].tolist() == [1.3125, 1.25, 1.0]
    _, ret = ref.mc(r, z, z, f, f, gamma=0.5)
    assert ret[:, 0].tolist() == [1.75, 1.5, 1.0]
