"""Update rules. Each takes a flat :class:`Batch` and returns scalar metrics."""

from __future__ import annotations

from collections.abc import Callable

import torch

from advrun.algos.batch import Batch
from advrun.algos.pg import update_pg
from advrun.algos.ppo import update_ppo
from advrun.config.schema import AlgoConfig
from advrun.networks import ActorCritic

UpdateFn = Callable[
    [ActorCritic, torch.optim.Optimizer, Batch, AlgoConfig, "float | None", torch.Generator],
    dict[str, float],
]

UPDATES: dict[str, UpdateFn] = {"reinforce": update_pg, "a2c": update_pg, "ppo": update_ppo}

__all__ = ["UPDATES", "Batch", "UpdateFn", "update_pg", "update_ppo"]
