"""Numerical-fault detection: stop before a NaN reaches a checkpoint."""

from __future__ import annotations

import math

import torch


class TrainingDiverged(RuntimeError):
    """Raised with a message naming the step and the last good checkpoint."""


def non_finite(metrics: dict[str, float], model: torch.nn.Module) -> str | None:
    """Name of the first non-finite loss term or parameter, or None if all are finite."""
    for key in ("policy_loss", "value_loss", "entropy"):
        if key in metrics and not math.isfinite(metrics[key]):
            return f"losses/{key} = {metrics[key]}"
    params = [p for p in model.parameters()]
    if not torch.isfinite(torch.stack([p.detach().abs().sum() for p in params]).sum()):
        for name, p in model.named_parameters():
            if not torch.isfinite(p).all():
                return f"parameter {name}"
    return None
