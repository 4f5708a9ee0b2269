"""A static index of the registered components, so ``--help`` needs no torch.

The registries (:mod:`advrun.registry`) stay the one source of truth, but filling them
means importing every estimator, algorithm, optimizer and network module, and those
import torch (about 1.3x a bare ``python -c "import torch"`` of start-up on a 2-core
machine). ``advrun train --help`` only prints the choices and the composed config, so it
reads this index instead: ``components.yaml`` beside this module holds, per config
group, each option's one-line summary and its config dataclass's defaults, plus the
names of the lesser registries (``network.kind``...). It is generated from the real
registries::

    python -m advrun.config.index        # rewrite advrun/config/components.yaml

and ``tests/config/test_component_index.py`` fails, naming that command, whenever the
file and the registries drift apart. A training run still registers the real typed
dataclasses (:func:`advrun.config.store.register_configs`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

INDEX_FILE = Path(__file__).with_name("components.yaml")
REGENERATE = "python -m advrun.config.index"
HEADER = (
    "# Generated from advrun's registries by `python -m advrun.config.index`; do not edit.\n"
    "# `advrun --help` / `advrun train --help` read it instead of importing torch;\n"
    "# tests/config/test_component_index.py fails when it drifts from the registries.\n"
)


def build_index() -> dict[str, Any]:
    """The index from the live registries (imports every component module: torch)."""
    from omegaconf import OmegaConf

    from advrun.config.store import component_registries
    from advrun.networks import ACTIVATIONS, ENCODERS
    from advrun.optim import SCHEDULES

    groups: dict[str, Any] = {}
    for group, registry in component_registries().items():
        options = {}
        for entry in sorted(registry, key=lambda e: e.name):
            defaults = (
                OmegaConf.to_container(OmegaConf.structured(entry.config), enum_to_str=True)
                if entry.config is not None
                else {}
            )
            options[entry.name] = {"summary": entry.summary, "defaults": defaults}
        groups[group] = {"kind": registry.kind, "options": options}
    names = {
        # "auto" is resolved by the config (advrun.config.validate), not a registry entry.
        "network.kind": ["auto", *ENCODERS.names()],
        "network.activation": ACTIVATIONS.names(),
        "optimizer.schedule": SCHEDULES.names(),
    }
    return {"groups": groups, "names": names}


def render(index: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(index, sort_keys=False, width=100)


@functools.cache
def load_index() -> dict[str, Any]:
    """The shipped index (YAML only: no torch, no component imports)."""
    return yaml.safe_load(INDEX_FILE.read_text())


def main() -> None:
    INDEX_FILE.write_text(render(build_index()))
    print(f"wrote {INDEX_FILE}")


if __name__ == "__main__":
    main()
