"""Hand-computed TD(0) cases."""

from __future__ import annotations

import torch

from advrun.advantages import td

# gamma = 0.9, T = 3, N = 2
# env0: r = [1,2,3], V = [0.5,1,1.5], next V = [1,1.5,2], no dones
#   d0 = 1 + 0.9*1 - 0.5 = 1.4; d1 = 2 + 0.9*1.5 - 1 = 2.35; d2 = 3 + 0.9*2 - 1.5 = 3.3
# env1: r = [1,0,-1], V = [1,2,0], next V = [2,7,3], done at t=1
#   d0 = 1 + 0.9*2 - 1 = 1.8; d2 = -1 + 0.9*3 - 0 = 1.7
#   terminated at t=1: d1 = 0 - 2 = -2
#   truncated at t=1:  d1 = 0 + 0.9*7 - 2 = 4.3
R = torch.tensor([[1.0, 1.0], [2.0, 0.0], [3.0, -1.0]], dtype=torch.float64)
V = torch.tensor([[0.5, 1.0], [1.0, 2.0], [1.5, 0.0]], dtype=torch.float64)
NV = torch.tensor([[1.0, 2.0], [1.5, 7.0], [2.0, 3.0]], dtype=torch.float64)
DONE = torch.tensor([[False, False], [False, True], [False, False]])
NONE = torch.zeros(3, 2, dtype=torch.bool)


def test_termination():
    adv, ret = td(R, V, NV, DONE, DONE, gamma=0.9)
    expected = torch.tensor([[1.4, 1.8], [2.35, -2.0], [3.3, 1.7]], dtype=torch.float64)
    torch.testing.assert_close(adv, expected)
    # returns = delta + V: env0 [1.9, 3.35, 4.8], env1 [2.8, 0, 1.7]
    torch.testing.assert_close(
        ret, torch.tensor([[1.9, 2.8], [3.35, 0.0], [4.8, 1.7]], dtype=torch.float64)
    )


def test_truncation_bootstraps():
    adv, _ = td(R, V, NV, NONE, DONE, gamma=0.9)
    expected = torch.tensor([[1.4, 1.8], [2.35, 4.3], [3.3, 1.7]], dtype=torch.float64)
    torch.testing.assert_close(adv, expected)


def test_gamma_zero_is_reward_minus_value():
    # gamma = 0: delta = r - V
    adv, ret = td(R, V, NV, NONE, NONE, gamma=0.0)
    torch.testing.assert_close(adv, R - V)
    torch.testing.assert_close(ret, R)
