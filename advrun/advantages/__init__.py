"""Advantage estimators over time-major ``[T, N]`` rollout tensors.

Every estimator has the signature::

    fn(rewards, values, next_values, terminated, done, *, gamma, ...) -> (advantages, returns)

with ``returns`` the value targets and ``advantages = returns - values``. See each function's
docstring for its formula. :func:`get_estimator` binds hyperparameters by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from torch import Tensor

from ._checks import check_gamma, check_lam, check_n
from .gae import gae
from .group import first_episode_mask, grpo, rloo
from .mc import mc
from .normalize import normalize
from .nstep import nstep
from .td import td
from .vtrace import vtrace

__all__ = [
    "ESTIMATORS",
    "Estimator",
    "first_episode_mask",
    "gae",
    "get_estimator",
    "grpo",
    "mc",
    "normalize",
    "nstep",
    "rloo",
    "td",
    "vtrace",
]

Estimator = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], tuple[Tensor, Tensor]]
"""A bound estimator: ``(rewards, values, next_values, terminated, done) -> (adv, returns)``."""

ESTIMATORS: dict[str, Callable[..., tuple[Tensor, Tensor]]] = {
    "mc": mc,
    "td": td,
    "nstep": nstep,
    "gae": gae,
}

# Hyperparameters each estimator takes (gamma always), with their validators.
_VALIDATORS: dict[str, Callable[[object], object]] = {
    "gamma": check_gamma,
    "lam": check_lam,
    "n": check_n,
}
_HYPERPARAMS: dict[str, tuple[str, ...]] = {
    "mc": ("gamma",),
    "td": ("gamma",),
    "nstep": ("gamma", "n"),
    "gae": ("gamma", "lam"),
}


def get_estimator(name: str, **hyper: object) -> Estimator:
    """Return estimator ``name`` with its hyperparameters bound via ``functools.partial``.

    ``hyper`` may hold any of ``gamma``, ``lam`` and ``n`` (so one config can carry all of
    them); only those the estimator uses are bound: ``gamma`` always, ``lam`` for ``"gae"``,
    ``n`` for ``"nstep"``. The others are dropped. Hyperparameters are validated here, so a
    bad config fails at construction time rather than at the first update.

    Raises:
        ValueError: for an unknown ``name`` (the message lists the valid names), an unknown
            hyperparameter name (e.g. a typo such as ``lambda``), a missing required
            hyperparameter, or an invalid value.
    """
    if name not in ESTIMATORS:
        valid = ", ".join(sorted(ESTIMATORS))
        raise ValueError(f"unknown advantage estimator {name!r}; valid names: {valid}")
    unknown = sorted(set(hyper) - set(_VALIDATORS))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {unknown} for advantage estimator {name!r}; "
            f"accepted: {sorted(_VALIDATORS)}"
        )
    bound: dict[str, object] = {}
    for key in _HYPERPARAMS[name]:
        if key not in hyper:
            raise ValueError(f"advantage estimator {name!r} requires hyperparameter {key!r}")
        bound[key] = _VALIDATORS[key](hyper[key])
    return functools.partial(ESTIMATORS[name], **bound)
