"""Proximal Policy Optimization (Schulman et al., 2017), clipped surrogate.

For ``epochs`` passes over shuffled minibatches:
``L = -mean(min(r A, clip(r, 1-e, 1+e) A)) + c_v L_V - c_e mean(H)``,
``r = exp(log pi_new - log pi_old)``. Stops the epoch loop once the approximate KL
of a minibatch exceeds ``target_kl`` (when set).

After the first epoch the rollout is off-policy: the policy that collected it is no
longer the one being updated. PPO therefore runs its estimator again at the start of
every later epoch when the estimator corrects for that (``advantage=vtrace``: fresh
importance ratios and values), and for any estimator with
``algo.recompute_advantages=true`` (fresh values, e.g. GAE with the critic as it is
now, as Andrychowicz et al. 2021 recommend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from advrun.algos.base import ALGORITHMS
from advrun.algos.batch import Batch, SequenceBatch
from advrun.algos.losses import approx_kl, value_loss
from advrun.algos.on_policy import OnPolicyAlgorithm, OnPolicyConfig, _at_least
from advrun.algos.step import optimizer_step
from advrun.collect.collector import Rollout
from advrun.config.errors import ConfigError
from advrun.networks import ActorCritic
from advrun.optim import SCHEDULES, anneal

if TYPE_CHECKING:
    from advrun.config.schema import TrainConfig


@dataclass
class PPOConfig(OnPolicyConfig):
    """PPO's defaults are tuned for wall-clock speed on small control tasks: short
    rollouts over many envs, then 2 epochs of 2 large minibatches."""

    name: str = "ppo"
    # Passes over each rollout, and minibatches each pass is cut into.
    epochs: int = 2
    minibatches: int = 2
    # The ratio clip epsilon of PPO's surrogate objective (Schulman et al. 2017).
    clip_coef: float = 0.2
    # Anneal clip_coef over training (linear: down to 0 at the end, as SB3's
    # ``lin_0.1``); constant keeps it fixed.
    clip_schedule: str = "constant"
    # Stop the epoch loop early when the approximate KL exceeds this; null disables.
    target_kl: float | None = None
    # Re-run the estimator at the start of every epoch after the first, with the
    # current critic (V-trace always does, with the current policy's ratios too).
    recompute_advantages: bool = False

    def check(self, key: str, run: TrainConfig) -> None:
        super().check(key, run)
        _at_least(self.epochs, 1, f"{key}.epochs")
        _at_least(self.minibatches, 1, f"{key}.minibatches")
        batch = self.rollout_steps * run.env.num_envs
        if run.network.recurrent and self.minibatches > run.env.num_envs:
            raise ConfigError(
                f"{key}.minibatches",
                f"a recurrent policy (network.recurrent={run.network.recurrent}) is "
                "trained on whole env sequences, so minibatches are cut from the "
                f"{run.env.num_envs} envs, not {self.minibatches}.",
                f"set {key}.minibatches to at most env.num_envs={run.env.num_envs}.",
            )
        if self.minibatches > batch:
            raise ConfigError(
                f"{key}.minibatches",
                f"{self.minibatches} minibatches cannot be cut from a batch of {batch} "
                f"transitions ({key}.rollout_steps * env.num_envs).",
                f"lower {key}.minibatches or raise {key}.rollout_steps / env.num_envs.",
            )
        if not self.clip_coef > 0:
            raise ConfigError(
                f"{key}.clip_coef",
                f"{self.clip_coef} must be > 0.",
                f"set a positive value, e.g. {key}.clip_coef=0.2.",
            )
        if self.clip_schedule not in SCHEDULES:
            raise ConfigError(
                f"{key}.clip_schedule",
                f"{self.clip_schedule!r} is not a schedule.",
                f"use one of: {', '.join(SCHEDULES.names())}.",
            )
        if self.target_kl is not None and not self.target_kl > 0:
            raise ConfigError(
                f"{key}.target_kl",
                f"{self.target_kl} must be > 0.",
                f"set a positive value, e.g. {key}.target_kl=0.02 (or null to disable).",
            )


def ppo_epochs(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch_for_epoch: Callable[[int], Batch | SequenceBatch],
    *,
    epochs: int,
    minibatches: int,
    clip_coef: float,
    value_coef: float,
    entropy_coef: float,
    value_clip: float | None,
    target_kl: float | None,
    max_grad_norm: float | None,
    generator: torch.Generator,
) -> dict[str, float]:
    """The clipped-surrogate epochs; ``batch_for_epoch(e)`` gives epoch ``e``'s batch
    (the same one, or one re-estimated with the current policy). Returns the mean of
    each metric over the minibatch steps taken, and ``updates`` (how many)."""
    totals: dict[str, object] = dict.fromkeys(
        ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction"), 0.0
    )
    grad_norms: list[float] = []
    steps = 0
    for epoch in range(epochs):
        batch = batch_for_epoch(epoch)
        size = len(batch)
        mb_size = max(1, size // minibatches)
        # A SequenceBatch's size is its envs: minibatches of whole env sequences.
        perm = torch.randperm(size, generator=generator).to(batch.obs.device)
        stop = False
        for start in range(0, size - mb_size + 1, mb_size):
            log_prob, entropy, values, mb = batch.index(perm[start : start + mb_size]).evaluate(
                model
            )
            log_ratio = log_prob - mb.log_probs
            ratio = log_ratio.exp()
            surrogate = torch.minimum(
                ratio * mb.advantages,
                ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef) * mb.advantages,
            )
            policy_loss = -surrogate.mean()
            v_loss = value_loss(values, mb.returns, mb.values, value_clip)
            ent = entropy.mean()
            loss = policy_loss + value_coef * v_loss - entropy_coef * ent
            grad_norm = optimizer_step(model, optimizer, loss, max_grad_norm)
            with torch.no_grad():
                kl = approx_kl(log_ratio.detach())
                clip_frac = ((ratio - 1.0).abs() > clip_coef).float().mean()
            # Accumulate as tensors; one .item() sync per metric at the end.
            for key, val in (
                ("policy_loss", policy_loss),
                ("value_loss", v_loss),
                ("entropy", ent),
                ("approx_kl", kl),
                ("clip_fraction", clip_frac),
            ):
                totals[key] = totals[key] + val.detach()  # type: ignore[operator]
            if grad_norm is not None:
                grad_norms.append(grad_norm)
            steps += 1
            if target_kl is not None and kl.item() > target_kl:
                stop = True
                break
        if stop:
            break
    out = {k: float(v) / steps for k, v in totals.items()}  # type: ignore[arg-type]
    if grad_norms:
        out["grad_norm"] = sum(grad_norms) / len(grad_norms)
    out["updates"] = float(steps)
    return out


@ALGORITHMS.register("ppo", config=PPOConfig, summary="PPO, clipped surrogate (Schulman 2017)")
class PPO(OnPolicyAlgorithm):
    """Proximal Policy Optimization (module docstring)."""

    def clip_coef(self, progress: float) -> float:
        """``clip_coef`` annealed by ``clip_schedule`` over training progress."""
        cfg = self.config
        return anneal(progress, start=cfg.clip_coef, schedule=cfg.clip_schedule)

    def epoch_settings(self, clip: float) -> dict[str, Any]:
        """The keyword arguments of the clipped-surrogate epochs that come from the
        config (with ``clip``, the annealed clip range): :func:`ppo_epochs` takes them,
        and so does the seeds batch's ``fused_ppo_epochs`` (advrun.seeds.fused)."""
        cfg = self.config
        return {
            "epochs": cfg.epochs,
            "minibatches": cfg.minibatches,
            "clip_coef": clip,
            "value_coef": cfg.value_coef,
            "entropy_coef": cfg.entropy_coef,
            "value_clip": cfg.value_clip,
            "max_grad_norm": self.optim_config.max_grad_norm,
        }

    def update(
        self, rollout: Rollout, batch: Batch | SequenceBatch, progress: float
    ) -> dict[str, float]:
        cfg = self.config
        clip = self.clip_coef(progress)
        fresh = self.off_policy_estimator or cfg.recompute_advantages

        def batch_for_epoch(epoch: int) -> Batch | SequenceBatch:
            return self.reestimate(rollout) if fresh and epoch > 0 else batch

        metrics = ppo_epochs(
            self.model,
            self.optimizer,
            batch_for_epoch,
            **self.epoch_settings(clip),
            target_kl=cfg.target_kl,
            generator=self.generator,
        )
        if cfg.clip_schedule != "constant":
            metrics["clip_coef"] = clip
        return metrics
