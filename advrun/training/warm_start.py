"""Initialise a model from a trained checkpoint (all of it, or named parts) and freeze
chosen layers.

Fine-tuning to a related task whose action space differs (LunarLander ->
LunarLander-continuous) keeps the trunks and starts a new head:
``init.load=[actor_trunk,critic_trunk,value_head]`` copies only the parameters and
buffers under those module prefixes; the rest keeps its fresh initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from advrun.config.errors import ConfigError
from advrun.storage.checkpoint import load_checkpoint


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _modules(names: Sequence[str]) -> str:
    """Every dotted prefix of ``names`` (``actor_trunk``, ``actor_trunk.fc0``, ...)."""
    prefixes = {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 2)}
    return ", ".join(sorted(prefixes))


def load_parts(model: torch.nn.Module, path: str, prefixes: Sequence[str]) -> list[str]:
    """Copy the checkpoint's entries under ``prefixes`` (state-dict names: parameters
    and buffers, e.g. ``obs_norm`` for the observation statistics) into ``model``;
    returns the loaded names. A prefix that names nothing in ``model``, an entry the
    checkpoint lacks, or a shape that differs is a ConfigError naming the entry."""
    state = load_checkpoint(path)["model"]
    own = model.state_dict()
    chosen: list[str] = []
    for prefix in prefixes:
        hits = [k for k in own if _under(k, prefix)]
        if not hits:
            raise ConfigError(
                "init.load",
                f"{prefix!r} matches nothing in this network.",
                f"use module prefixes of this network: {_modules(list(own))}.",
            )
        chosen.extend(k for k in hits if k not in chosen)
    for name in chosen:
        if name not in state:
            raise ConfigError(
                "init.load",
                f"{path} has no {name} (its network has: {_modules(list(state))}).",
                "load only parts both networks have, e.g. the trunks.",
            )
        if state[name].shape != own[name].shape:
            raise ConfigError(
                "init.load",
                f"{name} has shape {tuple(state[name].shape)} in {path} but "
                f"{tuple(own[name].shape)} in this network.",
                f"drop the part holding {name} from init.load so it starts fresh (e.g. "
                "the policy head when the action space changed), or match network.*.",
            )
    model.load_state_dict({k: state[k] for k in chosen}, strict=False)
    return chosen


def load_weights(
    model: torch.nn.Module, path: str, parts: Sequence[str] | None = None
) -> list[str]:
    """Copy a checkpoint's model weights into ``model`` and return the loaded names.

    With ``parts`` (``init.load``) only those module prefixes (:func:`load_parts`);
    without, everything, and the shapes must match exactly."""
    if parts:
        return load_parts(model, path, parts)
    state = load_checkpoint(path)["model"]
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if state[k].shape != own[k].shape
    ]
    if missing or unexpected or wrong:
        details = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
                f"shape mismatch {', '.join(wrong)}" if wrong else "",
            )
            if part
        )
        raise ConfigError(
            "init.checkpoint",
            f"{path} was trained with a different network or env ({details}).",
            "use the same network.* settings and env as the checkpoint's run "
            "(see its .hydra/config.yaml), or drop init.checkpoint.",
        )
    model.load_state_dict(state)
    return list(state)


def freeze(model: torch.nn.Module, prefixes: list[str]) -> list[str]:
    """Set ``requires_grad=False`` on parameters whose names start with a prefix;
    returns the frozen names. A prefix that matches nothing is an error."""
    names = [name for name, _ in model.named_parameters()]
    frozen: list[str] = []
    for prefix in prefixes:
        hits = [n for n in names if n == prefix or n.startswith(prefix + ".")]
        if not hits:
            layers = sorted({n.rsplit(".", 1)[0] for n in names})
            raise ConfigError(
                "init.freeze",
                f"{prefix!r} matches no parameter of this network.",
                f"use one of: {', '.join(layers)}.",
            )
        frozen.extend(hits)
    for name, param in model.named_parameters():
        if name in frozen:
            param.requires_grad_(False)
    return frozen
