"""advrun's Tanh: tanh's values and gradient through the vectorised 2σ(2x) − 1 path."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from advrun.networks import make_activation
from advrun.networks.activations import MIN_ELEMENTS, Tanh


def big(requires_grad: bool = False, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A tensor large enough for the vectorised path, spanning tanh's whole range."""
    x = torch.linspace(-30.0, 30.0, 4 * MIN_ELEMENTS, dtype=dtype).reshape(-1, 64)
    return x.requires_grad_(requires_grad)


def test_registered_as_tanh_and_still_an_nn_tanh() -> None:
    act = make_activation("tanh")
    assert type(act) is Tanh
    assert isinstance(act, nn.Tanh)
    assert not list(act.parameters())


def test_values_match_torch_tanh_within_float32_rounding() -> None:
    x = big()
    with torch.no_grad():
        out = Tanh()(x)
    exact = torch.tanh(x.double())
    assert (out.double() - exact).abs().max().item() < 3e-7
    # the identity, not an approximation: in float64 it is tanh to float64 rounding
    wide = big(dtype=torch.float64)
    assert torch.allclose(Tanh()(wide), torch.tanh(wide), atol=1e-15, rtol=0)
    assert out.min().item() == -1.0 and out.max().item() == 1.0  # saturates, no overshoot


def test_gradient_is_one_minus_tanh_squared() -> None:
    x = big(requires_grad=True)
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    (Tanh()(x) * upstream).sum().backward()
    expected = upstream * (1 - torch.tanh(x.detach()) ** 2)
    assert x.grad is not None
    assert torch.allclose(x.grad, expected, atol=1e-6, rtol=0)


def test_gradcheck_in_float64(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("advrun.networks.activations.MIN_ELEMENTS", 1)
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Tanh(), (x,))


def test_small_tensors_and_tracing_use_torch_tanh_bit_for_bit() -> None:
    small = torch.randn(2, 64)
    assert torch.equal(Tanh()(small), torch.tanh(small))
    x = big()
    traced = torch.jit.trace(Tanh(), (x,))
    assert torch.equal(traced(x), torch.tanh(x))


def test_vmap_over_the_vectorised_path() -> None:
    x = big().reshape(4, -1, 64).requires_grad_(True)
    out = torch.vmap(Tanh())(x)
    assert torch.allclose(out, torch.tanh(x.detach()), atol=3e-7, rtol=0)
    out.sum().backward()
    assert x.grad is not None
    assert torch.allclose(x.grad, 1 - torch.tanh(x.detach()) ** 2, atol=1e-6, rtol=0)
