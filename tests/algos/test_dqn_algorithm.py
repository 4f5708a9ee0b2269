"""The DQN algorithm wired end to end: its targets on hand-computed windows, what it
logs and saves, and exact resume (the replay buffer is part of last.pt up to a cap)."""

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

from advrun.config import to_train_config
from advrun.replay.buffer import Window
from advrun.training.builders import build_run

ADVRUN = str(Path(sys.executable).with_name("advrun"))
DQN_TINY = {
    "algo": "dqn",
    "algo__rollout_steps": None,
    "algo__learning_starts": 64,
    "algo__batch_size": 16,
    "eval__interval": 128,
}


class Table(torch.nn.Module):
    """Q(s, .) = the first two observation entries: a network whose values are the
    numbers written into the observation."""

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return obs[..., :2].float()


def _dqn(compose_train, *overrides: str):
    cfg = to_train_config(compose_train(["algo=dqn", "env.num_envs=2", *overrides]))
    parts = build_run(cfg, "/tmp/unused")
    algo = parts.algorithm
    algo.target = Table()
    algo.model = Table()
    return algo, parts


def _window(next_q: list[list[list[float]]], rewards, terminated, done, q_s=None) -> Window:
    """A B=1 window whose next observations carry the Q-values to bootstrap from."""
    n = len(rewards)
    nxt = torch.zeros(n, 1, 4)
    for k in range(n):
        nxt[k, 0, :2] = torch.tensor(next_q[k][0])
    obs = torch.zeros(1, 4)
    if q_s is not None:
        obs[0, :2] = torch.tensor(q_s)
    return Window(
        obs=obs,
        actions=torch.tensor([1]),
        rewards=torch.tensor(rewards, dtype=torch.float32).reshape(n, 1),
        terminated=torch.tensor(terminated).reshape(n, 1),
        done=torch.tensor(done).reshape(n, 1),
        next_obs=nxt,
        index=torch.zeros(1, dtype=torch.long),
        envs=torch.zeros(1, dtype=torch.long),
    )


def test_one_step_target_bootstraps_unless_terminated(compose_train) -> None:
    algo, parts = _dqn(compose_train, "advantage.gamma=0.5", "algo.double=false")
    try:
        # r = 1, max Q~(s') = max(2, 4) = 4: 1 + 0.5 * 4 = 3.
        w = _window([[[2.0, 4.0]]], [1.0], [False], [False])
        assert algo.targets(w).tolist() == [3.0]
        # truncated (done, not terminated): still bootstraps from the final observation.
        w = _window([[[2.0, 4.0]]], [1.0], [False], [True])
        assert algo.targets(w).tolist() == [3.0]
        # terminated: r only.
        w = _window([[[2.0, 4.0]]], [1.0], [True], [True])
        assert algo.targets(w).tolist() == [1.0]
    finally:
        parts.close()


def test_nstep_target_stops_at_the_episode_end(compose_train) -> None:
    algo, parts = _dqn(
        compose_train,
        "advantage=nstep",
        "advantage.n=3",
        "advantage.gamma=0.5",
        "algo.double=false",
    )
    try:
        assert algo.n_step == 3
        # No end: 1 + 0.5*2 + 0.25*4 + 0.125 * max(6, 8) = 1 + 1 + 1 + 1 = 4.
        w = _window([[[0, 0]], [[0, 0]], [[6.0, 8.0]]], [1.0, 2.0, 4.0], [False] * 3, [False] * 3)
        assert algo.targets(w).tolist() == [4.0]
        # Truncated at row 1: 1 + 0.5 * (2 + 0.5 * max Q~(final obs of row 1) = 10) = 1 + 0.5*7.
        w = _window(
            [[[0, 0]], [[10.0, 1.0]], [[99.0, 99.0]]],
            [1.0, 2.0, 4.0],
            [False, False, True],
            [False, True, True],
        )
        assert algo.targets(w).tolist() == [4.5]
        # Terminated at row 1: 1 + 0.5 * 2 = 2.
        w = _window(
            [[[0, 0]], [[10.0, 1.0]], [[99.0, 99.0]]],
            [1.0, 2.0, 4.0],
            [False, True, True],
            [False, True, True],
        )
        assert algo.targets(w).tolist() == [2.0]
    finally:
        parts.close()


def test_double_dqn_and_advantage_learning_compose(compose_train) -> None:
    algo, parts = _dqn(compose_train, "advantage.gamma=0.5", "algo.operator=al", "algo.alpha=0.5")
    try:

        class Online(torch.nn.Module):  # picks action 0 where the target net prefers 1
            def forward(self, obs: torch.Tensor) -> torch.Tensor:
                q = obs[..., :2].float()
                return torch.stack([q[..., 1], q[..., 0]], dim=-1)

        algo.model = Online()
        # Double: a* = argmax Online(s') = 0, value Q~(s', 0) = 2 -> T = 1 + 0.5 * 2 = 2.
        # AL at s: Q~(s, .) = (5, 3), action 1: gap 2 -> 2 - 0.5 * 2 = 1.
        w = _window([[[2.0, 4.0]]], [1.0], [False], [False], q_s=[5.0, 3.0])
        assert algo.targets(w).tolist() == [1.0]
    finally:
        parts.close()


def _scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def test_dqn_run_logs_its_tags_and_saves_its_state(train_run, tmp_path: Path) -> None:
    run_dir = train_run(
        tmp_path / "run",
        **DQN_TINY,
        network__dueling="true",
        algo__operator="pal",
        advantage="nstep",
        advantage__n=3,
    )
    tags = _scalars(run_dir)
    for tag in ("losses/td_loss", "losses/q_values", "charts/epsilon", "charts/action_gap"):
        assert tags[tag], tag
    eps = [v for _, v in tags["charts/epsilon"]]
    assert eps[0] == 1.0 and eps[-1] < 1.0  # uniform until learning_starts, then decays
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    own = state["algo_state"]
    assert set(own) >= {"target", "replay", "env_steps", "gradient_steps"}
    assert own["gradient_steps"] > 0
    assert {"value_stream.weight", "advantage_stream.weight"} <= set(state["model"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["exact_resume"] is True


def test_replay_over_the_cap_is_not_saved_and_resume_says_inexact(
    train_run, cli, tmp_path: Path
) -> None:
    run_dir = train_run(tmp_path / "run", **DQN_TINY, algo__checkpoint_replay_mb=0)
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert "replay" not in state["algo_state"]
    cli(["train", f"resume={run_dir}", "total_steps=512"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["exact_resume"] is False


CONFIG = [
    "algo=dqn",
    "env=cartpole",
    "env.num_envs=4",
    "total_steps=12000",
    "algo.learning_starts=500",
    "checkpoint_interval=400",
    "eval.interval=2000",
    "eval.episodes=3",
    "early_stop.target_return=null",
    "progress=false",
    "seed=7",
]


def _params(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]


def test_dqn_sigkill_then_resume_is_bit_identical(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    done = subprocess.run(
        [ADVRUN, "train", *CONFIG, f"hydra.run.dir={reference}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        [ADVRUN, "train", *CONFIG, f"hydra.run.dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoints" / "last.pt").exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(random.uniform(0.0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run_dir / "summary.json").exists(), "finished before the kill"
    resumed = subprocess.run(
        [ADVRUN, "train", f"resume={run_dir}"], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    ref, got = _params(reference), _params(run_dir)
    for name in ref:
        assert torch.equal(ref[name], got[name]), name
    ref_s = json.loads((reference / "summary.json").read_text())
    got_s = json.loads((run_dir / "summary.json").read_text())
    assert got_s["final_eval_return"] == ref_s["final_eval_return"]
    assert got_s["exact_resume"] is True
    assert _scalars(run_dir)["losses/td_loss"] == _scalars(reference)["losses/td_loss"]


@pytest.mark.parametrize("bad", ["algo.train_freq=0", "algo.alpha=1.0", "algo.loss=l1"])
def test_bad_dqn_values_are_refused(compose_train, bad: str) -> None:
    from advrun.config import ConfigError

    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(["algo=dqn", bad]))
    assert info.value.key == bad.split("=")[0]
