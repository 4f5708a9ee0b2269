"""Register the schema dataclasses with Hydra's ConfigStore.

The shipped YAML files list ``train_schema`` / ``eval_schema`` first in their defaults,
so every composed config is typed by :class:`TrainConfig` / :class:`EvalCommandConfig`.
The component groups (``algo``, ``advantage``, ``optimizer``) are typed per option: each
registered component's config dataclass is stored as ``schema/<group>/<name>``, and
``conf/<group>/<name>.yaml`` extends it. So the registry is the one list of choices.

``register_configs(light=True)`` (what ``advrun <command> --help`` uses) stores the same
nodes as plain defaults read from the registries' static index
(:mod:`advrun.config.index`) instead: composing and printing then needs no torch. A later
full call replaces them with the typed dataclasses.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from advrun.config.schema import EvalCommandConfig, ExportCommandConfig, TrainConfig
from advrun.registry import Registry

# None, "light" (component nodes from the static index) or "full" (typed dataclasses).
_registered: str | None = None
# Set by advrun.cli for `advrun <command> --help`: then the commands' own module-level
# register_configs() calls store the light nodes too. Launcher processes never set it.
help_only = False


def register_configs(light: bool | None = None) -> None:
    """Idempotently store the schemas (safe to call from every entry point).

    ``light``: store the component options' defaults from the static index, importing no
    component module (for ``--help``); otherwise their typed dataclasses, which means
    importing every registered component (and torch). ``None``: light exactly when
    :data:`help_only` is set. A full call after a light one replaces the nodes."""
    global _registered
    if light is None:
        light = help_only
    if _registered == "full" or (light and _registered == "light"):
        return
    cs = ConfigStore.instance()
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="eval_schema", node=EvalCommandConfig)
    cs.store(name="export_schema", node=ExportCommandConfig)
    if light:
        from advrun.config.index import load_index

        for group, section in load_index()["groups"].items():
            for name, option in section["options"].items():
                cs.store(group=f"schema/{group}", name=name, node=option["defaults"])
    else:
        for group, registry in component_registries().items():
            for entry in registry:
                cs.store(group=f"schema/{group}", name=entry.name, node=entry.config)
    if not OmegaConf.has_resolver("advrun.if_null"):
        OmegaConf.register_new_resolver("advrun.if_null", if_null)
    if not OmegaConf.has_resolver("advrun.run_tag"):
        # use_cache: Hydra copies resolver caches into each sweep member's config, so a
        # member running in another process (joblib, SLURM) sees the sweep's tag.
        OmegaConf.register_new_resolver("advrun.run_tag", run_tag, use_cache=True)
    if not OmegaConf.has_resolver("advrun.choices"):
        from advrun.config.help import choices

        OmegaConf.register_new_resolver("advrun.choices", choices)
    if not OmegaConf.has_resolver("advrun.callable_name"):
        OmegaConf.register_new_resolver("advrun.callable_name", callable_name)
    if not OmegaConf.has_resolver("advrun.path_name"):
        OmegaConf.register_new_resolver("advrun.path_name", path_name)
    _registered = "light" if light else "full"


def component_registries() -> dict[str, Registry[Any]]:
    """Config group -> the registry whose entries are its options (and type them)."""
    from advrun.advantages import ESTIMATORS
    from advrun.algos import ALGORITHMS
    from advrun.optim import OPTIMIZERS

    return {"advantage": ESTIMATORS, "algo": ALGORITHMS, "optimizer": OPTIMIZERS}


def if_null(value: Any, when_null: Any, when_set: Any = None) -> Any:
    """``${advrun.if_null:${resume},a,b}``: ``a`` when ``resume`` is null, else ``b``
    (or the value itself when ``b`` is omitted). Used to point a resumed run's Hydra
    output at the original run directory without overwriting its ``.hydra/``."""
    if value is None:
        return when_null
    return value if when_set is None else when_set


_RUN_TAG = secrets.token_hex(3)


def run_tag() -> str:
    """``${advrun.run_tag:}``: six hex digits drawn once per process.

    Appended to the time-stamped run and sweep directory names so that runs started in
    the same second (a shell loop, a job array) get separate directories; the name still
    sorts by time. The run-dir lock catches the 1-in-16M leftover collision."""
    return _RUN_TAG


def callable_name(path: Any) -> str:
    """``${advrun.callable_name:${env.make}}``: ``"make_corridor"`` for
    ``"corridor:make_corridor"`` — the default run name of an ``env.make`` env. Pure
    string slicing: nothing is imported or called. Without ``env.make`` it is
    ``"custom"``, which validation then refuses (raising here would surface as Hydra's
    traceback while it names the output directory)."""
    if path is None:
        return "custom"
    return str(path).rsplit(":", 1)[-1].rsplit(".", 1)[-1] or "custom"


def path_name(name: Any) -> str:
    """``${advrun.path_name:${name}}``: ``name`` as one directory name. Atari ids contain a
    slash (``ALE/Pong-v5``), which would nest the run dir one level deeper than every
    other run (``..._ALE/Pong-v5_<tag>``) and cut ``run=<dir>_ALE`` at the slash; path
    separators and whitespace become ``-`` (``ALE-Pong-v5``). Pure string work."""
    return re.sub(r"[/\\\s]+", "-", str(name)).strip("-") or "run"
