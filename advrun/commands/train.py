"""``advrun train``: compose the config with Hydra, validate it, run the trainer.

The task returns the final eval return, so any Hydra sweeper (Optuna, Ax, Nevergrad)
can maximise it. Exit status: 0 done, 2 bad input (nothing was run), 3 training
diverged (NaN/inf), 128+N interrupted by signal N (state saved, resumable).
"""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from advrun.commands.errors import clean_errors, mark_job_started
from advrun.config import ConfigError, TrainConfig, conf_dir, register_configs, to_train_config
from advrun.sweeps.members import in_multirun, member_overrides, record_failure
from advrun.training import Trainer
from advrun.training.checkpoint import load_checkpoint
from advrun.training.faults import TrainingDiverged
from advrun.training.trainer import Interrupted

register_configs()
log = logging.getLogger(__name__)

EXIT_DIVERGED = 3
# What a resumed run may change: its length and how often it logs, evaluates, saves.
RESUMABLE_KEYS = {
    "resume",
    "total_steps",
    "progress",
    "eval.interval",
    "checkpoint_interval",
    "log_interval",
    "device",
    "torch_threads",
}


def _overridden_keys() -> list[str]:
    # resolve=False: the override strings are data; "${...}" in them must not resolve here.
    overrides = OmegaConf.to_container(HydraConfig.get().overrides.task, resolve=False)
    assert isinstance(overrides, list)
    return [str(o).split("=", 1)[0].lstrip("+~") for o in overrides]


def resume_config(cfg: DictConfig, overridden: list[str]) -> tuple[TrainConfig, dict[str, Any]]:
    """The stored config of ``cfg.resume`` plus the few keys a resume may change."""
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
    stored = OmegaConf.merge(OmegaConf.structured(TrainConfig), state["config"])
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
        OmegaConf.update(stored, key, OmegaConf.select(cfg, key), force_add=False)
    stored.resume = str(run_dir)
    return to_train_config(stored), state


def run_training(cfg: DictConfig, run_dir: str, overridden: list[str] | None = None) -> float:
    """Validate ``cfg`` (before any work) and train into ``run_dir``."""
    if cfg.resume:
        config, state = resume_config(cfg, overridden or [])
        return Trainer(config, config.resume or run_dir, resume_state=state).run()
    return Trainer(to_train_config(cfg), run_dir).run()


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="train")
def train(cfg: DictConfig) -> float:
    if in_multirun():
        return _sweep_member(cfg)
    with clean_errors():
        try:
            return run_training(cfg, HydraConfig.get().runtime.output_dir, _overridden_keys())
        except Interrupted as stop:
            sys.stderr.write(
                f"advrun: {stop}; saved checkpoints/last.pt and summary.json (status "
                f"interrupted). Continue with: advrun train resume="
                f"{cfg.resume or HydraConfig.get().runtime.output_dir}\n"
            )
            raise SystemExit(stop.exit_code) from None
        except TrainingDiverged as err:
            sys.stderr.write(f"advrun: {err}\n")
            raise SystemExit(EXIT_DIVERGED) from None
    raise AssertionError("unreachable")


def _sweep_member(cfg: DictConfig) -> float:
    """One member of ``advrun train -m``: a failure (bad value, divergence, crash) is
    recorded in the member's summary.json and printed with its overrides, and the member
    returns NaN so the launcher and the other members carry on (advrun.sweeps.members
    explains why a return, not an exception). A signal still stops the whole sweep."""
    mark_job_started()
    run_dir = HydraConfig.get().runtime.output_dir
    try:
        return run_training(cfg, run_dir, _overridden_keys())
    except Interrupted as stop:
        sys.stderr.write(f"advrun: {stop}; stopping the sweep (member state saved in {run_dir}).\n")
        raise SystemExit(stop.exit_code) from None
    except Exception as err:
        record_failure(run_dir, err, member_overrides())
        return math.nan
