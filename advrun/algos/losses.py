"""Loss terms shared by the update rules."""

from __future__ import annotations

import torch


def value_loss(
    new_values: torch.Tensor,
    returns: torch.Tensor,
    old_values: torch.Tensor,
    clip: float | None,
) -> torch.Tensor:
    """``0.5 * mean((V - R)^2)``; with ``clip``, PPO's pessimistic clipped variant
    ``0.5 * mean(max((V - R)^2, (V_old + clamp(V - V_old, -c, c) - R)^2))``."""
    unclipped = (new_values - returns).pow(2)
    if clip is None:
        return 0.5 * unclipped.mean()
    clipped_values = old_values + (new_values - old_values).clamp(-clip, clip)
    clipped = (clipped_values - returns).pow(2)
    return 0.5 * torch.maximum(unclipped, clipped).mean()


def approx_kl(log_ratio: torch.Tensor) -> torch.Tensor:
    """Low-variance unbiased estimator of KL(old || new): ``mean((r - 1) - log r)``
    with ``r = pi_new / pi_old`` (Schulman, "Approximating KL divergence", 2020)."""
    return ((log_ratio.exp() - 1.0) - log_ratio).mean()
