"""Policy/value output layers and the distribution math the actor-critic uses.

The math is written with plain tensor ops instead of ``torch.distributions`` because
``act`` runs once per environment step on tiny batches, where building distribution
objects (with their argument validation) costs more than the network itself.

Categorical over logits ``z``: ``log p = log_softmax(z)``, ``H = -sum p log p``.

Multi-categorical (``MultiDiscrete``): one categorical per dimension over its own slice
of the logits; ``log p(a) = sum_d log p_d(a_d)`` and ``H = sum_d H_d`` (independent
dimensions, as SB3's ``MultiCategoricalDistribution``).

Independent Bernoullis (``MultiBinary``) over logits ``z``, ``p = sigmoid(z)``, with
``log p = -softplus(-z)`` and ``log(1 - p) = -softplus(z)``::

    log p(a) = sum_i [ a_i log p_i + (1 - a_i) log(1 - p_i) ]
    H        = sum_i [ p_i softplus(-z_i) + (1 - p_i) softplus(z_i) ]

Diagonal Gaussian with mean ``mu`` and log std ``s`` (``sigma = exp(s)``), summed over the
action dimensions::

    log p(a) = sum_i [ -(a_i - mu_i)^2 / (2 sigma_i^2) - s_i - 0.5 log(2 pi) ]
    H        = sum_i [ 0.5 + 0.5 log(2 pi) + s_i ]
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from advrun.networks.init import POLICY_GAIN, VALUE_GAIN, orthogonal_init_

HALF_LOG_2PI: float = 0.5 * math.log(2.0 * math.pi)
"""``0.5 * log(2 pi)``, the per-dimension Gaussian normaliser."""


def make_policy_head(in_dim: int, out_dim: int, orthogonal_init: bool) -> nn.Linear:
    """Linear layer producing logits (discrete) or the Gaussian mean (continuous).

    With ``orthogonal_init`` the gain is 0.01 so the initial policy is near-uniform /
    near-zero-mean; otherwise torch's default ``nn.Linear`` init is kept.
    """
    layer = nn.Linear(in_dim, out_dim)
    if orthogonal_init:
        orthogonal_init_(layer, POLICY_GAIN)
    return layer


def make_value_head(in_dim: int, orthogonal_init: bool) -> nn.Linear:
    """Linear layer producing one state value (gain 1.0 under orthogonal init)."""
    layer = nn.Linear(in_dim, 1)
    if orthogonal_init:
        orthogonal_init_(layer, VALUE_GAIN)
    return layer


# --- categorical -----------------------------------------------------------------------


def categorical_sample(logits: Tensor, deterministic: bool = False) -> tuple[Tensor, Tensor]:
    """Sample (or argmax) actions from ``logits [B, n]``; return ``(action [B] int64,
    log_prob [B])``."""
    log_probs = torch.log_softmax(logits, dim=-1)
    if deterministic:
        action = log_probs.argmax(dim=-1)
    else:
        action = torch.multinomial(log_probs.exp(), 1).squeeze(-1)
    log_prob = log_probs.gather(-1, action.unsqueeze(-1)).squeeze(-1)
    return action, log_prob


def categorical_log_prob_entropy(logits: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
    """``(log_prob [B], entropy [B])`` of integer ``actions [B]`` under ``logits [B, n]``.

    ``log p`` is clamped to the dtype's finite minimum before ``p log p`` so an action
    with probability exactly 0 contributes 0 instead of ``0 * -inf = nan``.
    """
    log_probs = torch.log_softmax(logits, dim=-1)
    # Any leading dims (the seeds batch stacks agents in front: logits [K, B, n]).
    idx = actions.reshape(*logits.shape[:-1], 1).long()
    log_prob = log_probs.gather(-1, idx).squeeze(-1)
    safe = log_probs.clamp(min=torch.finfo(log_probs.dtype).min)
    entropy = -(safe.exp() * safe).sum(dim=-1)
    return log_prob, entropy


# --- multi-categorical -----------------------------------------------------------------


def multi_categorical_sample(
    logits: Tensor, nvec: list[int], deterministic: bool = False
) -> tuple[Tensor, Tensor]:
    """Sample (or argmax) per dimension from ``logits [B, sum(nvec)]``; return
    ``(action [B, d] int64, log_prob [B])`` with the log-probabilities summed."""
    actions, log_probs = [], []
    for part in torch.split(logits, nvec, dim=-1):
        action, log_prob = categorical_sample(part, deterministic)
        actions.append(action)
        log_probs.append(log_prob)
    return torch.stack(actions, dim=-1), torch.stack(log_probs, dim=-1).sum(dim=-1)


def multi_categorical_log_prob_entropy(
    logits: Tensor, nvec: list[int], actions: Tensor
) -> tuple[Tensor, Tensor]:
    """``(log_prob [B], entropy [B])`` of ``actions [B, d]``, both summed over dims."""
    actions = actions.reshape(logits.shape[0], len(nvec))
    log_prob = logits.new_zeros(logits.shape[0])
    entropy = logits.new_zeros(logits.shape[0])
    for i, part in enumerate(torch.split(logits, nvec, dim=-1)):
        lp, ent = categorical_log_prob_entropy(part, actions[:, i])
        log_prob = log_prob + lp
        entropy = entropy + ent
    return log_prob, entropy


# --- independent Bernoullis ------------------------------------------------------------


def bernoulli_sample(logits: Tensor, deterministic: bool = False) -> tuple[Tensor, Tensor]:
    """Sample (or take ``z > 0``) each bit from ``logits [B, n]``; return ``(action
    [B, n] float 0/1, log_prob [B])``."""
    if deterministic:
        action = (logits > 0).to(logits.dtype)
    else:
        action = (torch.rand_like(logits) < torch.sigmoid(logits)).to(logits.dtype)
    return action, bernoulli_log_prob_entropy(logits, action)[0]


def bernoulli_log_prob_entropy(logits: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
    """``(log_prob [B], entropy [B])`` of 0/1 ``actions [B, n]`` (module docstring)."""
    actions = actions.reshape(logits.shape).to(logits.dtype)
    log_p = -nn.functional.softplus(-logits)
    log_not_p = -nn.functional.softplus(logits)
    log_prob = (actions * log_p + (1.0 - actions) * log_not_p).sum(dim=-1)
    p = torch.sigmoid(logits)
    entropy = (p * -log_p + (1.0 - p) * -log_not_p).sum(dim=-1)
    return log_prob, entropy


# --- diagonal Gaussian -----------------------------------------------------------------


def gaussian_sample(
    mean: Tensor, log_std: Tensor, deterministic: bool = False
) -> tuple[Tensor, Tensor]:
    """Sample ``a = mu + sigma * eps`` (or ``a = mu``); return ``(action [B, d],
    log_prob [B])``.

    Since ``(a - mu) / sigma = eps`` the log-prob is computed from ``eps`` directly:
    ``sum_i [-eps_i^2 / 2 - s_i - 0.5 log(2 pi)]``.
    """
    const = (log_std + HALF_LOG_2PI).sum(dim=-1)
    if deterministic:
        return mean, (-const).expand(mean.shape[0]).clone()
    eps = torch.randn_like(mean)
    action = mean + log_std.exp() * eps
    log_prob = -0.5 * eps.square().sum(dim=-1) - const
    return action, log_prob


def gaussian_log_prob(mean: Tensor, log_std: Tensor, actions: Tensor) -> Tensor:
    """``sum_i [-(a_i - mu_i)^2 / (2 sigma_i^2) - s_i - 0.5 log(2 pi)]`` -> ``[B]``."""
    z = (actions - mean) * torch.exp(-log_std)
    return -0.5 * z.square().sum(dim=-1) - (log_std + HALF_LOG_2PI).sum(dim=-1)


def gaussian_entropy(log_std: Tensor, batch_size: int) -> Tensor:
    """``sum_i [0.5 + 0.5 log(2 pi) + s_i]`` broadcast to ``[batch_size]``.

    The std is state-independent, so the entropy is the same for every row.
    """
    return (log_std + (0.5 + HALF_LOG_2PI)).sum(dim=-1).expand(batch_size)
