"""Runtime faults end with exit 1, one paragraph naming the cause and the fix,
``summary.json`` status ``failed`` with the reason, the last good checkpoint named and
the resume command printed; ``--verbose`` adds the traceback."""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from cli_exit import exit_code

import advrun.storage.atomic as atomic_mod
from advrun.algos import PPO

ADVRUN = str(Path(sys.executable).with_name("advrun"))


class Flaky(gym.Env):
    """Misbehaves after ``after`` steps of this instance: raises, or returns an
    observation of the wrong shape."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, after: int = 300, mode: str = "raise") -> None:
        self.after, self.mode, self.steps = after, mode, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(3, np.float32), {}

    def step(self, action):
        self.steps += 1
        if self.steps > self.after and self.mode == "raise":
            raise RuntimeError("sensor 3 disconnected")
        shape = (5,) if self.steps > self.after and self.mode == "shape" else (3,)
        return np.zeros(shape, np.float32), 1.0, False, False, {}


gym.register("advrun-test/Flaky-v0", entry_point=Flaky, max_episode_steps=20)

FLAKY = [
    "env=gym",
    "env.id=advrun-test/Flaky-v0",
    "env.num_envs=2",
    "env.vectorization=sync",
    "algo.rollout_steps=32",
    "algo.minibatches=2",
    "total_steps=4096",
    "checkpoint_interval=128",
    "eval.interval=0",
    "eval.episodes=2",
    "progress=false",
    "device=cpu",
]


def _assert_failed(run_dir: Path, err: str, cause: str) -> dict:
    assert err.startswith("advrun: "), err
    assert cause in err, err
    assert f"advrun train resume={run_dir}" in err
    assert "Last good checkpoint:" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert cause in summary["reason"]
    return summary


@pytest.mark.parametrize("verbose", [False, True])
def test_env_that_raises(cli, tmp_path: Path, capsys, verbose: bool) -> None:
    run_dir = tmp_path / "run"
    argv = ["train", *FLAKY, f"hydra.run.dir={run_dir}"]
    code = exit_code(cli, ["--verbose", *argv] if verbose else argv)
    err = capsys.readouterr().err
    assert code == 1, err
    _assert_failed(
        run_dir, err, "the env advrun-test/Flaky-v0 raised RuntimeError: sensor 3 disconnected"
    )
    assert f"Last good checkpoint: {run_dir / 'checkpoints' / 'last.pt'}" in err
    assert ("Traceback" in err) is verbose
    if verbose:  # the env's own frame is in it
        assert "in step" in err and "sensor 3 disconnected" in err
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert 0 < state["global_step"] <= 600


def test_env_observation_of_wrong_shape(cli, tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    code = exit_code(cli, ["train", *FLAKY, "+env.kwargs.mode=shape", f"hydra.run.dir={run_dir}"])
    err = capsys.readouterr().err
    assert code == 1, err
    _assert_failed(run_dir, err, "the env advrun-test/Flaky-v0 raised")
    assert "Traceback" not in err


def test_disk_full_during_a_checkpoint(cli, tmp_path: Path, capsys, monkeypatch) -> None:
    """ENOSPC simulated where file systems report it late (``fsync`` of the temp file,
    e.g. NFS or delayed allocation), on the third checkpoint: the old last.pt stays, no
    temp file is left, and the message says what to do."""
    run_dir = tmp_path / "run"
    real, calls = os.fsync, {"n": 0}

    def fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")  # the temp file being written
        if ".last.pt." in target and target.endswith(".tmp"):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(atomic_mod.os, "fsync", fsync)
    code = exit_code(
        cli,
        ["train", *FLAKY, "+env.kwargs.after=100000", f"hydra.run.dir={run_dir}"],
    )
    err = capsys.readouterr().err
    assert code == 1, err
    _assert_failed(run_dir, err, "the disk is full (ENOSPC)")
    assert "Free space" in err
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["last.pt"]
    assert torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["global_step"] == 256


def test_out_of_memory(cli, tmp_path: Path, capsys, monkeypatch) -> None:
    run_dir = tmp_path / "run"

    def update(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(PPO, "update", update)
    code = exit_code(cli, ["train", *FLAKY, f"hydra.run.dir={run_dir}"])
    err = capsys.readouterr().err
    assert code == 1, err
    _assert_failed(run_dir, err, "out of memory at step 0")
    assert "Lower env.num_envs" in err
    assert "Last good checkpoint: none" in err


def test_file_size_limit_is_a_real_efbig(tmp_path: Path) -> None:
    """A real kernel fault: RLIMIT_FSIZE makes the first checkpoint write fail with
    EFBIG (Python ignores SIGXFSZ, so the write returns the error)."""
    run_dir = tmp_path / "run"
    limit = 512 * 1024  # train.log and events stay far below; the checkpoint does not

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [
            ADVRUN,
            "train",
            "total_steps=2048",
            "env.num_envs=2",
            "algo.rollout_steps=32",
            "algo.minibatches=2",
            "eval.interval=0",
            "eval.episodes=2",
            "checkpoint_interval=512",
            "network.hidden_sizes=[512,512]",
            "progress=false",
            "device=cpu",
            f"hydra.run.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,
    )
    assert proc.returncode == 1, proc.stderr
    assert "(EFBIG)" in proc.stderr and "Traceback" not in proc.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "failed" and "EFBIG" in summary["reason"]
    assert not any((run_dir / "checkpoints").glob(".*.tmp"))


def test_tensorboard_writer_hitting_the_file_size_limit(tmp_path: Path) -> None:
    """The event file is written by TensorBoard's background thread: its EFBIG surfaces
    at the next log call as the same one-paragraph fault, with no thread traceback."""
    run_dir = tmp_path / "run"

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))

    proc = subprocess.run(
        [
            ADVRUN,
            "train",
            "total_steps=20000",
            "env.num_envs=2",
            "algo.rollout_steps=32",
            "algo.minibatches=2",
            "eval.interval=0",
            "eval.episodes=2",
            "checkpoint_interval=0",
            "progress=false",
            "device=cpu",
            f"hydra.run.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,
    )
    assert proc.returncode == 1, proc.stderr
    assert "(EFBIG)" in proc.stderr and "events.out.tfevents" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "failed"


def test_resume_into_read_only_run_dir_is_refused(
    cli, train_run, tmp_path: Path, capsys, monkeypatch
) -> None:
    """As root, chmod cannot make a directory unwritable, so os.access is what the
    preflight asks; here it answers as it would on a read-only mount."""
    run_dir = train_run(tmp_path / "run")
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == run_dir else real(p, mode)
    )
    assert exit_code(cli, ["train", f"resume={run_dir}", "total_steps=1024"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advrun: Invalid config `resume`") and "not writable" in err
    assert not list((run_dir / ".hydra").glob("resume_*"))


def test_dangling_symlink_as_run_dir(cli, tmp_path: Path, capsys) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing" / "target")
    assert exit_code(cli, ["train", f"hydra.run.dir={link}"]) == 2
    err = capsys.readouterr().err
    assert "is a symlink to" in err and "does not exist" in err
    assert "Traceback" not in err
