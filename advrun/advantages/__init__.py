"""Advantage estimators over time-major ``[T, N]`` rollout tensors.

Each estimator is a pure function with its own signature and a docstring giving its
formula (``gae``, ``mc``, ``td``, ``nstep``, ``vtrace``, ``grpo``, ``rloo``); most share
the project's contract::

    fn(rewards, values, next_values, terminated, done, *, gamma, ...) -> (advantages, returns)

Each module also registers the estimator in :data:`ESTIMATORS` with its typed config
and traits (:mod:`advrun.advantages.registry`), which is what the config, validation,
``--help`` and the algorithms use. Importing this package imports every module in it,
so a new estimator is one module (plus its ``conf/advantage/<name>.yaml`` and tests):
nothing else lists it.
"""

from __future__ import annotations

import importlib
import pkgutil

from .gae import GAEConfig, gae
from .group import GRPOConfig, RLOOConfig, first_episode_mask, grpo, rloo
from .mc import MCConfig, mc
from .normalize import normalize
from .nstep import NStepConfig, nstep
from .registry import ESTIMATORS, EstimatorConfig, EstimatorInputs, bind
from .td import TDConfig, td
from .vtrace import VTraceConfig, vtrace

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ESTIMATORS",
    "EstimatorConfig",
    "EstimatorInputs",
    "GAEConfig",
    "GRPOConfig",
    "MCConfig",
    "NStepConfig",
    "RLOOConfig",
    "TDConfig",
    "VTraceConfig",
    "bind",
    "first_episode_mask",
    "gae",
    "grpo",
    "mc",
    "normalize",
    "nstep",
    "rloo",
    "td",
    "vtrace",
]
