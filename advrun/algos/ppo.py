"""Proximal Policy Optimization (Schulman et al., 2017), clipped surrogate.

For ``epochs`` passes over shuffled minibatches:
``L = -mean(min(r A, clip(r, 1-e, 1+e) A)) + c_v L_V - c_e mean(H)``,
``r = exp(log pi_new - log pi_old)``. Stops the epoch loop once the approximate KL
of a minibatch exceeds ``target_kl`` (when set).
"""

from __future__ import annotations

import torch

from advrun.algos.batch import Batch
from advrun.algos.losses import approx_kl, value_loss
from advrun.algos.step import optimizer_step
from advrun.config.schema import AlgoConfig
from advrun.networks import ActorCritic


def update_ppo(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    algo: AlgoConfig,
    max_grad_norm: float | None,
    generator: torch.Generator,
) -> dict[str, float]:
    size = len(batch)
    mb_size = max(1, size // algo.minibatches)
    totals = {
        "policy_loss": 0.0,
        "value_loss": 0.0,
        "entropy": 0.0,
        "approx_kl": 0.0,
        "clip_fraction": 0.0,
        "grad_norm": 0.0,
    }
    steps = 0
    for _ in range(algo.epochs):
        perm = torch.randperm(size, generator=generator).to(batch.obs.device)
        stop = False
        for start in range(0, size - mb_size + 1, mb_size):
            mb = batch.index(perm[start : start + mb_size])
            log_prob, entropy, values = model.evaluate(mb.obs, mb.actions)
            log_ratio = log_prob - mb.log_probs
            ratio = log_ratio.exp()
            surrogate = torch.minimum(
                ratio * mb.advantages,
                ratio.clamp(1.0 - algo.clip_coef, 1.0 + algo.clip_coef) * mb.advantages,
            )
            policy_loss = -surrogate.mean()
            v_loss = value_loss(values, mb.returns, mb.values, algo.value_clip)
            ent = entropy.mean()
            loss = policy_loss + algo.value_coef * v_loss - algo.entropy_coef * ent
            grad_norm = optimizer_step(model, optimizer, loss, max_grad_norm)
            with torch.no_grad():
                kl = approx_kl(log_ratio.detach())
                clip_frac = ((ratio - 1.0).abs() > algo.clip_coef).float().mean()
            # Accumulate as tensors; one .item() sync per metric at the end.
            for key, val in (
                ("policy_loss", policy_loss),
                ("value_loss", v_loss),
                ("entropy", ent),
                ("approx_kl", kl),
                ("clip_fraction", clip_frac),
            ):
                totals[key] = totals[key] + val.detach()
            totals["grad_norm"] += grad_norm
            steps += 1
            if algo.target_kl is not None and kl.item() > algo.target_kl:
                stop = True
                break
        if stop:
            break
    out = {k: (float(v) / steps) for k, v in totals.items()}
    out["updates"] = float(steps)
    return out
