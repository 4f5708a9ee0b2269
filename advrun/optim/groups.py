"""Optimizer parameter groups for fine-tuning: transferred parameters at a scaled
learning rate.

When a network starts from another task's checkpoint, the transferred parts (e.g. the
trunks) already encode useful features and the new parts (e.g. a fresh action head)
do not; a smaller learning rate for the former ("discriminative fine-tuning", Howard &
Ruder 2018, ULMFiT) keeps the features from being overwritten by the new head's early,
noisy gradients. Each group carries ``lr_scale`` so :func:`advrun.optim.set_lr` applies
a schedule as ``lr_t * lr_scale`` per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn


def param_groups(
    model: nn.Module, loaded: Iterable[str], *, lr: float, lr_scale: float = 1.0
) -> list[dict[str, Any]]:
    """Trainable parameters of ``model`` as optimizer groups.

    ``loaded`` are parameter (or state-dict) names that came from a checkpoint. With
    ``lr_scale == 1`` there is one group (as without fine-tuning, so older checkpoints'
    optimizer states still load); otherwise ``new`` parameters get ``lr`` and
    ``loaded`` ones ``lr * lr_scale``. Frozen parameters (``requires_grad=False``) are
    left out; empty groups are dropped.
    """
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if lr_scale == 1.0:
        return [{"params": [p for _, p in trainable], "lr": lr, "lr_scale": 1.0}]
    names = set(loaded)
    new = [p for n, p in trainable if n not in names]
    old = [p for n, p in trainable if n in names]
    groups = [
        {"params": new, "lr": lr, "lr_scale": 1.0, "name": "new"},
        {"params": old, "lr": lr * lr_scale, "lr_scale": float(lr_scale), "name": "loaded"},
    ]
    return [g for g in groups if g["params"]]
