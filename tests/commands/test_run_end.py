"""``advrun train`` says what it did: one summary line, the run dir and the commands to
look at it; a sweep ends with its dir and ``advrun report`` (issue 16, items 2 and 9)."""

from __future__ import annotations

import json
from pathlib import Path

from advrun.commands.run_end import next_steps, summary_line
from advrun.sweeps.callbacks import fixed_keys


def test_summary_line_from_summary_json() -> None:
    summary = {
        "status": "completed",
        "stop_reason": "target_return",
        "final_eval_return": 480.94,
        "final_eval_return_std": 10.36,
        "best_eval_return": 490.25,
        "best_step": 40960,
        "steps": 61440,
        "wall_time_s": 4.21,
    }
    assert summary_line(summary) == (
        "completed (target_return): final eval return 480.9 ± 10.4, best 490.2 at step "
        "40,960; 61,440 steps in 4.2 s"
    )
    failed = {"status": "failed", "reason": "disk full", "steps": 2048, "wall_time_s": 150.0}
    # 150 s = 2.5 min; no eval yet: "-"
    assert summary_line(failed) == (
        "failed: final eval return -; 2,048 steps in 2.5 min (disk full)"
    )


def test_train_ends_with_summary_run_dir_and_commands(
    cli, tiny, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cli(["train", *tiny(), "hydra.run.dir=outputs/run"])
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        "run dir: outputs/run",
        "  tensorboard --logdir outputs/run",
        "  advrun eval run=outputs/run",
    ]
    summary = json.loads((tmp_path / "outputs/run/summary.json").read_text())
    log = (tmp_path / "outputs/run/train.log").read_text()
    assert summary_line(summary) in log  # the summary line is logged (console and train.log)


def test_interrupted_run_names_the_resume_command(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    lines = next_steps(run, "interrupted")
    assert lines[-1] == f"  advrun train resume={run}"
    assert not any("resume" in line for line in next_steps(run, "completed"))


def test_fixed_keys_are_left_out_of_member_names() -> None:
    assert fixed_keys(["seed=1,2", "total_steps=4096", "progress=false"]) == [
        "total_steps",
        "progress",
    ]
    assert fixed_keys(["seed=range(1,3)", "+foo=1"]) == ["foo"]
    assert fixed_keys(["seed=1", "total_steps=4096"]) == []  # nothing swept: keep all


def test_sweep_members_named_by_swept_keys_and_sweep_end(cli, tiny, tmp_path: Path, capsys) -> None:
    sweep = tmp_path / "sweep"
    cli(["train", "-m", "seed=1,2", *tiny(), f"hydra.sweep.dir={sweep}"])
    members = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert members == ["seed=1", "seed=2"]
    out = capsys.readouterr().out
    assert f"sweep dir: {sweep}" in out
    assert f"  advrun report {sweep}" in out
