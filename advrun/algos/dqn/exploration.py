"""Epsilon-greedy exploration and its linear schedule."""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["epsilon_at", "epsilon_greedy"]


def _check_prob(value: float, name: str) -> float:
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def epsilon_at(step: int, *, start: float, end: float, fraction: float, total_steps: int) -> float:
    """Exploration rate after ``step`` environment steps, decayed linearly::

        eps(step) = start + (end - start) * min(1, step / (fraction * total_steps))

    so it reaches ``end`` after the first ``fraction`` of training and stays there. These
    are Stable-Baselines3's DQN semantics (``exploration_initial_eps``,
    ``exploration_final_eps``, ``exploration_fraction``, built on
    ``stable_baselines3.common.utils.get_linear_fn``) and the schedule of Mnih et al.
    2015 (1.0 -> 0.1 over the first 1M frames). ``fraction = 0`` gives ``end`` at once.
    """
    start = _check_prob(start, "start")
    end = _check_prob(end, "end")
    fraction = _check_prob(fraction, "fraction")
    if total_steps <= 0:
        raise ValueError(f"total_steps must be positive, got {total_steps}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    horizon = fraction * total_steps
    if horizon <= 0.0:
        return end
    progress = min(1.0, step / horizon)
    return start + (end - start) * progress


def epsilon_greedy(
    greedy_actions: Tensor, num_actions: int, epsilon: float, generator: torch.Generator
) -> Tensor:
    """With probability ``epsilon`` per element a uniform random action in
    ``[0, num_actions)`` (which may equal the greedy one, as in DQN), else the greedy one.

    ``greedy_actions`` is ``[B]`` int64. Both the coin flips and the random actions are
    drawn from ``generator`` on every call, whatever ``epsilon`` is, so the random stream
    (and a resumed run) does not depend on the schedule's value. The draws happen on the
    generator's device and the result is on ``greedy_actions``'s device.
    """
    epsilon = _check_prob(epsilon, "epsilon")
    if num_actions < 1:
        raise ValueError(f"num_actions must be >= 1, got {num_actions}")
    if greedy_actions.dim() != 1:
        raise ValueError(f"greedy_actions must be [B], got {tuple(greedy_actions.shape)}")
    size = greedy_actions.shape
    coin = torch.rand(size, generator=generator, device=generator.device)
    random = torch.randint(num_actions, size, generator=generator, device=generator.device)
    explore = (coin < epsilon).to(greedy_actions.device)
    return torch.where(explore, random.to(greedy_actions), greedy_actions)
