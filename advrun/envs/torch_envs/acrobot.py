"""Acrobot-v1 on a torch device (Sutton 1996; Sutton & Barto's book dynamics).

State ``s = (theta1, theta2, dtheta1, dtheta2)``; observation
``(cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2)``. Actions
0, 1, 2 apply torque ``tau = a - 1`` at the joint between the links. With
``m1 = m2 = 1``, ``l1 = 1``, ``lc1 = lc2 = 0.5``, ``I1 = I2 = 1``, ``g = 9.8``:

.. code-block:: text

    d1   = m1 lc1^2 + m2 (l1^2 + lc2^2 + 2 l1 lc2 cos theta2) + I1 + I2
    d2   = m2 (lc2^2 + l1 lc2 cos theta2) + I2
    phi2 = m2 lc2 g cos(theta1 + theta2 - pi/2)
    phi1 = -m2 l1 lc2 dtheta2^2 sin theta2 - 2 m2 l1 lc2 dtheta2 dtheta1 sin theta2
           + (m1 lc1 + m2 l1) g cos(theta1 - pi/2) + phi2
    ddtheta2 = (tau + d2/d1 phi1 - m2 l1 lc2 dtheta1^2 sin theta2 - phi2)
               / (m2 lc2^2 + I2 - d2^2/d1)
    ddtheta1 = -(d2 ddtheta2 + phi1) / d1

integrated over ``dt = 0.2`` with one classical RK4 step; then both angles are wrapped
into ``[-pi, pi]`` and the velocities clipped to ``|dtheta1| <= 4 pi``,
``|dtheta2| <= 9 pi``. Terminates when ``-cos theta1 - cos(theta1 + theta2) > 1``;
reward -1 per step, 0 on the terminating step. Torque noise is 0 (gymnasium default).
Initial state: ``U(-0.1, 0.1)`` on all four coordinates.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import torch

from advrun.envs.torch_envs.base import TorchVectorEnv

PI = math.pi


def wrap(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Shift ``x`` by whole periods ``high - low`` into ``[low, high]`` (gymnasium's
    ``wrap``, which subtracts or adds the period until ``x`` is in range)."""
    period = high - low
    above = torch.ceil((x - high) / period).clamp_min(0)
    below = torch.ceil((low - x) / period).clamp_min(0)
    return torch.where(above > 0, x - above * period, torch.where(below > 0, x + below * period, x))


class AcrobotTorch(TorchVectorEnv):
    """Batched Acrobot-v1 (see the module docstring for the equations)."""

    env_id = "Acrobot-v1"
    state_dim = 4
    default_max_episode_steps = 500

    dt = 0.2
    LINK_LENGTH_1 = 1.0
    LINK_MASS_1 = 1.0
    LINK_MASS_2 = 1.0
    LINK_COM_POS_1 = 0.5
    LINK_COM_POS_2 = 0.5
    LINK_MOI = 1.0
    MAX_VEL_1 = 4 * PI
    MAX_VEL_2 = 9 * PI
    GRAVITY = 9.8

    def _make_observation_space(self) -> gym.spaces.Box:
        high = np.array([1.0, 1.0, 1.0, 1.0, self.MAX_VEL_1, self.MAX_VEL_2], dtype=self.np_dtype)
        return gym.spaces.Box(-high, high, dtype=self.np_dtype)

    def _make_action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(3)

    def _sample_initial_state(self, n: int) -> torch.Tensor:
        return self._uniform(n, -0.1, 0.1, 4)

    def _derivatives(self, s: torch.Tensor, torque: torch.Tensor) -> torch.Tensor:
        """``ds/dt`` of the book dynamics for a ``[N, 4]`` state batch."""
        m1, m2 = self.LINK_MASS_1, self.LINK_MASS_2
        l1, lc1, lc2 = self.LINK_LENGTH_1, self.LINK_COM_POS_1, self.LINK_COM_POS_2
        i1 = i2 = self.LINK_MOI
        g = self.GRAVITY
        theta1, theta2, dtheta1, dtheta2 = s.unbind(1)
        cos2, sin2 = torch.cos(theta2), torch.sin(theta2)
        d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * cos2) + i1 + i2
        d2 = m2 * (lc2**2 + l1 * lc2 * cos2) + i2
        phi2 = m2 * lc2 * g * torch.cos(theta1 + theta2 - PI / 2.0)
        phi1 = (
            -m2 * l1 * lc2 * dtheta2**2 * sin2
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
            + (m1 * lc1 + m2 * l1) * g * torch.cos(theta1 - PI / 2)
            + phi2
        )
        ddtheta2 = (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * sin2 - phi2) / (
            m2 * lc2**2 + i2 - d2**2 / d1
        )
        ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return torch.stack((dtheta1, dtheta2, ddtheta1, ddtheta2), dim=1)

    def _dynamics(
        self, state: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        torque = (action - 1).to(self.dtype)
        h, h2 = self.dt, self.dt / 2.0
        k1 = self._derivatives(state, torque)
        k2 = self._derivatives(state + h2 * k1, torque)
        k3 = self._derivatives(state + h2 * k2, torque)
        k4 = self._derivatives(state + h * k3, torque)
        ns = state + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        next_state = torch.stack(
            (
                wrap(ns[:, 0], -PI, PI),
                wrap(ns[:, 1], -PI, PI),
                ns[:, 2].clamp(-self.MAX_VEL_1, self.MAX_VEL_1),
                ns[:, 3].clamp(-self.MAX_VEL_2, self.MAX_VEL_2),
            ),
            dim=1,
        )
        th1, th2 = next_state[:, 0], next_state[:, 1]
        terminated = -torch.cos(th1) - torch.cos(th2 + th1) > 1.0
        reward = torch.where(terminated, 0.0, -1.0).to(self.dtype)
        return next_state, reward, terminated

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        th1, th2, dth1, dth2 = state.unbind(1)
        return torch.stack(
            (torch.cos(th1), torch.sin(th1), torch.cos(th2), torch.sin(th2), dth1, dth2), dim=1
        )
