"""Play N evaluation episodes in rounds of one episode per sub-env, keeping each
episode's return and length and the reset seed of each round.

The episodes are played by :func:`advrun.training.evaluate.evaluate` (the same code as
the trainer's evaluation); :class:`EpisodeTracker` watches the vector env to measure
episode lengths and drive the progress line. Round ``r`` resets with ``seed + r *
num_envs``, so two policies evaluated with the same ``seed``, env and ``num_envs``
start every episode from the same state (a paired comparison).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from advrun.collect.adapters import GymAdapter
from advrun.evaluation.progress import EvalProgress
from advrun.training.evaluate import evaluate, model_policy


@dataclass
class Episodes:
    returns: np.ndarray
    lengths: np.ndarray
    reset_seeds: list[int] = field(default_factory=list)
    num_envs: int = 1


class EpisodeTracker(gym.vector.VectorWrapper):
    """Counts the steps of each sub-env's first episode after a reset."""

    def __init__(self, env: gym.vector.VectorEnv, progress: EvalProgress | None = None):
        super().__init__(env)
        self.progress = progress
        self.done_before = 0  # episodes finished in earlier rounds (for progress)
        self.returns_before: list[float] = []
        self.lengths = np.zeros(env.num_envs, dtype=np.int64)
        self._returns = np.zeros(env.num_envs)
        self._open = np.zeros(env.num_envs, dtype=bool)

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None) -> Any:
        self.lengths[:] = 0
        self._returns[:] = 0.0
        self._open[:] = True
        return self.env.reset(seed=seed, options=options)

    def step(self, actions: Any) -> Any:
        obs, reward, terminated, truncated, info = self.env.step(actions)
        self.lengths += self._open
        self._returns += np.where(self._open, np.asarray(reward, dtype=np.float64), 0.0)
        ended = self._open & np.logical_or(np.asarray(terminated), np.asarray(truncated))
        if ended.any():
            self._open &= ~ended
            if self.progress is not None:
                done = ~self._open
                finished = self.returns_before + self._returns[done].tolist()
                self.progress.update(self.done_before + int(done.sum()), float(np.mean(finished)))
        return obs, reward, terminated, truncated, info


def play_episodes(
    model: torch.nn.Module,
    envs: gym.vector.VectorEnv,
    *,
    episodes: int,
    seed: int,
    device: torch.device,
    deterministic: bool = True,
    progress: EvalProgress | None = None,
) -> Episodes:
    """``episodes`` returns and lengths of ``model`` on ``envs`` (gymnasium vector envs:
    the tracker wraps them, and the torch-native envs' tensors are not handled)."""
    tracker = EpisodeTracker(envs, progress)
    env = GymAdapter(tracker, device)

    returns: list[float] = []
    lengths: list[int] = []
    seeds: list[int] = []
    try:
        while len(returns) < episodes:
            round_seed = seed + len(seeds) * envs.num_envs
            # A fresh policy per round: a recurrent one starts from a zero state.
            policy = model_policy(model, deterministic)
            got = evaluate(policy, env, seed=round_seed, module=model)
            seeds.append(round_seed)
            returns.extend(got.tolist())
            lengths.extend(tracker.lengths.tolist())
            tracker.done_before = len(returns)
            tracker.returns_before = list(returns)
    finally:
        if progress is not None:
            progress.close()
    return Episodes(
        returns=np.asarray(returns[:episodes], dtype=np.float64),
        lengths=np.asarray(lengths[:episodes], dtype=np.int64),
        reset_seeds=seeds,
        num_envs=envs.num_envs,
    )
