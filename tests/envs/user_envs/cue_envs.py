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
