"""CartPole-v1 on a torch device (Barto, Sutton & Anderson 1983; Florian 2007).

State ``s = (x, x_dot, theta, theta_dot)``, observation ``= s``. With force
``F = +10`` for action 1 and ``-10`` for action 0, ``m_c = 1``, ``m_p = 0.1``,
``M = m_c + m_p``, half pole length ``l = 0.5``, ``g = 9.8`` and ``tau = 0.02``:

.. code-block:: text

    temp      = (F + m_p l theta_dot^2 sin(theta)) / M
    theta_acc = (g sin(theta) - cos(theta) temp) / (l (4/3 - m_p cos^2(theta) / M))
    x_acc     = temp - m_p l theta_acc cos(theta) / M

followed by one explicit Euler step of all four coordinates (gymnasium's default
``kinematics_integrator="euler"``). The episode terminates when ``|x| > 2.4`` or
``|theta| > 12 degrees``. Reward is 1 on every step, the terminating one included
(``sutton_barto_reward=True``: 0 per step and -1 on the terminating step).
Initial state: ``U(-0.05, 0.05)`` on all four coordinates.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import torch

from advrun.envs.torch_envs.base import TorchVectorEnv


class CartPoleTorch(TorchVectorEnv):
    """Batched CartPole-v1 (see the module docstring for the equations)."""

    env_id = "CartPole-v1"
    state_dim = 4
    default_max_episode_steps = 500

    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        max_episode_steps: int | None = None,
        sutton_barto_reward: bool = False,
    ) -> None:
        self.sutton_barto_reward = sutton_barto_reward
        super().__init__(num_envs, device, dtype, max_episode_steps)

    def _make_observation_space(self) -> gym.spaces.Box:
        inf = np.inf
        high = np.array(
            [self.x_threshold * 2, inf, self.theta_threshold_radians * 2, inf],
            dtype=self.np_dtype,
        )
        return gym.spaces.Box(-high, high, dtype=self.np_dtype)

    def _make_action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(2)

    def _sample_initial_state(self, n: int) -> torch.Tensor:
        return self._uniform(n, -0.05, 0.05, 4)

    def _dynamics(
        self, state: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, x_dot, theta, theta_dot = state.unbind(1)
        force = torch.where(action == 1, self.force_mag, -self.force_mag).to(self.dtype)
        costheta = torch.cos(theta)
        sintheta = torch.sin(theta)
        temp = (force + self.polemass_length * theta_dot.square() * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta.square() / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        next_state = torch.stack(
            (
                x + self.tau * x_dot,
                x_dot + self.tau * xacc,
                theta + self.tau * theta_dot,
                theta_dot + self.tau * thetaacc,
            ),
            dim=1,
        )
        nx, nth = next_state[:, 0], next_state[:, 2]
        terminated = (nx.abs() > self.x_threshold) | (nth.abs() > self.theta_threshold_radians)
        # gymnasium 1.x: +1 on every step including the terminating one; Sutton & Barto's
        # original: 0 per step and -1 on failure.
        reward = -terminated.to(self.dtype) if self.sutton_barto_reward else torch.ones_like(nx)
        return next_state, reward, terminated

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        return state.clone()
