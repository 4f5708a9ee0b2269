"""Observation layouts: how a structured observation travels as ONE tensor.

The collector, rollouts, PPO minibatches, the replay buffer, the running observation
statistics, checkpoints and evaluation all carry observations as a single tensor
``[..., *shape]``. A ``Box`` observation travels as it is (float32, or uint8 pixels).
Every other observation space -- ``Dict``, ``Tuple`` (nested too), ``Discrete``,
``MultiDiscrete``, ``MultiBinary`` -- is *packed* into one flat row per env at the env
adapter's edge (:class:`ObsLayout.pack`) and *unpacked* by the network's encoder
(:class:`ObsLayout.unpack`, inside :class:`~advrun.networks.multi_input.MultiInputEncoder`):

* each leaf of the space (in gymnasium's order: a ``Dict`` keeps its keys sorted) owns a
  slice of the row;
* the row is ``uint8`` when every leaf is stored as uint8 (images, binary vectors),
  ``float32`` when none is, and otherwise uint8 *bytes*: each float32 leaf is bit-cast
  to 4 bytes (``ndarray.view(uint8)``) and bit-cast back when unpacked
  (``Tensor.view(float32)``). So uint8 images stay uint8 (a quarter of float32's memory
  in rollouts and replay), every value is stored bit-exactly (a checkpoint's pending
  observation resumes exactly), and nothing between the adapter and the network needs
  to know the space;
* ``Discrete`` / ``MultiDiscrete`` leaves are stored as ``index - start`` in float32
  (exact below 2**24), ``MultiBinary`` as uint8 0/1, other ``Box`` leaves as float32.

Why not a dict of tensors through the collector: every place above that reshapes,
indexes, stores, checkpoints or checks observations would need a tree-map; a packed row
costs two short functions and keeps the one-tensor contract (SB3 pays for its
``DictRolloutBuffer`` / ``DictReplayBuffer`` twins instead).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor

LEAF_SPACES = ("Box", "Discrete", "MultiDiscrete", "MultiBinary")
"""Spaces an observation leaf may have (inside any nesting of Dict and Tuple)."""

_FLOAT_BYTES = 4


def is_image(space: spaces.Space) -> bool:
    """A uint8 ``Box`` of 3 dims with pixel bounds 0..255 (SB3's ``is_image_space``
    test): channel-first ``[C, H, W]`` or channel-last ``[H, W, C]``."""
    return (
        isinstance(space, spaces.Box)
        and space.dtype == np.uint8
        and len(space.shape) == 3
        and bool(np.all(space.low == 0))
        and bool(np.all(space.high == 255))
    )


def channels_last(shape: tuple[int, ...]) -> bool:
    """Whether an image of ``shape`` is ``[H, W, C]``: its last dim is smaller than its
    first (``[84, 84, 3]``); ``[4, 84, 84]`` and ambiguous cubes count as channel-first."""
    return shape[-1] < shape[0]


def needs_layout(space: spaces.Space) -> bool:
    """Whether observations of ``space`` are packed (everything but a plain Box)."""
    return not isinstance(space, spaces.Box)


@dataclass(frozen=True)
class Leaf:
    """One leaf of an observation space and its slice of the packed row."""

    # Where it sits: ("image",) for Dict key "image", (0,) for Tuple item 0, () at the top.
    path: tuple[Any, ...]
    space: spaces.Space
    # The stored value's shape per env (Discrete: ()), and its storage dtype.
    shape: tuple[int, ...]
    dtype: np.dtype
    # Slice of the row, in elements of the row's dtype.
    start: int
    stop: int

    @property
    def name(self) -> str:
        """``observation['image']``, ``observation[0]``, or ``observation``."""
        return "observation" + "".join(f"[{p!r}]" for p in self.path)


def has_image(space: spaces.Space) -> bool:
    """Whether any leaf of ``space`` (through Dict/Tuple) is an image (:func:`is_image`)."""
    return any(is_image(leaf) for _, leaf in _leaves(space))


def _leaves(space: spaces.Space, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(space, spaces.Dict):
        for key, sub in space.spaces.items():
            yield from _leaves(sub, (*path, key))
    elif isinstance(space, spaces.Tuple):
        for i, sub in enumerate(space.spaces):
            yield from _leaves(sub, (*path, i))
    else:
        yield path, space


def _storage(space: spaces.Space, where: str) -> tuple[tuple[int, ...], np.dtype]:
    if isinstance(space, spaces.Box):
        dtype = np.uint8 if space.dtype == np.uint8 else np.float32
        return tuple(space.shape), np.dtype(dtype)
    if isinstance(space, spaces.Discrete):
        return (), np.dtype(np.float32)
    if isinstance(space, spaces.MultiDiscrete):
        return tuple(space.nvec.shape), np.dtype(np.float32)
    if isinstance(space, spaces.MultiBinary):
        return tuple(np.atleast_1d(space.n).tolist()), np.dtype(np.uint8)
    raise ValueError(
        f"unsupported observation space {space!r} at {where} ({type(space).__name__}); "
        f"supported: {', '.join(LEAF_SPACES)}, nested in Dict or Tuple"
    )


class ObsLayout:
    """The packed layout of ``space`` (module docstring)."""

    def __init__(self, space: spaces.Space) -> None:
        self.space = space
        found = list(_leaves(space))
        if not found:
            raise ValueError(f"observation space {space!r} has no leaves")
        stored = [
            (path, sub, *_storage(sub, "observation" + "".join(f"[{k!r}]" for k in path)))
            for path, sub in found
        ]
        kinds = {dtype for *_, dtype in stored}
        self.bytes = len(kinds) > 1  # mixed uint8 and float32 leaves: a row of bytes
        self.dtype = np.dtype(np.uint8) if np.dtype(np.uint8) in kinds else np.dtype(np.float32)
        leaves, offset = [], 0
        for path, sub, shape, dtype in stored:
            size = math.prod(shape)
            if self.bytes and dtype == np.float32:
                size *= _FLOAT_BYTES
            leaves.append(Leaf(path, sub, shape, dtype, offset, offset + size))
            offset += size
        self.leaves: list[Leaf] = leaves
        self.width = offset

    @property
    def torch_dtype(self) -> torch.dtype:
        return torch.uint8 if self.dtype == np.uint8 else torch.float32

    # -- numpy side: the adapter's edge ------------------------------------------------
    def leaf_arrays(self, obs: Any) -> list[np.ndarray]:
        """Each leaf of a batched observation (a vector env's dict / tuple / array with
        ``N`` rows) as ``[N, *leaf.shape]`` in its storage dtype. Raises ``ValueError``
        naming the leaf when its shape does not match the space."""
        out = []
        for leaf in self.leaves:
            value = obs
            for key in leaf.path:
                value = value[key]
            arr = np.asarray(value)
            if arr.ndim == 0 or arr.shape[1:] != leaf.shape:
                raise ValueError(
                    f"{leaf.name} has shape {arr.shape[1:]} where the space says {leaf.shape}"
                )
            if isinstance(leaf.space, (spaces.Discrete, spaces.MultiDiscrete)):
                arr = arr - np.asarray(leaf.space.start)
            out.append(np.ascontiguousarray(arr, dtype=leaf.dtype))
        return out

    def pack(self, arrays: list[np.ndarray]) -> np.ndarray:
        """``[N, width]`` rows from :meth:`leaf_arrays`."""
        n = arrays[0].shape[0]
        parts = []
        for arr in arrays:
            flat = arr.reshape(n, -1)
            parts.append(flat.view(np.uint8) if self.bytes else flat.astype(self.dtype, copy=False))
        return np.concatenate(parts, axis=1)

    # -- torch side: the network's encoder ---------------------------------------------
    def unpack(self, packed: Tensor) -> list[Tensor]:
        """Each leaf of ``packed [..., width]`` as ``[..., *leaf.shape]``: uint8 leaves
        as uint8, the rest as float32 (bit-exact inverse of :meth:`pack`)."""
        batch = packed.shape[:-1]
        out = []
        for leaf in self.leaves:
            part = packed[..., leaf.start : leaf.stop]
            if self.bytes and leaf.dtype == np.float32:
                part = part.contiguous().view(torch.float32)
            out.append(part.reshape(*batch, *leaf.shape))
        return out
