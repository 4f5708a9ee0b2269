"""Reusable observation wrappers for ``env.wrappers`` (``_target_:
advrun.envs.wrappers.<Name>``).

:class:`MaskObservation` keeps a subset of a Box observation's entries: the standard
way to make a fully observed control task partially observed, e.g. CartPole with its
velocities hidden (``keep=[0, 2]``: cart position and pole angle), which a feed-forward
policy cannot balance well and a recurrent one can (it infers the velocities from
successive observations; Meng et al. 2021, "Memory-based deep reinforcement learning
for POMDPs", use the same construction).
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np


class MaskObservation(gym.ObservationWrapper):
    """Keep the entries ``keep`` (indices into the flattened Box observation)."""

    def __init__(self, env: gym.Env, keep: Sequence[int]) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, gym.spaces.Box):
            raise TypeError(f"MaskObservation needs a Box observation space, got {space}")
        size = int(np.prod(space.shape))
        self.keep = np.asarray([int(i) for i in keep], dtype=np.int64)
        if self.keep.size == 0 or self.keep.min() < -size or self.keep.max() >= size:
            raise ValueError(f"keep={list(keep)} must be indices into {size} entries")
        low = np.asarray(space.low, dtype=space.dtype).reshape(-1)[self.keep]
        high = np.asarray(space.high, dtype=space.dtype).reshape(-1)[self.keep]
        self.observation_space = gym.spaces.Box(low, high, dtype=space.dtype)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return np.asarray(observation).reshape(-1)[self.keep]
