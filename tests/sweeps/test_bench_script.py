"""scripts/bench_sweep.py at a tiny size, one repeat (the lead runs the real one)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_sweep_tiny(tmp_path: Path, capsys) -> None:
    import hydra_plugins.hydra_joblib_launcher  # noqa: F401  (dev extra)

    spec = importlib.util.spec_from_file_location("bench_sweep", ROOT / "scripts/bench_sweep.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(
        [
            "--members",
            "2",
            "--total-steps",
            "128",
            "--eval-episodes",
            "1",
            "--repeats",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert result["speedup"] > 0
    out = capsys.readouterr().out
    assert "speedup" in out and "basic launcher" in out
    for name in ("basic_0", "parallel_0"):
        assert len(list((tmp_path / name).glob("*/summary.json"))) == 2
