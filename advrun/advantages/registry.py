"""The estimator registry: every estimator module registers its config and a thin call.

The pure functions (``gae``, ``vtrace``, ...) keep their own signatures, pinned by
hand-computed tests. What an algorithm calls is the registered *estimate* function,
which takes the rollout's :class:`EstimatorInputs` and the estimator's typed config::

    advantages, returns = bind(cfg.advantage)(EstimatorInputs(...))

so an algorithm never needs to know which estimator it runs, and the algorithm decides
when to run it (PPO may re-run it per epoch with fresh log-probabilities or values).
Traits say what an estimator needs and what it can serve:

* ``needs_critic``: uses ``values``/``next_values`` (False: a critic-free group baseline;
  the algorithm then builds no value head and logs no value loss).
* ``target``: its ``returns`` are bootstrapped value targets a value-based algorithm can
  regress Q onto (``td``, ``nstep``).
* ``off_policy``: corrects with importance ratios ``log_rhos`` (``vtrace``).
* ``grouped``: needs episodes in groups from identical start states (``grpo``, ``rloo``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING
from torch import Tensor

from advrun.advantages._checks import check_gamma
from advrun.config.errors import checked
from advrun.registry import Registry


@dataclass
class EstimatorConfig:
    """What every estimator takes. Subclasses add their own hyperparameters."""

    name: str = MISSING
    # Discount factor.
    gamma: float = 0.99
    # Standardise advantages to zero mean and unit variance per batch.
    normalize: bool = True

    def check(self, key: str) -> None:
        """Range checks of this section (``key`` is where it sits, ``advantage``)."""
        checked(f"{key}.gamma", check_gamma, self.gamma, f"set {key}.gamma=0.99.")


@dataclass
class EstimatorInputs:
    """A rollout's ``[T, N]`` tensors, as every estimator sees them."""

    rewards: Tensor
    values: Tensor
    next_values: Tensor
    terminated: Tensor
    done: Tensor
    # log pi(a|s) - log mu(a|s): current vs behaviour policy (off-policy estimators).
    log_rhos: Tensor | None = None


Estimate = Callable[[EstimatorInputs, Any], tuple[Tensor, Tensor]]

ESTIMATORS: Registry[Estimate] = Registry("advantage estimator", "advantage")


def bind(cfg: EstimatorConfig) -> Callable[[EstimatorInputs], tuple[Tensor, Tensor]]:
    """The registered estimate function of ``cfg.name`` with ``cfg`` bound."""
    return functools.partial(ESTIMATORS[cfg.name], cfg=cfg)
