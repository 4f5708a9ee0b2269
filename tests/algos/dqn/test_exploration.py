"""Linear epsilon schedule and epsilon-greedy action selection."""

from __future__ import annotations

import pytest
import torch

from advrun.algos.dqn import epsilon_at, epsilon_greedy

SCHED = dict(start=1.0, end=0.05, fraction=0.1, total_steps=1000)  # decays over 100 steps


def test_epsilon_linear_then_flat() -> None:
    assert epsilon_at(0, **SCHED) == 1.0
    # halfway through the 100 decay steps: 1 + (0.05 - 1) * 0.5 = 0.525
    assert epsilon_at(50, **SCHED) == pytest.approx(0.525)
    assert epsilon_at(100, **SCHED) == pytest.approx(0.05)
    assert epsilon_at(900, **SCHED) == pytest.approx(0.05)
    assert epsilon_at(10, start=1.0, end=0.05, fraction=0.0, total_steps=1000) == 0.05


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(SCHED, start=1.5),
        dict(SCHED, fraction=-0.1),
        dict(SCHED, total_steps=0),
    ],
)
def test_epsilon_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        epsilon_at(0, **kwargs)


def test_greedy_and_uniform_extremes() -> None:
    greedy = torch.full((20_000,), 2, dtype=torch.int64)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(epsilon_greedy(greedy, 4, 0.0, gen), greedy)
    out = epsilon_greedy(greedy, 4, 1.0, gen)
    counts = torch.bincount(out, minlength=4).float() / out.numel()
    # uniform over 4 actions: 0.25 each; the standard error is sqrt(.25*.75/2e4) ~ 0.003.
    torch.testing.assert_close(counts, torch.full((4,), 0.25), atol=0.015, rtol=0)


def test_epsilon_fraction_of_random_actions() -> None:
    greedy = torch.zeros(20_000, dtype=torch.int64)
    out = epsilon_greedy(greedy, 2, 0.3, torch.Generator().manual_seed(1))
    # a random action is non-greedy with probability 1/2: 0.3 * 0.5 = 0.15 non-greedy.
    assert (out != 0).float().mean().item() == pytest.approx(0.15, abs=0.015)
    assert out.dtype == torch.int64 and out.shape == greedy.shape


def test_random_stream_does_not_depend_on_epsilon() -> None:
    greedy = torch.zeros(10, dtype=torch.int64)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    epsilon_greedy(greedy, 3, 0.0, g1)
    epsilon_greedy(greedy, 3, 1.0, g2)
    assert torch.equal(g1.get_state(), g2.get_state())
    a = epsilon_greedy(greedy, 3, 0.5, torch.Generator().manual_seed(4))
    b = epsilon_greedy(greedy, 3, 0.5, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
