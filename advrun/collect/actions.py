"""Model actions → what ``envs.step`` takes, shared by rollouts and evaluation.

Continuous actions are sampled unclipped (their log-probabilities are of the raw
sample) and clipped to the Box bounds per dimension only on the way to the env.
Gymnasium vector envs take numpy arrays on the host; torch-native envs take tensors
on their device, so nothing leaves the device there.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch


class EnvActions:
    def __init__(self, envs: gym.vector.VectorEnv, device: torch.device, native: bool) -> None:
        self.native = native
        space = envs.single_action_space
        self.continuous = isinstance(space, gym.spaces.Box)
        if self.continuous and native:
            self._low_t = torch.as_tensor(space.low, device=device)
            self._high_t = torch.as_tensor(space.high, device=device)
        elif self.continuous:
            self._low = np.asarray(space.low, dtype=np.float32)
            self._high = np.asarray(space.high, dtype=np.float32)

    def __call__(self, action: torch.Tensor) -> np.ndarray | torch.Tensor:
        if self.native:
            return action.clamp(self._low_t, self._high_t) if self.continuous else action
        out = action.cpu().numpy()
        return np.clip(out, self._low, self._high) if self.continuous else out
