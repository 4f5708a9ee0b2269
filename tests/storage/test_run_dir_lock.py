"""One writer per run dir: separate dirs for runs started together, a lock that a
second writer meets with exit 2 naming the holder, and stale locks taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advrun.storage.lock import RunDirLock, RunDirLocked

ADVRUN = str(Path(sys.executable).with_name("advrun"))
TINY = [
    "total_steps=512",
    "env.num_envs=2",
    "algo.rollout_steps=32",
    "algo.minibatches=2",
    "eval.episodes=2",
    "eval.interval=0",
    "env.max_episode_steps=50",
    "progress=false",
    "device=cpu",
]
LONG = [*TINY[1:], "total_steps=100000000", "checkpoint_interval=256"]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    with RunDirLock(tmp_path) as held:
        assert held.took_over is None
        code = (
            "import sys; from advrun.storage.lock import RunDirLock, RunDirLocked\n"
            "try:\n    RunDirLock(sys.argv[1]).acquire()\n"
            "except RunDirLocked as e:\n    print(e); sys.exit(7)\n"
        )
        other = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
        )
        assert other.returncode == 7, other.stderr
        assert f"pid {os.getpid()}" in other.stdout
    # Released: the next writer gets it, and a clean release is not "stale".
    with RunDirLock(tmp_path) as again:
        assert again.took_over is None


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    code = (
        "import sys, time; from advrun.storage.lock import RunDirLock\n"
        "RunDirLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    with pytest.raises(RunDirLocked):
        RunDirLock(tmp_path).acquire()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lock = RunDirLock(tmp_path).acquire()
    try:
        assert lock.took_over is not None and lock.took_over["pid"] == proc.pid
    finally:
        lock.release()


def test_eight_runs_started_together_get_eight_complete_dirs(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [ADVRUN, "train", *TINY, f"seed={seed}"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(1, 9)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    runs = sorted((tmp_path / "outputs" / "runs").glob("*/*"))
    assert len(runs) == 8, runs
    seeds = set()
    for run in runs:
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] == "completed"
        seeds.add(summary["seed"])
        assert len(list(run.glob("events.out.tfevents.*"))) == 1, run
        assert (run / "checkpoints" / "last.pt").is_file()
        assert run.name.startswith(run.name[:8]) and "_CartPole-v1_" in run.name
    assert seeds == set(range(1, 9))


def test_resume_racing_a_live_run_is_refused(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    live = subprocess.Popen(
        [ADVRUN, "train", *LONG, f"hydra.run.dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(run_dir / "checkpoints" / "last.pt", live)
        log_before = (run_dir / "train.log").read_bytes()
        hydra_before = sorted(p.name for p in (run_dir / ".hydra").iterdir())
        for extra in ([f"resume={run_dir}"], [*TINY, f"hydra.run.dir={run_dir}"]):
            racer = subprocess.run(
                [ADVRUN, "train", *extra], capture_output=True, text=True, timeout=120
            )
            assert racer.returncode == 2, racer.stderr
            assert racer.stderr.startswith("advrun: ")
            assert "in use by another advrun process" in racer.stderr
            assert f"pid {live.pid}" in racer.stderr
            assert "Traceback" not in racer.stderr
        # The refused commands left the live run's record and log alone.
        assert sorted(p.name for p in (run_dir / ".hydra").iterdir()) == hydra_before
        assert (run_dir / "train.log").read_bytes().startswith(log_before)
        assert live.poll() is None
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait()
    # Killed without a chance to release: the stale lock is taken over by a resume.
    resumed = subprocess.run(
        [ADVRUN, "train", f"resume={run_dir}", "total_steps=1024"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "took over the stale lock" in (run_dir / "train.log").read_text()
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "completed"
