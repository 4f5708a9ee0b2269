"""RunningObsNorm: Chan et al.'s moment merge, hand-computed, and the clamp."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from advrun.networks import RunningObsNorm, merge_moments


def _t(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


def test_merge_of_two_batches_by_hand() -> None:
    # batch A = [1, 3]: mean 2, population var 1, n 2; batch B = [5]: mean 5, var 0, n 1.
    # delta = 3, n = 3: mean = 2 + 3 * 1/3 = 3; M2 = 1*2 + 0*1 + 9 * 2*1/3 = 8; var = 8/3
    # -- exactly the stats of [1, 3, 5].
    mean, var, count = merge_moments(_t(2.0), _t(1.0), _t(2.0), _t(5.0), _t(0.0), _t(1.0))
    assert mean.item() == pytest.approx(3.0)
    assert var.item() == pytest.approx(8.0 / 3.0)
    assert count.item() == 3.0


def test_merge_with_empty_batch_changes_nothing() -> None:
    mean, var, count = merge_moments(_t(2.0), _t(1.0), _t(2.0), _t(0.0), _t(0.0), _t(0.0))
    assert (mean.item(), var.item(), count.item()) == (2.0, 1.0, 2.0)


def test_updates_in_batches_match_the_whole_data() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(500, 3)) * np.array([1.0, 10.0, 0.1])
    norm = RunningObsNorm((3,))
    for chunk in np.array_split(data, 7):
        norm.update(torch.from_numpy(chunk))
    # The 1e-4 initial pseudo-count (mean 0, var 1) is negligible against 500 samples.
    np.testing.assert_allclose(norm.mean.numpy(), data.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(norm.var.numpy(), data.var(0), rtol=1e-5)
    assert norm.count.item() == pytest.approx(500.0, abs=1e-3)


def test_first_update_by_hand() -> None:
    # count 1e-4, mean 0, var 1, then batch [[1], [3]] (mean 2, var 1, n 2):
    # total = 2.0001; mean = 2 * 2 / 2.0001; M2 = 1e-4 + 2 + 4 * 1e-4 * 2 / 2.0001.
    norm = RunningObsNorm((1,))
    norm.update(torch.tensor([[1.0], [3.0]]))
    total = 2.0001
    assert norm.mean.item() == pytest.approx(4.0 / total, rel=1e-12)
    assert norm.var.item() == pytest.approx((1e-4 + 2.0 + 8e-4 / total) / total, rel=1e-12)


def test_forward_normalises_and_clips_without_updating() -> None:
    norm = RunningObsNorm((2,), clip=5.0)
    norm.mean.copy_(torch.tensor([1.0, -2.0]))
    norm.var.copy_(torch.tensor([4.0, 0.25]))
    out = norm(torch.tensor([[3.0, -2.5], [101.0, -2.0]]))
    # (3 - 1)/2 = 1, (-2.5 + 2)/0.5 = -1; (101 - 1)/2 = 50 -> clipped to 5.
    torch.testing.assert_close(out, torch.tensor([[1.0, -1.0], [5.0, 0.0]]), atol=1e-6, rtol=0)
    assert norm.count.item() == pytest.approx(1e-4)  # forward never updates


def test_stats_are_buffers_in_the_state_dict_not_parameters() -> None:
    norm = RunningObsNorm((4,))
    assert set(norm.state_dict()) == {"mean", "var", "count"}
    assert not list(norm.parameters())
