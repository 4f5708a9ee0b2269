"""Checkpoints are weights-only containers, written atomically, and loaded safely."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import torch

from advrun.storage.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

REQUIRED_KEYS = ("model", "optimizer", "global_step", "rng", "config")


class _Malicious:
    """Unpickling this creates ``marker`` -- arbitrary code a safe loader must refuse."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plain(obj: object) -> bool:
    """Only dicts/lists and scalars (what the checkpoint's config must be)."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain(v) for v in obj)
    return obj is None or isinstance(obj, (str, int, float, bool))


@pytest.mark.parametrize("name", ["last.pt", "best.pt"])
def test_run_checkpoint_is_weights_only(trained_run: Path, name: str) -> None:
    data = torch.load(trained_run / "checkpoints" / name, weights_only=True)
    for key in REQUIRED_KEYS:
        assert key in data, f"{name} lacks {key!r}"
    assert type(data["config"]) is dict and _plain(data["config"])
    assert data["config"]["env"]["id"] == "CartPole-v1"
    assert data["config"]["total_steps"] == 256
    assert isinstance(data["global_step"], int) and data["global_step"] > 0
    assert all(isinstance(v, torch.Tensor) for v in data["model"].values())
    assert {"state", "param_groups"} <= set(data["optimizer"])
    assert {"python", "numpy", "torch"} <= set(data["rng"])


def test_last_checkpoint_is_final_step(trained_run: Path) -> None:
    data = load_checkpoint(trained_run / "checkpoints" / "last.pt")
    assert data["global_step"] == 256
    assert math.isfinite(data["best_return"])


def test_truncated_checkpoint_is_refused(trained_run: Path, tmp_path: Path) -> None:
    raw = (trained_run / "checkpoints" / "last.pt").read_bytes()
    broken = tmp_path / "truncated.pt"
    broken.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(broken)


def test_missing_checkpoint_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pt"
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(missing)
    assert str(missing) in str(info.value)


def test_code_executing_pickle_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"model": {}, "config": {}, "payload": _Malicious(marker)}, evil)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="refuses to unpickle"):
        load_checkpoint(evil)
    assert not marker.exists(), "loading the checkpoint executed pickled code"


def test_malicious_payload_control(tmp_path: Path) -> None:
    """Positive control: the crafted file really runs code under an unsafe load."""
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"payload": _Malicious(marker)}, evil)
    torch.load(evil, weights_only=False).get("payload").close()
    assert marker.exists()


def test_non_advrun_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not an advrun checkpoint"):
        load_checkpoint(path)


def test_save_leaves_no_temp_files(tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "checkpoints"
    payload = {"model": {"w": torch.arange(3.0)}, "config": {"seed": 1}, "global_step": 7}
    save_checkpoint(ckpt_dir / "last.pt", payload)
    save_checkpoint(ckpt_dir / "last.pt", {**payload, "global_step": 8})  # overwrite
    assert sorted(os.listdir(ckpt_dir)) == ["last.pt"]
    data = load_checkpoint(ckpt_dir / "last.pt")
    assert data["global_step"] == 8
    assert torch.equal(data["model"]["w"], torch.arange(3.0))
    assert data["format_version"] == 1


def test_failed_save_keeps_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"model": {}, "config": {}, "global_step": 1})
    with pytest.raises(Exception):  # noqa: B017 - whatever torch.save raises for a lambda
        save_checkpoint(path, {"model": {}, "config": {}, "fn": lambda: None})
    assert sorted(os.listdir(tmp_path)) == ["last.pt"]
    assert load_checkpoint(path)["global_step"] == 1
