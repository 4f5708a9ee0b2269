"""Hand-computed V-trace cases (Espeholt et al., 2018, eq. 1 and §4.2)."""

from __future__ import annotations

import math

import torch

from advrun.advantages import vtrace


def col(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64).unsqueeze(1)


def bcol(*xs: int) -> torch.Tensor:
    return torch.tensor([bool(x) for x in xs]).unsqueeze(1)


def log_col(*ratios: float) -> torch.Tensor:
    return torch.log(col(*ratios))


def test_three_steps_with_clipping():
    # gamma = 0.5, rho_bar = 1.5, c_bar = 1, ratios pi/mu = [2, 0.5, 1.2], no dones
    # rho = min(1.5, ratio) = [1.5, 0.5, 1.2] (clipped at t=0); c = min(1, ratio) = [1, 0.5, 1]
    # r = [1,2,3], V = [1,2,3], next V = [2,3,4] (consistent)
    # TD errors: d0 = 1 + 0.5*2 - 1 = 1; d1 = 2 + 0.5*3 - 2 = 1.5; d2 = 3 + 0.5*4 - 3 = 2
    # delta = rho * d = [1.5, 0.75, 2.4]
    # W2 = 2.4; W1 = 0.75 + 0.5*0.5*2.4 = 1.35; W0 = 1.5 + 0.5*1*1.35 = 2.175
    # returns v = V + W = [3.175, 3.35, 5.4]
    # A0 = 1.5*(1 + 0.5*v1 - 1) = 1.5*1.675 = 2.5125; A1 = 0.5*(2 + 0.5*v2 - 2) = 0.5*2.7 = 1.35
    # A2 = 1.2*(3 + 0.5*nV2 - 3) = 1.2*2 = 2.4 (segment end bootstraps from next V)
    f = bcol(0, 0, 0)
    adv, ret = vtrace(
        col(1, 2, 3), col(1, 2, 3), col(2, 3, 4), f, f,
        gamma=0.5, log_rhos=log_col(2.0, 0.5, 1.2), rho_bar=1.5, c_bar=1.0,
    )  # fmt: skip
    torch.testing.assert_close(ret, col(3.175, 3.35, 5.4))
    torch.testing.assert_close(adv, col(2.5125, 1.35, 2.4))
    # advantages != returns - values = [2.175, 1.35, 2.4]: at t=0 rho != c, and the gap is
    # gamma*(rho0 - c0)*(v1 - V1) = 0.5*0.5*1.35 = 0.3375 = 2.5125 - 2.175
    torch.testing.assert_close(adv[0] - (ret[0] - 1.0), torch.tensor([0.3375], dtype=torch.float64))


def test_clipping_at_rho_bar_and_c_bar_separately():
    # Same data, rho_bar = 1 and c_bar = 0.5: rho = [1, 0.5, 1], c = [0.5, 0.5, 0.5]
    # delta = [1, 0.75, 2]; W2 = 2; W1 = 0.75 + 0.25*2 = 1.25; W0 = 1 + 0.25*1.25 = 1.3125
    # v = [2.3125, 3.25, 5]; A0 = 1*(0.5*3.25) = 1.625; A1 = 0.5*(0.5*5) = 1.25; A2 = 2
    f = bcol(0, 0, 0)
    adv, ret = vtrace(
        col(1, 2, 3), col(1, 2, 3), col(2, 3, 4), f, f,
        gamma=0.5, log_rhos=log_col(2.0, 0.5, 1.2), rho_bar=1.0, c_bar=0.5,
    )  # fmt: skip
    torch.testing.assert_close(ret, col(2.3125, 3.25, 5.0))
    torch.testing.assert_close(adv, col(1.625, 1.25, 2.0))


# Shared T = 4 data: gamma = 0.5, r = [1,2,3,4], V = 1, next V = [1,5,1,2], done at t=1,
# ratios [1, 0.5, 2, 1] with rho_bar = 1, c_bar = 0.5: rho = [1, 0.5, 1, 1], c = 0.5.
R4, V4, NV4 = col(1, 2, 3, 4), col(1, 1, 1, 1), col(1, 5, 1, 2)
DONE4 = bcol(0, 1, 0, 0)
LR4 = log_col(1.0, 0.5, 2.0, 1.0)
KW4 = {"gamma": 0.5, "rho_bar": 1.0, "c_bar": 0.5}


def test_termination_vs_truncation_two_envs():
    # env0 terminated at t=1 (next V[1] = 5 ignored), env1 truncated at t=1 (bootstraps).
    # TD errors: d0 = 1 + 0.5*1 - 1 = 0.5; d2 = 3 + 0.5*1 - 1 = 2.5; d3 = 4 + 0.5*2 - 1 = 4
    #   terminated: d1 = 2 - 1 = 1;   truncated: d1 = 2 + 0.5*5 - 1 = 3.5
    # W3 = 4; W2 = 2.5 + 0.5*0.5*4 = 3.5 (both envs; nothing flows across the done at t=1)
    # terminated: W1 = 0.5*1 = 0.5;    W0 = 1*0.5 + 0.25*0.5 = 0.625
    # truncated:  W1 = 0.5*3.5 = 1.75; W0 = 0.5 + 0.25*1.75 = 0.9375
    # returns = 1 + W: env0 [1.625, 1.5, 4.5, 5]; env1 [1.9375, 2.75, 4.5, 5]
    # A3 = 1*(4 + 0.5*nV3 - 1) = 4; A2 = 1*(3 + 0.5*v3 - 1) = 4.5 (both envs)
    # terminated: A1 = 0.5*(2 - 1) = 0.5 (no bootstrap); A0 = 1*(1 + 0.5*v1(1.5) - 1) = 0.75
    # truncated:  A1 = 0.5*(2 + 0.5*nV1(5) - 1) = 1.75;  A0 = 1*(1 + 0.5*v1(2.75) - 1) = 1.375
    cat = lambda a, b: torch.cat([a, b], dim=1)  # noqa: E731
    term = cat(DONE4, bcol(0, 0, 0, 0))
    adv, ret = vtrace(
        cat(R4, R4), cat(V4, V4), cat(NV4, NV4), term, cat(DONE4, DONE4),
        log_rhos=cat(LR4, LR4), **KW4,
    )  # fmt: skip
    exp_ret = torch.tensor(
        [[1.625, 1.9375], [1.5, 2.75], [4.5, 4.5], [5.0, 5.0]], dtype=torch.float64
    )
    exp_adv = torch.tensor(
        [[0.75, 1.375], [0.5, 1.75], [4.5, 4.5], [4.0, 4.0]], dtype=torch.float64
    )
    torch.testing.assert_close(ret, exp_ret)
    torch.testing.assert_close(adv, exp_adv)


def test_done_cuts_the_recursion():
    # Changing anything after the done at t=1 (reward, ratio, value) leaves rows 0..1 alone.
    for term in (DONE4, bcol(0, 0, 0, 0)):
        base = vtrace(R4, V4, NV4, term, DONE4, log_rhos=LR4, **KW4)
        r2, lr2, v2 = R4.clone(), LR4.clone(), V4.clone()
        r2[2] += 100.0
        lr2[2] = math.log(0.1)
        v2[2] = -7.0
        moved = vtrace(r2, v2, NV4, term, DONE4, log_rhos=lr2, **KW4)
        for a, b in zip(base, moved, strict=True):
            torch.testing.assert_close(a[:2], b[:2], rtol=0, atol=0)
            assert a[2, 0] != b[2, 0]


def test_terminated_step_ignores_next_value():
    nv = NV4.clone()
    nv[1] = 1e6
    a = vtrace(R4, V4, NV4, DONE4, DONE4, log_rhos=LR4, **KW4)
    b = vtrace(R4, V4, nv, DONE4, DONE4, log_rhos=LR4, **KW4)
    torch.testing.assert_close(a[0], b[0], rtol=0, atol=0)
    torch.testing.assert_close(a[1], b[1], rtol=0, atol=0)


def test_zero_ratio_gives_zero_advantage_and_value_target():
    # log_rhos = -inf (pi gives the action probability 0): rho = c = 0, so every delta is 0,
    # returns = values and advantages = 0.
    f = bcol(0, 0, 0)
    lr = torch.full((3, 1), -math.inf, dtype=torch.float64)
    adv, ret = vtrace(col(1, 2, 3), col(1, 2, 3), col(2, 3, 4), f, f, gamma=0.5, log_rhos=lr)
    torch.testing.assert_close(adv, torch.zeros(3, 1, dtype=torch.float64))
    torch.testing.assert_close(ret, col(1, 2, 3))
