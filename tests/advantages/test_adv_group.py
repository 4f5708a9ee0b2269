"""Hand-computed GRPO and RLOO cases (per-step returns-to-go, per-time-step group baseline)."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.advantages import first_episode_mask, grpo, rloo


def t64(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def tb(rows: list[list[int]]) -> torch.Tensor:
    return torch.tensor(rows).bool()


# K = 2, gamma = 0.5, T = 3, columns are envs.
# env0: r = [1, 2, 4], no done (still running at the segment end; no bootstrap)
#   G2 = 4; G1 = 2 + 0.5*4 = 4; G0 = 1 + 0.5*4 = 3
# env1: r = [3, 1, 9], terminated at t=1 (row 2 invalid: its reward 9 is ignored)
#   G1 = 1; G0 = 3 + 0.5*1 = 3.5; G2 = 0
# env2: r = [1, 1, 1], no done: G = [1 + 0.5*1.5, 1 + 0.5*1, 1] = [1.75, 1.5, 1]
# env3: r = [0, 0, 2], no done: G = [0 + 0.5*1, 0 + 0.5*2, 2] = [0.5, 1, 2]
R2 = t64([[1, 3, 1, 0], [2, 1, 1, 0], [4, 9, 1, 2]])
TERM2 = tb([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
G2 = t64([[3, 3.5, 1.75, 0.5], [4, 1, 1.5, 1], [4, 0, 1, 2]])


def test_rloo_k2_one_group():
    # A^0 = G^0 - G^1 = [3 - 3.5, 4 - 1, 4 - 0] = [-0.5, 3, 4]
    # A^1 = G^1 - G^0 = [0.5, -3, (invalid) 0]
    adv, ret = rloo(R2[:, :2], TERM2[:, :2], TERM2[:, :2], gamma=0.5, group_size=2)
    torch.testing.assert_close(ret, G2[:, :2])
    torch.testing.assert_close(adv, t64([[-0.5, 0.5], [3, -3], [4, 0]]))


def test_grpo_k2_one_group():
    # K = 2: population std = |a - b| / 2, so each valid member gets +-1.
    # t0: (3, 3.5) -> (-1, 1); t1: (4, 1) -> (1, -1)
    # t2: (4, 0): mean 2, std 2 -> env0 (4 - 2)/2 = 1; env1 invalid -> 0
    adv, ret = grpo(R2[:, :2], TERM2[:, :2], TERM2[:, :2], gamma=0.5, group_size=2, eps=0.0)
    torch.testing.assert_close(ret, G2[:, :2])
    torch.testing.assert_close(adv, t64([[-1, 1], [1, -1], [1, 0]]))


def test_rloo_k2_two_groups_do_not_mix():
    # group 0 = envs 0,1 as above; group 1 = envs 2,3:
    # A^2 = G^2 - G^3 = [1.25, 0.5, -1]; A^3 = -A^2
    adv, ret = rloo(R2, TERM2, TERM2, gamma=0.5, group_size=2)
    torch.testing.assert_close(ret, G2)
    expected = t64([[-0.5, 0.5, 1.25, -1.25], [3, -3, 0.5, -0.5], [4, 0, -1, 1]])
    torch.testing.assert_close(adv, expected)


def test_grpo_k2_two_groups_do_not_mix():
    # group 1: t0 (1.75, 0.5) -> (1, -1); t1 (1.5, 1) -> (1, -1); t2 (1, 2) -> (-1, 1)
    adv, _ = grpo(R2, TERM2, TERM2, gamma=0.5, group_size=2, eps=0.0)
    expected = t64([[-1, 1, 1, -1], [1, -1, 1, -1], [1, 0, -1, 1]])
    torch.testing.assert_close(adv, expected)


# K = 3, gamma = 1, T = 3, one group.
# env0: r = [1, 1, 1], no done: G = [3, 2, 1]
# env1: r = [0, 2, 5], truncated at t=1 (no bootstrap, no critic); row 2 invalid: G = [2, 2, 0]
# env2: r = [4, 0, 0], terminated at t=0; rows 1, 2 invalid: G = [4, 0, 0]
R3 = t64([[1, 0, 4], [1, 2, 0], [1, 5, 0]])
TERM3 = tb([[0, 0, 1], [0, 0, 0], [0, 0, 0]])
DONE3 = tb([[0, 0, 1], [0, 1, 0], [0, 0, 0]])
G3 = t64([[3, 2, 4], [2, 2, 0], [1, 0, 0]])


def test_rloo_k3():
    # t0: (3, 2, 4): 3 - (2+4)/2 = 0; 2 - (3+4)/2 = -1.5; 4 - (3+2)/2 = 1.5
    # t1: (2, 2, 0): 2 - (2+0)/2 = 1; 2 - (2+0)/2 = 1; env2 invalid -> 0
    # t2: (1, 0, 0): 1 - (0+0)/2 = 1; envs 1, 2 invalid -> 0
    adv, ret = rloo(R3, TERM3, DONE3, gamma=1.0, group_size=3)
    torch.testing.assert_close(ret, G3)
    torch.testing.assert_close(adv, t64([[0, -1.5, 1.5], [1, 1, 0], [1, 0, 0]]))


def test_grpo_k3():
    # t0: (3, 2, 4): mean 3, var (0 + 1 + 1)/3 = 2/3 -> (0, -1, 1) / sqrt(2/3)
    # t1: (2, 2, 0): mean 4/3, deviations (2/3, 2/3, -4/3), var (4+4+16)/27 = 8/9,
    #     std 2*sqrt(2)/3 -> (2/3)/(2*sqrt(2)/3) = 1/sqrt(2) for envs 0, 1; env2 invalid -> 0
    # t2: (1, 0, 0): mean 1/3, var (4+1+1)/27 = 2/9, std sqrt(2)/3 -> env0 (2/3)/(sqrt(2)/3)
    #     = sqrt(2); envs 1, 2 invalid -> 0
    adv, ret = grpo(R3, TERM3, DONE3, gamma=1.0, group_size=3, eps=0.0)
    s = 1 / math.sqrt(2 / 3)
    expected = t64([[0, -s, s], [1 / math.sqrt(2), 1 / math.sqrt(2), 0], [math.sqrt(2), 0, 0]])
    torch.testing.assert_close(ret, G3)
    torch.testing.assert_close(adv, expected)


def test_grpo_zero_std_gives_zero_advantage():
    # Two identical members: std 0 at every row, (G - mean) = 0, so A = 0 / eps = 0.
    r = t64([[1, 1], [2, 2]])
    f = torch.zeros(2, 2, dtype=torch.bool)
    adv, ret = grpo(r, f, f, gamma=0.9, group_size=2)
    torch.testing.assert_close(adv, torch.zeros(2, 2, dtype=torch.float64), rtol=0, atol=0)
    torch.testing.assert_close(ret, t64([[2.8, 2.8], [2, 2]]))  # 1 + 0.9*2 = 2.8


def test_truncation_and_termination_are_treated_alike():
    # No critic, nothing bootstraps: with the same done, terminated changes nothing.
    for fn in (grpo, rloo):
        a = fn(R3, TERM3, DONE3, gamma=1.0, group_size=3)
        b = fn(R3, torch.zeros_like(TERM3), DONE3, gamma=1.0, group_size=3)
        c = fn(R3, DONE3, DONE3, gamma=1.0, group_size=3)
        for x, y, z in zip(a, b, c, strict=True):
            torch.testing.assert_close(x, y, rtol=0, atol=0)
            torch.testing.assert_close(x, z, rtol=0, atol=0)


def test_first_episode_mask_by_hand():
    # env0 never done; env1 done at t=1 (and again at t=3: ignored); env2 terminated at t=0
    # (done False there: a termination still ends the episode); env3 done at the last row.
    done = tb([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1]])
    term = tb([[0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    expected = tb([[1, 1, 1, 1], [1, 1, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1]])
    assert torch.equal(first_episode_mask(term, done), expected)


@pytest.mark.parametrize("fn", [grpo, rloo])
def test_invalid_rows_have_zero_advantage_and_return(fn):
    # Everything after env1's first done (t=1) is invalid, even its NaN rewards and a second
    # episode that an auto-reset env played (done again at t=3).
    r = t64([[1, 2], [1, 3], [1, math.nan], [1, 7]])
    done = tb([[0, 0], [0, 1], [0, 0], [0, 1]])
    adv, ret = fn(r, torch.zeros_like(done), done, gamma=1.0, group_size=2)
    assert torch.equal(adv[2:, 1], torch.zeros(2, dtype=torch.float64))
    assert torch.equal(ret[2:, 1], torch.zeros(2, dtype=torch.float64))
    assert torch.isfinite(adv).all() and torch.isfinite(ret).all()
    torch.testing.assert_close(ret, t64([[4, 5], [3, 3], [2, 0], [1, 0]]))
