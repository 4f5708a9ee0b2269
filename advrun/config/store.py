"""Register the schema dataclasses with Hydra's ConfigStore.

The shipped YAML files list ``train_schema`` / ``eval_schema`` first in their defaults,
so every composed config is typed by :class:`TrainConfig` / :class:`EvalCommandConfig`.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from advrun.config.schema import EvalCommandConfig, TrainConfig

_registered = False


def register_configs() -> None:
    """Idempotently store the schemas (safe to call from every entry point)."""
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="eval_schema", node=EvalCommandConfig)
    _registered = True
