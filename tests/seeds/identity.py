"""Comparing a batch member with the single run of its seed: checkpoints, summaries and
TensorBoard series, with only the timing fields left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# Wall-clock quantities: they differ between any two runs, batched or not.
TIMING_STATE = {"elapsed", "eval_time"}
TIMING_SUMMARY = {"wall_time_s", "train_time_s", "sps"}
TIMING_TAGS = {"charts/SPS"}


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float) -> bool:
    if rtol == 0 or not a.is_floating_point():
        return torch.equal(a, b)
    return torch.allclose(a, b, rtol=rtol, atol=rtol, equal_nan=True)


def differences(a: Any, b: Any, path: str = "", rtol: float = 0.0) -> list[str]:
    """Where two checkpoint payloads differ: tensors bitwise (dtype, shape and values)
    and other values exactly, or floats within ``rtol`` (relative and absolute)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        same = (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and _close(a, b, rtol)
        )
        return [] if same else [path]
    if isinstance(a, dict) and isinstance(b, dict):
        out = [] if a.keys() == b.keys() else [f"{path} keys {sorted(a)} != {sorted(b)}"]
        for key in a.keys() & b.keys():
            if key not in TIMING_STATE:
                out += differences(a[key], b[key], f"{path}/{key}", rtol)
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path} length {len(a)} != {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]", rtol)
        ]
    if isinstance(a, float) and isinstance(b, float) and rtol:
        same = a == b or abs(a - b) <= rtol * (1 + abs(b)) or (a != a and b != b)
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b or (a != a and b != b) else [f"{path}: {a!r} != {b!r}"]


def checkpoint(run_dir: Path, name: str) -> dict[str, Any]:
    return torch.load(run_dir / "checkpoints" / name, weights_only=True)


def summary(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / "summary.json").read_text())
    return {k: v for k, v in data.items() if k not in TIMING_SUMMARY}


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
        if tag not in TIMING_TAGS
    }


def member_vs_single(member: Path, single: Path, rtol: float = 0.0) -> list[str]:
    """Every difference between a member and its single run (empty: identical, or
    within ``rtol`` for floats)."""
    out = []
    for name in ("last.pt", "best.pt"):
        a, b = checkpoint(member, name), checkpoint(single, name)
        out += [f"{name}{d}" for d in differences(a, b, rtol=rtol)]
    out += [f"summary.json{d}" for d in differences(summary(member), summary(single), rtol=rtol)]
    out += [f"tb{d}" for d in differences(scalars(member), scalars(single), rtol=rtol)]
    return out


def single_runs(root: Path, seeds: tuple[int, ...], run: dict[str, object]) -> dict[int, Path]:
    """``advrun train seed=<s>`` with the tiny overrides ``run``, one dir per seed under
    ``root``: what a batch's members are compared with."""
    from conftest import _run_cli, tiny_args

    for seed in seeds:
        _run_cli(["train", *tiny_args(**run), f"seed={seed}", f"hydra.run.dir={root / str(seed)}"])
    return {seed: root / str(seed) for seed in seeds}
