"""Signals are handled from the first step to the last write: during an evaluation,
during the final evaluation and the final save, a second Ctrl-C, and SIGHUP.

The signal is sent to this very process from inside the evaluation or the save (so it
lands exactly there); the handlers are the real ones the train command installs."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from cli_exit import exit_code

import advrun.training.trainer as trainer_mod

TINY = [
    "total_steps=1024",
    "env.num_envs=2",
    "algo.rollout_steps=32",
    "algo.minibatches=2",
    "eval.episodes=2",
    "eval.interval=256",
    "checkpoint_interval=0",
    "env.max_episode_steps=50",
    "early_stop.target_return=null",
    "progress=false",
    "device=cpu",
]


def _signal_during(monkeypatch, name: str, sig: int, *, at_call: int, times: int = 1) -> None:
    """Replace ``trainer_mod.<name>`` so that its ``at_call``-th call sends ``sig`` to
    this process ``times`` times, then does its real work."""
    real = getattr(trainer_mod, name)
    calls = {"n": 0}

    def wrapped(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == at_call:
            for _ in range(times):
                os.kill(os.getpid(), sig)
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer_mod, name, wrapped)


def _train(cli, run_dir: Path, *extra: str) -> int:
    return exit_code(cli, ["train", *TINY, *extra, f"hydra.run.dir={run_dir}"])


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def _last(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)


# Evaluations every 256 steps. With total_steps=1024 the 4th is the last update's own
# evaluation; with 1000 (off the grid; the last rollout is cut to 40 steps) the 4th is
# the separate final evaluation after the loop.


@pytest.mark.parametrize("total", [1024, 1000])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_final_evaluation_completes_the_run(
    cli, tmp_path: Path, monkeypatch, capsys, sig: int, total: int
) -> None:
    run_dir = tmp_path / "run"
    _signal_during(monkeypatch, "evaluate", sig, at_call=4)
    assert _train(cli, run_dir, f"total_steps={total}") == 0
    summary = _summary(run_dir)
    assert summary["status"] == "completed" and summary["steps"] == total
    assert summary["final_eval_return"] is not None
    state = _last(run_dir)
    assert state["completed"] and state["global_step"] == total
    assert state["last_eval_step"] == total
    assert "Traceback" not in capsys.readouterr().err


def test_signal_during_final_save_completes_the_run(cli, tmp_path: Path, monkeypatch) -> None:
    run_dir = tmp_path / "run"
    real = trainer_mod.save_checkpoint

    def save(path, payload):
        if payload.get("completed"):
            os.kill(os.getpid(), signal.SIGTERM)
        real(path, payload)

    monkeypatch.setattr(trainer_mod, "save_checkpoint", save)
    assert _train(cli, run_dir) == 0
    assert _summary(run_dir)["status"] == "completed"
    assert _last(run_dir)["completed"]


def test_signal_during_an_evaluation_finishes_it_then_stops_resumable(
    cli, tmp_path: Path, monkeypatch, capsys
) -> None:
    reference = tmp_path / "reference"
    assert _train(cli, reference) == 0

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        _signal_during(patch, "evaluate", signal.SIGTERM, at_call=2)
        assert _train(cli, run_dir) == 143
    err = capsys.readouterr().err
    assert f"Continue with: advrun train resume={run_dir}" in err
    summary = _summary(run_dir)
    assert summary["status"] == "interrupted" and summary["steps"] == 512
    assert summary["resume"] == f"advrun train resume={run_dir}"
    # The evaluation in progress was finished and is part of the saved state.
    assert _last(run_dir)["last_eval_step"] == 512

    assert exit_code(cli, ["train", f"resume={run_dir}"]) == 0
    ref, got = _last(reference)["model"], _last(run_dir)["model"]
    for name in ref:
        assert torch.equal(ref[name], got[name]), name
    assert _summary(run_dir)["final_eval_return"] == _summary(reference)["final_eval_return"]


def test_second_ctrl_c_stops_at_once_and_says_so(cli, tmp_path: Path, monkeypatch, capsys) -> None:
    run_dir = tmp_path / "run"
    _signal_during(monkeypatch, "evaluate", signal.SIGINT, at_call=4, times=2)
    assert _train(cli, run_dir) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "second Ctrl-C" in err
    summary = _summary(run_dir)
    assert summary["status"] == "interrupted"
    assert "second Ctrl-C" in summary["reason"]
    # No checkpoint was written mid-stop; with checkpoint_interval=0 and no earlier
    # stop, best.pt (written at improving evals) is the only checkpoint.
    assert not (run_dir / "checkpoints" / "last.pt").exists()


def test_sighup_is_treated_like_sigterm(cli, tmp_path: Path, monkeypatch) -> None:
    run_dir = tmp_path / "run"
    _signal_during(monkeypatch, "evaluate", signal.SIGHUP, at_call=1)
    assert _train(cli, run_dir) == 129
    assert _summary(run_dir)["status"] == "interrupted"
    assert _last(run_dir)["global_step"] == 256
