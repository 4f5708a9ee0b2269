"""An env restored from a snapshot continues exactly like the original."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from advrun.envs import make_vec_env
from advrun.envs.snapshot import restore, snapshot

CASES = [
    ("CartPole-v1", "native"),
    ("CartPole-v1", "sync"),
    ("Acrobot-v1", "auto"),
    ("MountainCar-v0", "auto"),
    ("Pendulum-v1", "auto"),
]


def _actions(envs, steps: int, seed: int) -> list[np.ndarray]:
    envs.action_space.seed(seed)
    return [envs.action_space.sample() for _ in range(steps)]


def _roll(envs, actions) -> list[tuple]:
    return [tuple(np.copy(x) for x in envs.step(a)[:4]) for a in actions]


@pytest.mark.parametrize(("env_id", "vectorization"), CASES)
def test_restored_env_continues_identically(env_id: str, vectorization: str) -> None:
    original = make_vec_env(env_id, 3, vectorization=vectorization, max_episode_steps=25)
    original.reset(seed=7)
    _roll(original, _actions(original, 40, 1))  # mid-episode, some autoresets done
    state = snapshot(original)
    assert state is not None
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)

    future = _actions(original, 60, 2)  # crosses episode ends (resets use the env RNG)
    expected = _roll(original, future)

    fresh = make_vec_env(env_id, 3, vectorization=vectorization, max_episode_steps=25)
    fresh.reset(seed=12345)  # a different state, overwritten by restore
    restore(fresh, state)
    got = _roll(fresh, future)
    for (o1, r1, te1, tr1), (o2, r2, te2, tr2) in zip(expected, got, strict=True):
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(te1, te2)
        np.testing.assert_array_equal(tr1, tr2)


def test_box2d_env_is_reported_not_snapshotable() -> None:
    envs = make_vec_env("LunarLander-v3", 2)
    envs.reset(seed=0)
    assert snapshot(envs) is None
