"""RewardScaler: return-based reward scaling, checked against hand arithmetic."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.collect.reward_scale import RewardScaler

EPS_COUNT = 1e-4  # initial pseudo-count: mean 0, var 1


def _step(s: RewardScaler, r: list[float], ended: list[bool], valid: list[bool]) -> list[float]:
    return s(
        torch.tensor(r, dtype=torch.float64), torch.tensor(ended), torch.tensor(valid)
    ).tolist()


def test_two_steps_by_hand() -> None:
    s = RewardScaler(1, gamma=0.5, clip=1e9, eps=0.0)
    # step 1: R = 2. Merge (0, 1, 1e-4) with (2, 0, 1): n = 1.0001,
    # mean = 2/1.0001, var = (1e-4 + 4 * 1e-4/1.0001) / 1.0001; out = 2 / sqrt(var).
    n1 = 1 + EPS_COUNT
    m1 = 2 / n1
    v1 = (EPS_COUNT + 4 * EPS_COUNT / n1) / n1
    (out1,) = _step(s, [2.0], [False], [True])
    assert out1 == pytest.approx(2 / math.sqrt(v1), rel=1e-6)  # output is float32
    # step 2: R = 0.5 * 2 + 2 = 3. Merge (m1, v1, n1) with (3, 0, 1).
    n2 = n1 + 1
    d = 3 - m1
    v2 = (v1 * n1 + d * d * n1 / n2) / n2
    (out2,) = _step(s, [2.0], [True], [True])
    assert out2 == pytest.approx(2 / math.sqrt(v2), rel=1e-6)  # output is float32
    assert s.returns.item() == 0.0  # the episode ended: accumulator reset


def test_clip_and_dummy_rows() -> None:
    s = RewardScaler(2, gamma=0.99, clip=3.0)
    out = _step(s, [100.0, 7.0], [True, False], [True, False])
    assert out[0] == 3.0  # 100 / ~0.01 clipped
    assert out[1] == 0.0  # dummy reset row: ignored, reward dropped
    assert s.returns.tolist() == [0.0, 0.0]
    before = s.state_dict()
    assert _step(s, [5.0, 5.0], [False, False], [False, False]) == [0.0, 0.0]
    after = s.state_dict()
    for key in ("mean", "var", "count"):  # all-dummy step: stats unchanged
        assert torch.equal(before[key], after[key])


def test_state_dict_round_trip_continues_identically() -> None:
    a = RewardScaler(3, gamma=0.9)
    for k in range(5):
        _step(a, [float(k), 1.0, -2.0], [k == 2, False, k == 4], [True, True, True])
    b = RewardScaler(3, gamma=0.9)
    b.load_state_dict(a.state_dict())
    args = ([0.3, -4.0, 2.0], [False, True, False], [True, True, True])
    assert _step(a, *args) == _step(b, *args)
