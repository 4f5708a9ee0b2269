"""The torch-native collector keeps the NEXT_STEP row semantics of the numpy one."""

from __future__ import annotations

import torch

from advrun.collect.adapters import TorchAdapter
from advrun.collect.collector import Collector
from advrun.envs.torch_envs import make_torch_vec_env

CPU = torch.device("cpu")


def stub_policy(obs):
    """Uniform random actions; V(s) = 10 * s[0] so values are checkable."""
    n = obs.shape[0]
    return torch.randint(0, 2, (n,)), {"values": 10.0 * obs[:, 0]}


def _next_values(r):
    values = r.extras["values"]
    return torch.cat([values[1:], (10.0 * r.next_obs[:, 0]).unsqueeze(0)])


def _collect(steps: int = 60, max_steps: int = 7):
    envs = make_torch_vec_env("CartPole-v1", 5, max_episode_steps=max_steps)
    collector = Collector(TorchAdapter(envs, CPU), CPU, seed=0)
    torch.manual_seed(0)
    r = collector.collect(stub_policy, steps)
    return collector, r, r.episodes


def test_rows_follow_next_step_semantics() -> None:
    _, r, stats = _collect()
    dummy = ~r.valid
    assert dummy.any()
    # a dummy row follows exactly the rows that ended an episode
    ended = r.done & r.valid
    assert torch.equal(dummy[1:], ended[:-1])
    assert not dummy[0].any()
    assert torch.all(r.rewards[dummy] == 0) and torch.all(r.rewards[r.valid] == 1)
    assert torch.all(r.terminated[dummy]) and torch.all(r.done[dummy])
    # the bootstrap of a row is the next row's value (V(final obs) after a cut)
    assert torch.equal(_next_values(r)[:-1], r.extras["values"][1:])
    # every finished episode is counted once, with its length
    assert len(stats.returns) == int(ended.sum())
    assert all(0 < n <= 7 for n in stats.lengths)
    assert stats.returns == [float(n) for n in stats.lengths]  # CartPole: 1 per step


def test_truncation_is_not_termination() -> None:
    _, r, _ = _collect(steps=40, max_steps=3)  # random play rarely falls within 3 steps
    cut = r.done & r.valid & ~r.terminated
    assert cut.any()


def test_state_dict_round_trip_continues_identically() -> None:
    collector, _, _ = _collect(steps=10)
    state = collector.state_dict()
    torch.manual_seed(1)
    expected = collector.collect(stub_policy, 20)
    envs = make_torch_vec_env("CartPole-v1", 5, max_episode_steps=7)
    other = Collector(TorchAdapter(envs, CPU), CPU, seed=99)
    assert other.load_state_dict(state)
    torch.manual_seed(1)
    got = other.collect(stub_policy, 20)
    for field in ("obs", "next_obs", "actions", "rewards", "terminated", "done", "valid"):
        assert torch.equal(getattr(expected, field), getattr(got, field)), field
    assert expected.episodes == got.episodes
