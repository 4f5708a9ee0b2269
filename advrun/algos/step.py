"""One optimizer step with optional global gradient-norm clipping."""

from __future__ import annotations

import torch


def optimizer_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss: torch.Tensor,
    max_grad_norm: float | None,
) -> float | None:
    """Backpropagate ``loss`` and step; returns the pre-clipping gradient norm (None
    when clipping is off, to avoid the extra reduction)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = None
    if max_grad_norm is not None:
        params = [p for p in model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, max_grad_norm).item()
    optimizer.step()
    return norm
