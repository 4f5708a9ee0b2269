"""One-step policy gradient: REINFORCE with a baseline and A2C.

Both take a single gradient step per rollout on
``L = -mean(log pi(a|s) * A) + c_v * L_V - c_e * mean(H)``.
They differ only in the advantage estimator their presets pick (REINFORCE: ``mc``;
A2C: ``nstep``/``gae``), which is exactly the point of advrun: the estimator is a
separate, swappable component.
"""

from __future__ import annotations

import torch

from advrun.algos.batch import Batch
from advrun.algos.losses import approx_kl, value_loss
from advrun.algos.step import optimizer_step
from advrun.config.schema import AlgoConfig
from advrun.networks import ActorCritic


def update_pg(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    algo: AlgoConfig,
    max_grad_norm: float | None,
    generator: torch.Generator,
) -> dict[str, float]:
    del generator  # one full-batch step: nothing to shuffle
    log_prob, entropy, values = model.evaluate(batch.obs, batch.actions)
    policy_loss = -(log_prob * batch.advantages).mean()
    v_loss = value_loss(values, batch.returns, batch.values, algo.value_clip)
    ent = entropy.mean()
    loss = policy_loss + algo.value_coef * v_loss - algo.entropy_coef * ent
    grad_norm = optimizer_step(model, optimizer, loss, max_grad_norm)
    with torch.no_grad():
        new_log_prob, _, _ = model.evaluate(batch.obs, batch.actions)
        kl = approx_kl(new_log_prob - batch.log_probs)
    return {
        "policy_loss": policy_loss.item(),
        "value_loss": v_loss.item(),
        "entropy": ent.item(),
        "approx_kl": kl.item(),
        "clip_fraction": 0.0,
        "grad_norm": grad_norm,
    }
