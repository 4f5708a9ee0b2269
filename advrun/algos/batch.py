"""The training batches an update rule consumes: flat rows, or whole env sequences for
a recurrent policy. Both answer :meth:`evaluate` with the current model's log-probs,
entropies and values of their valid rows, and the flat :class:`Batch` those rows form,
so the losses (PPO's clipped surrogate, the one-step policy gradient) are one code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass
class Batch:
    """Valid transitions of one rollout, flattened to ``[B, ...]``."""

    obs: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor

    def __len__(self) -> int:
        return self.obs.shape[0]

    def index(self, idx: torch.Tensor) -> Batch:
        return Batch(
            self.obs[idx],
            self.actions[idx],
            self.log_probs[idx],
            self.values[idx],
            self.advantages[idx],
            self.returns[idx],
        )

    def evaluate(self, model: Any) -> tuple[Tensor, Tensor, Tensor, Batch]:
        """``(log_prob, entropy, value)`` of each row under ``model``, and the rows."""
        log_prob, entropy, values = model.evaluate_actions(self.obs, self.actions)
        return log_prob, entropy, values, self


@dataclass
class SequenceBatch:
    """A rollout kept time-major, ``[T, N, ...]``, for a recurrent policy.

    Minibatches select envs, not rows (:meth:`index` takes env indices): each keeps its
    whole segment, the state it started from (``state0 [N, S]``) and its episode starts,
    so the update replays the recurrence exactly as the rollout ran it (truncated BPTT
    over the segment). ``valid`` marks the rows the losses count."""

    obs: Tensor
    actions: Tensor
    log_probs: Tensor
    values: Tensor
    advantages: Tensor
    returns: Tensor
    valid: Tensor
    starts: Tensor
    state0: Tensor

    def __len__(self) -> int:
        """Envs (the unit a minibatch is cut in)."""
        return self.valid.shape[1]

    def index(self, idx: Tensor) -> SequenceBatch:
        return SequenceBatch(
            self.obs[:, idx],
            self.actions[:, idx],
            self.log_probs[:, idx],
            self.values[:, idx],
            self.advantages[:, idx],
            self.returns[:, idx],
            self.valid[:, idx],
            self.starts[:, idx],
            self.state0[idx],
        )

    def evaluate(self, model: Any) -> tuple[Tensor, Tensor, Tensor, Batch]:
        log_prob, entropy, values, _ = model.evaluate_sequence(
            self.obs, self.actions, self.starts, self.state0
        )
        mask = self.valid
        rows = Batch(
            self.obs[mask],
            self.actions[mask],
            self.log_probs[mask],
            self.values[mask],
            self.advantages[mask],
            self.returns[mask],
        )
        return log_prob[mask], entropy[mask], values[mask], rows
