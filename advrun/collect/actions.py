"""Model actions → what ``envs.step`` takes, shared by rollouts and evaluation.

Continuous actions are sampled unclipped (their log-probabilities are of the raw
sample) and clipped to the Box bounds per dimension only on the way to the env
(CleanRL's ``ClipAction`` wrapper, SB3's ``clip_actions``). The alternative, a tanh
squash with its log-det-Jacobian correction (SAC's), keeps the sample inside the bounds
but drives the mean to the saturated region on bang-bang tasks; PPO/A2C's usual
practice (and advrun's measured presets) is the clip, so that is what is done here.

``MultiDiscrete`` actions (``[N, d]`` indices from 0) get the space's ``start`` added
back and the space's shape; ``MultiBinary`` actions (``[N, n]`` floats 0/1) become the
space's int8. Gymnasium vector envs take numpy arrays on the host; torch-native envs
take tensors on their device, so nothing leaves the device there.
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
        # Multi-dimensional discrete actions: the env's shape, dtype and start offset.
        self._multi: tuple[tuple[int, ...], np.dtype, np.ndarray] | None = None
        if isinstance(space, gym.spaces.MultiDiscrete):
            self._multi = (tuple(space.shape), space.dtype, np.asarray(space.start))
        elif isinstance(space, gym.spaces.MultiBinary):
            self._multi = (tuple(space.shape), space.dtype, np.zeros((), space.dtype))
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
        if self._multi is not None:
            shape, dtype, start = self._multi
            return out.reshape(out.shape[0], *shape).astype(dtype) + start.astype(dtype)
        return np.clip(out, self._low, self._high) if self.continuous else out
