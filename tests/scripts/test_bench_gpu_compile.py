"""``scripts/bench_gpu.py --compile``: eager and each compile mode side by side, with
ratios to eager; a mode that fails is reported and the others still run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from script_loader import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_gpu.py"
# The CPU smoke: throughput runs and solve runs too short to solve (4096 steps).
SMOKE = [
    "--device",
    "cpu",
    "--num-envs",
    "64",
    "--train-steps",
    "4096",
    "--solve-steps",
    "4096",
    "--repeats",
    "1",
]
SMOKE += ["--compile", "default"]


def _args(**changes: object) -> argparse.Namespace:
    base = dict(
        device="cpu",
        num_envs=4,
        solve_envs=None,
        train_steps=64,
        solve_steps=64,
        repeats=3,
        budget_s=0.0,
    )
    return argparse.Namespace(**{**base, **changes})


def _fake_train(
    table: dict[str | None, tuple[float, float, float]], calls: list, envs: list | None = None
):
    """``train`` giving (sps, steady_sps, train_time_s) per compile mode."""

    def train(device, num_envs, total_steps, solve, seed, compile_mode=None) -> dict:
        calls.append((compile_mode, solve, seed))
        if envs is not None:
            envs.append((solve, num_envs))
        if compile_mode == "max-autotune-no-cudagraphs":
            raise RuntimeError("no autotuning here\nsecond line")
        sps, steady, seconds = table[compile_mode]
        return {
            "sps": sps + seed,  # medians over seeds 1, 2, 3: sps + 2
            "steady_sps": steady,
            "train_time_s": seconds,
            "final_eval_return": 500.0,
            "steps": 1000,
        }

    return train


def test_compare_rows_give_ratios_to_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_script("bench_gpu")
    calls: list = []
    table = {None: (98.0, 200.0, 10.0), "default": (48.0, 500.0, 4.0)}
    monkeypatch.setattr(bench, "train", _fake_train(table, calls))
    rows = bench.compare(_args(), ["default", "max-autotune-no-cudagraphs"])
    eager, default, failed, note = rows[2:]
    # eager: median sps 98 + 2 = 100; ratios 1.
    assert eager.startswith("| eager | 3 | 100 | 1.00 | 200 | 1.00 | 10.00 | 1.00 | 3/3 |")
    # default: 50 / 100 = 0.50; 500 / 200 = 2.50; time to solve 10 / 4 = 2.50x faster.
    assert default.startswith("| default | 3 | 50 | 0.50 | 500 | 2.50 | 4.00 | 2.50 | 3/3 |")
    assert failed == "| max-autotune-no-cudagraphs | 0 | failed |"
    assert note == (
        "\nmax-autotune-no-cudagraphs failed in round 1: RuntimeError: no autotuning here"
    )
    # Interleaved by repeat (round r runs every variant with seed r); the failed mode is
    # tried once, not again in later rounds.
    assert calls[:5] == [
        (None, False, 1),
        (None, True, 1),
        ("default", False, 1),
        ("default", True, 1),
        ("max-autotune-no-cudagraphs", False, 1),
    ]
    assert len(calls) == 5 + 4 + 4


def test_solve_runs_use_their_own_env_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """--solve-envs sizes the time-to-solve runs (PPO at 4096 envs needs millions of
    steps); the throughput runs keep --num-envs."""
    bench = load_script("bench_gpu")
    calls: list = []
    envs: list = []
    table = {None: (1.0, 1.0, 1.0), "default": (1.0, 1.0, 1.0)}
    monkeypatch.setattr(bench, "train", _fake_train(table, calls, envs))
    bench.compare(_args(repeats=1, solve_envs=2), ["default"])
    assert envs == [(False, 4), (True, 2), (False, 4), (True, 2)]
    envs.clear()
    bench.compare(_args(repeats=1), ["default"])
    assert envs == [(False, 4), (True, 4), (False, 4), (True, 4)]


def test_budget_stops_at_the_first_run_that_would_not_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = load_script("bench_gpu")
    calls: list = []
    table = {None: (1.0, 1.0, 1.0), "default": (1.0, 1.0, 1.0)}
    monkeypatch.setattr(bench, "train", _fake_train(table, calls))
    clock = iter(range(0, 1000, 10))  # every perf_counter() call advances the clock 10 s
    monkeypatch.setattr(bench.time, "perf_counter", lambda: float(next(clock)))
    # start 0; round 1: eager runs 10 -> 20 (took 10 s), default 30 -> 40 (took 10 s).
    # Round 2: eager checked at 50 (50 + 10 <= 65: runs 60 -> 70); default checked at
    # 80: 80 + 10 > 65, so the benchmark ends with eager 2 repeats, default 1.
    rows = bench.compare(_args(budget_s=65.0), ["default"])
    assert rows[2].startswith("| eager | 2 |")
    assert rows[3].startswith("| default | 1 |")
    assert len(calls) == 6


@pytest.mark.slow  # inductor compiles with gcc: about a minute on two loaded cores
def test_bench_gpu_compile_runs_on_cpu() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *SMOKE],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    assert "| eager | 1 |" in out
    assert "| default | 1 |" in out
    assert "failed" not in out
