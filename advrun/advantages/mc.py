"""Monte-Carlo return advantage estimator (REINFORCE with a baseline)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs

from ._checks import check_gamma, prepare_inputs

__all__ = ["mc"]


def mc(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
) -> tuple[Tensor, Tensor]:
    """Discounted Monte-Carlo return minus the value baseline.

    ``G_t = r_t + gamma * (1 - terminated_t) * [(1 - done_t) * G_{t+1} + done_t * next_values_t]``

    with ``G_T := next_values_{T-1}`` (the segment end bootstraps, like a truncation).
    Within an episode this is the plain discounted reward sum; it bootstraps from
    ``next_values`` only at a truncation or at the end of the rollout segment, and never
    after a termination.

    ``returns = G``, ``advantages = G - values``.

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``values``.
    """
    gamma = check_gamma(gamma)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    with torch.no_grad():
        # Since terminated implies done: (1 - terminated) * (1 - done) == (1 - done), so
        # G_t = base_t + coef_t * G_{t+1} with the bootstrap at done steps folded into base_t.
        done_f = 1.0 - x.not_done
        base = x.rewards + gamma * x.not_terminated * done_f * x.next_values
        coef = gamma * x.not_done
        returns = torch.empty_like(base)
        num_steps = base.shape[0]
        if num_steps:
            # G_T = next_values_{T-1}: the (1 - done) branch at T-1 then equals the done branch.
            torch.addcmul(base[-1], coef[-1], x.next_values[-1], out=returns[-1])
            for t in range(num_steps - 2, -1, -1):
                torch.addcmul(base[t], coef[t], returns[t + 1], out=returns[t])
        return returns - x.values, returns


@dataclass
class MCConfig(EstimatorConfig):
    name: str = "mc"


@ESTIMATORS.register(
    "mc",
    config=MCConfig,
    needs_critic=True,
    summary="Monte-Carlo return minus V (REINFORCE with baseline)",
)
def _estimate(x: EstimatorInputs, cfg: MCConfig) -> tuple[Tensor, Tensor]:
    return mc(x.rewards, x.values, x.next_values, x.terminated, x.done, gamma=cfg.gamma)
