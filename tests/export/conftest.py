"""Helpers shared by the export tests: the checkpoint's own policy as the reference."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.evaluation import TrainedPolicy, load_trained_policy
from advrun.export import random_observations, run_exported

N_OBS = 10_000
TOL = 1e-5


def reference(trained: TrainedPolicy, obs: np.ndarray) -> dict[str, np.ndarray]:
    """What the training code does with ``obs``: ``ActorCritic.act(deterministic=True)``
    clipped like ``EnvActions``, plus the raw head output and log_std."""
    model = trained.model
    with torch.no_grad():
        x = torch.from_numpy(obs)
        action, _, _ = model.act(x, deterministic=True)
        head, _ = model(x)
    out = {"action": action.numpy(), "head": head.numpy()}
    space = trained.action_space
    if isinstance(space, spaces.Box):
        clipped = np.clip(out["action"], space.low, space.high)
        out["action"] = clipped.reshape(len(obs), *space.shape)
        out["log_std"] = np.broadcast_to(model.log_std.detach().numpy(), head.shape)
    return out


def compare(
    checkpoint: Path, files: dict[str, Path], *, n: int = N_OBS, chunk: int = 2_000
) -> dict[str, dict[str, float]]:
    """Run each exported file (outputs=dist, keyed by format) and the checkpoint's
    policy on ``n`` random observations; per format, the max abs differences and the
    discrete action mismatches that are not near-ties (top-2 logit gap above TOL)."""
    trained = load_trained_policy(checkpoint)
    worst = {fmt: dict.fromkeys(("action", "head", "log_std", "mismatch"), 0.0) for fmt in files}
    for start in range(0, n, chunk):
        obs = random_observations(trained.observation_space, min(chunk, n - start), seed=start)
        want = reference(trained, obs)
        for fmt, path in files.items():
            got, w = run_exported(path, fmt, obs), worst[fmt]
            w["head"] = max(w["head"], float(np.abs(got[1] - want["head"]).max()))
            if "log_std" in want:
                w["log_std"] = max(w["log_std"], float(np.abs(got[2] - want["log_std"]).max()))
                w["action"] = max(w["action"], float(np.abs(got[0] - want["action"]).max()))
            else:
                top2 = np.sort(want["head"], axis=1)[:, -2:]
                clear = (top2[:, 1] - top2[:, 0]) > TOL
                w["mismatch"] += float(np.sum((got[0] != want["action"]) & clear))
                assert got[0].dtype == np.int64
    return worst


@pytest.fixture
def export_and_compare(cli) -> Callable[..., dict[str, dict[str, float]]]:
    """``f(checkpoint, out_dir, n=N_OBS)``: ``advrun export`` both formats with
    outputs=dist and :func:`compare` them with the checkpoint's policy on ``n``
    observations."""

    def run(checkpoint: Path, out_dir: Path, n: int = N_OBS) -> dict[str, dict[str, float]]:
        files = {"onnx": out_dir / "p.onnx", "torchscript": out_dir / "p.torchscript.pt"}
        for fmt, out in files.items():
            cli(
                [
                    "export",
                    f"checkpoint={checkpoint}",
                    f"format={fmt}",
                    "outputs=dist",
                    f"out={out}",
                    "check_observations=0",
                ]
            )
        return compare(checkpoint, files, n=n)

    return run
