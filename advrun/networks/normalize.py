"""Running mean/variance statistics and the observation normaliser built on them.

Moments are merged with the parallel algorithm of Chan, Golub & LeVeque (1979): for a
running ``(mean, var, count)`` and a batch ``(m_b, v_b, n_b)``, with
``delta = m_b - mean`` and ``n = count + n_b``::

    mean' = mean + delta * n_b / n
    M2'   = var * count + v_b * n_b + delta^2 * count * n_b / n
    var'  = M2' / n

(population variances). It is exact for any split of the data into batches, and is
what Stable-Baselines3's ``RunningMeanStd`` / ``VecNormalize`` use, so the statistics
match theirs. ``count`` starts at a tiny ``epsilon`` (not 0) so the first merge needs
no special case and ``var`` starts at 1 (normalisation is the identity until data
arrives).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

COUNT_EPSILON: float = 1e-4
"""Initial pseudo-count of the running statistics (as in SB3's ``RunningMeanStd``)."""


def merge_moments(
    mean: Tensor,
    var: Tensor,
    count: Tensor,
    batch_mean: Tensor,
    batch_var: Tensor,
    batch_count: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """Chan et al.'s merge of two ``(mean, population var, count)`` summaries.

    All arguments are tensors (``count`` and ``batch_count`` scalars), so the merge
    runs on any device without a host synchronisation.
    """
    total = count + batch_count
    delta = batch_mean - mean
    new_mean = mean + delta * (batch_count / total)
    m2 = var * count + batch_var * batch_count + delta.square() * (count * batch_count / total)
    return new_mean, m2 / total, total


class RunningObsNorm(nn.Module):
    """``clamp((x - mean) / sqrt(var + eps), -clip, clip)`` with running statistics.

    ``mean``, ``var`` and ``count`` are buffers, so they are part of ``state_dict()``:
    checkpoints carry them, ``advrun eval`` and warm starts use them, and they are never
    touched by the optimiser. ``forward`` never changes them; the trainer calls
    :meth:`update` once per iteration with the observations it collected.
    """

    mean: Tensor
    var: Tensor
    count: Tensor

    def __init__(self, shape: tuple[int, ...], clip: float = 10.0, eps: float = 1e-8) -> None:
        super().__init__()
        self.clip = float(clip)
        self.eps = float(eps)
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("var", torch.ones(shape, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(COUNT_EPSILON, dtype=torch.float64))

    @torch.no_grad()
    def update(self, batch: Tensor) -> None:
        """Merge a batch ``[B, *shape]`` of observations into the running statistics."""
        if batch.shape[0] == 0:
            return
        x = batch.to(torch.float64).reshape(batch.shape[0], *self.mean.shape)
        batch_mean = x.mean(dim=0)
        batch_var = x.var(dim=0, unbiased=False)
        batch_count = torch.tensor(float(x.shape[0]), dtype=torch.float64, device=x.device)
        mean, var, count = merge_moments(
            self.mean, self.var, self.count, batch_mean, batch_var, batch_count
        )
        self.mean.copy_(mean)
        self.var.copy_(var)
        self.count.copy_(count)

    def forward(self, x: Tensor) -> Tensor:
        mean = self.mean.to(x.dtype)
        std = torch.sqrt(self.var + self.eps).to(x.dtype)
        return ((x - mean) / std).clamp(-self.clip, self.clip)

    def extra_repr(self) -> str:
        return f"shape={tuple(self.mean.shape)}, clip={self.clip}"
