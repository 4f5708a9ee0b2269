"""Generalized Advantage Estimation (Schulman et al., 2016)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs
from advrun.config.errors import checked

from ._checks import check_gamma, check_lam, prepare_inputs

__all__ = ["gae"]


def gae(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
    lam: float,
) -> tuple[Tensor, Tensor]:
    """GAE(gamma, lambda) advantages and lambda-return value targets.

    ``delta_t = r_t + gamma * (1 - terminated_t) * next_values_t - values_t``

    ``A_t = delta_t + gamma * lam * (1 - done_t) * A_{t+1}``, with ``A_T = 0``

    ``returns = A + values``. A truncation (``done`` but not ``terminated``) still bootstraps
    from ``next_values_t`` inside ``delta_t``; the segment end ``t = T-1`` behaves the same.
    ``lam = 0`` gives the TD(0) error, ``lam = 1`` the Monte-Carlo return minus ``values``.

    The recursion runs as a reverse loop over T, vectorised over the N environments; the
    deltas and per-step discount factors are computed once up front so each step is a single
    fused multiply-add.

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``values``.
    """
    gamma = check_gamma(gamma)
    lam = check_lam(lam)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    with torch.no_grad():
        delta = x.rewards + gamma * x.not_terminated * x.next_values - x.values
        coef = (gamma * lam) * x.not_done
        advantages = torch.empty_like(delta)
        num_steps = delta.shape[0]
        if num_steps:
            advantages[-1] = delta[-1]
            for t in range(num_steps - 2, -1, -1):
                # A_t = delta_t + coef_t * A_{t+1}, written straight into row t.
                torch.addcmul(delta[t], coef[t], advantages[t + 1], out=advantages[t])
        return advantages, advantages + x.values


@dataclass
class GAEConfig(EstimatorConfig):
    name: str = "gae"
    # lambda: 0 is TD(0), 1 is Monte-Carlo minus V.
    lam: float = 0.95

    def check(self, key: str) -> None:
        super().check(key)
        checked(
            f"{key}.lam", check_lam, self.lam, f"set {key}.lam to a value in [0, 1], e.g. 0.95."
        )


@ESTIMATORS.register(
    "gae",
    config=GAEConfig,
    needs_critic=True,
    summary="Generalized Advantage Estimation, GAE(lambda)",
)
def _estimate(x: EstimatorInputs, cfg: GAEConfig) -> tuple[Tensor, Tensor]:
    return gae(
        x.rewards, x.values, x.next_values, x.terminated, x.done, gamma=cfg.gamma, lam=cfg.lam
    )
