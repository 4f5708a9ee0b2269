"""Observation encoders (``network.kind``): what turns an observation batch into the flat
features the MLP trunks take. Each registers itself in :data:`ENCODERS` with a builder
``(observation space) -> (module | None, feature width)``; ``None`` means flatten.

* ``mlp``: flatten ``[B, *shape]`` Box observations to ``[B, prod(shape)]``. Any other
  observation space (Dict, Tuple, Discrete, MultiDiscrete, MultiBinary) cannot be
  flattened as it comes, and an image Box (uint8, 3 dims, 0..255) should not be, so
  ``mlp`` hands those to ``multi``: the default works for every space, and the trunks
  stay the MLP the user asked for.
* ``nature_cnn``: :class:`~advrun.networks.cnn.NatureCNN` on an image observation,
  ``[C, H, W]`` or ``[H, W, C]`` (pixels scaled by 1/255 inside), as in Mnih et al. 2015.
* ``multi``: :class:`~advrun.networks.multi_input.MultiInputEncoder`, one extractor per
  leaf of the space -- the Nature CNN for images (detected from the space: uint8, 3
  dims, 0..255), one-hot for discrete leaves, flatten for vectors -- concatenated
  (SB3's ``MultiInputPolicy``). On a plain Box it is the CNN for images, else flatten.

An encoder module with ``raw_input = True`` takes the stored observation untouched
(the network does not cast it to float or normalise it first).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.cnn import MIN_SIDE
from advrun.networks.multi_input import LeafObsNorm, MultiInputEncoder, image_encoder
from advrun.networks.normalize import RunningObsNorm
from advrun.registry import Registry
from advrun.spaces import channels_last, is_image, needs_layout


def prepare_observations(
    obs: Tensor, dtype: torch.dtype, obs_norm: nn.Module | None, encoder: nn.Module | None
) -> Tensor:
    """The features a network's trunks take from an observation batch ``[B, ...]``: a
    ``raw_input`` encoder gets the stored observation untouched (with the normaliser,
    which it applies per leaf); otherwise cast to the parameters' ``dtype`` (uint8
    frames included), normalise when enabled, then encode, or flatten ``[B, *shape]``
    to ``[B, obs_dim]`` without an encoder."""
    if getattr(encoder, "raw_input", False):
        return encoder(obs, obs_norm)  # type: ignore[misc]
    if obs.dtype != dtype:
        obs = obs.to(dtype)
    if obs_norm is not None:
        obs = obs_norm(obs)
    if encoder is not None:
        return encoder(obs)
    if obs.dim() > 2:
        obs = obs.flatten(1)
    return obs


EncoderBuilder = Callable[[spaces.Space], tuple[nn.Module | None, int]]

ENCODERS: Registry[EncoderBuilder] = Registry("network kind", "network.kind")


@ENCODERS.register("multi", summary="per-leaf encoders (CNN/one-hot/flatten) for any space")
def _multi(space: spaces.Space) -> tuple[nn.Module | None, int]:
    encoder = MultiInputEncoder(space)
    return encoder, encoder.out_dim


def _cnn_fits(space: spaces.Space) -> bool:
    """A uint8 image with both sides >= the Nature CNN's minimum (channel order as
    :func:`advrun.spaces.channels_last` reads it)."""
    if not is_image(space):
        return False
    shape = tuple(space.shape or ())
    h, w = shape[:2] if channels_last(shape) else shape[1:]
    return min(h, w) >= MIN_SIDE


@ENCODERS.register("mlp", summary="flat vector observations into MLP trunks")
def _flatten(space: spaces.Space) -> tuple[nn.Module | None, int]:
    """Flatten a Box; a Dict/Tuple/Discrete space, or a pixel image the CNN can take
    (an MLP on raw frames learns little), goes through the per-leaf encoders; a tiny
    uint8 grid (smaller than the CNN's receptive field) is flattened."""
    if needs_layout(space) or _cnn_fits(space):
        return _multi(space)
    shape = tuple(space.shape or ())
    width = math.prod(shape)
    if width <= 0:
        raise ValueError(f"observation shape {shape} has no dimensions")
    return None, width


@ENCODERS.register("nature_cnn", image=True, summary="Nature-DQN CNN on image observations (Atari)")
def _nature_cnn(space: spaces.Space) -> tuple[nn.Module | None, int]:
    shape = tuple(getattr(space, "shape", None) or ())
    if not isinstance(space, spaces.Box) or len(shape) != 3:
        raise ValueError(
            f"network kind nature_cnn needs [C, H, W] or [H, W, C] image observations, "
            f"got {space!r}"
        )
    encoder = image_encoder(shape)
    return encoder, encoder.out_dim


def make_encoder(kind: str, space: spaces.Space) -> tuple[nn.Module | None, int]:
    """``(encoder or None to flatten, feature width)`` for ``network.kind``."""
    kind = str(getattr(kind, "value", kind))
    if kind not in ENCODERS:
        raise ValueError(f"unknown network kind {kind!r}; expected one of {ENCODERS.names()}")
    return ENCODERS[kind](space)


def encode_observations(
    kind: str, observation_space: spaces.Space, normalize_obs: bool, obs_clip: float
) -> tuple[nn.Module | None, int, RunningObsNorm | None]:
    """``(encoder, feature width, obs normaliser)`` for ``network.kind`` and the space;
    ``ValueError`` naming what does not fit."""
    encoder, obs_dim = make_encoder(kind, observation_space)
    if obs_dim <= 0:
        raise ValueError(f"observation space {observation_space!r} has no dimensions")
    obs_norm: nn.Module | None = None
    if normalize_obs and getattr(encoder, "raw_input", False):
        # Per leaf, float vector leaves only (multi_input.LeafObsNorm).
        obs_norm = LeafObsNorm(observation_space, clip=obs_clip)
    elif normalize_obs:
        obs_norm = RunningObsNorm(tuple(observation_space.shape or ()), clip=obs_clip)
    return encoder, obs_dim, obs_norm  # type: ignore[return-value]
