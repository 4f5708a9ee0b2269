"""Per-leaf encoders for structured observations, concatenated (``network.kind=multi``).

SB3's ``MultiInputPolicy`` / ``CombinedExtractor`` is the anchor: every leaf of a
``Dict`` / ``Tuple`` observation gets its own extractor and the features are
concatenated into one vector for the MLP trunks::

    image leaf (uint8 Box, 3 dims, 0..255)  -> NatureCNN (channel-first or -last) -> 512
    Discrete(n)                             -> one-hot                            -> n
    MultiDiscrete(nvec)                     -> one one-hot per dimension          -> sum(nvec)
    MultiBinary / any other Box             -> float, flattened                   -> prod(shape)

Vector leaves are only flattened (as SB3 does): the trunk after the concatenation is
the MLP that mixes them. With ``network.normalize_obs`` each float vector leaf gets its
own :class:`~advrun.networks.normalize.RunningObsNorm` (:class:`LeafObsNorm`); images
(scaled by 1/255 in the CNN), one-hots and binary leaves are left as they are, since
per-pixel or per-category running statistics would only add noise.

The encoder reads the packed row the env adapter writes
(:class:`advrun.spaces.ObsLayout`) and unpacks it itself, so it takes the stored
observation untouched (``raw_input``: no cast to float first, which would break the
bit-cast of a packed byte row).
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.cnn import NatureCNN
from advrun.networks.normalize import RunningObsNorm
from advrun.spaces import Leaf, ObsLayout, channels_last, is_image, needs_layout


class OneHot(nn.Module):
    """Indices ``[B, *shape]`` (from 0) -> one-hot ``[B, sum(nvec)]``."""

    def __init__(self, nvec: list[int]) -> None:
        super().__init__()
        self.nvec = [int(n) for n in nvec]
        self.out_dim = sum(self.nvec)

    def forward(self, x: Tensor) -> Tensor:
        idx = x.reshape(x.shape[0], len(self.nvec)).long()
        return torch.cat(
            [nn.functional.one_hot(idx[:, i], n) for i, n in enumerate(self.nvec)], dim=-1
        ).float()


class Flat(nn.Module):
    """Any numbers ``[B, *shape]`` -> float ``[B, prod(shape)]``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.out_dim = max(1, math.prod(shape))

    def forward(self, x: Tensor) -> Tensor:
        return x.float().reshape(x.shape[0], self.out_dim)


def image_encoder(shape: tuple[int, ...]) -> NatureCNN:
    """The Nature CNN for a ``[C, H, W]`` or ``[H, W, C]`` uint8 image."""
    last = channels_last(shape)
    c, h, w = (shape[2], shape[0], shape[1]) if last else shape
    return NatureCNN(c, h, w, channels_last=last)


def leaf_encoder(leaf: Leaf) -> nn.Module:
    """The extractor of one observation leaf (module docstring)."""
    space = leaf.space
    if is_image(space):
        try:
            return image_encoder(leaf.shape)
        except ValueError as err:
            raise ValueError(f"image {leaf.name}: {err}") from None
    if isinstance(space, spaces.Discrete):
        return OneHot([int(space.n)])
    if isinstance(space, spaces.MultiDiscrete):
        return OneHot(np.asarray(space.nvec).reshape(-1).tolist())
    return Flat(leaf.shape)


def _module_name(leaf: Leaf, index: int, taken: set[str]) -> str:
    """A stable submodule name from the leaf's path (``image``, ``0``, ``pos_x``)."""
    name = "_".join(re.sub(r"\W", "_", str(p)) for p in leaf.path) or "obs"
    return name if name not in taken else f"{name}_{index}"


def normalised(leaf: Leaf) -> bool:
    """Whether ``network.normalize_obs`` applies to ``leaf``: a float ``Box`` vector,
    not an image, not a discrete or binary leaf."""
    box = isinstance(leaf.space, spaces.Box)
    return box and not is_image(leaf.space) and leaf.dtype.kind == "f"


class LeafObsNorm(nn.Module):
    """Running normalisation of the float vector leaves of a packed observation.

    The model keeps it as ``obs_norm`` (so the on-policy update's ``obs_norm.update``
    and checkpoints work as for a Box observation); the encoder applies it to the
    unpacked leaves. Statistics per leaf: ``norms.<leaf name>.mean`` etc."""

    def __init__(self, space: spaces.Space, clip: float = 10.0) -> None:
        super().__init__()
        self.layout = ObsLayout(space) if needs_layout(space) else None
        leaves = self.layout.leaves if self.layout else []
        self.index: dict[int, str] = {}
        norms: dict[str, nn.Module] = {}
        for i, leaf in enumerate(leaves):
            if normalised(leaf):
                name = _module_name(leaf, i, set(norms))
                norms[name] = RunningObsNorm(leaf.shape, clip=clip)
                self.index[i] = name
        self.norms = nn.ModuleDict(norms)

    @torch.no_grad()
    def update(self, packed: Tensor) -> None:
        """Merge a batch of packed rows ``[B, width]`` into each leaf's statistics."""
        if self.layout is None or not self.index:
            return
        leaves = self.layout.unpack(packed)
        for i, name in self.index.items():
            self.norms[name].update(leaves[i])

    def apply(self, leaves: list[Tensor]) -> list[Tensor]:
        """The leaves with each normalised leaf replaced by ``clamp((x - m) / s)``."""
        out = list(leaves)
        for i, name in self.index.items():
            out[i] = self.norms[name](leaves[i].float())
        return out


class MultiInputEncoder(nn.Module):
    """Unpack, encode each leaf, concatenate; ``out_dim`` is the sum of the widths.
    Submodules are named after the leaves (``parts.image.convs.0.weight``)."""

    raw_input = True

    def __init__(self, space: spaces.Space) -> None:
        super().__init__()
        self.layout = ObsLayout(space)
        self.packed = needs_layout(space)
        parts: dict[str, nn.Module] = {}
        for i, leaf in enumerate(self.layout.leaves):
            parts[_module_name(leaf, i, set(parts))] = leaf_encoder(leaf)
        self.parts = nn.ModuleDict(parts)
        self.out_dim: int = sum(int(m.out_dim) for m in self.parts.values())

    def forward(self, obs: Tensor, norm: LeafObsNorm | None = None) -> Tensor:
        leaves = self.layout.unpack(obs) if self.packed else [obs]
        if norm is not None:
            leaves = norm.apply(leaves)
        feats = [enc(x) for enc, x in zip(self.parts.values(), leaves, strict=True)]
        return feats[0] if len(feats) == 1 else torch.cat(feats, dim=-1)
