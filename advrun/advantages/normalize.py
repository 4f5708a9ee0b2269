"""Advantage normalisation (standardisation)."""

from __future__ import annotations

import torch
from torch import Tensor

from ._checks import to_bool_mask

__all__ = ["normalize"]


def normalize(advantages: Tensor, mask: Tensor | None = None, eps: float = 1e-8) -> Tensor:
    """Standardise ``advantages`` to zero mean and unit std over the selected entries.

    ``out = (a - mean) / (std + eps)`` where mean and std are taken over the entries where
    ``mask`` is True (all entries if ``mask`` is None). The std is the *population* std
    (divide by the count, not count - 1), so a single selected entry normalises to 0 instead
    of NaN.

    Entries outside ``mask`` are set to **0** in the output (so padding or invalid steps
    contribute nothing if they leak into a loss, even if they held NaN/inf). If the mask
    selects nothing, an all-zero tensor is returned.

    The input is not modified; the result has its dtype/device. Autograd is left untouched.

    Args:
        advantages: floating point tensor of any shape.
        mask: optional bool (or 0/1) tensor of the same shape.
        eps: added to the std for numerical safety; must be >= 0.

    Raises:
        ValueError: on a non-float ``advantages``, a mask of another shape, or ``eps < 0``.
    """
    if not isinstance(advantages, Tensor) or not advantages.is_floating_point():
        raise ValueError("advantages must be a floating point torch.Tensor")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    if mask is None:
        mean = advantages.mean()
        std = advantages.std(correction=0)
        return (advantages - mean) / (std + eps)

    mask = to_bool_mask(mask, "mask")
    if mask.shape != advantages.shape:
        raise ValueError(
            f"mask has shape {tuple(mask.shape)} but advantages has shape {tuple(advantages.shape)}"
        )
    mask = mask.to(advantages.device)
    selected = advantages[mask]
    if selected.numel() == 0:
        return torch.zeros_like(advantages)
    mean = selected.mean()
    std = selected.std(correction=0)
    normed = (advantages - mean) / (std + eps)
    return torch.where(mask, normed, torch.zeros_like(advantages))
