"""MountainCar-v0 on a torch device (Moore 1990; Sutton & Barto 2018, example 10.1).

State and observation ``s = (position, velocity)``. Actions 0, 1, 2 push left, not at
all, right. With ``force = 0.001`` and ``gravity = 0.0025``:

.. code-block:: text

    velocity <- clip(velocity + (a - 1) force - cos(3 position) gravity, -0.07, 0.07)
    position <- clip(position + velocity, -1.2, 0.6)
    velocity <- 0 if position == -1.2 and velocity < 0      (inelastic left wall)

Terminates when ``position >= 0.5`` and ``velocity >= goal_velocity``; reward -1 on
every step. Initial state: position ``U(-0.6, -0.4)``, velocity 0.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from advrun.envs.torch_envs.base import TorchVectorEnv


class MountainCarTorch(TorchVectorEnv):
    """Batched MountainCar-v0 (see the module docstring for the equations)."""

    env_id = "MountainCar-v0"
    state_dim = 2
    default_max_episode_steps = 200

    min_position = -1.2
    max_position = 0.6
    max_speed = 0.07
    goal_position = 0.5
    force = 0.001
    gravity = 0.0025

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        max_episode_steps: int | None = None,
        goal_velocity: float = 0,
    ) -> None:
        self.goal_velocity = goal_velocity
        super().__init__(num_envs, device, dtype, max_episode_steps)

    def _make_observation_space(self) -> gym.spaces.Box:
        low = np.array([self.min_position, -self.max_speed], dtype=self.np_dtype)
        high = np.array([self.max_position, self.max_speed], dtype=self.np_dtype)
        return gym.spaces.Box(low, high, dtype=self.np_dtype)

    def _make_action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(3)

    def _sample_initial_state(self, n: int) -> torch.Tensor:
        position = self._uniform(n, -0.6, -0.4, 1)
        return torch.cat((position, torch.zeros_like(position)), dim=1)

    def _dynamics(
        self, state: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        position, velocity = state.unbind(1)
        push = (action - 1).to(self.dtype) * self.force
        velocity = velocity + (push + torch.cos(3 * position) * (-self.gravity))
        velocity = velocity.clamp(-self.max_speed, self.max_speed)
        position = (position + velocity).clamp(self.min_position, self.max_position)
        # After the clamp, position <= min_position means it sits exactly on the wall.
        velocity = torch.where((position <= self.min_position) & (velocity < 0), 0.0, velocity)
        terminated = (position >= self.goal_position) & (velocity >= self.goal_velocity)
        reward = torch.full_like(position, -1.0)
        return torch.stack((position, velocity), dim=1), reward, terminated

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.clone()
