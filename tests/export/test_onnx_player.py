"""An exported ONNX file plays CartPole-v1 to 500 with no advrun in the process.

Trains a policy with the shipped CartPole config (seed 3, stopping at a perfect
20-episode evaluation: ~51k steps, ~12 s here), exports it, and runs
``scripts/play_onnx.py`` in a fresh interpreter that imports only onnxruntime,
numpy and gymnasium; the script's process must not have loaded any advrun module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYER = ROOT / "scripts" / "play_onnx.py"

# Runs the player as __main__, then reports which top-level modules it imported.
HARNESS = """
import runpy, sys, json
sys.argv = [{player!r}, {model!r}, "--episodes", "10", "--json"]
runpy.run_path({player!r}, run_name="__main__")
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def test_onnx_file_alone_plays_cartpole_to_500(cli, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    run = tmp_path / "run"
    cli(
        [
            "train",
            "env=cartpole",
            "device=cpu",
            "seed=3",
            "progress=false",
            "early_stop.target_return=500",
            f"hydra.run.dir={run}",
        ]
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_eval_return"] == 500.0, summary
    model = tmp_path / "cartpole.onnx"
    cli(["export", f"run={run}", f"out={model}"])
    code = HARNESS.format(player=str(PLAYER), model=str(model))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    result_line, modules_line = proc.stdout.strip().splitlines()[-2:]
    result = json.loads(result_line)
    assert result["returns"] == [500.0] * 10, result
    assert result["lengths"] == [500] * 10
    modules = json.loads(modules_line)
    assert "advrun" not in modules and "torch" not in modules
    assert {"onnxruntime", "numpy", "gymnasium"} <= set(modules)
