"""``advrun eval``: load a checkpoint (weights only) and play N episodes."""

from __future__ import annotations

from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from advrun.commands.errors import clean_errors
from advrun.config import ConfigError, TrainConfig, conf_dir, register_configs
from advrun.config.schema import EvalCommandConfig
from advrun.config.validate import to_object
from advrun.training.builders import build_envs, build_model
from advrun.training.checkpoint import load_checkpoint
from advrun.training.containers import enum_value
from advrun.training.device import resolve_device
from advrun.training.evaluate import evaluate as play

register_configs()


def checkpoint_path(run: str | None, checkpoint: str | None, which: str) -> Path:
    """``checkpoint`` wins; else ``<run>/checkpoints/<which>.pt`` (falling back to last)."""
    if checkpoint:
        return Path(checkpoint)
    if not run:
        raise ConfigError(
            "run",
            "neither run nor checkpoint was given.",
            "pass run=<run dir> or checkpoint=<file.pt>.",
        )
    if which not in ("best", "last"):
        raise ConfigError(
            "which", f"{which!r} is not best or last.", "use which=best or which=last."
        )
    ckpt_dir = Path(run) / "checkpoints"
    path = ckpt_dir / f"{which}.pt"
    if not path.exists() and which == "best" and (ckpt_dir / "last.pt").exists():
        path = ckpt_dir / "last.pt"
    return path


def evaluate_checkpoint(c: EvalCommandConfig) -> np.ndarray:
    if c.episodes < 1:
        raise ConfigError("episodes", f"{c.episodes} must be >= 1.", "use episodes=20.")
    path = checkpoint_path(c.run, c.checkpoint, c.which)
    device = resolve_device(enum_value(c.device))
    data = load_checkpoint(path, map_location=device)
    train_cfg = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(TrainConfig), data["config"])
    )
    assert isinstance(train_cfg, TrainConfig)
    envs = build_envs(
        train_cfg.env, num_envs=c.num_envs or c.episodes, device=device, training=False
    )
    try:
        model = build_model(
            train_cfg.network, envs.single_observation_space, envs.single_action_space
        ).to(device)
        model.load_state_dict(data["model"])
        returns: list[float] = []
        round_ = 0
        while len(returns) < c.episodes:
            got = play(
                model,
                envs,
                seed=c.seed + round_ * envs.num_envs,
                device=device,
                deterministic=c.deterministic,
            )
            returns.extend(got.tolist())
            round_ += 1
    finally:
        envs.close()
    return np.asarray(returns[: c.episodes])


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="eval")
def evaluate(cfg: DictConfig) -> float:
    with clean_errors():
        c = to_object(cfg)
        assert isinstance(c, EvalCommandConfig)
        torch.set_num_threads(1)
        returns = evaluate_checkpoint(c)
        mean, std = float(returns.mean()), float(returns.std())
        print(
            f"{len(returns)} episodes: return {mean:.2f} ± {std:.2f} "
            f"(min {returns.min():.2f}, max {returns.max():.2f})"
        )
        return mean
    raise AssertionError("unreachable")
