"""Hand-computed n-step return cases."""

from __future__ import annotations

import pytest
import torch

from advrun.advantages import nstep


def col(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64).unsqueeze(1)


def bcol(*xs: int) -> torch.Tensor:
    return torch.tensor([bool(x) for x in xs]).unsqueeze(1)


def test_two_step_no_dones():
    # gamma = 0.5, n = 2, r = [1,2,3,4], V = [0,1,2,3], next V = [1,2,3,4]
    # G0 = 1 + 0.5*2 + 0.25*nV1(2) = 2.5;  G1 = 2 + 0.5*3 + 0.25*nV2(3) = 4.25
    # G2 = 3 + 0.5*4 + 0.25*nV3(4) = 6;    G3 = 4 + 0.5*nV3(4) = 6  (segment end, m = 1)
    f = bcol(0, 0, 0, 0)
    adv, ret = nstep(col(1, 2, 3, 4), col(0, 1, 2, 3), col(1, 2, 3, 4), f, f, gamma=0.5, n=2)
    torch.testing.assert_close(ret, col(2.5, 4.25, 6.0, 6.0))
    torch.testing.assert_close(adv, col(2.5, 3.25, 4.0, 3.0))


R4, V4, NV4 = col(1, 2, 3, 4), col(1, 1, 1, 1), col(1, 5, 1, 2)
DONE4 = bcol(0, 1, 0, 0)


def test_two_step_termination():
    # gamma = 0.5, n = 2, terminated at t=1
    # G0: m = 2 (stops at done t=1): 1 + 0.5*2 + 0 = 2;  G1: m = 1: 2 + 0 = 2
    # G2: m = 2: 3 + 0.5*4 + 0.25*nV3(2) = 5.5;          G3: m = 1: 4 + 0.5*2 = 5
    adv, ret = nstep(R4, V4, NV4, DONE4, DONE4, gamma=0.5, n=2)
    torch.testing.assert_close(ret, col(2.0, 2.0, 5.5, 5.0))
    torch.testing.assert_close(adv, col(1.0, 1.0, 4.5, 4.0))


def test_two_step_truncation():
    # truncated at t=1: G0 = 1 + 0.5*2 + 0.25*nV1(5) = 3.25; G1 = 2 + 0.5*5 = 4.5
    _, ret = nstep(R4, V4, NV4, bcol(0, 0, 0, 0), DONE4, gamma=0.5, n=2)
    torch.testing.assert_close(ret, col(3.25, 4.5, 5.5, 5.0))


def test_three_step_two_envs():
    # gamma = 0.5, n = 3, T = 5, r = 1, V = 0, next V = 8 everywhere
    # env0, no dones:
    #   G0..G2: m = 3: 1 + 0.5 + 0.25 + 0.125*8 = 2.75
    #   G3: m = 2 (T - t): 1.5 + 0.25*8 = 3.5;  G4: m = 1: 1 + 0.5*8 = 5
    # env1, terminated at t=1, truncated at t=3:
    #   G0: m = 2, no bootstrap: 1.5;  G1: m = 1: 1;  G2: m = 2: 1.5 + 0.25*8 = 3.5
    #   G3: m = 1: 1 + 4 = 5;          G4: m = 1: 5
    r = torch.ones(5, 2)
    v = torch.zeros(5, 2)
    nv = torch.full((5, 2), 8.0)
    term = torch.zeros(5, 2, dtype=torch.bool)
    term[1, 1] = True
    done = term.clone()
    done[3, 1] = True
    _, ret = nstep(r, v, nv, term, done, gamma=0.5, n=3)
    expected = torch.tensor(
        [[2.75, 1.5], [2.75, 1.0], [2.75, 3.5], [3.5, 5.0], [5.0, 5.0]],
    )
    torch.testing.assert_close(ret, expected)


def test_n_one_is_td_by_hand():
    # n = 1: G_t = r_t + gamma*(1-term_t)*nV_t with the T = 4 termination data, gamma = 0.5
    # [1 + 0.5, 2 + 0, 3 + 0.5, 4 + 1] = [1.5, 2, 3.5, 5]
    _, ret = nstep(R4, V4, NV4, DONE4, DONE4, gamma=0.5, n=1)
    torch.testing.assert_close(ret, col(1.5, 2.0, 3.5, 5.0))


def test_large_n_is_mc_by_hand():
    # n = 100 >= T: same as MC, truncated at t=1: [3.25, 4.5, 5.5, 5]
    _, ret = nstep(R4, V4, NV4, bcol(0, 0, 0, 0), DONE4, gamma=0.5, n=100)
    torch.testing.assert_close(ret, col(3.25, 4.5, 5.5, 5.0))


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, True, "2", None])
def test_bad_n_raises(bad):
    f = bcol(0, 0)
    with pytest.raises(ValueError, match=r"\bn must be an int >= 1"):
        nstep(col(1, 1), col(0, 0), col(0, 0), f, f, gamma=0.5, n=bad)
