"""Hand-computed GAE cases."""

from __future__ import annotations

import pytest
import torch

from advrun.advantages import gae


def col(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64).unsqueeze(1)


def bcol(*xs: int) -> torch.Tensor:
    return torch.tensor([bool(x) for x in xs]).unsqueeze(1)


def test_spec_example_no_dones():
    # gamma = lam = 0.5, r = 1, V = next V = 0: delta_t = 1, gamma*lam = 0.25
    # A2 = 1; A1 = 1 + 0.25*1 = 1.25; A0 = 1 + 0.25*1.25 = 1.3125
    r, z, f = col(1, 1, 1), col(0, 0, 0), bcol(0, 0, 0)
    adv, ret = gae(r, z, z, f, f, gamma=0.5, lam=0.5)
    torch.testing.assert_close(adv, col(1.3125, 1.25, 1.0))
    torch.testing.assert_close(ret, col(1.3125, 1.25, 1.0))


def test_nonzero_values():
    # gamma = lam = 0.5; r = [1,2,3], V = [1,2,3], next V = [2,3,4]
    # d0 = 1 + 0.5*2 - 1 = 1; d1 = 2 + 0.5*3 - 2 = 1.5; d2 = 3 + 0.5*4 - 3 = 2
    # A2 = 2; A1 = 1.5 + 0.25*2 = 2; A0 = 1 + 0.25*2 = 1.5; returns = A + V = [2.5, 4, 5]
    f = bcol(0, 0, 0)
    adv, ret = gae(col(1, 2, 3), col(1, 2, 3), col(2, 3, 4), f, f, gamma=0.5, lam=0.5)
    torch.testing.assert_close(adv, col(1.5, 2.0, 2.0))
    torch.testing.assert_close(ret, col(2.5, 4.0, 5.0))


def test_gamma_lam_one_sums_rewards_plus_bootstrap():
    # gamma = lam = 1, r = 1, V = 0, bootstrap next V[2] = 5 (next V[0..1] = V[1..2] = 0)
    # d = [1, 1, 6]; A2 = 6, A1 = 7, A0 = 8
    f = bcol(0, 0, 0)
    adv, _ = gae(col(1, 1, 1), col(0, 0, 0), col(0, 0, 5), f, f, gamma=1.0, lam=1.0)
    torch.testing.assert_close(adv, col(8.0, 7.0, 6.0))


# Shared T = 4 data: gamma = lam = 0.5, r = [1,2,3,4], V = 1, next V = [1,5,1,2], done at t=1.
R4, V4, NV4 = col(1, 2, 3, 4), col(1, 1, 1, 1), col(1, 5, 1, 2)
DONE4 = bcol(0, 1, 0, 0)


def test_termination_mid_segment():
    # terminated at t=1: next V[1] = 5 is ignored, nothing flows from t=2 into t=1
    # d0 = 1 + 0.5*1 - 1 = 0.5; d1 = 2 + 0 - 1 = 1; d2 = 3 + 0.5*1 - 1 = 2.5; d3 = 4 + 0.5*2 - 1 = 4
    # A3 = 4; A2 = 2.5 + 0.25*4 = 3.5; A1 = 1; A0 = 0.5 + 0.25*1 = 0.75
    adv, ret = gae(R4, V4, NV4, DONE4, DONE4, gamma=0.5, lam=0.5)
    torch.testing.assert_close(adv, col(0.75, 1.0, 3.5, 4.0))
    torch.testing.assert_close(ret, col(1.75, 2.0, 4.5, 5.0))


def test_truncation_mid_segment_bootstraps():
    # truncated at t=1: d1 = 2 + 0.5*5 - 1 = 3.5 (bootstraps from next V[1]); no flow from t=2
    # A3 = 4; A2 = 3.5; A1 = 3.5; A0 = 0.5 + 0.25*3.5 = 1.375
    adv, _ = gae(R4, V4, NV4, bcol(0, 0, 0, 0), DONE4, gamma=0.5, lam=0.5)
    torch.testing.assert_close(adv, col(1.375, 3.5, 3.5, 4.0))


def test_two_envs_different_dones():
    # gamma = lam = 0.5, T = 3.
    # env0: r = [1,1,1], V = 0, next V = [4,0,2], terminated at t=0 (next V[0] = 4 ignored)
    #   d = [1, 1, 1 + 0.5*2] = [1, 1, 2]; A2 = 2; A1 = 1 + 0.25*2 = 1.5; A0 = 1 (done)
    # env1: r = [0,2,0], V = 1, next V = [1,6,1], truncated at t=1
    #   d0 = 0 + 0.5 - 1 = -0.5; d1 = 2 + 3 - 1 = 4; d2 = 0 + 0.5 - 1 = -0.5
    #   A2 = -0.5; A1 = 4 (done); A0 = -0.5 + 0.25*4 = 0.5
    r = torch.tensor([[1.0, 0.0], [1.0, 2.0], [1.0, 0.0]])
    v = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    nv = torch.tensor([[4.0, 1.0], [0.0, 6.0], [2.0, 1.0]])
    term = torch.tensor([[True, False], [False, False], [False, False]])
    done = torch.tensor([[True, False], [False, True], [False, False]])
    adv, ret = gae(r, v, nv, term, done, gamma=0.5, lam=0.5)
    expected = torch.tensor([[1.0, 0.5], [1.5, 4.0], [2.0, -0.5]])
    torch.testing.assert_close(adv, expected)
    torch.testing.assert_close(ret, expected + v)


def test_terminated_on_last_step_does_not_bootstrap():
    # gamma = lam = 0.5, r = [1,1], V = 0, next V = [0, 10], terminated at t=1
    # d1 = 1 (no bootstrap); d0 = 1; A1 = 1; A0 = 1 + 0.25 = 1.25
    z = col(0, 0)
    adv, _ = gae(col(1, 1), z, col(0, 10), bcol(0, 1), bcol(0, 1), gamma=0.5, lam=0.5)
    torch.testing.assert_close(adv, col(1.25, 1.0))


@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_lam_changes_only_propagation(lam):
    # gamma = 0.5, T = 2, r = [0, 1], V = 0, next V = 0 -> d = [0, 1]
    # A1 = 1; A0 = 0 + 0.5*lam*1
    z, f = col(0, 0), bcol(0, 0)
    adv, _ = gae(col(0, 1), z, z, f, f, gamma=0.5, lam=lam)
    torch.testing.assert_close(adv, col(0.5 * lam, 1.0))
