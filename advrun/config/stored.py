"""Read a stored config (a checkpoint's ``config``, a run's ``.hydra/config.yaml``)
back through today's schema.

The component sections (``algo``, ``advantage``, ``optimizer``) are typed by the config
of the component they name, as when the run was composed. Keys that today's component
config does not have are dropped with a note in the log: a run saved before a section
was split per component (every estimator then carried ``lam`` and ``n``, every algorithm
``epochs``) still loads, evaluates and resumes. Fields added since take their defaults.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from omegaconf import DictConfig, OmegaConf

from advrun.config.errors import ConfigError
from advrun.config.schema import TrainConfig

log = logging.getLogger(__name__)


def stored_config(container: dict[str, Any]) -> DictConfig:
    """``container`` merged into the typed schema (a DictConfig, not yet validated)."""
    from advrun.config.store import component_registries

    data = OmegaConf.to_container(OmegaConf.create(container), resolve=False)
    assert isinstance(data, dict)
    base = OmegaConf.structured(TrainConfig)
    for group, registry in component_registries().items():
        section = data.get(group)
        if not isinstance(section, dict) or "name" not in section:
            continue
        name = str(section["name"])
        if name not in registry:
            raise ConfigError(
                f"{group}.name",
                f"the stored config names {group}={name}, which this advrun does not have.",
                f"use an advrun version that has it (choices now: {', '.join(registry.names())}).",
            )
        config_cls = registry.get(name).config
        assert config_cls is not None
        fields = {f.name for f in dataclasses.fields(config_cls)}
        dropped = sorted(set(section) - fields)
        if dropped:
            log.info("stored %s=%s: ignoring keys it no longer has: %s", group, name, dropped)
        data[group] = {k: v for k, v in section.items() if k in fields}
        base[group] = OmegaConf.structured(config_cls)
    return OmegaConf.merge(base, data)


def stored_train_config(container: dict[str, Any]) -> TrainConfig:
    """The typed :class:`TrainConfig` of a stored config (schema defaults fill new fields)."""
    cfg = OmegaConf.to_object(stored_config(container))
    assert isinstance(cfg, TrainConfig)
    return cfg
