"""A joint step of K gymnasium CartPole vector envs, or of K advrun torch-native envs,
equals K separate steps bit for bit: observations, rewards, flags, each env's state,
step counts, done flags and random stream, through terminations, truncations and
resets; a subset of members steps alone; envs of other settings do not join."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from advrun.envs.joint import JointCartPole, JointTorch, joint_stepper


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


def test_without_autoreset_ended_envs_are_not_reset_and_the_others_go_on() -> None:
    """autoreset=False (evaluation): an env stays unreset after its episode ends (no
    draw from its generator, its step count runs on), and every env equals its separate
    steps up to the end of its first episode."""
    sizes, seeds = [4, 6], [5, 6]
    joint_envs, alone = _envs(sizes, seeds), _envs(sizes, seeds)
    joint = joint_stepper(joint_envs)
    assert joint is not None
    rng_states = [e.np_random.bit_generator.state for e in joint_envs]
    open_ = np.ones(sum(sizes), dtype=bool)
    rng = np.random.default_rng(2)
    for step in range(1, 120):
        actions = rng.integers(0, 2, size=sum(sizes))
        obs, reward, term, _ = joint.step(actions, autoreset=False)
        parts = [alone[0].step(actions[:4])[:4], alone[1].step(actions[4:])[:4]]
        o, r, te, tr = (np.concatenate(pair) for pair in zip(*parts, strict=True))
        np.testing.assert_array_equal(obs[open_], o[open_])
        np.testing.assert_array_equal(reward[open_], r[open_])
        np.testing.assert_array_equal(term[open_], te[open_])
        open_ &= ~(te | tr)
        steps = np.concatenate([e.steps for e in joint_envs])
        assert (steps == step).all()  # nothing was reset
    assert not open_.any()  # every first episode ended, and none was reset
    assert [e.np_random.bit_generator.state for e in joint_envs] == rng_states
    assert all(np.isfinite(e.state).all() for e in joint_envs)


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


# -- advrun's torch-native envs ---------------------------------------------------------

TORCH_IDS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"]


def _torch_envs(env_id: str, k: int, n: int, draw_all_rows: bool) -> list:
    from advrun.envs.torch_envs import make_torch_vec_env

    envs = [make_torch_vec_env(env_id, n, max_episode_steps=15) for _ in range(k)]
    for i, env in enumerate(envs):
        env.draw_all_rows = draw_all_rows  # True: the GPU's way of drawing resets
        env.reset(seed=100 + i)
    return envs


def _torch_actions(env, rows: int, gen: torch.Generator) -> torch.Tensor:
    space = env.single_action_space
    if isinstance(space, gym.spaces.Discrete):
        return torch.randint(int(space.n), (rows,), generator=gen)
    return torch.rand(rows, 1, generator=gen) * 4 - 2


@pytest.mark.parametrize("draw_all_rows", [False, True], ids=["masked-rows", "all-rows"])
@pytest.mark.parametrize("env_id", TORCH_IDS)
def test_torch_joint_step_equals_separate_steps(env_id: str, draw_all_rows: bool) -> None:
    k, n = 3, 4
    joint_envs = _torch_envs(env_id, k, n, draw_all_rows)
    alone = _torch_envs(env_id, k, n, draw_all_rows)
    joint = joint_stepper(joint_envs)
    assert isinstance(joint, JointTorch)
    gen = torch.Generator().manual_seed(0)
    truncations = 0
    for _ in range(80):
        actions = _torch_actions(joint_envs[0], k * n, gen)
        obs, reward, term, trunc = joint.step(actions)
        for i, (env, twin) in enumerate(zip(alone, joint_envs, strict=True)):
            rows = slice(i * n, (i + 1) * n)
            o, r, te, tr, _ = env.step(actions[rows])
            for got, want in ((obs, o), (reward, r), (term, te), (trunc, tr)):
                assert got.dtype == want.dtype and torch.equal(got[rows], want)
            assert torch.equal(twin.state, env.state)
            assert torch.equal(twin.elapsed, env.elapsed)
            assert torch.equal(twin.autoreset, env.autoreset)
            assert torch.equal(twin.generator.get_state(), env.generator.get_state())
        truncations += int(trunc.sum())
    assert truncations > 0  # resets happened on the way


@pytest.mark.parametrize("draw_all_rows", [False, True], ids=["masked-rows", "all-rows"])
@pytest.mark.parametrize("env_id", TORCH_IDS)
def test_torch_without_autoreset_ended_envs_are_not_reset(env_id: str, draw_all_rows: bool) -> None:
    """autoreset=False (evaluation): no env is reset (its step count runs on, nothing is
    drawn from its generator), and each env equals its separate steps up to the end of
    its first episode."""
    k, n = 3, 4
    joint_envs = _torch_envs(env_id, k, n, draw_all_rows)
    alone = _torch_envs(env_id, k, n, draw_all_rows)
    joint = joint_stepper(joint_envs)
    assert isinstance(joint, JointTorch)
    generators = [e.generator.get_state() for e in joint_envs]
    open_ = torch.ones(k * n, dtype=torch.bool)
    gen = torch.Generator().manual_seed(3)
    for step in range(1, 40):
        actions = _torch_actions(joint_envs[0], k * n, gen)
        obs, reward, term, trunc = joint.step(actions, autoreset=False)
        parts = [env.step(actions[i * n : (i + 1) * n])[:4] for i, env in enumerate(alone)]
        o, r, te, tr = (torch.cat(part) for part in zip(*parts, strict=True))
        for got, want in ((obs, o), (reward, r), (term, te), (trunc, tr)):
            assert got.dtype == want.dtype and torch.equal(got[open_], want[open_])
        open_ &= ~(te | tr)
        assert all(bool((e.elapsed == step).all()) for e in joint_envs)  # nothing reset
    assert not open_.any()  # every first episode ended (the time limit is 15 steps)
    for env, state in zip(joint_envs, generators, strict=True):
        assert torch.equal(env.generator.get_state(), state)
        assert torch.isfinite(env.state).all()


def test_torch_members_step_alone() -> None:
    joint_envs = _torch_envs("CartPole-v1", 3, 2, False)
    alone = _torch_envs("CartPole-v1", 3, 2, False)
    joint = joint_stepper(joint_envs)
    assert joint is not None
    gen = torch.Generator().manual_seed(1)
    for _ in range(30):
        actions = torch.randint(2, (4,), generator=gen)
        obs, *_ = joint.step(actions, members=[0, 2])
        o0, *_ = alone[0].step(actions[:2])
        o2, *_ = alone[2].step(actions[2:])
        assert torch.equal(obs, torch.cat([o0, o2]))
    for twin, env in zip(joint_envs, alone, strict=True):
        assert torch.equal(twin.state, env.state) and torch.equal(twin.elapsed, env.elapsed)


def test_torch_envs_of_other_settings_do_not_join() -> None:
    from advrun.envs.torch_envs import make_torch_vec_env

    a = make_torch_vec_env("CartPole-v1", 2)
    assert joint_stepper([a, make_torch_vec_env("CartPole-v1", 2)]) is not None
    assert joint_stepper([a, make_torch_vec_env("CartPole-v1", 2, max_episode_steps=9)]) is None
    assert joint_stepper([a, make_torch_vec_env("CartPole-v1", 3)]) is None
    assert joint_stepper([a, make_torch_vec_env("Acrobot-v1", 2)]) is None
    assert joint_stepper([a, make_torch_vec_env("CartPole-v1", 2, dtype=torch.float64)]) is None
    with pytest.raises(ValueError, match="actions"):
        JointTorch([a, a]).step(torch.zeros(3, dtype=torch.int64))
