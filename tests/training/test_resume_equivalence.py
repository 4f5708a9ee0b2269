"""Stopping at N/2 and resuming to N gives the same parameters as one run to N, for
both env backends (the torch backend checkpoints its env via state_dict)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

COMMON = {
    "env.num_envs": 4,
    "algo.rollout_steps": 32,
    "algo.minibatches": 2,
    "eval.interval": 0,
    "early_stop.target_return": "null",
    "env.max_episode_steps": 40,
}


def _model(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]


@pytest.mark.parametrize("backend", ["gymnasium", "torch"])
def test_stop_and_resume_equals_one_run(backend: str, train_run, cli, tmp_path: Path) -> None:
    opts = {**COMMON, "env.backend": backend}
    whole = _model(train_run(tmp_path / "whole", total_steps=1024, **opts))
    half = train_run(tmp_path / "half", total_steps=512, **opts)
    cli(["train", f"resume={half}", "total_steps=1024", "progress=false"])
    resumed = _model(half)
    for name, value in whole.items():
        assert torch.equal(value, resumed[name]), f"{backend}: {name} differs"
