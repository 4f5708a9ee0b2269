"""The batch's evaluation gives every agent the returns its own evaluation would: with
the agents' CartPole envs (gymnasium's or advrun's torch-native) stepped as one
(advrun.collect.joint) and agent by agent alike, and an agent whose env goes NaN gets
its error while the others finish."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from seeds.agents import seeded_models

from advrun.collect.adapters import EnvAdapter, GymAdapter, TorchAdapter
from advrun.collect.joint import JointStep
from advrun.envs.torch_envs import make_torch_vec_env
from advrun.seeds.fused.evaluate import evaluate_stacked
from advrun.seeds.fused.model import StackedActorCritic
from advrun.training.evaluate import evaluate, model_policy
from advrun.training.faults import NonFiniteEnvOutput

K, EPISODES, SEEDS = 3, 5, [101, 202, 303]


def _adapters(backend: str = "gymnasium") -> list[EnvAdapter]:
    if backend == "torch":  # advrun's torch-native CartPole
        return [
            TorchAdapter(make_torch_vec_env("CartPole-v1", EPISODES), torch.device("cpu"))
            for _ in range(K)
        ]
    return [
        GymAdapter(
            gym.make_vec("CartPole-v1", num_envs=EPISODES, vectorization_mode="vector_entry_point"),
            torch.device("cpu"),
        )
        for _ in range(K)
    ]


@pytest.fixture
def models(compose_train) -> list[torch.nn.Module]:
    return seeded_models(compose_train, K)


def _gens() -> list[torch.Generator]:
    return [torch.Generator().manual_seed(s) for s in range(K)]


@pytest.mark.parametrize("tally", ["numpy", "torch"])
@pytest.mark.parametrize("backend", ["gymnasium", "torch"])
@pytest.mark.parametrize("deterministic", [True, False])
def test_joint_evaluation_equals_each_agents_own(
    models, monkeypatch, deterministic: bool, backend: str, tally: str
) -> None:
    if tally == "torch":  # the accelerator's way of tallying, here on the CPU
        monkeypatch.setattr("advrun.seeds.fused.evaluate._host", lambda data: False)
    envs = _adapters(backend)
    assert JointStep.build(envs) is not None
    joint = evaluate_stacked(StackedActorCritic(models), envs, SEEDS, _gens(), deterministic)
    monkeypatch.setattr(JointStep, "build", classmethod(lambda cls, adapters: None))
    alone = evaluate_stacked(
        StackedActorCritic(models), _adapters(backend), SEEDS, _gens(), deterministic
    )
    for a, b in zip(joint, alone, strict=True):
        np.testing.assert_array_equal(a, b)
    if deterministic:  # and each equals the single run's evaluation
        for model, seed, got in zip(models, SEEDS, joint, strict=True):
            own = evaluate(model_policy(model), _adapters(backend)[0], seed=seed)
            np.testing.assert_array_equal(got, own)
    lengths = {float(r) for result in joint for r in result}
    assert len(lengths) > 1  # episodes of different lengths, so agents finish apart


def test_an_agent_whose_eval_env_goes_nan_gets_its_error(models) -> None:
    envs = _adapters()
    inner = envs[1].envs
    original_reset = inner.reset

    def reset_nan(**kwargs):
        out = original_reset(**kwargs)
        inner.state[:, 2] = math.nan  # the NaN shows in the first step's observation
        return out

    inner.reset = reset_nan
    results = evaluate_stacked(StackedActorCritic(models), envs, SEEDS, _gens(), True)
    assert isinstance(results[1], NonFiniteEnvOutput) and "observation" in str(results[1])
    for i in (0, 2):
        own = evaluate(model_policy(models[i]), _adapters()[0], seed=SEEDS[i])
        np.testing.assert_array_equal(results[i], own)


@pytest.mark.parametrize("deterministic", [True, False])
def test_lean_cartpole_loop_equals_the_joint_step(models, monkeypatch, deterministic) -> None:
    """gymnasium CartPoles on the host take the lean loop (the physics called on one
    joined state); it gives the returns of the general joint step and leaves every env
    in the state that loop leaves."""
    from advrun.envs.joint import JointCartPole
    from advrun.seeds.fused import evaluate as module

    calls = []
    physics = JointCartPole.physics
    monkeypatch.setattr(
        JointCartPole, "physics", lambda self, *a: calls.append(1) or physics(self, *a)
    )
    lean_envs = _adapters()
    lean = evaluate_stacked(StackedActorCritic(models), lean_envs, SEEDS, _gens(), deterministic)
    steps_lean = len(calls)
    assert steps_lean > 0
    monkeypatch.setattr(module, "_evaluate_cartpole", module._evaluate_joint)
    general_envs = _adapters()
    general = evaluate_stacked(
        StackedActorCritic(models), general_envs, SEEDS, _gens(), deterministic
    )
    assert len(calls) == 2 * steps_lean  # the same number of steps either way
    for a, b in zip(lean, general, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(lean_envs, general_envs, strict=True):
        np.testing.assert_array_equal(a.envs.state, b.envs.state)
        np.testing.assert_array_equal(a.envs.steps, b.envs.steps)
        np.testing.assert_array_equal(a.envs.prev_done, b.envs.prev_done)
        assert a._step == b._step
