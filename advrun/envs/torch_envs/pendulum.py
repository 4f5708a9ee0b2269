"""Pendulum-v1 on a torch device (the classic inverted-pendulum swing-up).

State ``s = (theta, theta_dot)`` with ``theta = 0`` upright; observation
``(cos theta, sin theta, theta_dot)``. The action is a torque ``u``, clipped to
``[-2, 2]`` inside the step. With ``m = l = 1``, ``dt = 0.05`` and gravity ``g``
(default 10):

.. code-block:: text

    cost        = normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2,
                  normalize(x) = ((x + pi) mod 2 pi) - pi
    theta_dot' <- clip(theta_dot + (3 g / (2 l) sin theta + 3 / (m l^2) u) dt, -8, 8)
    theta'     <- theta + theta_dot' dt                 (theta itself is not wrapped)

reward ``= -cost`` (computed from the state before the step); never terminates.
Initial state: theta ``U(-pi, pi)``, theta_dot ``U(-1, 1)``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from advrun.envs.torch_envs.base import TorchVectorEnv


def angle_normalize(x: torch.Tensor) -> torch.Tensor:
    """Map an angle into ``[-pi, pi)`` (floor-mod, like Python's ``%``)."""
    return torch.remainder(x + math.pi, 2 * math.pi) - math.pi


class PendulumTorch(TorchVectorEnv):
    """Batched Pendulum-v1 (see the module docstring for the equations)."""

    env_id = "Pendulum-v1"
    state_dim = 2
    default_max_episode_steps = 200

    max_speed = 8.0
    max_torque = 2.0
    dt = 0.05
    m = 1.0
    l = 1.0  # noqa: E741 - the pendulum's length, named as in the equations

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        max_episode_steps: int | None = None,
        g: float = 10.0,
    ) -> None:
        self.g = g
        super().__init__(num_envs, device, dtype, max_episode_steps)

    def _make_observation_space(self) -> gym.spaces.Box:
        high = np.array([1.0, 1.0, self.max_speed], dtype=self.np_dtype)
        return gym.spaces.Box(-high, high, dtype=self.np_dtype)

    def _make_action_space(self) -> gym.spaces.Box:
        t = self.max_torque
        return gym.spaces.Box(low=-t, high=t, shape=(1,), dtype=np.float32)

    def _to_action(self, actions: torch.Tensor | np.ndarray | Any) -> torch.Tensor:
        """Torques as a ``[N]`` tensor in the env dtype (``[N, 1]`` or ``[N]`` in)."""
        a = torch.as_tensor(actions, device=self.device)
        return a.to(self.dtype).reshape(self.num_envs)

    def _sample_initial_state(self, n: int) -> torch.Tensor:
        high = self._const([math.pi, 1.0])
        return self._uniform(n, -high, high, 2)

    def _dynamics(
        self, state: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        th, thdot = state.unbind(1)
        g, m, length, dt = self.g, self.m, self.l, self.dt
        u = action.clamp(-self.max_torque, self.max_torque)
        costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * u**2
        newthdot = thdot + (3 * g / (2 * length) * torch.sin(th) + 3.0 / (m * length**2) * u) * dt
        newthdot = newthdot.clamp(-self.max_speed, self.max_speed)
        newth = th + newthdot * dt
        terminated = torch.zeros_like(th, dtype=torch.bool)
        return torch.stack((newth, newthdot), dim=1), -costs, terminated

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        th, thdot = state.unbind(1)
        return torch.stack((torch.cos(th), torch.sin(th), thdot), dim=1)
