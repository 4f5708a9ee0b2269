"""The replay benchmark runs end to end with tiny sizes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_replay.py"


def test_bench_replay_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--capacity", "2000", "--number", "5", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "advrun sample(batch=64, n=3), capacity 2000, num_envs 1" in out
    assert "num_envs 8" in out
