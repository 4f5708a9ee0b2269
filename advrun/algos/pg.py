"""One-step policy gradient: REINFORCE with a baseline and A2C.

Both take a single gradient step per rollout on
``L = -mean(log pi(a|s) * A) + c_v L_V - c_e mean(H)``.
They differ only in their defaults and the advantage estimator their presets pick
(REINFORCE: ``mc`` over long rollouts; A2C: ``nstep``/``gae`` over short ones), which is
exactly the point of advrun: the estimator is a separate, swappable component. REINFORCE
also runs without a critic under the group baselines (``advantage=rloo`` is RLOO;
Kool et al. 2019); A2C is defined by its critic and refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from advrun.advantages import ESTIMATORS
from advrun.algos.base import ALGORITHMS
from advrun.algos.batch import Batch, SequenceBatch
from advrun.algos.losses import approx_kl, value_loss
from advrun.algos.on_policy import OnPolicyAlgorithm, OnPolicyConfig
from advrun.algos.step import optimizer_step
from advrun.collect.collector import Rollout
from advrun.config.errors import ConfigError
from advrun.networks import ActorCritic

if TYPE_CHECKING:
    from advrun.config.schema import TrainConfig


def update_pg(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: Batch | SequenceBatch,
    *,
    value_coef: float,
    entropy_coef: float,
    value_clip: float | None,
    max_grad_norm: float | None,
) -> dict[str, float]:
    """One full-batch gradient step; returns the losses and diagnostics."""
    log_prob, entropy, values, rows = batch.evaluate(model)
    policy_loss = -(log_prob * rows.advantages).mean()
    v_loss = value_loss(values, rows.returns, rows.values, value_clip)
    ent = entropy.mean()
    loss = policy_loss + value_coef * v_loss - entropy_coef * ent
    grad_norm = optimizer_step(model, optimizer, loss, max_grad_norm)
    with torch.no_grad():
        new_log_prob, _, _, _ = batch.evaluate(model)
        kl = approx_kl(new_log_prob - rows.log_probs)
    out = {
        "policy_loss": policy_loss.item(),
        "value_loss": v_loss.item(),
        "entropy": ent.item(),
        "approx_kl": kl.item(),
        "clip_fraction": 0.0,
    }
    if grad_norm is not None:
        out["grad_norm"] = grad_norm
    return out


@dataclass
class ReinforceConfig(OnPolicyConfig):
    """REINFORCE with a learned baseline: one step per long rollout."""

    name: str = "reinforce"
    rollout_steps: int = 256


@dataclass
class A2CConfig(OnPolicyConfig):
    """A2C: one step per short rollout."""

    name: str = "a2c"
    rollout_steps: int = 5

    def check(self, key: str, run: TrainConfig) -> None:
        if not ESTIMATORS.get(run.advantage.name).trait("needs_critic", True):
            raise ConfigError(
                "advantage",
                f"algo=a2c is an actor-critic method, but advantage={run.advantage.name} "
                "trains no critic.",
                "use advantage=gae|nstep|td with algo=a2c, or algo=reinforce|ppo with "
                f"advantage={run.advantage.name}.",
            )
        super().check(key, run)


@ALGORITHMS.register(
    "reinforce", config=ReinforceConfig, summary="REINFORCE with a baseline (one step/rollout)"
)
@ALGORITHMS.register("a2c", config=A2CConfig, summary="A2C (one step per short rollout)")
class PolicyGradient(OnPolicyAlgorithm):
    """REINFORCE and A2C (module docstring)."""

    def step_settings(self) -> dict[str, Any]:
        """The config-derived arguments of the one-step update: :func:`update_pg` takes
        them, and so does the seeds batch's ``fused_pg_step`` (advrun.seeds.fused)."""
        cfg = self.config
        return {
            "value_coef": cfg.value_coef,
            "entropy_coef": cfg.entropy_coef,
            "value_clip": cfg.value_clip,
            "max_grad_norm": self.optim_config.max_grad_norm,
        }

    def update(
        self, rollout: Rollout, batch: Batch | SequenceBatch, progress: float
    ) -> dict[str, float]:
        return update_pg(self.model, self.optimizer, batch, **self.step_settings())
