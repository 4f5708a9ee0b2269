"""One-step temporal-difference (TD(0)) advantage estimator."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs

from ._checks import check_gamma, prepare_inputs

__all__ = ["td"]


def td(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
) -> tuple[Tensor, Tensor]:
    """One-step TD error as the advantage.

    ``delta_t = r_t + gamma * (1 - terminated_t) * next_values_t - values_t``

    ``advantages = delta``, ``returns = delta + values`` (the TD(0) target).
    ``done`` does not matter here: a one-step target never looks past step ``t``.

    Args:
        rewards, values, next_values: float tensors ``[T, N]`` (time-major).
        terminated, done: bool (or 0/1) tensors ``[T, N]``.
        gamma: discount factor in [0, 1].

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``values``.
    """
    gamma = check_gamma(gamma)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    with torch.no_grad():
        delta = x.rewards + gamma * x.not_terminated * x.next_values - x.values
        return delta, delta + x.values


@dataclass
class TDConfig(EstimatorConfig):
    name: str = "td"


@ESTIMATORS.register(
    "td", config=TDConfig, needs_critic=True, target=True, summary="one-step TD error (TD(0))"
)
def _estimate(x: EstimatorInputs, cfg: TDConfig) -> tuple[Tensor, Tensor]:
    return td(x.rewards, x.values, x.next_values, x.terminated, x.done, gamma=cfg.gamma)
