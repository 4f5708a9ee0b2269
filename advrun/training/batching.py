"""Rollout ``[T, N]`` → flat training batch ``[B]``."""

from __future__ import annotations

import torch

from advrun.algos import Batch
from advrun.training.rollout import Rollout


def to_batch(rollout: Rollout, advantages: torch.Tensor, returns: torch.Tensor) -> Batch:
    """Flatten time and env dims, keeping only real (non-dummy) transitions."""
    mask = rollout.valid.reshape(-1)
    t, n = rollout.values.shape

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(t * n, *x.shape[2:])[mask]

    return Batch(
        obs=flat(rollout.obs),
        actions=flat(rollout.actions),
        log_probs=flat(rollout.log_probs),
        values=flat(rollout.values),
        advantages=flat(advantages),
        returns=flat(returns),
    )
