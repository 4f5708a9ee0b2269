"""Env adapters: one tensor interface over gymnasium's numpy vector envs and advrun's
torch-native ones, so a single collector and a single evaluation loop serve both.

Conversion happens only here, at the edge (CleanRL converts at ``envs.step(action
.cpu().numpy())`` the same way): actions go in as tensors, observations come out as
tensors on the learner's device in the buffer dtype (``uint8`` frames stay ``uint8``,
everything else ``float32``; Dict, Tuple, Discrete, MultiDiscrete and MultiBinary
observations are packed into one row per env by :class:`~advrun.spaces.ObsLayout`, which
the network's encoder unpacks); rewards (``float64``, so episode sums stay exact),
``terminated`` and ``truncated`` come out on :attr:`EnvAdapter.data_device` -- the host
for numpy envs (moved to the device once per rollout by the collector), the device for
torch envs (nothing leaves it).

The adapter is also where a broken env is caught: an exception from the env becomes
:class:`~advrun.training.faults.EnvError`, a wrong observation shape too, and NaN/inf in
an observation or reward :class:`~advrun.training.faults.NonFiniteEnvOutput` -- per step
for numpy envs (one ``isfinite`` pass), once per rollout for torch envs (advrun's own
code; a per-step check would synchronise the GPU).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from advrun.collect.actions import EnvActions
from advrun.envs.snapshot import restore, snapshot
from advrun.envs.torch_envs import TorchVectorEnv
from advrun.spaces import ObsLayout, needs_layout
from advrun.training.faults import EnvError, NonFiniteEnvOutput

Step = tuple[Tensor, Tensor, Tensor, Tensor]
"""``(obs [N, ...], reward [N] float64, terminated [N] bool, truncated [N] bool)``."""


def buffer_dtype(space: gym.Space) -> torch.dtype:
    """uint8 observations stay uint8 (Atari frames: a quarter of float32's memory; the
    network casts and scales them); everything else is stored as float32."""
    return torch.uint8 if getattr(space, "dtype", None) == np.uint8 else torch.float32


def check_env_output(
    obs: np.ndarray, reward: np.ndarray | None, row: int, name: str = "observation"
) -> None:
    """Raise :class:`NonFiniteEnvOutput` for the first NaN/inf in a batch of float
    observations ``[N, ...]`` or rewards ``[N]`` (integer observations cannot hold one).
    ``name`` is the observation's (or a Dict/Tuple leaf's) name in the message."""
    if reward is not None and not np.isfinite(reward).all():
        env = int(np.flatnonzero(~np.isfinite(reward))[0])
        raise NonFiniteEnvOutput("reward", float(reward[env]), row, env)
    if obs.dtype.kind == "f" and not np.isfinite(obs).all():
        flat = obs.reshape(obs.shape[0], -1)
        env, element = (int(i) for i in np.argwhere(~np.isfinite(flat))[0])
        raise NonFiniteEnvOutput(f"{name}[{element}]", float(flat[env, element]), row, env)


class EnvAdapter:
    """The tensor face of a vector env (see the module docstring)."""

    native: bool = False

    def __init__(self, envs: gym.vector.VectorEnv, device: torch.device) -> None:
        self.envs = envs
        self.device = torch.device(device)
        self.num_envs = envs.num_envs
        self.single_observation_space = envs.single_observation_space
        self.single_action_space = envs.single_action_space
        space = envs.single_observation_space
        # Non-Box observations travel packed (advrun.spaces); obs_shape is per env.
        self.layout = ObsLayout(space) if needs_layout(space) else None
        self.obs_dtype = self.layout.torch_dtype if self.layout else buffer_dtype(space)
        self.obs_shape: tuple[int, ...] = (
            (self.layout.width,) if self.layout else tuple(space.shape or ())
        )
        self.to_env_action = EnvActions(envs, self.device, native=self.native)
        # The env's time limit when its spec says (None: no limit known).
        spec = getattr(envs, "spec", None)
        self.max_episode_steps: int | None = getattr(spec, "max_episode_steps", None)
        self._step = 0  # steps since reset, for error messages

    # -- the interface ---------------------------------------------------------------
    data_device: torch.device

    def reset(self, seed: int | list[int] | None) -> Tensor:
        raise NotImplementedError

    def step(self, actions: Tensor) -> Step:
        raise NotImplementedError

    def check_rollout(self, obs: Tensor, rewards: Tensor, next_obs: Tensor) -> None:
        """Check a whole rollout's env outputs (a no-op where each step was checked)."""

    def state_dict(self) -> dict[str, Any] | None:
        """The envs' own state for an exact resume, or None when it cannot be saved."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.envs.close()

    # -- shared ---------------------------------------------------------------------
    def _call(self, during: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            raise EnvError(during, err) from err


class GymAdapter(EnvAdapter):
    """A gymnasium vector env (numpy arrays on the host)."""

    native = False

    def __init__(self, envs: gym.vector.VectorEnv, device: torch.device) -> None:
        super().__init__(envs, device)
        self.data_device = torch.device("cpu")
        self._np_dtype = np.uint8 if self.obs_dtype == torch.uint8 else np.float32
        self._obs_shape: tuple[int, ...] | None = None

    def _obs(self, obs: Any, row: int, reward: np.ndarray | None = None) -> Tensor:
        if self.layout is not None:
            return self._packed(obs, row, reward)
        arr = np.asarray(obs, dtype=self._np_dtype)
        if self._obs_shape is None:
            self._obs_shape = arr.shape
        elif arr.shape != self._obs_shape:
            raise EnvError(
                "stepping",
                ValueError(
                    f"observations of shape {arr.shape[1:]} where the observation space "
                    f"says {self._obs_shape[1:]}"
                ),
            )
        check_env_output(arr, reward, row)
        return torch.from_numpy(arr).to(self.device, non_blocking=True)

    def _packed(self, obs: Any, row: int, reward: np.ndarray | None) -> Tensor:
        """A structured observation as one packed row per env (:mod:`advrun.spaces`),
        each leaf checked for its shape and for NaN/inf under its own name."""
        assert self.layout is not None
        try:
            leaves = self.layout.leaf_arrays(obs)
        except (KeyError, IndexError, TypeError, ValueError) as err:
            problem = ValueError(f"the observation does not fit its space: {err}")
            raise EnvError("stepping", problem) from err
        check_env_output(np.zeros(0, np.float32), reward, row)
        for leaf, arr in zip(self.layout.leaves, leaves, strict=True):
            check_env_output(arr, None, row, leaf.name)
        packed = self.layout.pack(leaves)
        return torch.from_numpy(packed).to(self.device, non_blocking=True)

    def reset(self, seed: int | list[int] | None) -> Tensor:
        obs, _ = self._call("resetting", self.envs.reset, seed=seed)
        self._step = 0
        return self._obs(obs, 0)

    def step(self, actions: Tensor) -> Step:
        obs, reward, term, trunc, _ = self._call(
            "stepping", self.envs.step, self.to_env_action(actions)
        )
        reward = np.asarray(reward, dtype=np.float64)
        self._step += 1
        obs_t = self._obs(obs, self._step, reward)
        return (
            obs_t,
            torch.from_numpy(reward),
            torch.from_numpy(np.asarray(term, dtype=bool)),
            torch.from_numpy(np.asarray(trunc, dtype=bool)),
        )

    def state_dict(self) -> dict[str, Any] | None:
        return snapshot(self.envs)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        restore(self.envs, state)


class TorchAdapter(EnvAdapter):
    """advrun's torch-native batched envs: tensors on the device in and out."""

    native = True

    def __init__(self, envs: TorchVectorEnv, device: torch.device) -> None:
        super().__init__(envs, device)
        self.data_device = self.device

    def reset(self, seed: int | list[int] | None) -> Tensor:
        obs, _ = self._call("resetting", self.envs.reset, seed=seed)
        return obs.to(device=self.device, dtype=torch.float32)

    def step(self, actions: Tensor) -> Step:
        obs, reward, term, trunc, _ = self._call(
            "stepping", self.envs.step, self.to_env_action(actions)
        )
        return obs.to(dtype=torch.float32), reward.to(torch.float64), term, trunc

    def check_rollout(self, obs: Tensor, rewards: Tensor, next_obs: Tensor) -> None:
        """One host sync per rollout: raise for the first non-finite reward or obs."""
        all_obs = torch.cat([obs, next_obs.unsqueeze(0)]).flatten(2)
        if bool(torch.isfinite(rewards).all()) and bool(torch.isfinite(all_obs).all()):
            return
        bad = torch.nonzero(~torch.isfinite(rewards))
        if len(bad):
            row, env = (int(x) for x in bad[0])
            raise NonFiniteEnvOutput("reward", float(rewards[row, env]), row, env)
        row, env, element = (int(x) for x in torch.nonzero(~torch.isfinite(all_obs))[0])
        raise NonFiniteEnvOutput(
            f"observation[{element}]", float(all_obs[row, env, element]), row, env
        )

    def state_dict(self) -> dict[str, Any] | None:
        assert isinstance(self.envs, TorchVectorEnv)
        return {"torch_env": self.envs.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        assert isinstance(self.envs, TorchVectorEnv)
        self.envs.load_state_dict(state["torch_env"])


def adapt(envs: gym.vector.VectorEnv, device: torch.device) -> EnvAdapter:
    """The adapter for ``envs``: torch-native envs keep tensors on the device."""
    if isinstance(envs, TorchVectorEnv):
        return TorchAdapter(envs, device)
    return GymAdapter(envs, device)
