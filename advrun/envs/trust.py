"""Which user code a stored config would import, and the guard that asks first.

A checkpoint is loaded weights-only, so opening one never runs code. Its stored config,
though, may name the env by user code: ``env.id=corridor:Corridor-v0`` (gymnasium's
``module:EnvId`` imports ``corridor``), ``env.make=pkg.module:factory`` or
``env.wrappers`` targets. ``advrun eval`` and ``advrun export`` rebuild the env from that
config, and importing those modules runs whatever they contain. For a checkpoint someone
else sent you that is arbitrary code execution, so both commands refuse such a
checkpoint (exit 2, naming every module) unless ``trust_env_code=true`` is passed.
Modules of advrun and gymnasium are trusted: they are what is installed, not what the
checkpoint says. ``advrun train resume=<dir>`` is not guarded: resuming a run dir is
running its config, like running a config file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advrun.config.errors import ConfigError

TRUSTED_PACKAGES = ("advrun", "gymnasium")


@dataclass(frozen=True)
class UserImport:
    """One module a config would import: the config key naming it and the module."""

    key: str
    module: str


def _module_of(path: str) -> str:
    """``pkg.mod:attr`` -> ``pkg.mod``; Hydra's ``pkg.mod.Attr`` -> ``pkg.mod`` (the
    module is everything before the last dot: a guess, but only used for the message
    and the trusted-package test, which look at the top-level package)."""
    if ":" in path:
        return path.split(":", 1)[0]
    return path.rsplit(".", 1)[0] if "." in path else path


def _trusted(module: str) -> bool:
    return module.split(".")[0] in TRUSTED_PACKAGES


def user_imports(env: Any) -> list[UserImport]:
    """Every user module that building ``env`` (an :class:`EnvConfig`) imports."""
    found: list[UserImport] = []
    env_id = str(getattr(env, "id", "") or "")
    if ":" in env_id:
        found.append(UserImport("env.id", env_id.split(":", 1)[0]))
    make = getattr(env, "make", None)
    if make:
        found.append(UserImport("env.make", _module_of(str(make))))
    for i, spec in enumerate(getattr(env, "wrappers", None) or []):
        target = spec if isinstance(spec, str) else dict(spec).get("_target_")
        if isinstance(target, str):
            found.append(UserImport(f"env.wrappers[{i}]", _module_of(target)))
    return [u for u in found if not _trusted(u.module)]


def require_trust(env: Any, source: str, trust_env_code: bool) -> None:
    """Refuse (ConfigError -> exit 2) when ``env`` names user code and the user has not
    said they trust ``source`` (the checkpoint it came from)."""
    imports = user_imports(env)
    if not imports or trust_env_code:
        return
    names = ", ".join(f"{u.key} imports {u.module!r}" for u in imports)
    raise ConfigError(
        "trust_env_code",
        f"the config stored in {source} builds its env from user code ({names}); "
        "importing a module runs its code, so advrun does not do it for a checkpoint "
        "on its own say.",
        "if you trust this checkpoint and those modules (e.g. it is your own run), add "
        "trust_env_code=true; otherwise do not run it.",
    )
