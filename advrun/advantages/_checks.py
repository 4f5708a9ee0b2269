"""Shared argument validation for the advantage estimators.

Every estimator takes five time-major ``[T, N]`` tensors. :func:`prepare_inputs` checks them
and converts them once into the float tensors the estimators compute with, all with the
dtype and device of ``values``.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import torch
from torch import Tensor

__all__ = [
    "Inputs",
    "check_gamma",
    "check_lam",
    "check_n",
    "check_unit_interval",
    "prepare_inputs",
    "to_bool_mask",
]


class Inputs(NamedTuple):
    """Validated estimator inputs, all float tensors with the dtype/device of ``values``."""

    rewards: Tensor
    values: Tensor
    next_values: Tensor
    not_terminated: Tensor  # 1.0 where the MDP continues after step t (bootstrap allowed)
    not_done: Tensor  # 1.0 where the trajectory continues after step t (recursion flows)


def check_unit_interval(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a real number in [0, 1], else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in [0, 1], got {value!r}")
    as_float = float(value)
    if math.isnan(as_float) or not 0.0 <= as_float <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return as_float


def check_gamma(gamma: object) -> float:
    """Validate the discount factor ``gamma`` (must lie in [0, 1])."""
    return check_unit_interval(gamma, "gamma")


def check_lam(lam: object) -> float:
    """Validate the GAE parameter ``lam`` (must lie in [0, 1])."""
    return check_unit_interval(lam, "lam")


def check_n(n: object) -> int:
    """Validate the n-step horizon ``n`` (must be an int >= 1)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    return int(n)


def to_bool_mask(mask: object, name: str) -> Tensor:
    """Return ``mask`` as a bool tensor.

    Bool tensors pass through; integer or floating tensors must contain only 0 and 1
    (checking that costs one host sync on an accelerator, so prefer bool masks there).
    """
    if not isinstance(mask, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        return mask
    if mask.is_complex():
        raise ValueError(f"{name} must be a bool or 0/1 numeric tensor, got dtype {mask.dtype}")
    if mask.numel() and bool(((mask != 0) & (mask != 1)).any()):
        raise ValueError(f"{name} must contain only 0/1 (or be a bool tensor)")
    return mask != 0


def prepare_inputs(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
) -> Inputs:
    """Validate the five ``[T, N]`` estimator inputs and convert them for computation.

    Raises ValueError (naming the argument) if any input is not a 2-D tensor, if shapes
    differ, if ``values`` is not floating point, or if a mask holds values other than 0/1.
    ``done`` is treated as ``done | terminated`` (a termination always ends the trajectory).
    The inputs are never modified; all outputs are new tensors or read-only views.
    """
    tensors = {
        "rewards": rewards,
        "values": values,
        "next_values": next_values,
        "terminated": terminated,
        "done": done,
    }
    for name, tensor in tensors.items():
        if not isinstance(tensor, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dim() != 2:
            raise ValueError(
                f"{name} must be 2-D with shape [T, N], got {tensor.dim()}-D shape "
                f"{tuple(tensor.shape)}"
            )
    if not values.is_floating_point():
        raise ValueError(f"values must be a floating point tensor, got dtype {values.dtype}")
    shape = values.shape
    for name, tensor in tensors.items():
        if tensor.shape != shape:
            raise ValueError(
                f"{name} has shape {tuple(tensor.shape)} but values has shape {tuple(shape)}; "
                "all inputs must share the same [T, N] shape"
            )
    for name in ("rewards", "next_values"):
        if tensors[name].is_complex() or tensors[name].dtype == torch.bool:
            raise ValueError(f"{name} must be a real numeric tensor, got {tensors[name].dtype}")

    dtype, device = values.dtype, values.device
    term = to_bool_mask(terminated, "terminated").to(device)
    ended = to_bool_mask(done, "done").to(device) | term
    return Inputs(
        rewards=rewards.detach().to(dtype=dtype, device=device),
        values=values.detach(),
        next_values=next_values.detach().to(dtype=dtype, device=device),
        not_terminated=(~term).to(dtype),
        not_done=(~ended).to(dtype),
    )
