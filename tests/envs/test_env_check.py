"""The env checker: each API violation is named with its check and its step; correct
envs (built-in and custom) pass without touching the global random streams."""

from __future__ import annotations

import random

import gymnasium as gym
import numpy as np
import pytest

from advrun.config import ConfigError
from advrun.envs.check import (
    CHECK_STEPS,
    EnvCheckFailed,
    check_env,
    obs_problem,
    reward_problem,
)
from advrun.envs.factory import make_vec_env

pytestmark = pytest.mark.usefixtures("user_envs_on_path")

# (bug, check named in the message, where). The Walker env in
# tests/envs/user_envs/broken_envs.py turns its bug on at BUG_STEP = 3 for the
# out-of-bounds observation and the rewards, and from the first reset otherwise.
CASES = [
    ("dtype", "observation in observation_space", "at the first reset"),
    ("shape", "observation in observation_space", "at the first reset"),
    ("out_of_bounds", "observation in observation_space", "at step 3"),
    ("nan_reward", "reward is a finite scalar", "at step 3"),
    ("array_reward", "reward is a finite scalar", "at step 3"),
    ("old_step", "step returns 5 values", "at step 1"),
    ("old_reset", "reset returns (obs, info)", "at the first reset"),
]
DETAIL = {
    "dtype": "dtype float64, the space has dtype float32",
    "shape": "shape (1,), the space has shape (2,)",
    "out_of_bounds": "outside the space's bounds at index (0,)",
    "nan_reward": "reward is nan",
    "array_reward": "reward is a ndarray(shape=(1,)",
    "old_step": "old 4-tuple (obs, reward, done, info)",
    "old_reset": "reset returned ndarray(shape=(2,)",
}


def _walker(bug: str | None) -> gym.Env:
    from broken_envs import Walker

    return Walker(bug)


@pytest.mark.parametrize(("bug", "check", "where"), CASES, ids=[c[0] for c in CASES])
def test_each_violation_names_env_check_and_step(bug: str, check: str, where: str) -> None:
    with pytest.raises(EnvCheckFailed) as info:
        check_env(_walker(bug), "my-walker", "env.make")
    err = info.value
    assert isinstance(err, ConfigError) and err.key == "env.make"
    assert (err.check, err.where) == (check, where)
    text = str(err)
    assert f"env 'my-walker' failed the check `{check}` {where}:" in text
    assert DETAIL[bug] in text and "env.check=false" in err.fix


@pytest.mark.parametrize(("bug", "check", "where"), CASES, ids=[c[0] for c in CASES])
def test_registered_broken_ids_fail_in_the_factory(bug: str, check: str, where: str) -> None:
    """Through make_vec_env: TimeLimit from max_episode_steps sits on top (a 4-tuple
    env is still named as such) and the message names the id as given."""
    from broken_envs import IDS

    env_id = f"broken_envs:{IDS[bug]}"
    with pytest.raises(EnvCheckFailed) as info:
        make_vec_env(env_id, 2, max_episode_steps=50, check=True)
    assert info.value.key == "env.id" and (info.value.check, info.value.where) == (check, where)
    assert repr(env_id) in str(info.value)


def test_the_check_is_off_unless_asked() -> None:
    """``check=False`` (make_vec_env's default; env.check=false) builds the bad env."""
    from broken_envs import IDS

    envs = make_vec_env(f"broken_envs:{IDS['dtype']}", 2)
    envs.close()


def test_the_correct_walker_passes_and_episode_ends_are_reset() -> None:
    """The Walker ends its episodes after 10 steps, so 32 steps cross 3 resets."""
    assert CHECK_STEPS > 10
    check_env(_walker(None), "walker")


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1", "corridor:Corridor-v0"])
def test_correct_envs_pass(env_id: str) -> None:
    make_vec_env(env_id, 2, check=True).close()


def test_the_check_leaves_the_global_random_streams_as_they_were() -> None:
    class GlobalRandomEnv(gym.Env):
        """Draws from the global generators (bad style, but common)."""

        observation_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            return np.array([np.random.rand()], np.float32), {}

        def step(self, action):
            obs = np.array([np.random.rand()], np.float32)
            return obs, random.random(), False, False, {}

    np.random.seed(7)
    random.seed(7)
    expected = (np.random.rand(), random.random())
    np.random.seed(7)
    random.seed(7)
    check_env(GlobalRandomEnv(), "global-random")
    assert (np.random.rand(), random.random()) == expected


def test_non_gymnasium_spaces_are_refused_before_reset() -> None:
    env = _walker(None)
    env.action_space = [0, 1]  # type: ignore[assignment]
    with pytest.raises(EnvCheckFailed) as info:
        check_env(env, "walker")
    assert info.value.check == "spaces are gymnasium spaces"


def test_an_exception_inside_step_is_reported_with_its_location() -> None:
    class Raising(gym.Env):
        observation_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            return np.zeros(1, np.float32), {}

        def step(self, action):
            raise KeyError("missing sensor")

    with pytest.raises(EnvCheckFailed) as info:
        check_env(Raising(), "raising")
    text = str(info.value)
    assert "at step 1" in text and "KeyError: 'missing sensor'" in text
    assert "test_env_check.py:" in text  # the line of the user's code that raised


@pytest.mark.parametrize(
    ("space", "obs", "expected"),
    [
        (gym.spaces.Box(0, 1, (2,), np.float32), [0.5, 0.5], "is a list"),
        (gym.spaces.Box(0, 1, (2,), np.float32), np.array([np.nan, 0], np.float32), "finite"),
        (
            gym.spaces.Box(-np.inf, np.inf, (1,), np.float32),
            np.full(1, np.inf, np.float32),
            "finite",
        ),
        (gym.spaces.Discrete(3), 3, "is not in Discrete(3)"),
        (
            gym.spaces.Dict({"a": gym.spaces.Discrete(2)}),
            {"b": 0},
            "keys ['b'], the Dict space has ['a']",
        ),
        (
            gym.spaces.Dict({"pos": gym.spaces.Box(0, 1, (1,), np.float32)}),
            {"pos": np.ones(1, np.float64)},
            "observation['pos'] has dtype float64",
        ),
        (
            gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.Discrete(2))),
            (0, 5),
            "observation[1] 5",
        ),
    ],
)
def test_obs_problem_describes_the_mismatch(space: gym.Space, obs: object, expected: str) -> None:
    found = obs_problem(space, obs)
    assert found is not None and expected in found


@pytest.mark.parametrize(
    "good",
    [
        (gym.spaces.Box(0, 1, (2,), np.float32), np.array([0.0, 1.0], np.float32)),
        (gym.spaces.Discrete(3), 2),
        (gym.spaces.Discrete(3), np.int64(0)),
        (gym.spaces.Dict({"a": gym.spaces.Discrete(2)}), {"a": 1}),
    ],
)
def test_obs_problem_accepts_valid_members(good: tuple[gym.Space, object]) -> None:
    assert obs_problem(*good) is None


@pytest.mark.parametrize(
    ("reward", "ok"),
    [
        (1.0, True),
        (1, True),
        (np.float32(-2.5), True),
        (np.array(0.5), True),  # a 0-d array is a scalar
        (np.array([0.5]), False),
        (float("inf"), False),
        (np.float64("nan"), False),
        ("1.0", False),
        (None, False),
    ],
)
def test_reward_problem(reward: object, ok: bool) -> None:
    assert (reward_problem(reward) is None) == ok
