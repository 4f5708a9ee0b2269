"""Optimizer construction and annealing schedules (learning rate, clip range)."""

from advrun.optim.factory import OPTIMIZERS, make_optimizer, set_lr
from advrun.optim.groups import param_groups
from advrun.optim.schedules import SCHEDULES, anneal, lr_at

__all__ = ["OPTIMIZERS", "SCHEDULES", "anneal", "lr_at", "make_optimizer", "param_groups", "set_lr"]
