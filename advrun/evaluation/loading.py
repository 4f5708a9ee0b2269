"""Rebuild a trained policy from a checkpoint alone (weights + stored config).

``advrun eval`` and ``advrun export`` both need the model, the typed run config and
the env's spaces; the spaces come from building one (evaluation) copy of the env, as
the network was built from them at training time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from torch import nn

from advrun.config.schema import TrainConfig
from advrun.config.stored import stored_train_config
from advrun.envs.trust import require_trust
from advrun.storage.checkpoint import load_checkpoint
from advrun.training.builders import build_envs, build_model


@dataclass
class TrainedPolicy:
    """A checkpoint's model (in eval mode) with what describes it."""

    model: nn.Module
    config: TrainConfig
    observation_space: gym.Space
    action_space: gym.Space
    checkpoint: Path
    step: int | None

    @property
    def run_dir(self) -> Path:
        return run_dir_of(self.checkpoint)


def run_dir_of(checkpoint: str | Path) -> Path:
    """``<run>/checkpoints/best.pt`` -> ``<run>``; a checkpoint elsewhere -> its folder."""
    path = Path(checkpoint).resolve()
    return path.parent.parent if path.parent.name == "checkpoints" else path.parent


def train_config_of(data: dict[str, Any]) -> TrainConfig:
    """The typed run config stored in a checkpoint (schema defaults fill new fields)."""
    return stored_train_config(data["config"])


def env_spaces(cfg: TrainConfig, device: torch.device) -> tuple[gym.Space, gym.Space]:
    """``(single observation space, single action space)`` of the run's eval env."""
    envs = build_envs(cfg.env, num_envs=1, device=device, training=False)
    try:
        return envs.single_observation_space, envs.single_action_space
    finally:
        envs.close()


def load_trained_policy(
    path: str | Path, device: torch.device | str = "cpu", *, trust_env_code: bool = False
) -> TrainedPolicy:
    """Load ``path`` (weights only), rebuild its network and put it in eval mode.

    Raises :class:`~advrun.storage.checkpoint.CheckpointError` for a missing or unsafe
    file and :class:`~advrun.config.ConfigError` when the env cannot be built, or when
    building it would import user code and ``trust_env_code`` is false
    (:mod:`advrun.envs.trust`)."""
    device = torch.device(device)
    data = load_checkpoint(path, map_location=device)
    cfg = train_config_of(data)
    require_trust(cfg.env, str(path), trust_env_code)
    obs_space, act_space = env_spaces(cfg, device)
    model = build_model(cfg, obs_space, act_space).to(device)
    model.load_state_dict(data["model"])
    model.eval()
    step = data.get("global_step")
    return TrainedPolicy(
        model=model,
        config=cfg,
        observation_space=obs_space,
        action_space=act_space,
        checkpoint=Path(path),
        step=int(step) if step is not None else None,
    )
