"""Optimizer construction and learning-rate schedules."""

from advrun.optim.factory import OPTIMIZERS, make_optimizer, set_lr
from advrun.optim.schedules import SCHEDULES, lr_at

__all__ = ["OPTIMIZERS", "SCHEDULES", "lr_at", "make_optimizer", "set_lr"]
