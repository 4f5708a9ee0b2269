"""The updates of K agents at once, each on its own rollout: PPO's clipped-surrogate
epochs and the one full-batch step of A2C / REINFORCE.

The joined rollout ``[T, K * N]`` is laid out agent-major (``[K, S]``, ``S = T * N``,
each agent's rows in its single run's flat order). Every epoch each agent permutes its
*valid* rows with its own generator and cuts them into minibatches exactly as its single
run does (``advrun.algos.ppo.ppo_epochs``); a fused minibatch is ``[K, M]`` rows, one
slice per agent, padded with weight-0 rows where an agent's minibatch is shorter (the
NEXT_STEP dummy rows make the agents' valid counts differ a little). Every term of the
loss is a per-agent mean over its real rows:

    L_k = -mean_k(min(r A, clip(r, 1-e, 1+e) A)) + c_v 0.5 mean_k((V - R)^2) - c_e mean_k(H)

The optimizer steps on ``sum_k L_k``, whose gradient in agent k's slice is ``dL_k``,
after each agent's gradient is clipped on its own norm. So each agent takes its single
run's update, up to float rounding (a weighted sum over a padded row instead of a mean,
batched kernels instead of one module's).

A2C and REINFORCE (:func:`advrun.algos.pg.update_pg`) take one step per rollout on all
of each agent's valid rows, ``L_k = -mean_k(log pi(a|s) A) + c_v L_V - c_e mean_k(H)``,
then measure the step's approximate KL with a second forward, as the single run does.
"""

from __future__ import annotations

import torch
from torch import Tensor

from advrun.seeds.fused.model import StackedActorCritic, clip_per_agent

__all__ = ["AgentMajor", "fused_pg_step", "fused_ppo_epochs", "per_agent_normalize"]

METRICS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction")


class AgentMajor:
    """``[T, K * N, ...]`` rollout tensors as ``[K, T * N, ...]``."""

    def __init__(self, agents: int) -> None:
        self.k = agents

    def __call__(self, x: Tensor) -> Tensor:
        t, kn = x.shape[:2]
        n = kn // self.k
        y = x.reshape(t, self.k, n, *x.shape[2:]).transpose(0, 1)
        return y.reshape(self.k, t * n, *x.shape[2:])


def per_agent_normalize(adv: Tensor, valid: Tensor, eps: float = 1e-8) -> Tensor:
    """Standardise each agent's advantages (``[K, S]``) over its valid rows, as
    :func:`advrun.advantages.normalize` does for one run (population std; invalid rows
    become 0)."""
    w = valid.to(adv.dtype)
    count = w.sum(1, keepdim=True).clamp(min=1.0)
    mean = (adv * w).sum(1, keepdim=True) / count
    var = ((adv - mean).square() * w).sum(1, keepdim=True) / count
    return torch.where(valid, (adv - mean) / (var.sqrt() + eps), torch.zeros_like(adv))


def _mean(x: Tensor, w: Tensor, count: Tensor) -> Tensor:
    return (x * w).sum(1) / count


def _value_loss(
    values: Tensor, data: dict[str, Tensor], w: Tensor, count: Tensor, clip: float | None
) -> Tensor:
    """``0.5 mean_k((V - R)^2)``, PPO's pessimistic clipped form with ``clip``
    (:func:`advrun.algos.losses.value_loss` per agent)."""
    sq = (values - data["returns"]).square()
    if clip is not None:
        old = data["values"]
        clipped = old + (values - old).clamp(-clip, clip)
        sq = torch.maximum(sq, (clipped - data["returns"]).square())
    return 0.5 * _mean(sq, w, count)


def _step(
    stack: StackedActorCritic,
    optimizer: torch.optim.Optimizer,
    loss: Tensor,
    max_grad_norm: float | None,
) -> Tensor | None:
    """Step on ``sum_k L_k`` with each agent's gradient clipped on its own norm; returns
    the pre-clipping norms ``[K]`` (None without clipping)."""
    optimizer.zero_grad(set_to_none=True)
    loss.sum().backward()
    norm = None
    if max_grad_norm is not None:
        norm = clip_per_agent(stack.parameters(), max_grad_norm)
    optimizer.step()
    return norm


def _minibatches(
    valid_rows: list[Tensor], generators: list[torch.Generator], minibatches: int
) -> tuple[Tensor, Tensor]:
    """One epoch's minibatches ``(index [J, K, M], weight [J, K, M])``: agent k permutes
    its valid rows with its own generator and cuts ``size_k // minibatches`` of them per
    minibatch, exactly as its single run (``advrun.algos.ppo.ppo_epochs``); shorter
    minibatches are padded with weight-0 rows."""
    cuts = []
    for rows, gen in zip(valid_rows, generators, strict=True):
        size = len(rows)
        mb = max(1, size // minibatches)
        perm = rows[torch.randperm(size, generator=gen)]
        cuts.append([perm[s : s + mb] for s in range(0, size - mb + 1, mb)])
    steps = max(len(c) for c in cuts)
    width = max(len(part) for c in cuts for part in c)
    index = torch.zeros(steps, len(cuts), width, dtype=torch.long)
    weight = torch.zeros(steps, len(cuts), width)
    for k, parts in enumerate(cuts):
        for j, part in enumerate(parts):
            index[j, k, : len(part)] = part
            weight[j, k, : len(part)] = 1.0
    return index, weight


def fused_ppo_epochs(
    stack: StackedActorCritic,
    optimizer: torch.optim.Optimizer,
    data: dict[str, Tensor],
    generators: list[torch.Generator],
    *,
    epochs: int,
    minibatches: int,
    clip_coef: float,
    value_coef: float,
    entropy_coef: float,
    value_clip: float | None,
    max_grad_norm: float | None,
) -> dict[str, Tensor]:
    """The epochs on ``data`` (``obs, actions, log_probs, values, advantages, returns,
    valid``, each ``[K, S, ...]``); returns each metric's mean over the steps as ``[K]``."""
    k = data["valid"].shape[0]
    device = data["valid"].device
    valid_rows = [torch.nonzero(v).squeeze(1).cpu() for v in data["valid"]]
    totals = {m: torch.zeros(k, device=device) for m in METRICS}
    norms: list[Tensor] = []
    steps = 0
    for _ in range(epochs):
        index, weight = _minibatches(valid_rows, generators, minibatches)
        index, weight = index.to(device), weight.to(device)
        for j in range(index.shape[0]):
            idx, mb = index[j], index.shape[2]
            mbd = {
                name: x.gather(
                    1, idx.view(k, mb, *([1] * (x.dim() - 2))).expand(k, mb, *x.shape[2:])
                )
                for name, x in data.items()
                if name != "valid"
            }
            w = weight[j]
            count = w.sum(1).clamp(min=1.0)
            out, values = stack.forward(mbd["obs"])
            log_prob, entropy = stack.log_prob_entropy(out, mbd["actions"])
            log_ratio = log_prob - mbd["log_probs"]
            ratio = log_ratio.exp()
            adv = mbd["advantages"]
            surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - clip_coef, 1 + clip_coef) * adv)
            policy_loss = -_mean(surrogate, w, count)
            v_loss = _value_loss(values, mbd, w, count, value_clip)
            ent = _mean(entropy, w, count)
            loss = policy_loss + value_coef * v_loss - entropy_coef * ent
            norm = _step(stack, optimizer, loss, max_grad_norm)
            if norm is not None:
                norms.append(norm)
            with torch.no_grad():
                lr_d = log_ratio.detach()
                kl = _mean((lr_d.exp() - 1.0) - lr_d, w, count)
                clip_frac = _mean(((ratio.detach() - 1.0).abs() > clip_coef).float(), w, count)
                for name, val in zip(
                    METRICS, (policy_loss, v_loss, ent, kl, clip_frac), strict=True
                ):
                    totals[name] += val.detach()
            steps += 1
    out_metrics = {m: v / steps for m, v in totals.items()}
    if norms:
        out_metrics["grad_norm"] = torch.stack(norms).mean(0)
    return out_metrics


def fused_pg_step(
    stack: StackedActorCritic,
    optimizer: torch.optim.Optimizer,
    data: dict[str, Tensor],
    *,
    value_coef: float,
    entropy_coef: float,
    value_clip: float | None,
    max_grad_norm: float | None,
) -> dict[str, Tensor]:
    """A2C's / REINFORCE's single step on ``data`` (as for :func:`fused_ppo_epochs`);
    returns each metric as ``[K]``. Invalid rows weigh 0."""
    w = data["valid"].to(data["advantages"].dtype)
    count = w.sum(1).clamp(min=1.0)
    out, values = stack.forward(data["obs"])
    log_prob, entropy = stack.log_prob_entropy(out, data["actions"])
    policy_loss = -_mean(log_prob * data["advantages"], w, count)
    v_loss = _value_loss(values, data, w, count, value_clip)
    ent = _mean(entropy, w, count)
    loss = policy_loss + value_coef * v_loss - entropy_coef * ent
    norm = _step(stack, optimizer, loss, max_grad_norm)
    with torch.no_grad():
        new_log_prob, _ = stack.log_prob_entropy(stack.policy(data["obs"]), data["actions"])
        log_ratio = new_log_prob - data["log_probs"]
        kl = _mean((log_ratio.exp() - 1.0) - log_ratio, w, count)
    metrics = {
        "policy_loss": policy_loss.detach(),
        "value_loss": v_loss.detach(),
        "entropy": ent.detach(),
        "approx_kl": kl,
        "clip_fraction": torch.zeros_like(kl),
    }
    if norm is not None:
        metrics["grad_norm"] = norm
    return metrics
