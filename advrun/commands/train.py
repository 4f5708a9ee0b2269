"""``advrun train``: compose the config with Hydra, validate it, run the trainer.

The task returns the final eval return, so any Hydra sweeper (Optuna, Ax, Nevergrad)
can maximise it. Exit status: 0 done (or nothing to do: the run was already complete),
1 a runtime fault (the env raised, disk full, out of memory, a bug: one paragraph with
the fix and the resume command; ``--verbose`` adds the traceback), 2 bad input (nothing
was run, no run dir is left behind), 3 training diverged or the env returned NaN/inf,
128+N interrupted by signal N (state saved, resumable).
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from advrun.commands import errors
from advrun.commands.errors import clean_errors, mark_job_started
from advrun.commands.preflight import in_use_error
from advrun.commands.run_end import next_steps, read_summary, summary_line
from advrun.config import ConfigError, TrainConfig, conf_dir, register_configs, to_train_config
from advrun.config.stored import stored_config
from advrun.storage.lock import RunDirLock, RunDirLocked
from advrun.sweeps.members import in_multirun, member_overrides, record_failure
from advrun.training.signals import StopSignals

# The trainer, checkpoints and faults (torch, gymnasium, TensorBoard) are imported inside
# the functions that run a job: `advrun train --help` composes and prints the config only
# (advrun.cli registers the schemas light for it), and must not pay for them.
register_configs()
log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_DIVERGED = 3
# What a resumed run may change: its length, how often it logs, evaluates and saves,
# where it runs, and the two knobs that get a diverged run going again.
RESUMABLE_KEYS = {
    "resume",
    "total_steps",
    "progress",
    "eval.interval",
    "checkpoint_interval",
    "log_interval",
    "device",
    "torch_threads",
    "compile",
    "optimizer.lr",
    "optimizer.max_grad_norm",
}


class AlreadyComplete(Exception):
    """``resume=`` on a completed run that was not extended: nothing to do.
    ``final_return`` is the run's final eval return (what the task returns)."""

    def __init__(self, message: str, final_return: float) -> None:
        self.final_return = final_return
        super().__init__(message)


def _overridden_keys() -> list[str]:
    # resolve=False: the override strings are data; "${...}" in them must not resolve here.
    overrides = OmegaConf.to_container(HydraConfig.get().overrides.task, resolve=False)
    assert isinstance(overrides, list)
    return [str(o).split("=", 1)[0].lstrip("+~") for o in overrides]


def resume_config(
    cfg: DictConfig, overridden: list[str]
) -> tuple[TrainConfig, dict[str, Any], dict[str, list[Any]]]:
    """The stored config of ``cfg.resume`` plus the few keys a resume may change, the
    checkpoint, and what changed (``{key: [old, new]}``, recorded in the run's history).

    Raises :class:`AlreadyComplete` when the run completed and ``total_steps`` was not
    raised above what it was trained for."""
    from advrun.storage.checkpoint import load_checkpoint

    run_dir = Path(cfg.resume)
    last = run_dir / "checkpoints" / "last.pt"
    if not last.is_file():
        raise ConfigError(
            "resume",
            f"{run_dir} has no checkpoints/last.pt to continue from.",
            "pass the directory of an advrun run that saved a checkpoint (runs save "
            "last.pt every checkpoint_interval steps and at the end).",
        )
    state = load_checkpoint(last)
    stored = stored_config(state["config"])
    changes: dict[str, list[Any]] = {}
    for key in overridden:
        if key not in RESUMABLE_KEYS:
            raise ConfigError(
                key,
                f"cannot be changed when resuming {run_dir} (the run's stored config "
                "is used as is).",
                f"drop {key} from the command, or start a new run with init.checkpoint="
                f"{run_dir}/checkpoints/last.pt to warm-start from its weights. Resumable "
                f"keys: {', '.join(sorted(RESUMABLE_KEYS))}.",
            )
        old, new = OmegaConf.select(stored, key), OmegaConf.select(cfg, key)
        if key != "resume" and old != new:
            changes[key] = [old, new]
        OmegaConf.update(stored, key, new, force_add=False)
    stored.resume = str(run_dir)
    config = to_train_config(stored)
    if state.get("completed") and config.total_steps <= state["config"]["total_steps"]:
        raise AlreadyComplete(
            f"advrun: {run_dir} is complete ({state.get('stop_reason') or 'finished'} at step "
            f"{state['global_step']}); nothing to do. To train it further, raise "
            f"total_steps above {state['config']['total_steps']}: advrun train "
            f"resume={run_dir} total_steps=<more>.\n",
            float(state["last_eval"][0]) if state.get("last_eval") else math.nan,
        )
    return config, state, changes


def run_training(
    cfg: DictConfig,
    run_dir: str,
    overridden: list[str] | None = None,
    signals: StopSignals | None = None,
) -> float:
    """Validate ``cfg`` (before any work), lock the run dir and train into it."""
    from advrun.training.trainer import Trainer

    state = changes = None
    if cfg.resume:
        config, state, changes = resume_config(cfg, overridden or [])
        run_dir = config.resume or run_dir
    else:
        config = to_train_config(cfg)
    with RunDirLock(run_dir):
        trainer = Trainer(config, run_dir, resume_state=state, config_changes=changes)
        return trainer.run(signals)


def _remove_unstarted(run_dir: Path, output_subdir: str | None) -> None:
    """Delete what Hydra made for a run that never started (bad input): this command's
    ``.hydra`` record and, for a new run, the whole directory when it holds nothing
    else, with any parent folders that only held it (``outputs/runs/<date>/``).

    Hydra's log handler for ``train.log`` is closed first; a resumed run's own files are
    never touched."""
    for logger in (logging.getLogger(), logging.getLogger("hydra")):
        for handler in logger.handlers[:]:
            filename = getattr(handler, "baseFilename", None)
            if filename and Path(filename).resolve().is_relative_to(run_dir.resolve()):
                logger.removeHandler(handler)
                handler.close()
    if output_subdir and Path(output_subdir) != Path(".hydra"):
        # A resume: only this command's own record goes.
        shutil.rmtree(run_dir / output_subdir, ignore_errors=True)
        return
    leftovers = {p.name for p in run_dir.iterdir()} if run_dir.is_dir() else set()
    log_file = run_dir / "train.log"
    if leftovers <= {".hydra", "train.log", ".lock"} and (
        not log_file.exists() or log_file.stat().st_size == 0
    ):
        shutil.rmtree(run_dir, ignore_errors=True)
        stop = Path.cwd().resolve()
        parent = run_dir.resolve().parent
        while parent != stop and stop in parent.parents and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _print_fault(err: BaseException) -> None:
    sys.stderr.write(f"advrun: {err}\n")
    if errors.verbose and err.__cause__ is not None:
        traceback.print_exception(err.__cause__, file=sys.stderr)
    sys.stderr.flush()


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="train")
def train(cfg: DictConfig) -> float:
    from advrun.training.faults import RunFailed, TrainingDiverged
    from advrun.training.trainer import Interrupted

    if cfg.get("seeds") is not None:  # many seeds in this process (advrun.seeds)
        from advrun.seeds.command import train_seeds

        return train_seeds(cfg, _overridden_keys(), in_multirun())
    if in_multirun():
        return _sweep_member(cfg)
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    mark_job_started()
    with StopSignals() as signals:
        try:
            with clean_errors():
                try:
                    result = run_training(cfg, str(run_dir), _overridden_keys(), signals)
                except RunDirLocked as err:
                    key = "resume" if cfg.resume else "hydra.run.dir"
                    raise in_use_error(key, err.run_dir, err.holder) from None
            _say_how_it_ended(cfg.resume or run_dir)
            return result
        except AlreadyComplete as done:
            _remove_unstarted(run_dir, hydra_cfg.output_subdir)
            sys.stderr.write(str(done))
            return done.final_return
        except SystemExit as exit_:
            if exit_.code == errors.EXIT_BAD_INPUT:
                _remove_unstarted(run_dir, hydra_cfg.output_subdir)
            raise
        except Interrupted as stop:
            resume_dir = cfg.resume or run_dir
            saved = (
                "saved checkpoints/last.pt and summary.json (status interrupted)"
                if stop.saved
                else "stopped at once (second Ctrl-C): checkpoints/last.pt is the previous "
                "checkpoint, summary.json says interrupted"
            )
            sys.stderr.write(
                f"advrun: {stop}; {saved}. Continue with: advrun train resume={resume_dir}\n"
            )
            _say_how_it_ended(resume_dir)
            raise SystemExit(stop.exit_code) from None
        except TrainingDiverged as err:
            sys.stderr.write(f"advrun: {err}\n")
            _say_how_it_ended(cfg.resume or run_dir)
            raise SystemExit(EXIT_DIVERGED) from None
        except RunFailed as err:
            _print_fault(err)
            _say_how_it_ended(cfg.resume or run_dir)
            raise SystemExit(EXIT_FAILED) from None
    raise AssertionError("unreachable")


def _say_how_it_ended(run_dir: str | Path) -> None:
    """Log the run's one-line summary (console and train.log), then print the run dir
    and the commands to look at it (advrun.commands.run_end)."""
    summary = read_summary(run_dir)
    if summary is not None:
        log.info("%s", summary_line(summary))
    for handler in logging.getLogger().handlers:  # the summary line lands before the block
        handler.flush()
    sys.stdout.write("\n".join(next_steps(run_dir, summary and summary.get("status"))) + "\n")
    sys.stdout.flush()


def _sweep_member(cfg: DictConfig) -> float:
    """One member of ``advrun train -m``: a failure (bad value, divergence, crash) is
    recorded in the member's summary.json and printed with its overrides, and the member
    returns NaN so the launcher and the other members carry on (advrun.sweeps.members
    explains why a return, not an exception). A signal still stops the whole sweep."""
    from advrun.training.trainer import Interrupted

    mark_job_started()
    run_dir = HydraConfig.get().runtime.output_dir
    try:
        with StopSignals() as signals:
            result = run_training(cfg, run_dir, _overridden_keys(), signals)
        summary = read_summary(run_dir)
        if summary is not None:
            log.info("%s", summary_line(summary))
        return result
    except Interrupted as stop:
        sys.stderr.write(f"advrun: {stop}; stopping the sweep (member state saved in {run_dir}).\n")
        raise SystemExit(stop.exit_code) from None
    except AlreadyComplete as done:
        sys.stderr.write(str(done))
        return done.final_return
    except Exception as err:
        record_failure(run_dir, err, member_overrides())
        return math.nan
