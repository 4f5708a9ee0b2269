"""Step several vector envs of one kind as one array computation.

A seeds batch (advrun.seeds.fused) holds K agents, each with its own seeded vector
env. Two kinds join: gymnasium's native CartPole (:class:`JointCartPole`, numpy) and
advrun's torch-native envs (:class:`JointTorch`: the K envs' physics as one batch of
tensors, so on a GPU a step is one set of kernels instead of K).

gymnasium's native ``CartPoleVectorEnv`` costs 50-90 us a call whatever its size
(about forty numpy calls on arrays of N, plus an action-space check), so K calls per
step cost K times that, and in a CartPole batch they were most of the evaluation's
time. :class:`JointCartPole` runs the dynamics once over the K envs' states side by
side and hands each env back its own state, step counts and done flags; the resets
draw from each env's own ``np_random`` exactly as its own ``step`` would (numpy draws
nothing for a zero-size request, so an env with no reset draws nothing here either).
Every element goes through the same elementwise numpy arithmetic as in the env's own
``step``, so each env's trajectory and random stream are what K separate calls give,
bit for bit (tests/envs/test_joint.py).

:func:`joint_stepper` gives the stepper for a list of envs, or None where the envs are
not all of a kind it knows (then the caller steps them one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate
from typing import Any

import numpy as np
import torch
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

from advrun.envs.torch_envs.base import TorchVectorEnv

__all__ = ["JointCartPole", "JointTorch", "binary", "joint_stepper"]

JointStep = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(obs [M, 4] float32, reward [M] float32, terminated [M], truncated [M])`` over the
members' envs side by side (M = the members' env counts summed)."""

# Everything CartPoleVectorEnv.step reads besides its state: equal in every joined env.
_CONSTANTS = (
    "gravity",
    "masscart",
    "masspole",
    "total_mass",
    "length",
    "polemass_length",
    "force_mag",
    "tau",
    "kinematics_integrator",
    "theta_threshold_radians",
    "x_threshold",
    "max_episode_steps",
    "_sutton_barto_reward",
    "low",
    "high",
)


class JointCartPole:
    """``step(actions, members)`` for gymnasium ``CartPoleVectorEnv`` s (module docstring).

    The formulas are gymnasium 1.x's ``CartPoleVectorEnv.step`` (Barto, Sutton and
    Anderson's cart-pole with Florian's corrected equations), Euler or semi-implicit."""

    def __init__(self, envs: Sequence[CartPoleVectorEnv]) -> None:
        self.envs = list(envs)
        self.c = {name: getattr(self.envs[0], name) for name in _CONSTANTS}

    @classmethod
    def build(cls, envs: Sequence[Any]) -> JointCartPole | None:
        if not envs or any(type(e) is not CartPoleVectorEnv for e in envs):
            return None
        first = {name: getattr(envs[0], name, None) for name in _CONSTANTS}
        for env in envs[1:]:
            if any(getattr(env, name, None) != value for name, value in first.items()):
                return None
        return cls(envs)

    def physics(self, state: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The next state ``[4, M]`` (a new array) and the terminated flags ``[M]`` of
        ``state [4, M]`` (float64) under ``actions [M]`` (0 or 1): gymnasium's elementwise
        arithmetic, in its order, without the step counts, rewards or resets."""
        c = self.c
        x, x_dot, theta, theta_dot = state
        # gymnasium's sign(a - 0.5) * force_mag: +force_mag for 1, -force_mag for 0.
        force_mag = c["force_mag"]
        force = np.where(actions == 1, force_mag, -force_mag)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + c["polemass_length"] * np.square(theta_dot) * sintheta) / c["total_mass"]
        thetaacc = (c["gravity"] * sintheta - costheta * temp) / (
            c["length"] * (4.0 / 3.0 - c["masspole"] * np.square(costheta) / c["total_mass"])
        )
        xacc = temp - c["polemass_length"] * thetaacc * costheta / c["total_mass"]
        tau = c["tau"]
        # The new state's rows written in place (the same additions as gymnasium's
        # ``x = x + tau * x_dot`` and ``np.stack``, without the stack's copy).
        new = np.empty_like(state)
        if c["kinematics_integrator"] == "euler":
            np.add(x, tau * x_dot, out=new[0])
            np.add(x_dot, tau * xacc, out=new[1])
            np.add(theta, tau * theta_dot, out=new[2])
            np.add(theta_dot, tau * thetaacc, out=new[3])
        else:  # semi-implicit euler
            np.add(x_dot, tau * xacc, out=new[1])
            np.add(x, tau * new[1], out=new[0])
            np.add(theta_dot, tau * thetaacc, out=new[3])
            np.add(theta, tau * new[3], out=new[2])
        x, theta = new[0], new[2]

        x_limit, theta_limit = c["x_threshold"], c["theta_threshold_radians"]
        # gymnasium's (x < -limit) | (x > limit) per variable: the same booleans (NaN and
        # -0.0 included) in two passes fewer.
        terminated = (np.abs(x) > x_limit) | (np.abs(theta) > theta_limit)
        return new, terminated

    def reward(self, terminated: np.ndarray) -> np.ndarray:
        """gymnasium's float32 rewards: 1 per step, or -1 on termination and 0 otherwise
        with ``sutton_barto_reward``."""
        if self.c["_sutton_barto_reward"]:
            return -np.array(terminated, dtype=np.float32)
        return np.ones_like(terminated, dtype=np.float32)

    def step(
        self, actions: np.ndarray, members: Sequence[int] | None = None, autoreset: bool = True
    ) -> JointStep:
        """One step of ``members`` (indices into the envs; all by default) with
        ``actions`` [M] (0 or 1) for their envs side by side.

        ``autoreset=False`` leaves an env whose episode ended unreset: it steps on from
        its last state, and its outputs mean nothing until the next ``reset``. An
        evaluation counts each env's first episode only, so it skips the resets' draws
        and masked writes (most of a step while early episodes end one after another);
        its envs are reset with a seed before every evaluation."""
        envs = self.envs if members is None else [self.envs[i] for i in members]
        if any(e.state is None for e in envs):
            raise RuntimeError("Call reset before using step method.")
        bounds = list(accumulate((e.num_envs for e in envs), initial=0))
        if actions.shape[0] != bounds[-1] or not binary(actions):
            raise ValueError(f"{actions!r} ({type(actions)}) invalid")
        c = self.c
        # One member reads its own arrays (nothing below writes to them in place).
        state = _join([e.state for e in envs], axis=1)
        steps = _join([e.steps for e in envs])
        prev_done = _join([e.prev_done for e in envs])

        state, terminated = self.physics(state, actions)
        steps = steps + 1
        truncated = steps >= c["max_episode_steps"]
        reward = self.reward(terminated)

        # Each env's resets from its own generator, in its own columns (only the envs
        # with one: numpy draws nothing for a zero-size request).
        if autoreset and prev_done.any():
            for k in np.flatnonzero(np.add.reduceat(prev_done, bounds[:-1])):
                cols = slice(bounds[k], bounds[k + 1])
                done = prev_done[cols]
                own = state[:, cols]
                own[:, done] = envs[k].np_random.uniform(
                    low=c["low"], high=c["high"], size=(4, int(done.sum()))
                )
            steps[prev_done] = 0
            reward[prev_done] = 0.0
            terminated[prev_done] = False
            truncated[prev_done] = False
        now_done = terminated | truncated

        # Views into this step's arrays, which nothing else writes to.
        for k, env in enumerate(envs):
            cols = slice(bounds[k], bounds[k + 1])
            env.state, env.steps, env.prev_done = state[:, cols], steps[cols], now_done[cols]
        return state.T.astype(np.float32), reward, terminated, truncated


class JointTorch:
    """``step(actions, members)`` for advrun's torch-native envs of one class, device,
    dtype and settings: :meth:`TorchVectorEnv.step` over the members' envs side by side.

    The physics (``_dynamics``, ``_observe``) is row by row, so it runs once over the
    concatenated states; each env's resets are its own ``_reset_rows`` on its rows,
    drawing from its own generator exactly as its own ``step`` would, and each env keeps
    its own state, step counts and autoreset flags (tests/envs/test_joint.py: equal to
    separate steps bit for bit)."""

    def __init__(self, envs: Sequence[TorchVectorEnv]) -> None:
        self.envs = list(envs)

    @staticmethod
    def _settings(env: TorchVectorEnv) -> tuple:
        """What the shared physics reads besides the state: the class, device, dtype and
        every scalar attribute (constants, time limit, reward variant, env count)."""
        scalars = tuple(
            sorted(
                (k, v)
                for k, v in vars(env).items()
                if isinstance(v, (bool, int, float, str)) and k != "_seeded"
            )
        )
        return (type(env), env.device, env.dtype, scalars)

    @classmethod
    def build(cls, envs: Sequence[Any]) -> JointTorch | None:
        if not envs or not all(isinstance(e, TorchVectorEnv) for e in envs):
            return None
        first = cls._settings(envs[0])
        if any(cls._settings(e) != first for e in envs[1:]):
            return None
        return cls(envs)

    @torch.no_grad()
    def step(
        self, actions: torch.Tensor, members: Sequence[int] | None = None, autoreset: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(obs, reward, terminated, truncated)`` of the members' envs side by side
        (all by default), for ``actions`` [M, ...] in the same order.

        ``autoreset=False`` (evaluation; :meth:`JointCartPole.step`) leaves an env whose
        episode ended unreset: it steps on from its last state, its step count runs on,
        nothing is drawn from its generator, and its outputs mean nothing until the next
        ``reset``. That skips each member's ``_reset_rows`` per step: on a GPU a draw of
        every row and a ``where`` per member (a few kernel launches each), on the CPU a
        ``nonzero`` per member."""
        envs = self.envs if members is None else [self.envs[i] for i in members]
        first = envs[0]
        n = first.num_envs
        if actions.shape[0] != n * len(envs):
            raise ValueError(f"{actions.shape[0]} actions for {n * len(envs)} envs")
        action = torch.cat([e._to_action(actions[k * n : (k + 1) * n]) for k, e in enumerate(envs)])
        next_state, reward, terminated = first._dynamics(torch.cat([e.state for e in envs]), action)
        elapsed = torch.cat([e.elapsed for e in envs]) + 1
        if autoreset:
            resetting = torch.cat([e.autoreset for e in envs])
            for k, env in enumerate(envs):
                rows = slice(k * n, (k + 1) * n)
                env.state = env._reset_rows(next_state[rows], resetting[rows])
            state = torch.cat([e.state for e in envs])
            elapsed.masked_fill_(resetting, 0)
            reward = reward.masked_fill(resetting, 0.0)
            terminated = terminated & ~resetting
        else:
            state = next_state
            for k, env in enumerate(envs):
                env.state = state[k * n : (k + 1) * n]
        truncated = elapsed >= first.max_episode_steps
        autoreset = terminated | truncated
        for k, env in enumerate(envs):
            rows = slice(k * n, (k + 1) * n)
            env.elapsed, env.autoreset = elapsed[rows], autoreset[rows]
        return first._observe(state), reward, terminated, truncated


def binary(actions: np.ndarray) -> bool:
    """Whether every action is 0 or 1 (CartPole's ``Discrete(2)``); for integers one
    shift does it (0 and 1 shift to 0, negatives and anything above 1 do not)."""
    if actions.dtype.kind in "iu":
        return not (actions >> 1).any()
    return bool(np.all((actions == 0) | (actions == 1)))


def _join(arrays: list[np.ndarray], axis: int = 0) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)


def joint_stepper(envs: Sequence[Any]) -> JointCartPole | JointTorch | None:
    """A joint stepper for ``envs``, or None where there is none for their kind
    (gymnasium's native CartPole vector env and advrun's torch-native envs join)."""
    return JointCartPole.build(envs) or JointTorch.build(envs)
