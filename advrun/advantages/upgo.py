"""Upgoing policy gradient (UPGO) returns (Vinyals et al., 2019, "Grandmaster level in
StarCraft II using multi-agent reinforcement learning", Nature, Methods).

The return follows the trajectory only while the next action looked at least as good
as the policy's average, and falls back to the value estimate otherwise::

    G_t = r_t + gamma * G_{t+1}        if delta_{t+1} >= 0   (Q(s', a') >= V(s'))
    G_t = r_t + gamma * V(s_{t+1})     otherwise

with ``delta_{t+1} = r_{t+1} + gamma (1 - terminated_{t+1}) V(s_{t+2}) - V(s_{t+1})`` the
one-step estimate of ``Q(s_{t+1}, a_{t+1}) - V(s_{t+1})``. ``advantages = G - values``.
It learns from the good continuations a Monte-Carlo return would average away.

Project rules: a termination does not bootstrap (``G_t = r_t``), a truncation bootstraps
from ``next_values`` (V of the final observation), ``done`` and the segment end stop the
recursion (the segment end bootstraps like a truncation). Identities: with every
``delta_{t+1} >= 0`` inside an episode it equals the lambda = 1 (Monte-Carlo with
bootstrap) returns; with every ``delta_{t+1} < 0`` the TD(0) targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages._checks import check_gamma, prepare_inputs
from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs

__all__ = ["UPGOConfig", "upgo"]


def upgo(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
) -> tuple[Tensor, Tensor]:
    """UPGO advantages and returns over time-major ``[T, N]`` tensors (module docstring).

    Returns ``(advantages, returns)`` with the dtype/device of ``values``."""
    gamma = check_gamma(gamma)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    with torch.no_grad():
        bootstrap = x.not_terminated * x.next_values  # V(s_{t+1}), 0 after a termination
        delta = x.rewards + gamma * bootstrap - x.values
        returns = torch.empty_like(x.values)
        returns[-1] = x.rewards[-1] + gamma * bootstrap[-1]  # the segment end bootstraps
        for t in range(x.values.shape[0] - 2, -1, -1):
            upgoing = delta[t + 1] >= 0
            inside = torch.where(upgoing, returns[t + 1], bootstrap[t])
            tail = torch.where(x.not_done[t] > 0, inside, bootstrap[t])
            returns[t] = x.rewards[t] + gamma * tail
        return returns - x.values, returns


@dataclass
class UPGOConfig(EstimatorConfig):
    name: str = "upgo"


@ESTIMATORS.register(
    "upgo",
    config=UPGOConfig,
    needs_critic=True,
    summary="UPGO (AlphaStar): the return only while the next action beat V",
)
def _estimate(x: EstimatorInputs, cfg: UPGOConfig) -> tuple[Tensor, Tensor]:
    return upgo(x.rewards, x.values, x.next_values, x.terminated, x.done, gamma=cfg.gamma)
