"""The Optuna sweeper, resumable from persistent storage.

hydra-optuna-sweeper already reopens an existing study (``load_if_exists=True``) but
then runs ``n_trials`` *more* trials, and trials that were running when the sweep
process died stay ``RUNNING`` in the storage forever. Rerunning an interrupted command
should finish the study instead. The ``resume_study`` callback (shipped in
``hydra/sweeper=ppo_search``) therefore, before the sweeper starts,

1. marks the dead sweep's ``RUNNING`` trials as ``FAIL`` (user attr ``advrun_stale``),
   since with one sweep process per study nothing else can be running them, and
2. runs only ``n_trials`` minus the trials already finished (complete, pruned, or
   failed on their own), so ``n_trials`` is the size of the study, and
3. re-seeds the sampler with ``seed + (trials already in the study)``. A seeded sampler
   restarts its random stream in every process, so without this a resumed sweep asks
   for the same parameter sets as the first one did (trial 2 of a resumed study was
   trial 0's values exactly). The resumed part is reproducible for a given kill point,
   but not identical to an uninterrupted study: Optuna's samplers keep no state in the
   storage that would let a new process continue the old stream.

Do not point two live sweeps at one study: step 1 would fail the other's trials.

It is a Hydra callback rather than a sweeper subclass because Hydra only instantiates
sweepers defined in the ``hydra_plugins`` namespace package; the callback runs in
``on_multirun_start``, just before Hydra instantiates the sweeper from the same config.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

log = logging.getLogger(__name__)

STALE_ATTR = "advrun_stale"
SHORT_SUBDIR = "hydra.sweep.subdir=trial${hydra.job.num}_${now:%Y-%m-%d_%H-%M-%S}"


def prepare_resume(storage: Any, study_name: str) -> tuple[int, int, int]:
    """Fail stale RUNNING trials of an existing study; return (finished, stale, trials).

    ``finished`` counts the trials that used up part of the budget: complete, pruned and
    failed ones, except those failed here (or by an earlier resume) as stale. ``trials``
    counts every trial in the study (the sampler's seed offset)."""
    import optuna
    from optuna.trial import TrialState

    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:  # no such study yet: a fresh start
        return 0, 0, 0
    storage_obj = study._storage
    stale = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage_obj.set_trial_user_attr(trial._trial_id, STALE_ATTR, True)
        storage_obj.set_trial_state(trial._trial_id, TrialState.FAIL)
        stale += 1
    finished = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
            trial.state == TrialState.FAIL and not trial.user_attrs.get(STALE_ATTR)
        ):
            finished += 1
    return finished, stale, len(study.get_trials(deepcopy=False))


def quiet_optuna_colours() -> None:
    """Send Optuna's messages through the logging Hydra configured (console and the
    sweep's log file) instead of Optuna's own colorlog handler, which writes ANSI colour
    codes even when stderr is a file."""
    import optuna

    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()


def _make_sqlite_dir(storage: Any) -> None:
    """SQLite cannot create the folder of its file ("unable to open database file"):
    create it, as advrun does for every other output path."""
    prefix = "sqlite:///"
    if isinstance(storage, str) and storage.startswith(prefix):
        path = storage[len(prefix) :]
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


class OptunaStudy(Callback):
    """Resume a stored study; give members short directory names.

    Optuna samples floats such as ``optimizer.lr=0.0006466422717414558``; joined by
    ``${hydra.job.override_dirname}`` three of them plus a few fixed overrides pass the
    255-byte file-name limit. Unless the command sets ``hydra.sweep.subdir`` itself,
    the members are named ``trial<job num>_<time>`` (the time keeps a resumed sweep,
    whose job numbers restart at 0, from reusing the killed sweep's directories).
    Members are composed again from ``hydra.overrides.hydra``, so that is where the
    name goes; each member's ``.hydra/overrides.yaml`` still lists its values."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        hydra_overrides = [str(o) for o in config.hydra.overrides.hydra]
        if not any(o.lstrip("+~").startswith("hydra.sweep.subdir=") for o in hydra_overrides):
            with read_write(config), open_dict(config):
                config.hydra.overrides.hydra.append(SHORT_SUBDIR)
        if "optuna" in str(config.hydra.sweeper.get("_target_", "")).lower():
            quiet_optuna_colours()
        self._resume(config)

    def _resume(self, config: DictConfig) -> None:
        sweeper = config.hydra.sweeper
        if "optuna" not in str(sweeper.get("_target_", "")).lower():
            return
        storage, study_name = sweeper.get("storage"), sweeper.get("study_name")
        _make_sqlite_dir(storage)
        if storage is None or study_name is None:
            return
        finished, stale, trials = prepare_resume(storage, study_name)
        if not (finished or stale):
            return
        seed = OmegaConf.select(sweeper, "sampler.seed")
        if seed is not None:
            with read_write(config), open_dict(config):
                sweeper.sampler.seed = int(seed) + trials
        total = int(sweeper.n_trials)
        left = max(0, total - finished)
        log.info(
            "Resuming Optuna study %r: %d trial(s) finished, running %d more for n_trials=%d%s%s.",
            study_name,
            finished,
            left,
            total,
            f"; {stale} trial(s) of an interrupted sweep marked FAIL" if stale else "",
            f"; sampler seed {seed} + {trials} trials so far" if seed is not None else "",
        )
        with read_write(config), open_dict(config):
            sweeper.n_trials = left
