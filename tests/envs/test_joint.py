"""A joint step of K gymnasium CartPole vector envs equals K separate steps bit for bit:
observations, rewards, flags, each env's state, step counts, done flags and random
stream, through terminations, truncations and resets; a subset of members steps alone."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from advrun.envs.joint import JointCartPole, joint_stepper


def _envs(sizes: list[int], seeds: list[int], **kwargs: object) -> list:
    envs = [
        gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
        for n in sizes
    ]
    for env, seed in zip(envs, seeds, strict=True):
        env.reset(seed=seed)
    return envs


def _same_env(a, b) -> None:
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.prev_done, b.prev_done)
    assert a.np_random.bit_generator.state == b.np_random.bit_generator.state


@pytest.mark.parametrize("integrator", ["euler", "semi-implicit"])
def test_joint_step_equals_separate_steps(integrator: str) -> None:
    sizes, seeds = [3, 5, 4], [11, 12, 13]
    # A short time limit so that truncations, not only terminations, reset envs.
    joint_envs = _envs(sizes, seeds, max_episode_steps=25)
    alone = _envs(sizes, seeds, max_episode_steps=25)
    for env in joint_envs + alone:
        env.kinematics_integrator = integrator
    joint = joint_stepper(joint_envs)
    assert isinstance(joint, JointCartPole)
    rng = np.random.default_rng(0)
    resets = truncations = 0
    for _ in range(300):
        actions = rng.integers(0, 2, size=sum(sizes))
        obs, reward, term, trunc = joint.step(actions)
        start = 0
        for env, twin, n in zip(alone, joint_envs, sizes, strict=True):
            cols = slice(start, start + n)
            start += n
            o, r, te, tr, _ = env.step(actions[cols])
            np.testing.assert_array_equal(obs[cols], o)
            assert obs.dtype == o.dtype and reward.dtype == r.dtype
            np.testing.assert_array_equal(reward[cols], r)
            np.testing.assert_array_equal(term[cols], te)
            np.testing.assert_array_equal(trunc[cols], tr)
            _same_env(twin, env)
        resets += int((reward == 0).sum())
        truncations += int(trunc.sum())
    assert resets > 20 and truncations > 5  # the comparison went through both kinds


def test_members_step_alone_and_the_others_stay() -> None:
    sizes, seeds = [2, 3, 2], [1, 2, 3]
    joint_envs, alone = _envs(sizes, seeds), _envs(sizes, seeds)
    joint = joint_stepper(joint_envs)
    assert joint is not None
    rng = np.random.default_rng(1)
    for _ in range(60):
        actions = rng.integers(0, 2, size=sizes[0] + sizes[2])
        obs, *_ = joint.step(actions, members=[0, 2])
        o0, *_ = alone[0].step(actions[:2])
        o2, *_ = alone[2].step(actions[2:])
        np.testing.assert_array_equal(obs, np.concatenate([o0, o2]))
    for twin, env in zip(joint_envs, alone, strict=True):
        _same_env(twin, env)  # member 1 untouched, as its own env was


def test_other_kinds_and_mixed_constants_have_no_joint_stepper() -> None:
    assert joint_stepper(_envs([2, 2], [1, 2])) is not None
    assert joint_stepper(_envs([2], [1]) + _envs([2], [2], max_episode_steps=50)) is None
    acrobot = gym.make_vec("Acrobot-v1", num_envs=2, vectorization_mode="sync")
    assert joint_stepper([acrobot, acrobot]) is None
    assert joint_stepper([]) is None


def test_bad_actions_are_refused_like_the_env_does() -> None:
    joint = joint_stepper(_envs([2, 2], [1, 2]))
    assert joint is not None
    with pytest.raises(ValueError, match="invalid"):
        joint.step(np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="invalid"):
        joint.step(np.array([0, 1, 1]))
