"""The shipped launcher presets run real sweeps: ``parallel`` (joblib/loky),
``slurm_local`` (submitit's local executor) and, slow, ``ray_local``."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ray_lock import ray_alone


def _statuses(sweep: Path) -> dict[str, str]:
    out = {}
    for member in sweep.iterdir():
        if member.is_dir() and not member.name.startswith("."):
            # The overrides, not the name (which leaves out the keys members share).
            overrides = yaml.safe_load((member / ".hydra" / "overrides.yaml").read_text())
            items = dict(i.split("=", 1) for i in overrides)
            key = f"seed={items['seed']}" + (
                f",gamma={items['advantage.gamma']}" if "advantage.gamma" in items else ""
            )
            out[key] = json.loads((member / "summary.json").read_text())["status"]
    return out


def test_loky_workers_pin_threads() -> None:
    """joblib's loky workers cap OpenMP/MKL/BLAS threads and honour torch_threads, so
    the preset needs no environment variables of its own."""
    import joblib

    def probe(threads: int) -> tuple[str | None, int]:
        import torch

        torch.set_num_threads(threads)  # what Trainer does with cfg.torch_threads
        return os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads()

    out = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(probe)(1) for _ in range(2))
    cores = os.cpu_count() or 1
    for omp, torch_threads in out:
        assert omp == str(max(cores // 2, 1))
        assert torch_threads == 1


def test_parallel_preset_runs_members_and_survives_a_failure(cli, tiny, tmp_path: Path) -> None:
    importlib.import_module("hydra_plugins.hydra_joblib_launcher")  # installed by the dev extra
    sweep = tmp_path / "sweep"
    cli(
        [
            "train",
            "-m",
            "hydra/launcher=parallel",
            "hydra.launcher.n_jobs=2",
            "seed=1",
            "advantage.gamma=0.9,1.5",
            *tiny(),
            f"hydra.sweep.dir={sweep}",
        ]
    )
    assert _statuses(sweep) == {"seed=1,gamma=0.9": "completed", "seed=1,gamma=1.5": "failed"}
    multirun = (sweep / "multirun.yaml").read_text()
    assert "JoblibLauncher" in multirun and "n_jobs: 2" in multirun


def test_slurm_local_preset(cli, tiny, tmp_path: Path) -> None:
    importlib.import_module("hydra_plugins.hydra_submitit_launcher")  # installed by the dev extra
    sweep = tmp_path / "sweep"
    cli(
        [
            "train",
            "-m",
            "hydra/launcher=slurm_local",
            "seed=1,2",
            *tiny(),
            f"hydra.sweep.dir={sweep}",
        ]
    )
    assert _statuses(sweep) == {"seed=1": "completed", "seed=2": "completed"}
    assert (sweep / ".submitit").is_dir()


def test_slurm_preset_composes() -> None:
    importlib.import_module("hydra_plugins.hydra_submitit_launcher")  # installed by the dev extra
    import hydra

    from advrun.config import conf_dir, register_configs

    register_configs()
    with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        cfg = hydra.compose(
            "train",
            ["hydra/launcher=slurm", "hydra.launcher.partition=gpu"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.cpus_per_task, launcher.timeout_min) == ("gpu", 1, 60)


@pytest.mark.slow
def test_ray_local_preset(tiny, tmp_path: Path) -> None:
    """A throwaway local Ray cluster (2 CPUs, loopback, no dashboard)."""
    importlib.import_module("hydra_plugins.hydra_ray_launcher")  # installed by the dev extra
    sweep = tmp_path / "sweep"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    with ray_alone():  # no other test's Ray instance alive meanwhile (tests/ray_lock.py)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "advrun",
                "train",
                "-m",
                "hydra/launcher=ray_local",
                "seed=1",
                "advantage.gamma=0.9,1.5",
                *tiny(),
                f"hydra.sweep.dir={sweep}",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert _statuses(sweep) == {"seed=1,gamma=0.9": "completed", "seed=1,gamma=1.5": "failed"}
