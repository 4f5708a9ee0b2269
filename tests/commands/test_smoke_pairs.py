"""A tiny ``advrun train`` for every algo × advantage pair, a continuous-action run,
the shared-trunk network with every optimizer, and a GPU-device run when one exists.

Each run must leave the full set of artifacts behind with a finite eval return.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

ALGOS = ("reinforce", "a2c", "ppo")
ADVANTAGES = ("mc", "td", "nstep", "gae")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
TOTAL_STEPS = 256


def check_run_dir(run_dir: Path, total_steps: int = TOTAL_STEPS) -> dict:
    summary_path = run_dir / "summary.json"
    assert summary_path.is_file(), sorted(p.name for p in run_dir.iterdir())
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "completed"
    assert math.isfinite(summary["final_eval_return"])
    assert summary["steps"] >= total_steps
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    assert (run_dir / "checkpoints" / "best.pt").is_file()
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    return summary


@pytest.mark.parametrize(
    ("algo", "advantage"),
    list(itertools.product(ALGOS, ADVANTAGES)),
    ids=[f"{a}-{b}" for a, b in itertools.product(ALGOS, ADVANTAGES)],
)
def test_algo_advantage_pair(train_run, tmp_path: Path, algo: str, advantage: str) -> None:
    run_dir = train_run(tmp_path / "run", algo=algo, advantage=advantage)
    summary = check_run_dir(run_dir)
    assert summary["env_id"] == "CartPole-v1"
    saved = (run_dir / ".hydra" / "config.yaml").read_text()
    assert f"name: {algo}" in saved and f"name: {advantage}" in saved


def test_continuous_pendulum_ppo_gae(train_run, tmp_path: Path) -> None:
    run_dir = train_run(tmp_path / "run", env="pendulum", algo="ppo", advantage="gae")
    summary = check_run_dir(run_dir)
    assert summary["env_id"] == "Pendulum-v1"
    assert summary["final_eval_return"] < 0  # Pendulum rewards are all <= 0


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_shared_network_with_each_optimizer(train_run, tmp_path: Path, optimizer: str) -> None:
    run_dir = train_run(tmp_path / "run", network="mlp_shared", optimizer=optimizer)
    check_run_dir(run_dir)
    saved = (run_dir / ".hydra" / "config.yaml").read_text()
    assert "shared: true" in saved and f"name: {optimizer}" in saved


@pytest.mark.gpu
def test_cuda_run(train_run, tmp_path: Path) -> None:
    check_run_dir(train_run(tmp_path / "run", device="cuda"))
