"""Plain MLP trunks with named, stable layer names (``fc0``, ``act0``, ``fc1``, ...)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from advrun.networks.activations import Tanh
from advrun.registry import Registry

ACTIVATIONS: Registry[type[nn.Module]] = Registry("activation", "network.activation")
"""Activation names (``network.activation``) and their modules."""
for _name_, _cls_, _what_ in (
    ("tanh", Tanh, "tanh (the PPO default)"),
    ("relu", nn.ReLU, "ReLU"),
    ("elu", nn.ELU, "ELU"),
    ("gelu", nn.GELU, "GELU"),
    ("silu", nn.SiLU, "SiLU / swish"),
):
    ACTIVATIONS.register(_name_, summary=_what_)(_cls_)


def _name(value: object) -> str:
    """Plain string of a name that may arrive as a ``str`` Enum member."""
    return str(getattr(value, "value", value))


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name`` (one of :data:`ACTIVATIONS`).

    Raises ``ValueError`` naming the bad value and the valid ones.
    """
    key = _name(name)
    if key not in ACTIVATIONS:
        valid = ", ".join(ACTIVATIONS.names())
        raise ValueError(f"unknown activation {key!r}; expected one of: {valid}")
    return ACTIVATIONS[key]()


class MLP(nn.Sequential):
    """``Linear -> activation`` repeated for each hidden size.

    The output is the last hidden layer's activation (heads are separate modules), so
    ``out_dim`` is ``hidden_sizes[-1]``, or ``in_dim`` when ``hidden_sizes`` is empty (the
    trunk is then the identity). Layers are named ``fc{i}`` / ``act{i}`` so parameter names
    such as ``actor_trunk.fc0.weight`` stay stable for freezing or surgery.
    """

    def __init__(self, in_dim: int, hidden_sizes: Sequence[int], activation: str) -> None:
        if in_dim <= 0:
            raise ValueError(f"MLP input dimension must be positive, got {in_dim}")
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        prev = in_dim
        for i, size in enumerate(hidden_sizes):
            size = int(size)
            if size <= 0:
                raise ValueError(f"hidden sizes must be positive, got {list(hidden_sizes)}")
            layers[f"fc{i}"] = nn.Linear(prev, size)
            layers[f"act{i}"] = make_activation(activation)
            prev = size
        if not layers:
            make_activation(activation)  # still validate the name
        super().__init__(layers)
        self.in_dim: int = in_dim
        self.out_dim: int = prev
