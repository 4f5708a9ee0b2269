"""``advrun train``: compose the config with Hydra, validate it, run the trainer.

The task returns the final eval return, so any Hydra sweeper (Optuna, Ax, Nevergrad)
can maximise it.
"""

from __future__ import annotations

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from advrun.commands.errors import clean_errors
from advrun.config import conf_dir, register_configs, to_train_config
from advrun.training import Trainer

register_configs()


def run_training(cfg: DictConfig, run_dir: str) -> float:
    """Validate ``cfg`` (before any work) and train into ``run_dir``."""
    config = to_train_config(cfg)
    trainer = Trainer(config, run_dir)
    return trainer.run()


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="train")
def train(cfg: DictConfig) -> float:
    with clean_errors():
        return run_training(cfg, HydraConfig.get().runtime.output_dir)
    raise AssertionError("unreachable")
