"""The training loop every run shares (:mod:`advrun.training.trainer`), the builder that
turns a config into the run's parts, evaluation, early stopping, signals and faults."""
