"""What a run leaves on disk: strict JSON, the user's umask, no stale temp files, and
exactly ``total_steps`` (to within one step of the vector env)."""

from __future__ import annotations

import json
import math
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from advrun.storage.atomic import atomic_write_json, remove_stale_temps


def test_summary_json_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    atomic_write_json(path, {"a": math.nan, "b": [math.inf, 1.5], "c": {"d": -math.inf}})
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": {"d": None}}


def test_run_files_follow_the_umask(tmp_path: Path) -> None:
    """A fresh process with umask 002 (a shared group): group-writable files, not 0600."""
    code = "import os, sys; os.umask(0o002)\nfrom advrun.cli import main; main(sys.argv[1:])\n"
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "train",
            "total_steps=256",
            "env.num_envs=2",
            "algo.rollout_steps=32",
            "algo.minibatches=2",
            "eval.episodes=2",
            "progress=false",
            "device=cpu",
            f"hydra.run.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for rel in ("summary.json", "checkpoints/last.pt", "checkpoints/best.pt"):
        mode = stat.S_IMODE(os.stat(run_dir / rel).st_mode)
        assert mode == 0o664, f"{rel}: {oct(mode)}"


def test_stale_temp_files_are_cleaned_at_the_next_save(train_run, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    stale = run_dir / "checkpoints" / ".last.pt.k1ll3d.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a checkpoint")
    train_run(run_dir)
    assert not stale.exists()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    assert remove_stale_temps(tmp_path / "missing") == []


@pytest.mark.parametrize(("total", "expected"), [(1000, 1000), (1001, 1002), (256, 256)])
def test_total_steps_is_honoured(train_run, tmp_path: Path, total: int, expected: int) -> None:
    """2 envs x 32-step rollouts = 64-step batches: the last rollout is cut to what is
    left, so a run overshoots by less than one step of the vector env."""
    run_dir = train_run(tmp_path / "run", total_steps=total)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == expected
    assert (
        torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["global_step"]
        == expected
    )


def test_fewer_total_steps_than_envs_is_refused(cli, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli(["train", "env.num_envs=100000", "total_steps=20000", f"hydra.run.dir={tmp_path}/r"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Invalid config `total_steps`" in err and "overshoot" in err
    assert not (tmp_path / "r").exists()
