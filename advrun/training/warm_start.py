"""Initialise a model from a trained checkpoint and freeze chosen layers."""

from __future__ import annotations

import torch

from advrun.config.errors import ConfigError
from advrun.training.checkpoint import load_checkpoint


def load_weights(model: torch.nn.Module, path: str) -> None:
    """Copy a checkpoint's model weights into ``model``; shapes must match exactly."""
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
