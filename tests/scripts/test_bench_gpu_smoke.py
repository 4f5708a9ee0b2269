"""The GPU benchmark runs end to end (on CPU here, with tiny sizes), so it is ready for
a GPU machine: same code path, only --device and sizes change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_gpu.py"


def test_bench_gpu_runs_on_cpu() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--device",
            "cpu",
            "--num-envs",
            "64",
            "--env-steps",
            "50",
            "--train-steps",
            "4096",
            "--repeats",
            "1",
            "--solve-envs",
            "32",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    assert "env-only steps/s, advrun CartPoleTorch on cpu" in out
    assert "training env-steps/s" in out
    assert "time to solve, s (train time, eval excluded; 32 envs)" in out
