"""Tests for advantage normalisation."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.advantages import normalize


def test_unmasked_population_std():
    # a = [1,2,3,4]: mean 2.5, population var = (2.25+0.25+0.25+2.25)/4 = 1.25
    # out = (a - 2.5) / sqrt(1.25) = [-1.5,-0.5,0.5,1.5] / 1.1180339887
    a = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    out = normalize(a, eps=0.0)
    s = math.sqrt(1.25)
    torch.testing.assert_close(
        out, torch.tensor([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], dtype=torch.float64)
    )
    assert abs(float(out.mean())) < 1e-12
    assert abs(float(out.std(correction=0)) - 1.0) < 1e-12


def test_eps_is_added_to_std():
    # [0, 2]: mean 1, population std 1 -> (a - 1) / (1 + 1) with eps = 1
    out = normalize(torch.tensor([0.0, 2.0]), eps=1.0)
    torch.testing.assert_close(out, torch.tensor([-0.5, 0.5]))


def test_masked_stats_and_zero_outside():
    # selected [1, 3]: mean 2, population std 1 -> [-1, 1]; unselected entries -> 0
    a = torch.tensor([[1.0, 100.0], [3.0, -50.0]])
    mask = torch.tensor([[True, False], [True, False]])
    out = normalize(a, mask, eps=0.0)
    torch.testing.assert_close(out, torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))


def test_masked_out_nan_does_not_leak():
    a = torch.tensor([1.0, math.nan, 3.0, math.inf])
    mask = torch.tensor([True, False, True, False])
    out = normalize(a, mask, eps=0.0)
    torch.testing.assert_close(out, torch.tensor([-1.0, 0.0, 1.0, 0.0]))


def test_float_mask_matches_bool():
    a = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    mask = torch.rand(6, 3, generator=torch.Generator().manual_seed(1)) < 0.6
    torch.testing.assert_close(normalize(a, mask.float()), normalize(a, mask), rtol=0, atol=0)


def test_single_selected_entry_is_zero_not_nan():
    out = normalize(torch.tensor([5.0, 7.0]), torch.tensor([True, False]))
    torch.testing.assert_close(out, torch.tensor([0.0, 0.0]))


def test_empty_mask_gives_zeros():
    out = normalize(torch.tensor([5.0, 7.0]), torch.tensor([False, False]))
    torch.testing.assert_close(out, torch.zeros(2))


def test_constant_input_gives_zeros():
    out = normalize(torch.full((3, 2), 4.0))
    torch.testing.assert_close(out, torch.zeros(3, 2))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_preserved_and_input_untouched(dtype):
    a = torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=dtype)
    copy = a.clone()
    out = normalize(a, torch.tensor([[True, True], [False, True]]))
    assert out.dtype == dtype
    assert torch.equal(a, copy)


def test_mask_shape_mismatch_raises():
    with pytest.raises(ValueError, match="mask"):
        normalize(torch.zeros(2, 3), torch.ones(3, 2, dtype=torch.bool))


def test_negative_eps_raises():
    with pytest.raises(ValueError, match="eps"):
        normalize(torch.zeros(3), eps=-1.0)


def test_integer_advantages_raise():
    with pytest.raises(ValueError, match="advantages"):
        normalize(torch.arange(3))
