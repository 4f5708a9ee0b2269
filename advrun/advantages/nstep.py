"""n-step return advantage estimator."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs
from advrun.config.errors import checked

from ._checks import check_gamma, check_n, prepare_inputs

__all__ = ["nstep"]


def nstep(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
    n: int,
) -> tuple[Tensor, Tensor]:
    """n-step bootstrapped return minus the value baseline.

    ``G^(n)_t = sum_{k=0}^{m-1} gamma^k r_{t+k}
    + gamma^m * (1 - terminated_{t+m-1}) * next_values_{t+m-1}``

    where ``m = min(n, steps from t up to and including the first done at or after t, T - t)``:
    up to ``n`` rewards are summed, stopping early at a done step (bootstrapping there only
    if it was a truncation) or at the segment end (bootstrapping from ``next_values_{T-1}``).
    ``n = 1`` gives TD(0); ``n >= T`` gives the Monte-Carlo return.

    ``returns = G^(n)``, ``advantages = G^(n) - values``. Vectorised over t and N; the only
    Python loop is over the ``min(n, T)`` offsets k.

    Raises:
        ValueError: if ``n`` is not an int >= 1 (or on invalid inputs/gamma).
    """
    gamma = check_gamma(gamma)
    n = check_n(n)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    with torch.no_grad():
        num_steps = x.values.shape[0]
        # stop[t] = 1 where an accumulation reaching step t must stop there: a done step, or
        # the last row of the segment. Bootstrap value paid on stopping at step t:
        stop = 1.0 - x.not_done
        if num_steps:
            stop[-1] = 1.0
        boot = x.not_terminated * x.next_values
        returns = torch.zeros_like(x.values)
        alive = torch.ones_like(x.values)  # 1 where G_t is still accumulating
        horizon = min(n, num_steps)
        for k in range(horizon):
            rows = num_steps - k  # returns[t] looks at step t + k, valid for t < T - k
            active = alive[:rows]
            # Forced stop on the last allowed offset; otherwise stop at done/segment end.
            stopping = active if k == horizon - 1 else active * stop[k:]
            returns[:rows] += (gamma**k) * active * x.rewards[k:]
            returns[:rows] += (gamma ** (k + 1)) * stopping * boot[k:]
            alive[:rows] = active - stopping
        return returns - x.values, returns


@dataclass
class NStepConfig(EstimatorConfig):
    name: str = "nstep"
    # Horizon: n rewards, then bootstrap from V.
    n: int = 5

    def check(self, key: str) -> None:
        super().check(key)
        checked(f"{key}.n", check_n, self.n, f"set {key}.n=1 or more.")


@ESTIMATORS.register(
    "nstep", config=NStepConfig, needs_critic=True, target=True, summary="n-step return minus V"
)
def _estimate(x: EstimatorInputs, cfg: NStepConfig) -> tuple[Tensor, Tensor]:
    return nstep(x.rewards, x.values, x.next_values, x.terminated, x.done, gamma=cfg.gamma, n=cfg.n)
