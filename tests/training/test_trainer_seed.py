"""Same seed, same run: identical eval returns and parameters (CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import torch


def _result(run_dir: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    summary = json.loads((run_dir / "summary.json").read_text())
    model = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]
    return summary, model


def test_same_seed_same_run_different_seed_differs(train_run, tmp_path: Path) -> None:
    common = {"device": "cpu", "eval__interval": 128}
    a_sum, a_model = _result(train_run(tmp_path / "a", seed=3, **common))
    b_sum, b_model = _result(train_run(tmp_path / "b", seed=3, **common))
    c_sum, c_model = _result(train_run(tmp_path / "c", seed=4, **common))

    for key in ("final_eval_return", "final_eval_return_std", "best_eval_return", "steps"):
        assert a_sum[key] == b_sum[key], key
    assert a_model.keys() == b_model.keys()
    for name, tensor in a_model.items():
        assert torch.equal(tensor, b_model[name]), name

    assert c_sum["seed"] == 4
    assert any(not torch.equal(t, c_model[n]) for n, t in a_model.items())
