"""``advrun export`` of a recurrent policy: the hidden state is an explicit input and
output, and the files reproduce the checkpoint's policy step by step.

10,000 random observations are played as 500 sequences of 20 steps from a zero state;
the files and the training code (``RecurrentActorCritic.step``) each feed their own
state back, so an error in the exported cell would compound along the sequence.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from advrun.evaluation import load_trained_policy
from advrun.export import random_observations, run_exported
from advrun.storage.checkpoint import save_checkpoint

from .conftest import TOL

SEQUENCES, STEPS = 500, 20


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_round_trip(cell: str, cli, train_run, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", network=cell, algo__minibatches=2)
    ckpt = run / "checkpoints" / "last.pt"
    # Larger weights than a 256-step run leaves: logits and states far from 0 and ties.
    data = torch.load(ckpt, weights_only=True)
    torch.manual_seed(0)
    for name, value in data["model"].items():
        if name.startswith(("cell.", "core.policy_head")) and value.is_floating_point():
            value += 0.3 * torch.randn_like(value)
    save_checkpoint(ckpt, {k: v for k, v in data.items() if k != "format_version"})

    files = {"onnx": tmp_path / "p.onnx", "torchscript": tmp_path / "p.torchscript.pt"}
    for fmt, out in files.items():
        cli(["export", f"checkpoint={ckpt}", f"format={fmt}", "outputs=dist", f"out={out}"])
    meta = json.loads(files["onnx"].with_name("p.onnx.json").read_text())
    size = 2 * 64 if cell == "lstm" else 64
    assert [i["name"] for i in meta["inputs"]] == ["obs", "state"]
    assert meta["inputs"][1]["shape"] == ["batch", size]
    assert [o["name"] for o in meta["outputs"]] == ["action", "logits", "state_next"]
    # The export's own check (1,000 observations as sequences) passed too.
    assert meta["check"]["state_next_max_abs_diff"] < TOL

    model = load_trained_policy(ckpt).model
    obs = random_observations(load_trained_policy(ckpt).observation_space, SEQUENCES * STEPS)
    obs = obs.reshape(STEPS, SEQUENCES, -1)
    worst = {fmt: {"logits": 0.0, "state": 0.0, "mismatch": 0.0} for fmt in files}
    state_ref = model.initial_state(SEQUENCES)
    states = {fmt: np.zeros((SEQUENCES, size), np.float32) for fmt in files}
    no_start = torch.zeros(SEQUENCES, dtype=torch.bool)
    for t in range(STEPS):
        with torch.no_grad():
            logits, _, state_ref = model.step(torch.from_numpy(obs[t]), state_ref, no_start)
        want_logits, want_state = logits.numpy(), state_ref.numpy()
        top2 = np.sort(want_logits, axis=1)[:, -2:]
        clear = (top2[:, 1] - top2[:, 0]) > TOL
        for fmt, path in files.items():
            action, got_logits, states[fmt] = run_exported(path, fmt, obs[t], states[fmt])
            w = worst[fmt]
            w["logits"] = max(w["logits"], float(np.abs(got_logits - want_logits).max()))
            w["state"] = max(w["state"], float(np.abs(states[fmt] - want_state).max()))
            mismatch = (action != want_logits.argmax(axis=1)) & clear
            w["mismatch"] += float(mismatch.sum())
    for fmt, w in worst.items():
        assert w["logits"] < TOL and w["state"] < TOL and w["mismatch"] == 0, (fmt, w)
    # The state matters: the same observation from another state gives other logits.
    assert float(np.abs(want_state).max()) > 0.1
