"""One source of truth per choice: the registries list the options, their dataclasses
type them, and the shipped YAML files mirror the dataclass defaults. Each test here
fails when a registry entry and its config drift apart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from advrun.config import conf_dir, to_train_config
from advrun.config.schema import EvalConfig, InitConfig, NetworkConfig, TrainConfig
from advrun.config.store import component_registries

CONF = Path(conf_dir())
ENTRIES = [(group, entry) for group, reg in component_registries().items() for entry in reg]


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def test_every_registered_option_has_exactly_one_yaml_and_back() -> None:
    for group, registry in component_registries().items():
        on_disk = sorted(p.stem for p in (CONF / group).glob("*.yaml"))
        assert on_disk == registry.names(), group


@pytest.mark.parametrize(("group", "entry"), ENTRIES, ids=[f"{g}/{e.name}" for g, e in ENTRIES])
def test_shipped_yaml_equals_the_dataclass_defaults(compose_train, group, entry) -> None:
    """Composing ``<group>=<name>`` alone gives exactly the registered defaults, and the
    YAML spells every field out (users read conf/ to see the knobs)."""
    raw = _yaml(CONF / group / f"{entry.name}.yaml")
    assert raw["defaults"][0] == f"/schema/{group}/{entry.name}@_here_"
    fields = [f.name for f in dataclasses.fields(entry.config)]
    assert sorted(k for k in raw if k != "defaults") == sorted(fields)
    # ~tuned: the group's own defaults, not an env's conf/tuned/ file (algo=dqn on the
    # default CartPole would otherwise pick dqn_td_cartpole.yaml).
    overrides = [f"{group}={entry.name}", "~tuned"]
    if group == "advantage" and entry.trait("grouped"):
        overrides.append("env.num_envs=8")
    composed = OmegaConf.to_object(compose_train(overrides)[group])
    assert type(composed) is entry.config
    assert composed == entry.config()


def test_network_and_top_level_defaults_equal_the_shipped_yaml(compose_train) -> None:
    # ~tuned: conf/train.yaml's own values, without CartPole's conf/tuned/ file.
    cfg = to_train_config(compose_train(["~tuned"]))
    # network.kind=auto resolves to mlp for CartPole's vector observations.
    assert cfg.network == dataclasses.replace(NetworkConfig(), kind="mlp")
    assert cfg.eval == EvalConfig()
    assert cfg.init == InitConfig()
    defaults = TrainConfig()
    for name in ("seed", "total_steps", "checkpoint_interval", "torch_threads", "log_interval"):
        assert getattr(cfg, name) == getattr(defaults, name), name


def test_no_enum_declares_a_registered_choice_again() -> None:
    """The schema types component choices as plain strings checked against the
    registries; the only Enum left is ``device`` (no registry)."""
    import enum

    import advrun.config.schema as schema

    enums = [
        name
        for name, value in vars(schema).items()
        if isinstance(value, type) and issubclass(value, enum.Enum) and value is not enum.Enum
    ]
    assert enums == ["Device"]
