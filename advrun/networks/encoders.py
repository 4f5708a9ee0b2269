"""Observation encoders (``network.kind``): what turns an observation batch into the flat
features the MLP trunks take. Each registers itself in :data:`ENCODERS` with a builder
``(observation shape) -> (module | None, feature width)``; ``None`` means flatten.

* ``mlp``: flatten ``[B, *shape]`` to ``[B, prod(shape)]`` (vector observations).
* ``nature_cnn``: :class:`~advrun.networks.cnn.NatureCNN` on ``[C, H, W]`` frames (pixels
  scaled by 1/255 inside), as in Mnih et al. 2015.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import nn

from advrun.networks.cnn import NatureCNN
from advrun.registry import Registry

EncoderBuilder = Callable[[tuple[int, ...]], tuple[nn.Module | None, int]]

ENCODERS: Registry[EncoderBuilder] = Registry("network kind", "network.kind")


@ENCODERS.register("mlp", summary="flat vector observations into MLP trunks")
def _flatten(shape: tuple[int, ...]) -> tuple[nn.Module | None, int]:
    width = math.prod(shape)
    if width <= 0:
        raise ValueError(f"observation shape {shape} has no dimensions")
    return None, width


@ENCODERS.register(
    "nature_cnn", image=True, summary="Nature-DQN CNN on stacked [C, H, W] frames (Atari)"
)
def _nature_cnn(shape: tuple[int, ...]) -> tuple[nn.Module | None, int]:
    if len(shape) != 3:
        raise ValueError(f"network kind nature_cnn needs [C, H, W] image observations, got {shape}")
    encoder = NatureCNN(*shape)
    return encoder, encoder.out_dim


def make_encoder(kind: str, shape: tuple[int, ...]) -> tuple[nn.Module | None, int]:
    """``(encoder or None to flatten, feature width)`` for ``network.kind``."""
    kind = str(getattr(kind, "value", kind))
    if kind not in ENCODERS:
        raise ValueError(f"unknown network kind {kind!r}; expected one of {ENCODERS.names()}")
    return ENCODERS[kind](shape)
