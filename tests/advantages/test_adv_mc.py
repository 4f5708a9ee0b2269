"""Hand-computed Monte-Carlo return cases."""

from __future__ import annotations

import torch

from advrun.advantages import mc


def col(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64).unsqueeze(1)


def bcol(*xs: int) -> torch.Tensor:
    return torch.tensor([bool(x) for x in xs]).unsqueeze(1)


def test_no_dones_bootstraps_only_at_segment_end():
    # gamma = 0.5, r = [1,2,4], V = 0, next V = [100, 100, 8] (first two are not used)
    # G2 = 4 + 0.5*8 = 8; G1 = 2 + 0.5*8 = 6; G0 = 1 + 0.5*6 = 4
    f = bcol(0, 0, 0)
    adv, ret = mc(col(1, 2, 4), col(0, 0, 0), col(100, 100, 8), f, f, gamma=0.5)
    torch.testing.assert_close(ret, col(4.0, 6.0, 8.0))
    torch.testing.assert_close(adv, col(4.0, 6.0, 8.0))


R4, V4, NV4 = col(1, 2, 3, 4), col(1, 1, 1, 1), col(1, 5, 1, 2)
DONE4 = bcol(0, 1, 0, 0)


def test_termination_mid_segment():
    # gamma = 0.5, terminated at t=1
    # G3 = 4 + 0.5*2 = 5; G2 = 3 + 0.5*5 = 5.5; G1 = 2; G0 = 1 + 0.5*2 = 2; adv = G - 1
    adv, ret = mc(R4, V4, NV4, DONE4, DONE4, gamma=0.5)
    torch.testing.assert_close(ret, col(2.0, 2.0, 5.5, 5.0))
    torch.testing.assert_close(adv, col(1.0, 1.0, 4.5, 4.0))


def test_truncation_mid_segment():
    # truncated at t=1: G1 = 2 + 0.5*5 = 4.5; G0 = 1 + 0.5*4.5 = 3.25; G2, G3 as before
    adv, ret = mc(R4, V4, NV4, bcol(0, 0, 0, 0), DONE4, gamma=0.5)
    torch.testing.assert_close(ret, col(3.25, 4.5, 5.5, 5.0))
    torch.testing.assert_close(adv, col(2.25, 3.5, 4.5, 4.0))


def test_two_envs_different_dones():
    # gamma = 0.5, T = 3
    # env0: r = 1, V = 0.5, next V = [9,9,2], terminated at t=0
    #   G2 = 1 + 0.5*2 = 2; G1 = 1 + 0.5*2 = 2 (next V[1] unused); G0 = 1; adv = [0.5,1.5,1.5]
    # env1: r = [0,2,0], V = 1, next V = [9,6,4], truncated at t=1
    #   G2 = 0 + 0.5*4 = 2; G1 = 2 + 0.5*6 = 5; G0 = 0 + 0.5*5 = 2.5; adv = [1.5, 4, 1]
    r = torch.tensor([[1.0, 0.0], [1.0, 2.0], [1.0, 0.0]])
    v = torch.tensor([[0.5, 1.0], [0.5, 1.0], [0.5, 1.0]])
    nv = torch.tensor([[9.0, 9.0], [9.0, 6.0], [2.0, 4.0]])
    term = torch.tensor([[True, False], [False, False], [False, False]])
    done = torch.tensor([[True, False], [False, True], [False, False]])
    adv, ret = mc(r, v, nv, term, done, gamma=0.5)
    torch.testing.assert_close(ret, torch.tensor([[1.0, 2.5], [2.0, 5.0], [2.0, 2.0]]))
    torch.testing.assert_close(adv, torch.tensor([[0.5, 1.5], [1.5, 4.0], [1.5, 1.0]]))


def test_terminated_on_last_step():
    # gamma = 0.5, r = [1,1], next V = [0, 10], terminated at t=1: G1 = 1, G0 = 1.5
    z = col(0, 0)
    _, ret = mc(col(1, 1), z, col(0, 10), bcol(0, 1), bcol(0, 1), gamma=0.5)
    torch.testing.assert_close(ret, col(1.5, 1.0))
