"""A NaN reaching the loss stops the run with the step and the last good checkpoint,
and no checkpoint ever holds non-finite parameters."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch


class NaNAfter(gym.Env):
    """CartPole-like dummy whose reward turns NaN after ``after`` total steps."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(2)
    total = 0

    def __init__(self, after: int = 600) -> None:
        self.after = after

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.np_random.uniform(-1, 1, 3).astype(np.float32), {}

    def step(self, action):
        NaNAfter.total += 1
        reward = math.nan if NaNAfter.total > self.after else 1.0
        obs = self.np_random.uniform(-1, 1, 3).astype(np.float32)
        return obs, reward, False, False, {}


gym.register("advrun-test/NaNAfter-v0", entry_point=NaNAfter, max_episode_steps=20)


def test_nan_loss_stops_with_step_and_last_good_checkpoint(cli, tmp_path: Path, capsys) -> None:
    NaNAfter.total = 0
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(
            [
                "train",
                "env=gym",
                "env.id=advrun-test/NaNAfter-v0",
                "env.num_envs=2",
                "env.vectorization=sync",
                "algo.rollout_steps=32",
                "algo.minibatches=2",
                "total_steps=4096",
                "checkpoint_interval=128",
                "eval.interval=128",
                "eval.episodes=2",
                "progress=false",
                f"hydra.run.dir={run_dir}",
            ]
        )
    assert info.value.code == 3
    err = capsys.readouterr().err
    assert "training diverged at step" in err
    assert f"{run_dir / 'checkpoints' / 'last.pt'}" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged"
    for name in ("last.pt", "best.pt"):
        state = torch.load(run_dir / "checkpoints" / name, weights_only=True)
        assert state["global_step"] < summary["steps"]
        for key, tensor in state["model"].items():
            assert torch.isfinite(tensor).all(), f"{name}:{key} is not finite"
