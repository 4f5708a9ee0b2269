"""Collect fixed-length, time-major rollouts from a NEXT_STEP-autoreset vector env.

One collector for every backend and every algorithm: the env sits behind an
:class:`~advrun.collect.adapters.EnvAdapter` (numpy or torch at the edge), and the
algorithm passes a *policy*: ``obs [N, ...] -> (actions, extras)``, where ``extras``
holds whatever the algorithm wants recorded per row (PPO: log-probabilities and values;
DQN: nothing).

In NEXT_STEP mode the step that ends an episode returns the final observation; the
next ``step`` on that sub-env ignores its action, resets, and returns a dummy
transition. So, with ``obs[t]`` the observation the policy acted on at row ``t``:

* the observation after row ``t`` is ``obs[t + 1]`` (``next_obs`` after the last row).
  On a truncated step that is the final observation, exactly what a bootstrap needs,
  with no extra forward pass.
* A row whose previous row ended an episode is a dummy reset transition. It is marked
  ``valid = False`` and given ``terminated = done = True`` so it neither bootstraps
  nor lets the recursion of a later row leak into an earlier episode; the algorithms
  drop it from their losses.

The step loop only stores what the env returns; the flags and the finished episodes'
returns and lengths are derived after it for the whole ``[T, N]`` block (a few tensor
ops per rollout instead of per step, and no per-step host synchronisation on a GPU).
With a :class:`~advrun.collect.reward_scale.RewardScaler` the stored rewards are scaled;
episode statistics always sum the raw rewards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from advrun.collect.adapters import EnvAdapter
from advrun.collect.reward_scale import RewardScaler
from advrun.training.faults import NonFiniteEnvOutput

Policy = Callable[[Tensor], tuple[Tensor, dict[str, Tensor]]]
"""``obs [N, ...] -> (actions [N, ...], extras {name: [N, ...]})``, called under no_grad."""


@dataclass
class EpisodeStats:
    """Returns and lengths of the episodes that finished during a rollout, in the
    order they finished (row by row, env by env)."""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)


@dataclass
class Rollout:
    """A ``[T, N]`` segment on the learner's device; ``obs``/``actions`` carry trailing
    feature dims. ``next_obs [N, ...]`` is the observation after the last row."""

    obs: Tensor
    next_obs: Tensor
    actions: Tensor
    rewards: Tensor
    terminated: Tensor
    done: Tensor
    valid: Tensor
    extras: dict[str, Tensor]
    episodes: EpisodeStats
    # [T, N] True where obs[t] is the first observation of an episode, and the same for
    # next_obs (recurrent policies zero their state there).
    starts: Tensor | None = None
    next_starts: Tensor | None = None
    # A recurrent policy's state before row 0 (set by the algorithm that collected it).
    state0: Tensor | None = None

    @property
    def steps(self) -> int:
        """Env steps this rollout took (rows x envs, dummy rows included)."""
        return int(self.valid.numel())


def finished_episodes(
    rewards: Tensor, ended: Tensor, valid: Tensor, carry_return: Tensor, carry_length: Tensor
) -> tuple[EpisodeStats, Tensor, Tensor]:
    """Returns/lengths of the episodes ending in a ``[T, N]`` block, and the running
    sums carried into the next block.

    ``carry_*`` are each env's return and length so far when the block starts. With
    ``S[t]`` the running sum of valid rewards over the block (starting from the carry),
    an episode ending at row ``t`` has return ``S[t] - S[p]``, ``p`` the last row before
    ``t`` that ended an episode in the same env (``S[p] = 0``-equivalent when there is
    none: the carry is part of ``S``). Everything is vectorised over ``[T, N]``."""
    t_len, n = ended.shape
    r = torch.where(valid, rewards, 0.0)
    cum_r = torch.cumsum(r, 0) + carry_return
    cum_l = torch.cumsum(valid.long(), 0) + carry_length
    rows = torch.arange(t_len, device=ended.device).unsqueeze(1).expand(t_len, n)
    last_end = torch.cummax(torch.where(ended, rows, -1), 0).values
    prev_end = torch.cat([torch.full((1, n), -1, device=ended.device), last_end[:-1]])
    has_prev = prev_end >= 0
    idx = prev_end.clamp(min=0)
    base_r = torch.where(has_prev, cum_r.gather(0, idx), 0.0)
    base_l = torch.where(has_prev, cum_l.gather(0, idx), 0)
    ep_r, ep_l = cum_r - base_r, cum_l - base_l
    # Carry: the sums since the last end (or the whole block plus the old carry).
    ended_any = last_end[-1] >= 0
    last = last_end[-1].clamp(min=0).unsqueeze(0)
    new_r = torch.where(ended_any, cum_r[-1] - cum_r.gather(0, last)[0], cum_r[-1])
    new_l = torch.where(ended_any, cum_l[-1] - cum_l.gather(0, last)[0], cum_l[-1])
    stats = EpisodeStats(returns=ep_r[ended].tolist(), lengths=ep_l[ended].tolist())
    return stats, new_r, new_l


class Collector:
    """Steps an env adapter with a policy and keeps the env state between rollouts."""

    def __init__(
        self,
        env: EnvAdapter,
        device: torch.device,
        seed: int | None,
        reward_scaler: RewardScaler | None = None,
    ) -> None:
        self.env = env
        self.device = torch.device(device)
        self.reward_scaler = reward_scaler
        self.num_envs = env.num_envs
        self.next_obs = env.reset(seed)
        data = env.data_device
        # True where the previous step ended an episode: the next step is a dummy reset.
        self.autoreset = torch.zeros(self.num_envs, dtype=torch.bool, device=data)
        # True where next_obs is the first observation of an episode (after a reset, or
        # one row after the NEXT_STEP dummy row). On the learner's device: recurrent
        # policies read it before each step to zero their state.
        self.starts = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        self.ep_return = torch.zeros(self.num_envs, dtype=torch.float64, device=data)
        self.ep_length = torch.zeros(self.num_envs, dtype=torch.int64, device=data)

    def restart(self, seeds: list[int]) -> None:
        """Reset every env now, env ``i`` with ``seeds[i]`` (equal seeds give equal start
        states); episodes in progress are dropped from the statistics."""
        self.next_obs = self.env.reset(seeds)
        self.autoreset = torch.zeros_like(self.autoreset)
        self.starts = torch.ones_like(self.starts)
        self.ep_return = torch.zeros_like(self.ep_return)
        self.ep_length = torch.zeros_like(self.ep_length)
        if self.reward_scaler is not None:
            self.reward_scaler.returns.zero_()

    @torch.no_grad()
    def collect(self, policy: Policy, steps: int, until_all_done: bool = False) -> Rollout:
        """``steps`` rows; with ``until_all_done``, fewer once every env has ended an
        episode (one host sync per row: for group rollouts, where the rest of the rows
        would be thrown away)."""
        rollout = self.start(steps, until_all_done)
        while not rollout.full:
            rollout.step(*policy(rollout.observation()))
        return rollout.finish()

    def start(self, steps: int, until_all_done: bool = False) -> RolloutBuilder:
        """A rollout filled one row at a time (what :meth:`collect` runs; the batch of
        seeds in :mod:`advrun.seeds` calls one policy for many collectors per row)."""
        return RolloutBuilder(self, steps, until_all_done)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-identically: the pending observation, the
        autoreset flags, the running episode sums, the envs' own state (None when the
        env cannot be snapshotted) and the reward scaler's accumulators."""
        state: dict[str, Any] = {
            "next_obs": self.next_obs.cpu().clone(),
            "autoreset": self.autoreset.cpu().clone(),
            "starts": self.starts.cpu().clone(),
            "ep_return": self.ep_return.cpu().clone(),
            "ep_length": self.ep_length.cpu().clone(),
            "envs": self.env.state_dict(),
        }
        if self.reward_scaler is not None:
            state["reward_scaler"] = self.reward_scaler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> bool:
        """Restore :meth:`state_dict`; returns False when the env state was not saved
        (the envs then keep their fresh reset and the episode counters restart)."""
        if state.get("envs") is None:
            return False
        self.env.load_state_dict(state["envs"])
        data = self.env.data_device
        self.next_obs = state["next_obs"].to(self.device)
        self.autoreset = state["autoreset"].to(data)
        if "starts" in state:  # checkpoints before recurrent policies: a fresh start
            self.starts = state["starts"].to(self.device)
        self.ep_return = state["ep_return"].to(data, torch.float64)
        self.ep_length = state["ep_length"].to(data)
        if self.reward_scaler is not None and "reward_scaler" in state:
            self.reward_scaler.load_state_dict(state["reward_scaler"])
        return True


class RolloutBuilder:
    """One rollout of a :class:`Collector`, a row at a time: :meth:`observation` gives
    the row's observation, :meth:`step` takes the policy's action (and what it recorded)
    and steps the envs, :meth:`finish` returns the :class:`Rollout` once :attr:`full`."""

    def __init__(self, collector: Collector, steps: int, until_all_done: bool) -> None:
        c = self.collector = collector
        n, dev, data = c.num_envs, c.device, c.env.data_device
        self.steps = steps
        self.t = 0
        self.full = False
        self.obs_buf = torch.empty((steps, *c.next_obs.shape), dtype=c.next_obs.dtype, device=dev)
        self.raw = torch.empty((steps, n), dtype=torch.float64, device=data)
        self.term = torch.empty((steps, n), dtype=torch.bool, device=data)
        self.trunc = torch.empty((steps, n), dtype=torch.bool, device=data)
        self.scaled = torch.empty((steps, n), device=data) if c.reward_scaler else None
        self.actions: list[Tensor] = []
        self.extras: dict[str, list[Tensor]] = {}
        self.autoreset0 = c.autoreset
        self.starts = torch.empty((steps, n), dtype=torch.bool, device=dev)
        self.ended_before = self.autoreset0  # the previous row ended an episode: a dummy row
        self.finished = torch.zeros(n, dtype=torch.bool, device=data) if until_all_done else None

    def observation(self) -> Tensor:
        """This row's observation (the policy's input)."""
        c, t = self.collector, self.t
        self.obs_buf[t] = c.next_obs
        self.starts[t] = c.starts
        return self.obs_buf[t]

    def step(self, action: Tensor, extra: dict[str, Tensor]) -> None:
        """Record the policy's output for this row and step the envs with ``action``."""
        c, t = self.collector, self.t
        self.actions.append(action)
        for key, value in extra.items():
            self.extras.setdefault(key, []).append(value)
        try:
            obs, reward, term_t, trunc_t = c.env.step(action)
        except NonFiniteEnvOutput as err:
            err.row = t
            raise
        self.raw[t], self.term[t], self.trunc[t] = reward, term_t, trunc_t
        # After a dummy row the env has reset: the next observation starts an episode.
        c.starts = self.ended_before.to(c.device, non_blocking=True)
        self.ended_before = term_t | trunc_t
        if self.scaled is not None and c.reward_scaler is not None:
            ended_t = term_t | trunc_t
            self.scaled[t] = c.reward_scaler(reward, ended_t, ~c.autoreset)
            c.autoreset = ended_t
        c.next_obs = obs
        self.t = t + 1
        self.full = self.t == self.steps
        if self.finished is not None:
            self.finished |= term_t | trunc_t
            if bool(self.finished.all()):
                self._cut(self.t)

    def _cut(self, steps: int) -> None:
        self.steps, self.full = steps, True
        self.obs_buf, self.raw, self.term, self.trunc, self.starts = (
            self.obs_buf[:steps],
            self.raw[:steps],
            self.term[:steps],
            self.trunc[:steps],
            self.starts[:steps],
        )
        self.scaled = self.scaled[:steps] if self.scaled is not None else None

    def finish(self) -> Rollout:
        """The rollout (episode statistics and the collector's carried state updated)."""
        c = self.collector
        dev = c.device
        term, trunc, raw = self.term, self.trunc, self.raw
        c.env.check_rollout(self.obs_buf, raw, c.next_obs)
        ended = term | trunc
        dummy = torch.cat([self.autoreset0.unsqueeze(0), ended[:-1]])
        valid = ~dummy
        c.autoreset = ended[-1]
        stats, c.ep_return, c.ep_length = finished_episodes(
            raw, ended, valid, c.ep_return, c.ep_length
        )
        rewards = self.scaled if self.scaled is not None else raw.to(torch.float32)
        return Rollout(
            obs=self.obs_buf,
            next_obs=c.next_obs,
            actions=torch.stack(self.actions),
            rewards=rewards.to(dev),
            terminated=(term | dummy).to(dev),
            done=(ended | dummy).to(dev),
            valid=valid.to(dev),
            extras={k: torch.stack(v) for k, v in self.extras.items()},
            episodes=stats,
            starts=self.starts,
            next_starts=c.starts,
        )
