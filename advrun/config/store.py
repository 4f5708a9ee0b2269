"""Register the schema dataclasses with Hydra's ConfigStore.

The shipped YAML files list ``train_schema`` / ``eval_schema`` first in their defaults,
so every composed config is typed by :class:`TrainConfig` / :class:`EvalCommandConfig`.
"""

from __future__ import annotations

from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from advrun.config.schema import EvalCommandConfig, ExportCommandConfig, TrainConfig

_registered = False


def register_configs() -> None:
    """Idempotently store the schemas (safe to call from every entry point)."""
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="eval_schema", node=EvalCommandConfig)
    cs.store(name="export_schema", node=ExportCommandConfig)
    if not OmegaConf.has_resolver("advrun.if_null"):
        OmegaConf.register_new_resolver("advrun.if_null", if_null)
    _registered = True


def if_null(value: Any, when_null: Any, when_set: Any = None) -> Any:
    """``${advrun.if_null:${resume},a,b}``: ``a`` when ``resume`` is null, else ``b``
    (or the value itself when ``b`` is omitted). Used to point a resumed run's Hydra
    output at the original run directory without overwriting its ``.hydra/``."""
    if value is None:
        return when_null
    return value if when_set is None else when_set
