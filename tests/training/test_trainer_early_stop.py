"""Early stopping: the trainer stops at the first eval that reaches the target, and
the EarlyStopper's target/patience logic in isolation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from advrun.training.early_stop import EarlyStopper


def test_run_stops_at_first_eval_reaching_target(train_run, tmp_path: Path) -> None:
    run_dir = train_run(
        tmp_path / "run", total_steps=1024, eval__interval=64, early_stop__target_return=-1e9
    )
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stop_reason"] == "target_return"
    assert summary["steps"] == 64  # one batch (2 envs x 32 steps), then the first eval
    assert summary["steps"] < 1024
    assert math.isfinite(summary["final_eval_return"])
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    assert (run_dir / "checkpoints" / "best.pt").is_file()


def test_run_without_target_uses_all_steps(train_run, tmp_path: Path) -> None:
    run_dir = train_run(tmp_path / "run", early_stop__target_return="null")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stop_reason"] == "total_steps"
    assert summary["steps"] == 256


def test_target_reached() -> None:
    stopper = EarlyStopper(target=100.0, patience=None)
    assert not stopper.should_stop(99.9)
    assert stopper.reason == ""
    assert stopper.should_stop(100.0)  # >= target
    assert stopper.reason == "target_return"


def test_patience_counts_evals_without_improvement() -> None:
    stopper = EarlyStopper(target=None, patience=2)
    assert not stopper.should_stop(1.0)  # first value is an improvement over -inf
    assert not stopper.should_stop(2.0)  # improvement resets the count
    assert not stopper.should_stop(2.0)  # stale 1
    assert stopper.should_stop(1.5)  # stale 2 -> stop
    assert stopper.reason == "patience"
    assert stopper.best == 2.0


def test_improvement_resets_patience() -> None:
    stopper = EarlyStopper(target=None, patience=2)
    for value in (1.0, 0.0, 3.0, 0.0):
        assert not stopper.should_stop(value)
    assert stopper.should_stop(0.0)


def test_min_delta_requires_a_large_enough_improvement() -> None:
    stopper = EarlyStopper(target=None, patience=2, min_delta=0.5)
    assert not stopper.should_stop(10.0)
    assert not stopper.should_stop(10.4)  # not > 10.5: stale 1
    assert stopper.should_stop(10.5)  # not > 10.5: stale 2
    assert stopper.best == 10.0


def test_patience_one_stops_at_first_non_improvement() -> None:
    stopper = EarlyStopper(target=None, patience=1)
    assert not stopper.should_stop(5.0)
    assert stopper.should_stop(5.0)


@pytest.mark.parametrize("values", [[1.0] * 50, [float(i) for i in range(50)], [-1e9] * 5])
def test_disabled_never_stops(values: list[float]) -> None:
    stopper = EarlyStopper(target=None, patience=None)
    assert not any(stopper.should_stop(v) for v in values)
    assert stopper.reason == ""


def test_target_wins_over_patience() -> None:
    stopper = EarlyStopper(target=0.0, patience=1)
    assert not stopper.should_stop(-5.0)
    assert stopper.should_stop(1.0)
    assert stopper.reason == "target_return"
