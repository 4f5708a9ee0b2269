"""Identities between estimators on random, internally consistent rollouts."""

from __future__ import annotations

import pytest
import torch

from advrun.advantages import gae, mc, nstep, td

T, N = 20, 4
SEEDS = [0, 1, 2, 3, 4]
P_DONE = [0.0, 0.2, 0.5]


def assert_pair_close(a, b):
    torch.testing.assert_close(a[0], b[0], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(a[1], b[1], rtol=1e-10, atol=1e-10)


def _data(rollout, seed, p_done):
    data = rollout(T, N, seed, p_done=p_done)
    if p_done > 0:  # make sure the interesting branches are exercised
        assert bool(data[4].any())
        assert bool((data[4] & ~data[3]).any()) or bool(data[3].any())
    return data


@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_gae_lam0_equals_td(rollout, seed, p_done):
    data = _data(rollout, seed, p_done)
    assert_pair_close(gae(*data, gamma=0.95, lam=0.0), td(*data, gamma=0.95))


@pytest.mark.parametrize("gamma", [0.9, 0.99, 1.0])
@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_gae_lam1_equals_mc(rollout, seed, p_done, gamma):
    data = _data(rollout, seed, p_done)
    assert_pair_close(gae(*data, gamma=gamma, lam=1.0), mc(*data, gamma=gamma))


@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_nstep_1_equals_td(rollout, seed, p_done):
    data = _data(rollout, seed, p_done)
    assert_pair_close(nstep(*data, gamma=0.9, n=1), td(*data, gamma=0.9))


@pytest.mark.parametrize("n", [T, T + 7])
@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_nstep_large_n_equals_mc(rollout, seed, p_done, n):
    data = _data(rollout, seed, p_done)
    assert_pair_close(nstep(*data, gamma=0.9, n=n), mc(*data, gamma=0.9))


def test_gae_lam1_differs_from_mc_on_inconsistent_data(rollout):
    # Sanity check that the lam=1 identity is not vacuous: it needs next_values[t] ==
    # values[t+1] inside episodes. Break that and GAE(1) must differ from MC.
    r, v, nv, term, done = rollout(T, N, 0, p_done=0.0)
    nv = nv + 1.0
    a_gae, _ = gae(r, v, nv, term, done, gamma=0.9, lam=1.0)
    a_mc, _ = mc(r, v, nv, term, done, gamma=0.9)
    assert not torch.allclose(a_gae, a_mc)


@pytest.mark.parametrize("seed", SEEDS)
def test_advantages_are_returns_minus_values(rollout, seed):
    data = rollout(T, N, seed)
    values = data[1]
    for adv, ret in (
        td(*data, gamma=0.9),
        gae(*data, gamma=0.9, lam=0.7),
        mc(*data, gamma=0.9),
        nstep(*data, gamma=0.9, n=3),
    ):
        torch.testing.assert_close(adv, ret - values)
