"""Typed configs: schema dataclasses, Hydra registration, validation."""

from advrun.config.errors import ConfigError
from advrun.config.paths import conf_dir
from advrun.config.schema import TrainConfig
from advrun.config.store import register_configs
from advrun.config.validate import to_train_config, validate

__all__ = [
    "ConfigError",
    "TrainConfig",
    "conf_dir",
    "register_configs",
    "to_train_config",
    "validate",
]
