"""The K agents' training envs as one ``[K * N]`` env for one collector.

:class:`JoinedEnv` is an :class:`~advrun.collect.adapters.EnvAdapter` over the agents'
own adapters (each keeps its own seeded vector env): a step splits the actions into
K slices of N, steps each agent's envs and concatenates what they return (or, where
their kind allows, steps them all in one call with the same outcome:
:class:`~advrun.collect.joint.JointStep`), so a single
:class:`~advrun.collect.collector.RolloutBuilder` stores one ``[T, K * N]`` rollout
with the agents' columns side by side (agent k owns columns ``kN .. kN + N - 1``).
Every per-column computation (the NEXT_STEP flags, the estimators) is then each
agent's own. The collector's carried state is the agents' states concatenated
(:func:`join`), and is written back into each agent's own collector after every round
(:func:`split`), so each member's checkpoint holds its own envs' state.

A fault in one agent's envs (an exception, or a NaN/inf the adapter refuses) is kept
for that agent (:attr:`JoinedEnv.faults`), its columns get zeros for the rest of the
round, and the driver stops that agent alone.
"""

from __future__ import annotations

import time

import torch
from torch import Tensor

from advrun.collect.adapters import EnvAdapter, Step
from advrun.collect.collector import Collector, EpisodeStats, RolloutBuilder, finished_episodes
from advrun.collect.joint import JointStep
from advrun.collect.reward_scale import RewardScaler

__all__ = ["JoinedEnv", "join", "split", "split_episodes"]

# A collector's per-env state carried from one rollout to the next ([N, ...] each).
CARRIED = ("next_obs", "autoreset", "starts", "ep_return", "ep_length")


class JoinedEnv(EnvAdapter):
    """K adapters of ``n`` envs each as one of ``K * n`` (module docstring)."""

    def __init__(self, parts: list[EnvAdapter]) -> None:
        first = parts[0]
        self.parts = parts
        self.n = first.num_envs
        self.num_envs = self.n * len(parts)
        self.device = first.device
        self.data_device = first.data_device
        self.native = first.native
        self.obs_dtype, self.obs_shape = first.obs_dtype, first.obs_shape
        self.max_episode_steps = first.max_episode_steps
        self.faults: dict[int, BaseException] = {}
        self.env_seconds = 0.0  # inside the agents' own env steps (the batch's profile)
        # One step for all the agents' envs where their kind allows it (advrun.collect.joint).
        self.joint = JointStep.build(parts)

    def step(self, actions: Tensor) -> Step:
        if self.joint is not None and not self.faults:
            start = time.perf_counter()
            try:
                (obs, reward, term, trunc), faults = self.joint.step(actions)
            except Exception:  # nothing moved: the agents' own steps say whose it is
                pass
            else:
                self.env_seconds += time.perf_counter() - start
                for k, err in faults.items():
                    self.faults[k] = err  # that agent stops; its columns read zeros
                    cols = slice(k * self.n, (k + 1) * self.n)
                    obs[cols], reward[cols], term[cols], trunc[cols] = 0, 0, False, False
                return obs, reward, term, trunc
        n = self.n
        outs: list[Step] = []
        start = time.perf_counter()
        for k, part in enumerate(self.parts):
            if k not in self.faults:
                try:
                    outs.append(part.step(actions[k * n : (k + 1) * n]))
                    continue
                except Exception as err:  # this agent's alone (module docstring)
                    self.faults[k] = err
            outs.append(self._blank())
        self.env_seconds += time.perf_counter() - start
        return tuple(torch.cat(x) for x in zip(*outs, strict=True))  # type: ignore[return-value]

    def _blank(self) -> Step:
        data, n = self.data_device, self.n
        obs = torch.zeros((n, *self.obs_shape), dtype=self.obs_dtype, device=self.device)
        flag = torch.zeros(n, dtype=torch.bool, device=data)
        return obs, torch.zeros(n, dtype=torch.float64, device=data), flag, flag

    def check_rollout(self, obs: Tensor, rewards: Tensor, next_obs: Tensor) -> None:
        n = self.n
        for k, part in enumerate(self.parts):
            if k in self.faults:
                continue
            cols = slice(k * n, (k + 1) * n)
            try:
                part.check_rollout(obs[:, cols], rewards[:, cols], next_obs[cols])
            except Exception as err:
                self.faults[k] = err

    def close(self) -> None:  # the agents' trainers close their own envs
        pass


class JoinedScaler:
    """The agents' own reward scalers (:class:`~advrun.collect.reward_scale.RewardScaler`:
    a running return per env and one variance per agent) over the joined columns: each
    sees exactly its single run's inputs and keeps its own statistics."""

    def __init__(self, scalers: list[RewardScaler], n: int) -> None:
        self.scalers, self.n = scalers, n

    def __call__(self, reward: Tensor, ended: Tensor, valid: Tensor) -> Tensor:
        n = self.n
        return torch.cat(
            [
                s(
                    reward[k * n : (k + 1) * n],
                    ended[k * n : (k + 1) * n],
                    valid[k * n : (k + 1) * n],
                )
                for k, s in enumerate(self.scalers)
            ]
        )


def join(collectors: list[Collector]) -> Collector:
    """One collector over every agent's envs, continuing from their carried state."""
    joined = Collector.__new__(Collector)
    first = collectors[0]
    joined.env = JoinedEnv([c.env for c in collectors])
    joined.device = first.device
    scalers = [c.reward_scaler for c in collectors]
    joined.reward_scaler = (
        JoinedScaler(scalers, first.num_envs) if all(s is not None for s in scalers) else None  # type: ignore[arg-type]
    )
    joined.num_envs = joined.env.num_envs
    for name in CARRIED:
        setattr(joined, name, torch.cat([getattr(c, name) for c in collectors]))
    return joined


def split(joined: Collector, collectors: list[Collector]) -> None:
    """Write each agent's columns of the carried state back into its own collector."""
    n = collectors[0].num_envs
    for k, c in enumerate(collectors):
        cols = slice(k * n, (k + 1) * n)
        for name in CARRIED:
            setattr(c, name, getattr(joined, name)[cols].clone())


def split_episodes(
    builder: RolloutBuilder, valid: Tensor, carry_return: Tensor, carry_length: Tensor, agents: int
) -> list[EpisodeStats]:
    """Each agent's finished episodes, in its single run's order (row by row, env by
    env): :func:`~advrun.collect.collector.finished_episodes` on its columns of the
    joined rollout (``builder`` after ``finish``; ``valid`` the rollout's), from the
    carried sums the round started with."""
    n = valid.shape[1] // agents
    valid = valid.to(builder.raw.device)
    ended = builder.term | builder.trunc
    out = []
    for k in range(agents):
        cols = slice(k * n, (k + 1) * n)
        stats, _, _ = finished_episodes(
            builder.raw[:, cols],
            ended[:, cols],
            valid[:, cols],
            carry_return[cols],
            carry_length[cols],
        )
        out.append(stats)
    return out
