"""Tiny "cue" envs for every observation and action space advrun supports.

Each step the env draws a random target action and shows it in the observation; the
reward is the fraction of the action's components that match the target (1 for a
perfect match). An episode lasts ``length`` steps. A random policy earns ``length *
mean_i(1 / n_i)`` in expectation (``n_i`` the choices of component ``i``); a policy that
reads the cue earns ``length``. So learning shows in seconds, whatever the spaces.

``make(obs=..., act=...)``:

* ``obs``: ``box`` (the target's components one-hot, concatenated, float32),
  ``discrete`` (``Discrete(prod n_i, start=obs_start)``: the target's flat index),
  ``dict`` (``{"image": uint8 noise [36, 36, 1] (or [1, 36, 36] with
  ``channels_first``), "cue": the box cue}``), ``tuple`` (``(Discrete flat index,
  Box(2) noise)``).
* ``act``: ``discrete`` (``Discrete(3)``), ``multi_discrete`` (``MultiDiscrete([3,
  2])``), ``multi_binary`` (``MultiBinary(3)``).

``make_split()``: :class:`SplitCueEnv`, a Dict observation whose cue is half in the
vector and half in the image (``test_space_envs_learn.py``: both leaves must be read).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

IMAGE_SIDE = 36  # the smallest side advrun's Nature CNN takes


def _choices(act: str) -> list[int]:
    return {"discrete": [3], "multi_discrete": [3, 2], "multi_binary": [2, 2, 2]}[act]


class CueEnv(gym.Env):
    """Match the shown target action (module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        obs: str = "box",
        act: str = "discrete",
        length: int = 16,
        channels_first: bool = False,
        obs_start: int = 0,
    ) -> None:
        self.kind, self.act, self.length = obs, act, int(length)
        self.n = _choices(act)
        self.obs_start = int(obs_start)
        self.channels_first = bool(channels_first)
        flat = int(np.prod(self.n))
        cue = spaces.Box(0.0, 1.0, (sum(self.n),), np.float32)
        shape = (1, IMAGE_SIDE, IMAGE_SIDE) if channels_first else (IMAGE_SIDE, IMAGE_SIDE, 1)
        self.observation_space = {
            "box": cue,
            "discrete": spaces.Discrete(flat, start=self.obs_start),
            "dict": spaces.Dict({"image": spaces.Box(0, 255, shape, np.uint8), "cue": cue}),
            "tuple": spaces.Tuple((spaces.Discrete(flat), spaces.Box(-1.0, 1.0, (2,), np.float32))),
        }[obs]
        self.action_space = {
            "discrete": spaces.Discrete(3),
            "multi_discrete": spaces.MultiDiscrete([3, 2]),
            "multi_binary": spaces.MultiBinary(3),
        }[act]
        self._target = np.zeros(len(self.n), np.int64)
        self._t = 0

    def _observe(self) -> Any:
        one_hot = np.zeros(sum(self.n), np.float32)
        offsets = np.cumsum([0, *self.n[:-1]])
        one_hot[offsets + self._target] = 1.0
        index = int(np.ravel_multi_index(tuple(self._target), self.n))
        if self.kind == "box":
            return one_hot
        if self.kind == "discrete":
            return index + self.obs_start
        if self.kind == "dict":
            image = self.np_random.integers(0, 256, self.observation_space["image"].shape)
            return {"cue": one_hot, "image": image.astype(np.uint8)}
        noise = self.np_random.uniform(-1.0, 1.0, 2).astype(np.float32)
        return (index, noise)

    def _draw(self) -> None:
        self._target = np.array([self.np_random.integers(0, k) for k in self.n], np.int64)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self._t = 0
        self._draw()
        return self._observe(), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        a = np.asarray(action).reshape(-1).astype(np.int64)
        reward = float(np.mean(a == self._target))
        self._t += 1
        self._draw()
        return self._observe(), reward, self._t >= self.length, False, {}


def make(**kwargs: Any) -> CueEnv:
    """``env.make=cue_envs:make`` with ``env.kwargs.obs`` / ``env.kwargs.act``."""
    return CueEnv(**kwargs)


class SplitCueEnv(gym.Env):
    """A Dict observation whose cue is split between its vector and its image.

    Each step a target ``t = 2 * hi + lo`` in ``0..3`` is drawn; the observation is
    ``{"cue": one_hot(hi) (Box(2) float32), "image": uint8 [36, 36, 1], black but for a
    bright 12 x 12 square in the left (lo = 0) or right (lo = 1) half}``; the action is
    ``Discrete(4)`` and pays 1 when it equals ``t``. An episode lasts ``length`` steps.

    ``t`` is drawn afresh each step, independently of every action, so a policy that
    reads neither leaf matches it with probability 1/4 (return ``length / 4``); one that
    reads one leaf only knows one of the two bits (``length / 2``); one that reads both
    earns ``length``. A return above ``length / 2`` needs the image *and* the vector.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    SQUARE = 12

    def __init__(self, length: int = 16) -> None:
        self.length = int(length)
        self.observation_space = spaces.Dict(
            {
                "cue": spaces.Box(0.0, 1.0, (2,), np.float32),
                "image": spaces.Box(0, 255, (IMAGE_SIDE, IMAGE_SIDE, 1), np.uint8),
            }
        )
        self.action_space = spaces.Discrete(4)
        self._hi = self._lo = 0
        self._t = 0

    def _observe(self) -> dict[str, np.ndarray]:
        cue = np.zeros(2, np.float32)
        cue[self._hi] = 1.0
        image = np.zeros((IMAGE_SIDE, IMAGE_SIDE, 1), np.uint8)
        top = (IMAGE_SIDE - self.SQUARE) // 2  # rows 12..23
        left = 3 if self._lo == 0 else IMAGE_SIDE - 3 - self.SQUARE  # cols 3..14 or 21..32
        image[top : top + self.SQUARE, left : left + self.SQUARE] = 255
        return {"cue": cue, "image": image}

    def _draw(self) -> None:
        self._hi, self._lo = (int(b) for b in self.np_random.integers(0, 2, 2))

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self._t = 0
        self._draw()
        return self._observe(), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        reward = float(int(np.asarray(action).reshape(-1)[0]) == 2 * self._hi + self._lo)
        self._t += 1
        self._draw()
        return self._observe(), reward, self._t >= self.length, False, {}


def make_split(**kwargs: Any) -> SplitCueEnv:
    """``env.make=cue_envs:make_split`` (``env.kwargs.length`` optional)."""
    return SplitCueEnv(**kwargs)
