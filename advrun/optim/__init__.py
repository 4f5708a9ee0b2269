"""Optimizers (registered with their typed configs), parameter groups and annealing
schedules (learning rate, clip range, exploration)."""

from advrun.optim.factory import (
    OPTIMIZERS,
    AdamConfig,
    AdamWConfig,
    OptimizerConfig,
    RMSpropConfig,
    SGDConfig,
    make_optimizer,
    set_lr,
)
from advrun.optim.groups import param_groups
from advrun.optim.schedules import SCHEDULES, anneal, lr_at

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "AdamConfig",
    "AdamWConfig",
    "OptimizerConfig",
    "RMSpropConfig",
    "SGDConfig",
    "anneal",
    "lr_at",
    "make_optimizer",
    "param_groups",
    "set_lr",
]
