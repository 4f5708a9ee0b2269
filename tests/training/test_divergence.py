"""Non-finite numbers stop a run (exit 3) naming the step and the last good checkpoint,
and no checkpoint ever holds a non-finite tensor.

Two sources: the learner (a loss that overflows) and the env (NaN/inf in an observation
or reward, caught at the env boundary before it reaches the observation statistics)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch


class BadAfter(gym.Env):
    """A dummy env that misbehaves after ``after`` steps (counted over all instances):
    ``mode`` picks what goes wrong."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(2)
    total = 0

    def __init__(self, after: int = 600, mode: str = "huge_reward") -> None:
        self.after, self.mode = after, mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.np_random.uniform(-1, 1, 3).astype(np.float32), {}

    def step(self, action):
        BadAfter.total += 1
        bad = BadAfter.total > self.after
        obs = self.np_random.uniform(-1, 1, 3).astype(np.float32)
        reward = 1.0
        if bad and self.mode == "huge_reward":
            reward = 1e38  # finite, but its square overflows the value loss
        elif bad and self.mode == "nan_reward":
            reward = math.nan
        elif bad and self.mode == "inf_obs":
            obs[1] = np.inf
        elif bad and self.mode == "nan_obs":
            obs[2] = np.nan
        return obs, reward, False, False, {}


gym.register("advrun-test/BadAfter-v0", entry_point=BadAfter, max_episode_steps=20)


def _run(cli, run_dir: Path, mode: str, *extra: str) -> int:
    BadAfter.total = 0
    with pytest.raises(SystemExit) as info:
        cli(
            [
                "train",
                "env=gym",
                "env.id=advrun-test/BadAfter-v0",
                f"+env.kwargs.mode={mode}",
                "env.num_envs=2",
                "env.vectorization=sync",
                "algo.rollout_steps=32",
                "algo.minibatches=2",
                "total_steps=4096",
                "checkpoint_interval=128",
                "eval.interval=128",
                "eval.episodes=2",
                "progress=false",
                *extra,
                f"hydra.run.dir={run_dir}",
            ]
        )
    return int(info.value.code)


def _assert_checkpoints_finite_and_before(run_dir: Path, step: int) -> None:
    for name in ("last.pt", "best.pt"):
        state = torch.load(run_dir / "checkpoints" / name, weights_only=True)
        assert state["global_step"] < step
        for key, tensor in state["model"].items():
            assert torch.isfinite(tensor).all(), f"{name}:{key} is not finite"


def test_overflowing_loss_stops_with_step_and_last_good_checkpoint(
    cli, tmp_path: Path, capsys
) -> None:
    run_dir = tmp_path / "run"
    assert _run(cli, run_dir, "huge_reward") == 3
    err = capsys.readouterr().err
    assert "training diverged at step" in err
    assert f"{run_dir / 'checkpoints' / 'last.pt'}" in err
    # The advice is a command that a resume accepts.
    assert f"resume={run_dir} optimizer.lr=" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert "not finite" in summary["reason"]
    _assert_checkpoints_finite_and_before(run_dir, summary["steps"])


@pytest.mark.parametrize(
    ("mode", "key", "normalize_obs"),
    [
        ("nan_reward", "reward", "false"),
        ("inf_obs", "observation[1]", "true"),  # would poison obs_norm.mean/var
        ("nan_obs", "observation[2]", "false"),  # used to crash in the categorical sample
    ],
)
def test_non_finite_env_output_is_reported_and_never_saved(
    cli, tmp_path: Path, capsys, mode: str, key: str, normalize_obs: str
) -> None:
    run_dir = tmp_path / "run"
    code = _run(cli, run_dir, mode, f"network.normalize_obs={normalize_obs}")
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.startswith("advrun: the env advrun-test/BadAfter-v0 returned a non-finite")
    assert key in err and "at env step" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert key in summary["reason"]
    last = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    # The bad value came after step 600 (300 per env); the last checkpoint is older.
    assert 0 < last["global_step"] <= 600
    _assert_checkpoints_finite_and_before(run_dir, 601)
    if normalize_obs == "true":
        stats = {k: v for k, v in last["model"].items() if k.startswith("obs_norm.")}
        assert stats and all(torch.isfinite(v).all() for v in stats.values())
