"""UPGO returns: hand-computed numbers, termination vs truncation, and the identities
with the lambda = 1 returns (all upgoing) and TD(0) (none upgoing)."""

from __future__ import annotations

import torch

from advrun.advantages import gae, td
from advrun.advantages.upgo import upgo

F = torch.zeros(3, 1, dtype=torch.bool)


def col(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64).unsqueeze(1)


def test_all_upgoing_is_the_discounted_return() -> None:
    # gamma 0.5, r = 1, V = 0: every delta = 1 >= 0, so G follows the trajectory:
    # G_2 = 1 + 0.5 * 0 = 1; G_1 = 1 + 0.5 * 1 = 1.5; G_0 = 1 + 0.5 * 1.5 = 1.75.
    z = col(0, 0, 0)
    adv, ret = upgo(col(1, 1, 1), z, z, F, F, gamma=0.5)
    assert ret[:, 0].tolist() == [1.75, 1.5, 1.0]
    assert adv[:, 0].tolist() == [1.75, 1.5, 1.0]


def test_a_worse_next_action_falls_back_to_v() -> None:
    # V = [0, 2, 0], V(s_{t+1}) = [2, 0, 0], r = 1, gamma 0.5:
    # delta = [1 + 1 - 0, 1 + 0 - 2, 1 + 0 - 0] = [2, -1, 1].
    # G_2 = 1 + 0.5 * 0 = 1
    # G_1 = 1 + 0.5 * G_2 = 1.5            (delta_2 = 1 >= 0: follow)
    # G_0 = 1 + 0.5 * V(s_1) = 1 + 1 = 2   (delta_1 = -1 < 0: bootstrap)
    adv, ret = upgo(col(1, 1, 1), col(0, 2, 0), col(2, 0, 0), F, F, gamma=0.5)
    assert ret[:, 0].tolist() == [2.0, 1.5, 1.0]
    assert adv[:, 0].tolist() == [2.0, -0.5, 1.0]


def test_termination_does_not_bootstrap_and_truncation_does() -> None:
    # Row 1 ends the episode; next_values[1] = 4 (V of the final observation).
    r, v, nv = col(1, 1, 1), col(0, 0, 0), col(0, 4, 0)
    done = torch.tensor([[False], [True], [False]])
    _, terminated = upgo(r, v, nv, done, done, gamma=0.5)
    assert terminated[1, 0] == 1.0  # r only
    _, truncated = upgo(r, v, nv, F, done, gamma=0.5)
    assert truncated[1, 0] == 1.0 + 0.5 * 4  # bootstraps from V(final obs)
    # done cuts the recursion: row 0 never sees row 2.
    assert truncated[0, 0] == 1.0 + 0.5 * truncated[1, 0]


def test_identities_with_gae_lambda_one_and_td(rollout) -> None:
    r, v, _, term, done = rollout(12, 5, 3, p_done=0.3)
    # Rewards >= 1 and V = 0: every delta >= 1, so every step is upgoing.
    r = r.abs() + 1.0
    low = torch.zeros_like(v)
    _, ret_up = upgo(r, low, low, term, done, gamma=0.9)
    _, ret_mc = gae(r, low, low, term, done, gamma=0.9, lam=1.0)
    torch.testing.assert_close(ret_up, ret_mc)
    # Values so large that every delta_{t+1} < 0 inside an episode: TD(0) targets.
    high = torch.full_like(v, 1e6)
    _, ret_up = upgo(r, high, high, term, done, gamma=0.9)
    _, ret_td = td(r, high, high, term, done, gamma=0.9)
    torch.testing.assert_close(ret_up, ret_td)
