"""A tiny custom environment for advrun's README ("Your own environment").

The agent starts at the left end of a corridor of ``length`` cells and must walk right:
action 1 moves right, action 0 moves left (the left wall stops it). Reaching the right
end gives +1 and ends the episode; every other step costs 0.01. The best return is
``1 - 0.01 * (length - 2)`` (0.94 for length 8: 7 steps, the last one rewarded). A
uniformly random walker reaches the goal within the registered 50-step limit in about
57% of episodes and averages a return of 0.21 (2,000 simulated episodes, length 8).

Put this folder on PYTHONPATH and use it any of three ways:

    advrun train env=gym env.id=corridor:Corridor-v0           # registered id
    advrun train env=custom env.make=corridor:make_corridor     # factory + env.kwargs
    advrun train env=gym env.id=corridor:Corridor-v0 \\
        'env.wrappers=[{_target_:corridor.OneHotPosition}]'     # wrappers from config
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class Corridor(gym.Env):
    """Observation: the position scaled to [0, 1], shape (1,), float32."""

    def __init__(self, length: int = 8) -> None:
        if length < 2:
            raise ValueError(f"length must be >= 2, got {length}")
        self.length = length
        self.observation_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.position = 0

    def _obs(self) -> np.ndarray:
        return np.array([self.position / (self.length - 1)], dtype=np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.position = 0
        return self._obs(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        move = 1 if int(action) == 1 else -1
        self.position = min(max(self.position + move, 0), self.length - 1)
        at_goal = self.position == self.length - 1
        return self._obs(), 1.0 if at_goal else -0.01, at_goal, False, {}


def make_corridor(length: int = 8) -> Corridor:
    """The factory for ``env.make=corridor:make_corridor`` (``env.kwargs`` -> here)."""
    return Corridor(length=length)


class OneHotPosition(gym.ObservationWrapper):
    """Replace the scaled position by a one-hot vector of ``length`` cells."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.length = env.unwrapped.length
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.length,), np.float32)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        one_hot = np.zeros(self.length, dtype=np.float32)
        one_hot[round(float(observation[0]) * (self.length - 1))] = 1.0
        return one_hot


gym.register("Corridor-v0", entry_point=Corridor, max_episode_steps=50)
