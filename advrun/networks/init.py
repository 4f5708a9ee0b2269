"""Weight initialisation for the actor-critic MLPs.

The "orthogonal init" recipe is the standard PPO implementation detail (Engstrom et al.
2020, Huang et al. 2022): every linear layer gets an orthogonal weight matrix scaled by a
gain and a zero bias. Hidden layers use ``sqrt(2)`` so activations keep roughly unit scale
through the stack; the policy output uses ``0.01`` so the initial policy is near-uniform
(categorical) or centred on zero (Gaussian mean); the value output uses ``1.0``.
"""

from __future__ import annotations

import math

from torch import nn

HIDDEN_GAIN: float = math.sqrt(2.0)
"""Gain for hidden layers: ``sqrt(2)``."""

POLICY_GAIN: float = 0.01
"""Gain for the policy output layer (logits or Gaussian mean)."""

VALUE_GAIN: float = 1.0
"""Gain for the value output layer."""


def orthogonal_init_(layer: nn.Linear, gain: float) -> nn.Linear:
    """Set ``layer.weight`` to a (semi-)orthogonal matrix times ``gain`` and zero the bias.

    For a weight ``W`` of shape ``[out, in]`` this gives ``W W^T = gain^2 I`` when
    ``out <= in`` and ``W^T W = gain^2 I`` otherwise. Returns the layer for chaining.
    """
    nn.init.orthogonal_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def orthogonal_init_linears_(module: nn.Module, gain: float) -> nn.Module:
    """Apply :func:`orthogonal_init_` with ``gain`` to every ``nn.Linear`` inside ``module``."""
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            orthogonal_init_(sub, gain)
    return module
