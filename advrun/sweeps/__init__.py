"""Sweeps: what advrun adds around Hydra's launcher and sweeper plugins.

- ``members``: fail one sweep member without stopping the sweep; read a sweep directory
  back (overrides, summary, eval curve per member).
- ``callbacks``: a Hydra callback that lists failed members after a multirun.
- ``optuna``: the Optuna sweeper, resumable from persistent storage.
- ``stats``: IQM and stratified-bootstrap confidence intervals.
- ``plot``: the learning-curve / IQM figure of ``advrun report``.
- ``records``, ``summary``, ``markdown``, ``render``: per-member records as JSON and the
  markdown tables / IQM-curve PNGs rendered from them (``advrun report --from-records``).

Launching is Hydra's plugins' job (joblib, submitit, ray); the presets that configure
them live in ``conf/hydra/``. Heavy imports (optuna, matplotlib) stay inside the
modules that need them.
"""
