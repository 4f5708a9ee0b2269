"""``resume=`` on a completed run: nothing happens unless total_steps was raised, and an
extended run has no duplicate TensorBoard or HParams points. A diverged run can be
resumed with a lower learning rate, recorded in its config history."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from cli_exit import exit_code
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader


def _snapshot(run_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    }


def _tags_steps(run_dir: Path) -> dict[str, list[int]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [e.step for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _count_plugin_tag(run_dir: Path, tag: str) -> int:
    n = 0
    for path in run_dir.glob("events.out.tfevents.*"):
        for event in EventFileLoader(str(path)).Load():
            n += sum(1 for v in event.summary.value if v.tag == tag)
    return n


@pytest.mark.parametrize("early_stop", [False, True])
def test_resuming_a_completed_run_changes_nothing(
    cli, train_run, tmp_path: Path, capsys, early_stop: bool
) -> None:
    # Off the eval grid (1000 is not a multiple of 256): before, every resume re-evaluated.
    extra = {"early_stop__target_return": 5.0} if early_stop else {}
    run_dir = train_run(tmp_path / "run", total_steps=1000, eval__interval=256, **extra)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["stop_reason"] == ("target_return" if early_stop else "total_steps")
    before = _snapshot(run_dir)
    capsys.readouterr()
    for _ in range(2):
        assert exit_code(cli, ["train", f"resume={run_dir}"]) == 0
        err = capsys.readouterr().err
        assert f"{run_dir} is complete" in err and "nothing to do" in err
        assert "total_steps=<more>" in err
        assert _snapshot(run_dir) == before


def test_raising_total_steps_continues_without_duplicate_points(
    cli, train_run, tmp_path: Path
) -> None:
    run_dir = train_run(tmp_path / "run", total_steps=1000, eval__interval=256)
    assert exit_code(cli, ["train", f"resume={run_dir}", "total_steps=1512"]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 1512
    assert summary["config_history"] == [{"step": 1000, "changes": {"total_steps": [1000, 1512]}}]
    steps = _tags_steps(run_dir)
    for tag, values in steps.items():
        assert len(values) == len(set(values)), f"{tag} has duplicate steps: {values}"
    # Evaluations run after the update that crosses a multiple of 256: 256..768, the
    # first end (1000, after a cut 40-step rollout), then 1064 and 1320 (64-step
    # batches from 1000 cross 1024 and 1280) and the new end.
    assert steps["eval/episodic_return"] == [256, 512, 768, 1000, 1064, 1320, 1512]
    assert _count_plugin_tag(run_dir, "_hparams_/session_start_info") == 1
    assert _count_plugin_tag(run_dir, "_hparams_/experiment") == 1


def test_resume_accepts_a_lower_learning_rate_and_records_it(
    cli, train_run, tmp_path: Path
) -> None:
    run_dir = train_run(tmp_path / "run", total_steps=512, optimizer__lr=1e-3)
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert state["config"]["optimizer"]["lr"] == pytest.approx(1e-3)
    argv = ["train", f"resume={run_dir}", "total_steps=1024", "optimizer.lr=1e-4"]
    assert exit_code(cli, [*argv, "optimizer.max_grad_norm=0.1"]) == 0
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert state["config"]["optimizer"]["lr"] == pytest.approx(1e-4)
    assert state["config"]["optimizer"]["max_grad_norm"] == pytest.approx(0.1)
    changes = state["config_history"][0]["changes"]
    assert changes["optimizer.lr"] == [pytest.approx(1e-3), pytest.approx(1e-4)]
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(1e-4)
