"""The trainer loop and what it writes: rollouts, evaluation, checkpoints, logs."""

from advrun.training.trainer import Trainer

__all__ = ["Trainer"]
