"""After training: load a checkpoint's policy, play it, record videos, write reports."""

from advrun.evaluation.loading import TrainedPolicy, load_trained_policy, run_dir_of

__all__ = ["TrainedPolicy", "load_trained_policy", "run_dir_of"]
