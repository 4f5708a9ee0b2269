"""The torch envs behave like gymnasium NEXT_STEP vector envs: spaces, autoreset,
time limits, seeding, checkpoints, numpy input and devices."""

from __future__ import annotations

import io

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode

from advrun.envs.torch_envs import (
    TORCH_ENVS,
    CartPoleTorch,
    MountainCarTorch,
    PendulumTorch,
    TorchVectorEnv,
    make_torch_vec_env,
)

ENV_IDS = list(TORCH_ENVS)
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def _random_actions(env: TorchVectorEnv, gen: torch.Generator) -> torch.Tensor:
    space = env.single_action_space
    if isinstance(space, gym.spaces.Discrete):
        return torch.randint(int(space.n), (env.num_envs,), generator=gen, device=env.device)
    return torch.rand(env.num_envs, 1, generator=gen, device=env.device, dtype=env.dtype) * 6 - 3


def _rollout(env: TorchVectorEnv, steps: int, action_seed: int = 1) -> list[tuple]:
    gen = torch.Generator(device=env.device).manual_seed(action_seed)
    return [tuple(x.clone() for x in env.step(_random_actions(env, gen))[:4]) for _ in range(steps)]


def _same(a: list[tuple], b: list[tuple]) -> bool:
    return all(
        torch.equal(x, y) for ta, tb in zip(a, b, strict=True) for x, y in zip(ta, tb, strict=True)
    )


# ---------------------------------------------------------------- registry and spaces
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_spaces_and_defaults_follow_gymnasium(env_id: str) -> None:
    env = make_torch_vec_env(env_id, 3)
    ref = gym.make(env_id)
    assert isinstance(env, gym.vector.VectorEnv)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert env.max_episode_steps == gym.spec(env_id).max_episode_steps
    assert env.single_action_space == ref.action_space
    assert env.single_observation_space.shape == ref.observation_space.shape
    np.testing.assert_allclose(env.single_observation_space.high, ref.observation_space.high)
    assert env.observation_space.shape == (3, *ref.observation_space.shape)
    assert env.action_space == gym.vector.utils.batch_space(ref.action_space, 3)
    obs, info = env.reset(seed=0)
    assert obs.shape == (3, *ref.observation_space.shape) and info == {}
    assert env.single_observation_space.contains(obs[0].numpy())


def test_make_rejects_unknown_ids_and_passes_kwargs() -> None:
    with pytest.raises(ValueError, match="CartPole-v1, Acrobot-v1, MountainCar-v0, Pendulum-v1"):
        make_torch_vec_env("LunarLander-v3", 2)
    assert make_torch_vec_env("Pendulum-v1", 2, g=9.81).g == 9.81
    assert make_torch_vec_env("MountainCar-v0", 2, goal_velocity=0.01).goal_velocity == 0.01
    assert make_torch_vec_env("CartPole-v1", 2, max_episode_steps=7).max_episode_steps == 7
    with pytest.raises(ValueError, match="dtype"):
        CartPoleTorch(2, dtype=torch.float16)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_initial_states_follow_gymnasium_distributions(env_id: str) -> None:
    env = make_torch_vec_env(env_id, 4096, dtype=torch.float64)
    env.reset(seed=0)
    s = env.state
    if env_id == "CartPole-v1":
        lo, hi = [-0.05] * 4, [0.05] * 4
    elif env_id == "Acrobot-v1":
        lo, hi = [-0.1] * 4, [0.1] * 4
    elif env_id == "MountainCar-v0":
        lo, hi = [-0.6, 0.0], [-0.4, 0.0]
    else:
        lo, hi = [-np.pi, -1.0], [np.pi, 1.0]
    lo_t, hi_t = torch.tensor(lo, dtype=s.dtype), torch.tensor(hi, dtype=s.dtype)
    assert bool(((s >= lo_t) & (s <= hi_t)).all())
    width = hi_t - lo_t
    spread = (s.max(0).values - s.min(0).values)[width > 0]
    assert bool((spread > 0.98 * width[width > 0]).all())  # fills the interval


# ---------------------------------------------------------------- NEXT_STEP autoreset
def test_truncation_returns_final_obs_then_a_dummy_reset_step() -> None:
    env = PendulumTorch(2, max_episode_steps=3, dtype=torch.float64)
    env.reset(seed=0)
    push = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    for _ in range(2):
        _, reward, terminated, truncated, _ = env.step(push)
        assert not terminated.any() and not truncated.any() and bool((reward < 0).all())
    twin = PendulumTorch(2, max_episode_steps=3, dtype=torch.float64)
    twin.load_state_dict(env.state_dict())
    expected_state, _, _ = twin._dynamics(twin.state, push[:, 0])

    final_obs, reward, terminated, truncated, _ = env.step(push)
    assert truncated.all() and not terminated.any() and bool((reward < 0).all())
    torch.testing.assert_close(env.state, expected_state)  # the real final state
    torch.testing.assert_close(final_obs, env._observe(expected_state))
    assert env.autoreset.all() and env.elapsed.tolist() == [3, 3]

    saved = env.state_dict()
    outs = []
    for action in (push, -5 * push):  # the dummy step ignores its action
        env.load_state_dict(saved)
        outs.append(env.step(action)[:4])
    for x, y in zip(*outs, strict=True):
        assert torch.equal(x, y)
    obs, reward, terminated, truncated = outs[0]
    assert reward.tolist() == [0.0, 0.0]
    assert not terminated.any() and not truncated.any()
    assert env.elapsed.tolist() == [0, 0] and not env.autoreset.any()
    assert not torch.allclose(obs, final_obs)
    assert bool((env.state[:, 0].abs() <= np.pi).all() and (env.state[:, 1].abs() <= 1).all())
    # And the next episode runs its full length again.
    flags = [env.step(push)[3].tolist() for _ in range(3)]
    assert flags == [[False, False], [False, False], [True, True]]


@pytest.mark.parametrize("draw_all_rows", [False, True], ids=["masked-draw", "sync-free"])
def test_termination_resets_only_the_ended_envs(draw_all_rows: bool) -> None:
    env = CartPoleTorch(4, dtype=torch.float64)
    env.draw_all_rows = draw_all_rows  # the CUDA default path, exercised on CPU
    env.reset(seed=0)
    near_edge = [2.39, 1.0, 0.0, 0.0]  # x crosses 2.4 on the next step
    env.set_state(torch.tensor([near_edge, [0.0] * 4, near_edge, [0.0] * 4]))
    _, reward, terminated, truncated, _ = env.step(torch.ones(4, dtype=torch.int64))
    assert terminated.tolist() == [True, False, True, False]
    assert not truncated.any()
    assert reward.tolist() == [1.0] * 4  # gymnasium 1.x: 1 on the terminating step too
    assert float(env.state[0, 0]) == pytest.approx(2.41)

    _, reward, terminated, _, _ = env.step(torch.ones(4, dtype=torch.int64))
    assert reward.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert not terminated.any()
    assert env.elapsed.tolist() == [0, 2, 0, 2]
    assert bool((env.state[[0, 2]].abs() <= 0.05).all())


def test_sutton_barto_reward() -> None:
    env = CartPoleTorch(2, dtype=torch.float64, sutton_barto_reward=True)
    env.reset(seed=0)
    env.set_state(torch.tensor([[2.39, 1.0, 0.0, 0.0], [0.0] * 4]))
    _, reward, terminated, _, _ = env.step(np.array([1, 1]))
    assert terminated.tolist() == [True, False] and reward.tolist() == [-1.0, 0.0]


def test_time_limit_and_termination_on_the_same_step_set_both_flags() -> None:
    env = MountainCarTorch(2, max_episode_steps=1, dtype=torch.float64)
    env.reset(seed=0)
    env.set_state(torch.tensor([[0.49, 0.05], [-0.5, 0.0]]))
    _, _, terminated, truncated, _ = env.step(np.array([2, 1]))
    assert terminated.tolist() == [True, False]
    assert truncated.tolist() == [True, True]  # gymnasium's TimeLimit ignores `terminated`


@pytest.mark.parametrize("draw_all_rows", [False, True], ids=["masked-draw", "sync-free"])
def test_reset_mask_option_resets_only_masked_envs(draw_all_rows: bool) -> None:
    env = CartPoleTorch(3)
    env.draw_all_rows = draw_all_rows
    env.reset(seed=0)
    _rollout(env, 5)
    before = env.state.clone()
    env.reset(options={"reset_mask": torch.tensor([True, False, True])})
    assert torch.equal(env.state[1], before[1])
    assert not torch.equal(env.state[[0, 2]], before[[0, 2]])
    assert bool((env.state[[0, 2]].abs() <= 0.05).all())
    assert env.elapsed.tolist() == [0, 5, 0]


def test_pendulum_clips_torque_inside_the_step() -> None:
    env = PendulumTorch(1, dtype=torch.float64)
    env.reset(seed=3)
    saved = env.state_dict()
    clipped = env.step(torch.tensor([[2.0]]))
    env.load_state_dict(saved)
    big = env.step(torch.tensor([[7.5]]))
    for x, y in zip(clipped[:4], big[:4], strict=True):
        assert torch.equal(x, y)


# ---------------------------------------------------------------- batches and devices
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_large_batch_steps_on_device(env_id: str, device: str) -> None:
    n = 4096
    env = make_torch_vec_env(env_id, n, device=device, max_episode_steps=20)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (n, *env.single_observation_space.shape)
    ended = torch.zeros(n, dtype=torch.bool, device=device)
    for obs, reward, terminated, truncated in _rollout(env, 25):
        for x in (obs, reward, terminated, truncated):
            assert x.device.type == torch.device(device).type
        assert obs.shape == (n, *env.single_observation_space.shape)
        assert obs.dtype == reward.dtype == torch.float32
        assert reward.shape == terminated.shape == truncated.shape == (n,)
        assert terminated.dtype == truncated.dtype == torch.bool
        assert bool(torch.isfinite(obs).all())
        ended |= terminated | truncated
    assert bool(ended.all())  # every env hit the 20-step limit (or terminated) and reset


# ---------------------------------------------------------------- seeding, checkpoints
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_trajectory_different_seed_differs(env_id: str, device: str) -> None:
    def run(seed: int) -> list[tuple]:
        env = make_torch_vec_env(env_id, 16, device=device, max_episode_steps=10)
        obs, _ = env.reset(seed=seed)
        return [(obs,), *_rollout(env, 40)]

    a, b, c = run(7), run(7), run(8)
    assert _same(a, b)
    assert not torch.equal(a[0][0], c[0][0])
    assert not torch.equal(a[-1][0], c[-1][0])  # resets after the limit use the stream


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_state_dict_round_trip_continues_identically(env_id: str, device: str) -> None:
    env = make_torch_vec_env(env_id, 8, device=device, max_episode_steps=6)
    env.reset(seed=0)
    _rollout(env, 9, action_seed=2)
    buf = io.BytesIO()
    torch.save(env.state_dict(), buf)
    expected = _rollout(env, 30)

    buf.seek(0)
    restored = make_torch_vec_env(env_id, 8, device=device, max_episode_steps=6)
    restored.load_state_dict(torch.load(buf, weights_only=True))
    assert _same(_rollout(restored, 30), expected)


def test_load_state_dict_checks_num_envs() -> None:
    env = CartPoleTorch(4)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="4 envs"):
        CartPoleTorch(5).load_state_dict(env.state_dict())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_numpy_actions_match_tensor_actions(env_id: str) -> None:
    env = make_torch_vec_env(env_id, 5, max_episode_steps=4)
    env.reset(seed=0)
    saved = env.state_dict()
    gen = torch.Generator().manual_seed(0)
    actions = [_random_actions(env, gen) for _ in range(8)]
    from_tensor = [tuple(x.clone() for x in env.step(a)[:4]) for a in actions]
    env.load_state_dict(saved)
    from_numpy = [tuple(x.clone() for x in env.step(a.numpy())[:4]) for a in actions]
    assert _same(from_tensor, from_numpy)
