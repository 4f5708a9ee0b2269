"""Replay buffer over NEXT_STEP-autoreset rollouts: layout, windows, sampling, checkpoints.

The data comes from a real gymnasium ``SyncVectorEnv`` in NEXT_STEP mode over a counter
env whose observation names itself: ``[env id, episode, step in episode, tick]``, where
``tick`` counts the env's step/reset calls, so the observation stored at absolute row
``a`` has ``tick == a``. Every sampled field can then be checked against the full history.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from advrun.advantages import nstep
from advrun.replay import ReplayBuffer, Window


class CounterEnv(gym.Env):
    """Episodes of ``length`` steps that terminate (or truncate); reward ``10 * tick + id``
    for the step taken at ``tick``; observations as in the module docstring."""

    def __init__(self, env_id: int, length: int, terminates: bool) -> None:
        self.observation_space = gym.spaces.Box(0, 1e6, (4,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(3)
        self.env_id, self.length, self.terminates = env_id, length, terminates
        self.tick, self.episode, self.count = -1, -1, 0

    def _obs(self) -> np.ndarray:
        return np.array([self.env_id, self.episode, self.count, self.tick], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.tick += 1
        self.episode += 1
        self.count = 0
        return self._obs(), {}

    def step(self, action: int):
        reward = 10.0 * self.tick + self.env_id
        self.tick += 1
        self.count += 1
        ended = self.count == self.length
        return self._obs(), reward, ended and self.terminates, ended and not self.terminates, {}


@dataclass
class History:
    obs: list[np.ndarray] = field(default_factory=list)  # one more than the rows: pending
    actions: list[np.ndarray] = field(default_factory=list)
    rewards: list[np.ndarray] = field(default_factory=list)
    terminated: list[np.ndarray] = field(default_factory=list)
    done: list[np.ndarray] = field(default_factory=list)
    valid: list[np.ndarray] = field(default_factory=list)

    def array(self, name: str) -> torch.Tensor:
        return torch.from_numpy(np.stack(getattr(self, name)))


class Collector:
    """The NEXT_STEP bookkeeping of ``advrun.training.rollout`` with random actions."""

    def __init__(self, lengths: list[int], terminates: list[bool], seed: int = 0) -> None:
        fns = [(lambda i=i: CounterEnv(i, lengths[i], terminates[i])) for i in range(len(lengths))]
        self.envs = SyncVectorEnv(fns, autoreset_mode=AutoresetMode.NEXT_STEP)
        obs, _ = self.envs.reset(seed=seed)
        self.rng = np.random.default_rng(seed)
        self.autoreset = np.zeros(len(lengths), dtype=bool)
        self.history = History(obs=[obs])

    def collect(self, steps: int) -> dict[str, np.ndarray]:
        h, start = self.history, len(self.history.actions)
        for _ in range(steps):
            action = self.rng.integers(0, 3, size=len(self.autoreset))
            obs, reward, term, trunc, _ = self.envs.step(action)
            ended = term | trunc
            h.actions.append(action)
            h.rewards.append(reward.astype(np.float32))
            h.terminated.append(term | self.autoreset)
            h.done.append(ended | self.autoreset)
            h.valid.append(~self.autoreset)
            h.obs.append(obs)
            self.autoreset = ended
        rows = slice(start, start + steps)
        out = {name: np.stack(getattr(h, name)[rows]) for name in ("actions", "rewards")}
        out |= {name: np.stack(getattr(h, name)[rows]) for name in ("terminated", "done")}
        out["valid"] = np.stack(h.valid[rows])
        out["obs"] = np.stack(h.obs[rows])
        out["next_obs"] = h.obs[-1]
        return out


LENGTHS, TERMINATES = [3, 4, 2], [True, False, True]


def filled(capacity: int, chunks: list[int], seed: int = 0) -> tuple[ReplayBuffer, Collector]:
    col = Collector(LENGTHS, TERMINATES, seed)
    buf = ReplayBuffer(capacity, len(LENGTHS), (4,), np.float32)
    for steps in chunks:
        buf.add(**col.collect(steps))
    return buf, col


def check_window(w: Window, buf: ReplayBuffer, col: Collector, n: int) -> None:
    """Every field of every sampled window against the history."""
    h = col.history
    rows, envs = w.obs[:, 3].long(), w.obs[:, 0].long()
    assert torch.equal(envs, w.envs)
    oldest = buf.added - buf.stored_rows
    assert (rows >= oldest).all() and (rows + n - 1 <= buf.added - 1).all()
    assert h.array("valid")[rows, envs].all()
    assert buf.valid.view(-1)[w.index].all() and torch.equal(w.index % 3, w.envs)
    torch.testing.assert_close(w.actions, h.array("actions")[rows, envs])
    for k in range(n):
        for name in ("rewards", "terminated", "done"):
            assert torch.equal(getattr(w, name)[k], h.array(name)[rows + k, envs]), name
        assert torch.equal(w.next_obs[k], h.array("obs")[rows + k + 1, envs])


def test_storage_dtypes_and_nbytes() -> None:
    buf = ReplayBuffer(8, 2, (3,), np.uint8)
    assert buf.rows == 4 and buf.obs.dtype == torch.uint8
    # obs (4 + 1) * 2 * 3 = 30 bytes; actions 4*2*8 = 64; rewards 4*2*4 = 32;
    # terminated, done, valid 8 each: 30 + 64 + 32 + 24 = 150.
    assert buf.nbytes == 150
    assert ReplayBuffer(8, 2, (3,), np.float64).obs.dtype == torch.float32
    assert ReplayBuffer(8, 2, (3,), torch.uint8).obs.dtype == torch.uint8
    frames = torch.randint(0, 256, (3, 2, 3), dtype=torch.uint8)  # 2 rows + the next obs
    zeros = torch.zeros(2, 2)
    valid = torch.ones(2, 2, dtype=torch.bool)
    buf.add(frames[:2], zeros, zeros, zeros, zeros, valid, next_obs=frames[2])
    assert torch.equal(buf.obs[:3], frames)  # stored as is, no float round trip
    w = buf.sample(5, 2, torch.Generator().manual_seed(0))
    assert w.obs.dtype == w.next_obs.dtype == torch.uint8
    assert torch.equal(w.obs, frames[0, w.envs]) and torch.equal(w.next_obs[1], frames[2, w.envs])


@pytest.mark.parametrize("chunks", [[1] * 23, [5, 9, 2, 7], [23], [4, 13, 6]])
def test_wrap_around_keeps_the_newest_rows(chunks: list[int]) -> None:
    buf, col = filled(3 * 7, chunks)  # 7 rows of 3 envs, 23 rows added
    assert buf.added == 23 and buf.stored_rows == 7
    # The stored rows are absolute 16..22, each in slot a % 7 (obs in a % 8).
    for a in range(16, 23):
        assert torch.equal(buf.obs[a % 8][:, 3], torch.full((3,), float(a)))
        assert torch.equal(buf.actions[a % 7], torch.from_numpy(col.history.actions[a]))
    assert torch.equal(buf.obs[23 % 8][:, 3], torch.full((3,), 23.0))  # the pending obs
    assert len(buf) == int(col.history.array("valid")[16:23].sum())


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_windows_match_history(n: int) -> None:
    buf, col = filled(3 * 9, [4, 7, 11, 3])  # wrapped: 25 rows added, 9 stored
    gen = torch.Generator().manual_seed(n)
    for _ in range(20):
        w = buf.sample(64, n, gen)
        assert w.rewards.shape == w.terminated.shape == w.done.shape == (n, 64)
        assert w.obs.shape == (64, 4) and w.next_obs.shape == (n, 64, 4)
        check_window(w, buf, col, n)


def test_every_eligible_start_is_reached_and_no_other() -> None:
    buf, col = filled(3 * 9, [25])
    n = 3
    h_valid = col.history.array("valid")
    eligible = {(a, e) for a in range(16, 25 - n + 1) for e in range(3) if h_valid[a, e]}
    w = buf.sample(4000, n, torch.Generator().manual_seed(0))
    seen = set(zip(w.obs[:, 3].long().tolist(), w.envs.tolist(), strict=True))
    assert seen == eligible
    assert buf.num_sampleable(n) == len(eligible)


def test_next_obs_of_an_episode_end_is_its_final_observation() -> None:
    buf, _ = filled(3 * 10, [10])
    w = buf.sample(2000, 1, torch.Generator().manual_seed(0))
    ended = w.done[0]
    assert ended.any() and (~ended).any()
    lengths = torch.tensor(LENGTHS, dtype=torch.float32)[w.envs[ended]]
    # the final observation: same episode, step count == episode length (not a reset obs)
    assert torch.equal(w.next_obs[0, ended, 2], lengths)
    assert torch.equal(w.next_obs[0, ended, 1], w.obs[ended, 1])
    # env 1 truncates (no termination flag), envs 0 and 2 terminate.
    assert torch.equal(w.terminated[0, ended], w.envs[ended] != 1)


def test_nstep_window_across_an_episode_end() -> None:
    buf, _ = filled(3 * 10, [10])
    # Env 0 (length 3, terminates): row 0 reset, rows 0,1,2 play, row 2 terminates, row 3
    # is the dummy. The window from row 1 with n=3: rewards 10*1+0, 10*2+0, dummy 0.
    w = buf.sample(3000, 3, torch.Generator().manual_seed(0))
    pick = ((w.obs[:, 3] == 1) & (w.envs == 0)).nonzero()[0, 0]
    torch.testing.assert_close(w.rewards[:, pick], torch.tensor([10.0, 20.0, 0.0]))
    assert w.done[:, pick].tolist() == [False, True, True]
    assert w.terminated[:, pick].tolist() == [False, True, True]
    # With gamma 0.5, V = 0 and next values 100 everywhere, the n-step estimator stops at
    # the termination: G = 10 + 0.5 * 20 = 20 (no bootstrap).
    zeros = torch.zeros(3, 1)
    next_values = torch.full((3, 1), 100.0)
    sl = slice(pick, pick + 1)
    _, returns = nstep(
        w.rewards[:, sl], zeros, next_values, w.terminated[:, sl], w.done[:, sl], gamma=0.5, n=3
    )
    assert returns[0, 0].item() == 20.0
    # Env 1 (length 4, truncates): rows 0..3 play, row 3 truncates. From row 2:
    # rewards 10*2+1 = 21, 10*3+1 = 31, then the dummy; truncation bootstraps from
    # V(final obs) = 100: G = 21 + 0.5 * 31 + 0.25 * 100 = 61.5.
    pick = ((w.obs[:, 3] == 2) & (w.envs == 1)).nonzero()[0, 0]
    sl = slice(pick, pick + 1)
    assert w.done[:, pick].tolist() == [False, True, True]
    assert w.terminated[:, pick].tolist() == [False, False, True]
    assert w.next_obs[1, pick, 2].item() == 4.0  # the final observation of the episode
    _, returns = nstep(
        w.rewards[:, sl], zeros, next_values, w.terminated[:, sl], w.done[:, sl], gamma=0.5, n=3
    )
    assert returns[0, 0].item() == 61.5


def test_state_dict_round_trip_is_bit_identical() -> None:
    buf, col = filled(3 * 6, [4, 9])  # wrapped
    state = io.BytesIO()
    torch.save(buf.state_dict(), state)
    state.seek(0)
    other = ReplayBuffer(3 * 6, 3, (4,), np.float32)
    other.load_state_dict(torch.load(state, weights_only=True))
    assert len(other) == len(buf) and other.added == buf.added
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    for _ in range(3):
        a, b = buf.sample(32, 2, g1), other.sample(32, 2, g2)
        for name in Window.__dataclass_fields__:
            assert torch.equal(getattr(a, name), getattr(b, name)), name
        chunk = col.collect(5)  # keep going after the resume, wrapping again
        buf.add(**chunk)
        other.add(**chunk)
    for name, tensor in buf._fields().items():
        assert torch.equal(tensor, getattr(other, name)), name


def test_state_dict_of_a_partly_filled_buffer_is_compact() -> None:
    buf, _ = filled(3 * 100, [5])
    state = buf.state_dict()
    assert state["obs"].shape == (6, 3, 4) and state["rewards"].shape == (5, 3)
    with pytest.raises(ValueError, match="does not fit"):
        ReplayBuffer(3 * 50, 3, (4,), np.float32).load_state_dict(state)


def _chi_square_bound(df: int, z: float = 3.09) -> float:
    """The ~0.999 quantile of chi-square(df), Wilson-Hilferty approximation."""
    c = 2.0 / (9.0 * df)
    return df * (1.0 - c + z * math.sqrt(c)) ** 3


@pytest.mark.parametrize(
    ("lengths", "terminates", "capacity", "n"),
    [
        (LENGTHS, TERMINATES, 3 * 8, 2),  # a few dummy rows
        ([1, 1, 1], [True] * 3, 3 * 8, 3),  # one-step episodes: every other row a dummy
    ],
)
def test_sampling_is_uniform(
    lengths: list[int], terminates: list[bool], capacity: int, n: int
) -> None:
    col = Collector(lengths, terminates)
    buf = ReplayBuffer(capacity, 3, (4,), np.float32)
    buf.add(**col.collect(20))
    draws = 30_000
    w = buf.sample(draws, n, torch.Generator().manual_seed(0))
    keys = (w.obs[:, 3].long() * 3 + w.envs).tolist()
    counts = np.bincount(keys, minlength=3 * 20)
    valid = col.history.array("valid").numpy()
    eligible = [a * 3 + e for a in range(12, 20 - n + 1) for e in range(3) if valid[a, e]]
    assert counts.sum() == counts[eligible].sum() == draws  # nothing outside
    expected = draws / len(eligible)
    chi2 = float(((counts[eligible] - expected) ** 2 / expected).sum())
    assert chi2 < _chi_square_bound(len(eligible) - 1)


def test_sampling_uniform_when_few_starts_are_eligible() -> None:
    # One env, all rows invalid but two: below the 25% acceptance threshold the buffer
    # lists the eligible starts instead of rejection sampling.
    buf = ReplayBuffer(10, 1, (1,), np.float32)
    valid = torch.zeros(10, 1, dtype=torch.bool)
    valid[[2, 7]] = True
    obs = torch.arange(10.0).reshape(10, 1, 1)
    zeros = torch.zeros(10, 1)
    buf.add(obs, zeros, zeros, zeros, zeros, valid, torch.tensor([[10.0]]))
    assert buf.num_sampleable(1) == 2 and buf.num_sampleable(4) == 1  # row 7 + 3 > 9
    w = buf.sample(20_000, 1, torch.Generator().manual_seed(0))
    frac = (w.obs[:, 0] == 7).float().mean().item()
    assert set(w.obs[:, 0].tolist()) == {2.0, 7.0}
    assert abs(frac - 0.5) < 0.02  # standard error sqrt(.25 / 2e4) ~ 0.0035
    assert torch.equal(buf.sample(50, 4, torch.Generator()).obs[:, 0], torch.full((50,), 2.0))


def test_sampling_is_reproducible() -> None:
    buf, _ = filled(3 * 9, [14])
    a = buf.sample(64, 3, torch.Generator().manual_seed(5))
    b = buf.sample(64, 3, torch.Generator().manual_seed(5))
    assert torch.equal(a.obs, b.obs) and torch.equal(a.next_obs, b.next_obs)


def test_errors() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        ReplayBuffer(2, 3, (4,), np.float32)
    buf, col = filled(3 * 9, [2])
    with pytest.raises(ValueError, match="no valid 3-step window"):
        buf.sample(4, 3, torch.Generator())
    chunk = col.collect(2)
    chunk["rewards"] = chunk["rewards"][:, :2]
    with pytest.raises(ValueError, match="rewards must have shape"):
        buf.add(**chunk)
    empty = ReplayBuffer(9, 3, (4,), np.float32)
    assert len(empty) == 0
    with pytest.raises(ValueError, match="no valid"):
        empty.sample(1, 1, torch.Generator())


@pytest.mark.gpu
def test_cuda_buffer_matches_cpu() -> None:
    """On a CUDA buffer, a CPU generator gives the same windows as on a CPU buffer (the
    candidates are drawn on the generator's device); a CUDA generator gives valid ones."""
    cpu_buf, col = filled(3 * 9, [4, 7, 11])
    gpu_buf = ReplayBuffer(3 * 9, 3, (4,), np.float32, device="cuda")
    gpu_buf.load_state_dict(cpu_buf.state_dict())
    a = cpu_buf.sample(64, 3, torch.Generator().manual_seed(0))
    b = gpu_buf.sample(64, 3, torch.Generator().manual_seed(0))
    for name in Window.__dataclass_fields__:
        assert torch.equal(getattr(a, name), getattr(b, name).cpu()), name
    w = gpu_buf.sample(64, 3, torch.Generator(device="cuda").manual_seed(0))
    on_cpu = Window(**{k: getattr(w, k).cpu() for k in Window.__dataclass_fields__})
    check_window(on_cpu, cpu_buf, col, 3)
