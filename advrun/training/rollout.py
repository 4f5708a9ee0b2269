"""Collect fixed-length, time-major rollouts from a NEXT_STEP-autoreset vector env.

In NEXT_STEP mode the step that ends an episode returns the final observation; the
next ``step`` on that sub-env ignores its action, resets, and returns a dummy
transition. So, with ``obs[t]`` the observation the policy acted on at row ``t``:

* ``next_values[t] = values[t + 1]`` always (and ``V(obs after the segment)`` for the
  last row). On a truncated step that is V(final observation), exactly the bootstrap
  the estimators need, with no extra forward pass.
* A row whose previous row ended an episode is a dummy reset transition. It is marked
  ``valid = False`` and given ``terminated = done = True`` so it neither bootstraps
  nor lets the recursion of a later row leak into an earlier episode; the trainer
  drops it from the loss.

Observations are stored in the observation space's dtype when it is ``uint8`` (Atari
frames: a quarter of float32's memory; the network casts and scales them) and as
float32 otherwise. With a :class:`~advrun.collect.reward_scale.RewardScaler` the
stored rewards are scaled; episode statistics always sum the raw rewards.

Every observation and reward is checked at this boundary, before the policy, the
observation statistics or the reward scaler see it: NaN/inf raises
:class:`~advrun.training.faults.NonFiniteEnvOutput` (naming the key, the row and the
sub-env), and an exception from the env itself is wrapped in
:class:`~advrun.training.faults.EnvError`, so a broken env is reported as the env's
fault, not as a crash of the learner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch

from advrun.collect.actions import EnvActions
from advrun.collect.reward_scale import RewardScaler
from advrun.envs.snapshot import restore, snapshot
from advrun.networks import ActorCritic
from advrun.training.faults import EnvError, NonFiniteEnvOutput


def buffer_dtype(space: gym.Space) -> np.dtype:
    """uint8 observations stay uint8; everything else is stored as float32."""
    dtype = getattr(space, "dtype", None)
    return np.dtype(np.uint8) if dtype == np.uint8 else np.dtype(np.float32)


def check_env_output(obs: np.ndarray, reward: np.ndarray | None, row: int) -> None:
    """Raise :class:`NonFiniteEnvOutput` for the first NaN/inf in a batch of float
    observations ``[N, ...]`` or rewards ``[N]`` (integer observations cannot hold one).
    Costs one ``isfinite`` pass when everything is fine."""
    if reward is not None and not np.isfinite(reward).all():
        env = int(np.flatnonzero(~np.isfinite(reward))[0])
        raise NonFiniteEnvOutput("reward", float(reward[env]), row, env)
    if obs.dtype.kind == "f" and not np.isfinite(obs).all():
        bad = np.argwhere(~np.isfinite(obs.reshape(obs.shape[0], -1)))[0]
        env, element = int(bad[0]), int(bad[1])
        value = float(obs.reshape(obs.shape[0], -1)[env, element])
        raise NonFiniteEnvOutput(f"observation[{element}]", value, row, env)


def step_envs(envs: gym.vector.VectorEnv, actions: np.ndarray | torch.Tensor) -> tuple:
    """``envs.step`` with the env's own exceptions wrapped in :class:`EnvError`."""
    try:
        return envs.step(actions)
    except Exception as err:
        raise EnvError("stepping", err) from err


def reset_envs(envs: gym.vector.VectorEnv, seed: int | list[int] | None) -> tuple:
    """``envs.reset`` with the env's own exceptions wrapped in :class:`EnvError`."""
    try:
        return envs.reset(seed=seed)
    except Exception as err:
        raise EnvError("resetting", err) from err


@dataclass
class Rollout:
    """A ``[T, N]`` segment; ``obs``/``actions`` carry trailing feature dims."""

    obs: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    next_values: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor
    done: torch.Tensor
    valid: torch.Tensor


@dataclass
class EpisodeStats:
    """Returns and lengths of the episodes that finished during a rollout."""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)


class RolloutCollector:
    """Steps ``envs`` with ``model`` and keeps the env state between rollouts."""

    def __init__(
        self,
        envs: gym.vector.VectorEnv,
        device: torch.device,
        seed: int | None,
        reward_scaler: RewardScaler | None = None,
    ) -> None:
        self.envs = envs
        self.reward_scaler = reward_scaler
        self.obs_dtype = buffer_dtype(envs.single_observation_space)
        self.device = device
        self.num_envs = envs.num_envs
        self.to_env_action = EnvActions(envs, device, native=False)
        obs, _ = reset_envs(envs, seed)
        self.next_obs = np.asarray(obs, dtype=self.obs_dtype)
        check_env_output(self.next_obs, None, 0)
        # True where the previous step ended an episode: the next step is a dummy reset.
        self.autoreset = np.zeros(self.num_envs, dtype=bool)
        self.ep_return = np.zeros(self.num_envs, dtype=np.float64)
        self.ep_length = np.zeros(self.num_envs, dtype=np.int64)

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically: the pending observation, the
        autoreset flags, the running episode sums and the envs' own state (None when the
        env cannot be snapshotted) and the reward scaler's accumulators."""
        state = {
            "next_obs": torch.from_numpy(self.next_obs.copy()),
            "autoreset": torch.from_numpy(self.autoreset.copy()),
            "ep_return": torch.from_numpy(self.ep_return.copy()),
            "ep_length": torch.from_numpy(self.ep_length.copy()),
            "envs": snapshot(self.envs),
        }
        if self.reward_scaler is not None:
            state["reward_scaler"] = self.reward_scaler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> bool:
        """Restore :meth:`state_dict`; returns False when the env state was not saved
        (the envs then keep their fresh reset and the episode counters restart)."""
        if state.get("envs") is None:
            return False
        restore(self.envs, state["envs"])
        self.next_obs = state["next_obs"].numpy().copy()
        self.autoreset = state["autoreset"].numpy().copy()
        self.ep_return = state["ep_return"].numpy().copy()
        self.ep_length = state["ep_length"].numpy().copy()
        if self.reward_scaler is not None and "reward_scaler" in state:
            self.reward_scaler.load_state_dict(state["reward_scaler"])
        return True

    @torch.no_grad()
    def collect(self, model: ActorCritic, steps: int) -> tuple[Rollout, EpisodeStats]:
        n = self.num_envs
        obs_buf = np.empty((steps, n, *self.next_obs.shape[1:]), dtype=self.obs_dtype)
        rewards = np.empty((steps, n), dtype=np.float32)
        terminated = np.empty((steps, n), dtype=bool)
        done = np.empty((steps, n), dtype=bool)
        valid = np.empty((steps, n), dtype=bool)
        actions, log_probs, values = [], [], []
        stats = EpisodeStats()

        for t in range(steps):
            obs_buf[t] = self.next_obs
            obs_t = torch.from_numpy(obs_buf[t]).to(self.device, non_blocking=True)
            action, log_prob, value = model.act(obs_t)
            actions.append(action)
            log_probs.append(log_prob)
            values.append(value)

            obs, reward, term, trunc, _ = step_envs(self.envs, self.to_env_action(action))
            obs = np.asarray(obs, dtype=self.obs_dtype)
            if obs.shape != self.next_obs.shape:
                raise EnvError(
                    "stepping",
                    ValueError(
                        f"observations of shape {obs.shape[1:]} where the observation space "
                        f"says {self.next_obs.shape[1:]}"
                    ),
                )
            check_env_output(obs, np.asarray(reward), t)
            is_dummy = self.autoreset
            valid[t] = ~is_dummy
            ended = np.logical_or(term, trunc)
            if self.reward_scaler is None:
                rewards[t] = reward
            else:
                rewards[t] = self.reward_scaler(
                    torch.from_numpy(np.asarray(reward, dtype=np.float64)),
                    torch.from_numpy(ended),
                    torch.from_numpy(~is_dummy),
                ).numpy()
            terminated[t] = np.logical_or(term, is_dummy)
            done[t] = np.logical_or(ended, is_dummy)

            self.ep_return += np.where(is_dummy, 0.0, reward)
            self.ep_length += ~is_dummy
            if ended.any():
                idx = np.flatnonzero(ended)
                stats.returns.extend(self.ep_return[idx].tolist())
                stats.lengths.extend(self.ep_length[idx].tolist())
                self.ep_return[idx] = 0.0
                self.ep_length[idx] = 0
            self.autoreset = ended
            self.next_obs = obs

        last_value = model.value(torch.from_numpy(self.next_obs).to(self.device))
        values_t = torch.stack(values)
        dev = self.device
        rollout = Rollout(
            obs=torch.from_numpy(obs_buf).to(dev),
            actions=torch.stack(actions),
            log_probs=torch.stack(log_probs),
            values=values_t,
            next_values=torch.cat([values_t[1:], last_value.unsqueeze(0)]),
            rewards=torch.from_numpy(rewards).to(dev),
            terminated=torch.from_numpy(terminated).to(dev),
            done=torch.from_numpy(done).to(dev),
            valid=torch.from_numpy(valid).to(dev),
        )
        return rollout, stats
