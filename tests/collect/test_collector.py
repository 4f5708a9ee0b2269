"""The rollout collector on a hand-checkable env, in NEXT_STEP autoreset mode.

CountEnv: obs = [k] after k steps, reward = k (the new count), terminates at
``terminate_at`` (if set); truncation comes from gymnasium's TimeLimit.
The stub policy's value is ``10 * obs``, so every value is predictable; ``values`` and
``next_values`` are derived from the rollout as the on-policy algorithms do.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from advrun.algos.on_policy import to_batch
from advrun.collect.adapters import adapt
from advrun.collect.collector import Collector, Rollout
from advrun.envs import make_vec_env


class CountEnv(gym.Env):
    observation_space = gym.spaces.Box(-1e6, 1e6, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, terminate_at: int | None = None) -> None:
        self.terminate_at = terminate_at
        self.k = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.k = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        self.k += 1
        terminated = self.terminate_at is not None and self.k >= self.terminate_at
        return np.array([self.k], np.float32), float(self.k), terminated, False, {}


gym.register("advrun-test/Count-v0", entry_point=CountEnv)


class StubPolicy:
    """V(s) = 10 * obs; always action 0 with log-prob 0."""

    def __call__(self, obs):
        n = obs.shape[0]
        return torch.zeros(n, dtype=torch.long), {
            "log_probs": torch.zeros(n),
            "values": 10.0 * obs[:, 0],
        }


class View:
    """A rollout with ``values`` and ``next_values`` as the on-policy algorithms derive
    them: the next row's value, V(obs after the segment) for the last row."""

    def __init__(self, r: Rollout) -> None:
        self.r = r
        self.values = r.extras["values"]
        last = 10.0 * r.next_obs[:, 0]
        self.next_values = torch.cat([self.values[1:], last.unsqueeze(0)])

    def __getattr__(self, name):
        return getattr(self.r, name)


def collect(steps: int, **kwargs):
    envs = make_vec_env("advrun-test/Count-v0", 1, vectorization="sync", **kwargs)
    collector = Collector(adapt(envs, torch.device("cpu")), torch.device("cpu"), seed=0)
    r = collector.collect(StubPolicy(), steps)
    return collector, View(r), r.episodes


def col(x: torch.Tensor) -> list:
    return x[:, 0].tolist()


def test_truncation_rows_bootstrap_from_the_final_observation() -> None:
    _, r, stats = collect(8, max_episode_steps=3)
    # rows: obs 0,1,2 (truncated at row 2), row 3 is the dummy reset step acting on
    # the final obs [3]; then a new episode 0,1,2, then obs 3 again at row 7.
    assert col(r.obs[..., 0]) == [0, 1, 2, 3, 0, 1, 2, 3]
    assert col(r.rewards) == [1, 2, 3, 0, 1, 2, 3, 0]
    assert col(r.valid) == [True, True, True, False, True, True, True, False]
    assert col(r.done) == [False, False, True, True, False, False, True, True]
    # truncation is not termination; the dummy row is marked terminated so it never
    # bootstraps and never leaks into the previous episode's recursion
    assert col(r.terminated) == [False, False, False, True, False, False, False, True]
    assert col(r.values) == [0, 10, 20, 30, 0, 10, 20, 30]
    # next_values[2] = V(final obs [3]) = 30: the truncation bootstrap
    assert col(r.next_values) == [10, 20, 30, 0, 10, 20, 30, 0]
    assert stats.returns == [6.0, 6.0]
    assert stats.lengths == [3, 3]


def test_termination_rows_are_terminated() -> None:
    _, r, stats = collect(6, kwargs={"terminate_at": 2})
    assert col(r.obs[..., 0]) == [0, 1, 2, 0, 1, 2]
    assert col(r.valid) == [True, True, False, True, True, False]
    assert col(r.terminated) == [False, True, True, False, True, True]
    assert col(r.done) == [False, True, True, False, True, True]
    assert stats.returns == [3.0, 3.0]


def test_state_carries_across_rollouts_and_segment_end_bootstraps() -> None:
    collector, first, _ = collect(2, max_episode_steps=3)
    # segment ends mid-episode: next_values[-1] = V(obs after the segment) = 20
    assert col(first.next_values) == [10, 20]
    second = collector.collect(StubPolicy(), 3)
    stats = second.episodes
    assert col(second.obs[..., 0]) == [2, 3, 0]
    assert col(second.valid) == [True, False, True]
    assert stats.returns == [6.0]  # the episode spanning both segments


def test_to_batch_drops_dummy_rows() -> None:
    _, r, _ = collect(8, max_episode_steps=3)
    adv = torch.arange(8.0).unsqueeze(1)
    batch = to_batch(r.r, r.valid, adv, adv + 100)
    assert batch.obs[:, 0].tolist() == [0, 1, 2, 0, 1, 2]
    assert batch.advantages.tolist() == [0, 1, 2, 4, 5, 6]
    assert batch.returns.tolist() == [100, 101, 102, 104, 105, 106]


@pytest.mark.parametrize("vectorization", ["native", "sync"])
def test_cartpole_dummy_rows_carry_no_reward(vectorization: str) -> None:
    envs = make_vec_env("CartPole-v1", 4, vectorization=vectorization, max_episode_steps=10)
    collector = Collector(adapt(envs, torch.device("cpu")), torch.device("cpu"), seed=3)

    def random_policy(obs):
        return torch.randint(0, 2, (obs.shape[0],)), {}

    r = collector.collect(random_policy, 40)
    stats = r.episodes
    assert (~r.valid).sum() > 0
    assert torch.all(r.rewards[~r.valid] == 0)
    assert torch.all(r.rewards[r.valid] == 1)
    # every valid row before a done was counted in an episode length
    assert sum(stats.lengths) == int(r.valid.sum()) - int(
        (r.valid & ~r.done).flip(0).cumprod(0).sum()  # the unfinished tails
    )
    envs.close()


def test_finished_episode_sums_match_a_step_by_step_count() -> None:
    """The block-wise episode statistics equal a plain per-step accumulation, across
    rollouts (the carry) and with episodes of every length."""
    envs = make_vec_env("CartPole-v1", 6, vectorization="sync", max_episode_steps=13)
    collector = Collector(adapt(envs, torch.device("cpu")), torch.device("cpu"), seed=5)
    gen = torch.Generator().manual_seed(0)

    def policy(obs):
        return torch.randint(0, 2, (obs.shape[0],), generator=gen), {}

    ep_r, ep_l = [0.0] * 6, [0] * 6
    for _ in range(4):
        r = collector.collect(policy, 17)
        expected_r, expected_l = [], []
        for t in range(r.valid.shape[0]):
            for e in range(6):
                if r.valid[t, e]:
                    ep_r[e] += float(r.rewards[t, e])
                    ep_l[e] += 1
                if r.done[t, e] and r.valid[t, e]:
                    expected_r.append(ep_r[e])
                    expected_l.append(ep_l[e])
                    ep_r[e], ep_l[e] = 0.0, 0
        assert r.episodes.returns == expected_r
        assert r.episodes.lengths == expected_l
    envs.close()


def test_starts_mark_the_first_observation_of_each_episode() -> None:
    # Truncated every 3 steps: obs 0,1,2 | dummy on final obs 3 | 0,1,2 | dummy 3. The
    # episodes start at rows 0 and 4 (reset observations), not at the dummy rows.
    collector, r, _ = collect(8, max_episode_steps=3)
    assert col(r.starts) == [True, False, False, False, True, False, False, False]
    # After the last (dummy) row the env has reset: next_obs starts an episode.
    assert r.next_starts.tolist() == [True] and collector.starts.tolist() == [True]
    # Carried across rollouts and through a checkpoint, and reset by restart().
    r2 = collector.collect(StubPolicy(), 2)
    assert col(r2.starts) == [True, False]
    state = collector.state_dict()
    assert state["starts"].tolist() == [False]
    collector.restart([0])
    assert collector.starts.tolist() == [True]
    collector.load_state_dict(state)
    assert collector.starts.tolist() == [False]
