"""The numpy greedy policy of a stack (``advrun.seeds.fused.greedy``): the same actions
as the torch forward, for the networks it serves; None for the ones it does not; and
the lean CartPole evaluation really plays with it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from seeds.agents import seeded_models

from advrun.collect.adapters import GymAdapter
from advrun.seeds.fused.evaluate import evaluate_stacked
from advrun.seeds.fused.greedy import NumpyGreedy
from advrun.seeds.fused.model import StackedActorCritic
from advrun.training.evaluate import evaluate, model_policy

K = 3


def _observations(rng: np.random.Generator, rows: int) -> np.ndarray:
    """CartPole-like observations ``[rows, 64, 4]`` (float32), some far from the origin."""
    scale = np.array([1.0, 2.0, 0.2, 2.0], dtype=np.float32) * rng.uniform(0.1, 5.0)
    return (rng.standard_normal((rows, 64, 4)) * scale).astype(np.float32)


def _trained_like(models: list[torch.nn.Module]) -> list[torch.nn.Module]:
    """Every weight and bias moved off its initial value (biases start at zero, and the
    policy head near zero), so each layer's every term shows in the actions."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for model in models:
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return models


def _torch_greedy(stack: StackedActorCritic, obs: np.ndarray, rows: list[int]) -> np.ndarray:
    sub = stack.subset(rows).frozen() if rows != list(range(stack.k)) else stack.frozen()
    with torch.no_grad():
        out = sub.policy(torch.from_numpy(obs))
        return sub.actions(out, [], deterministic=True).numpy()


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # tanh, separate trunks
        ["network.activation=relu"],
        ["network=mlp_shared"],
        ["network.normalize_obs=true"],
        ["network.hidden_sizes=[16,32,8]"],
    ],
)
def test_greedy_actions_equal_the_torch_forwards(compose_train, overrides) -> None:
    models = _trained_like(seeded_models(compose_train, K, overrides))
    if "network.normalize_obs=true" in overrides:  # statistics far from (0, 1)
        for i, model in enumerate(models):
            model.obs_norm.mean.copy_(torch.tensor([0.5, -1.0, 0.05, 0.3]) * (i + 1))
            model.obs_norm.var.copy_(torch.tensor([4.0, 0.25, 0.01, 9.0]) * (i + 1))
    stack = StackedActorCritic(models)
    greedy = NumpyGreedy.of(stack)
    assert greedy is not None and greedy.width == 2
    rng = np.random.default_rng(0)
    for rows in ([0, 1, 2], [0, 2], [2], [0, 1, 2]):  # agents end; a new evaluation
        for _ in range(30):
            obs = _observations(rng, len(rows))
            np.testing.assert_array_equal(
                greedy.actions(obs, rows), _torch_greedy(stack, obs, rows)
            )


@pytest.mark.parametrize(
    "overrides, env_id, why",
    [
        (["network.activation=elu"], "CartPole-v1", "an activation without a numpy twin"),
        (["env=pendulum"], "Pendulum-v1", "continuous actions"),
    ],
)
def test_networks_it_does_not_mirror_get_none(compose_train, overrides, env_id, why) -> None:
    stack = StackedActorCritic(seeded_models(compose_train, 2, overrides, env_id=env_id))
    assert NumpyGreedy.of(stack) is None, why


def test_float64_weights_get_none(compose_train) -> None:
    models = [m.double() for m in seeded_models(compose_train, 2)]
    assert NumpyGreedy.of(StackedActorCritic(models)) is None


@pytest.mark.parametrize("deterministic", [True, False])
def test_the_lean_cartpole_evaluation_plays_with_it_when_greedy(
    compose_train, monkeypatch, deterministic: bool
) -> None:
    """Greedy evaluations of gymnasium CartPoles go through the numpy policy (and give
    each agent its single run's returns); stochastic ones keep the torch draws."""
    models = seeded_models(compose_train, K)
    calls = []
    actions = NumpyGreedy.actions
    monkeypatch.setattr(
        NumpyGreedy, "actions", lambda self, *a: calls.append(1) or actions(self, *a)
    )

    def adapters() -> list[GymAdapter]:
        return [
            GymAdapter(
                gym.make_vec("CartPole-v1", num_envs=5, vectorization_mode="vector_entry_point"),
                torch.device("cpu"),
            )
            for _ in range(K)
        ]

    seeds = [11, 22, 33]
    gens = [torch.Generator().manual_seed(s) for s in range(K)]
    results = evaluate_stacked(StackedActorCritic(models), adapters(), seeds, gens, deterministic)
    assert (len(calls) > 0) == deterministic
    if deterministic:
        for model, seed, got in zip(models, seeds, results, strict=True):
            own = evaluate(model_policy(model), adapters()[0], seed=seed)
            np.testing.assert_array_equal(got, own)
