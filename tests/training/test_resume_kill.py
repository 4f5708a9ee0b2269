"""A run killed with SIGKILL at a random point and resumed ends exactly where an
uninterrupted run ends: same parameters, same eval returns, same TensorBoard curve."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ADVRUN = str(Path(sys.executable).with_name("advrun"))
CONFIG = [
    "env=cartpole",
    "env.num_envs=4",
    "algo.rollout_steps=64",
    "algo.minibatches=4",
    "checkpoint_interval=512",
    "eval.interval=2048",
    "eval.episodes=3",
    "early_stop.target_return=null",
    "progress=false",
    "seed=5",
]


def _train(run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ADVRUN, "train", *CONFIG, *extra, f"hydra.run.dir={run_dir}"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _params(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]


# The feed-forward default, and an LSTM policy whose hidden state (and the collector's
# episode-start flags) must come back from the checkpoint for the resume to be exact.
# The LSTM steps its cell once per row (~500 env-steps/s here), so it runs a sixth of
# the budget: still 8 checkpoints and 2 evals, and the kill lands within its first
# ~1,500 steps, well before the end (8,192 steps made this the slowest default test).
NETWORKS = {
    "mlp": ["total_steps=24576"],
    "lstm": ["network=lstm", "total_steps=4096"],
}


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def reference(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    proc = _train(run_dir, *NETWORKS[request.param])
    assert proc.returncode == 0, proc.stderr
    return request.param, run_dir


def test_sigkill_then_resume_matches_uninterrupted(
    reference: tuple[str, Path], tmp_path: Path
) -> None:
    network, reference_dir = reference
    run_dir = tmp_path / "killed"
    delay = random.uniform(0.0, 1.5)
    proc = subprocess.Popen(
        [ADVRUN, "train", *CONFIG, *NETWORKS[network], f"hydra.run.dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(run_dir / "checkpoints" / "last.pt", proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run_dir / "summary.json").exists(), f"run finished before the kill ({delay=})"
    killed_at = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["global_step"]

    resumed = subprocess.run(
        [ADVRUN, "train", f"resume={run_dir}", "progress=false"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr

    context = f"{network}: killed after {delay:.2f}s, resumed from step {killed_at}"
    reference = reference_dir
    ref, got = _params(reference), _params(run_dir)
    assert ref.keys() == got.keys()
    for name in ref:
        assert torch.equal(ref[name], got[name]), f"{name} differs ({context})"
    ref_summary = json.loads((reference / "summary.json").read_text())
    got_summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("final_eval_return", "best_eval_return", "best_step", "steps", "status"):
        assert got_summary[key] == ref_summary[key], f"{key} ({context})"
    assert got_summary["exact_resume"] is True
    # TensorBoard: every point once, identical to the uninterrupted run.
    for tag in (
        "losses/policy_loss",
        "losses/value_loss",
        "eval/episodic_return",
        "charts/learning_rate",
    ):
        assert _scalars(run_dir, tag) == _scalars(reference, tag), f"{tag} ({context})"
    # The original .hydra/ record is kept; the resume command's lands beside it.
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert list((run_dir / ".hydra").glob("resume_*/config.yaml"))


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_signal_saves_and_exits_nonzero(sig: signal.Signals, code: int, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [ADVRUN, "train", *CONFIG, "total_steps=10000000", f"hydra.run.dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(run_dir / "checkpoints" / "last.pt", proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "resume=" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert state["global_step"] == summary["steps"] > 0
    # TensorBoard was flushed: the last logged training step is on disk.
    assert _scalars(run_dir, "losses/policy_loss")[-1][0] == summary["steps"]

    # The interrupted run continues to a new, shorter horizon and completes.
    done = subprocess.run(
        [ADVRUN, "train", f"resume={run_dir}", f"total_steps={summary['steps'] + 512}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    final = json.loads((run_dir / "summary.json").read_text())
    assert final["status"] == "completed"
    assert final["steps"] == summary["steps"] + 512
