"""K actor-critics built from one composed config, agent k seeded with ``k`` (distinct
initial weights), for the tests that compare a stacked network with its members."""

from __future__ import annotations

import gymnasium as gym
import torch

from advrun.config import to_train_config
from advrun.training.builders import build_model


def seeded_models(
    compose_train, k: int, overrides: list[str] | None = None, env_id: str = "CartPole-v1"
) -> list[torch.nn.Module]:
    """``k`` models for ``env_id`` from ``env=cartpole`` plus ``overrides``."""
    cfg = to_train_config(compose_train(["env=cartpole", *(overrides or [])]))
    env = gym.make(env_id)
    models = []
    for seed in range(k):
        torch.manual_seed(seed)
        models.append(build_model(cfg, env.observation_space, env.action_space))
    return models
