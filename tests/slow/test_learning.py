"""Learning-to-threshold runs (minutes): ``pytest -m slow``.

Each shipped config must reach its target eval return (20 deterministic episodes)
for every seed the core issue names.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "solve_rates", Path(__file__).resolve().parents[2] / "scripts" / "solve_rates.py"
)
assert _spec and _spec.loader
solve_rates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solve_rates)

CASES = [
    (name, seed)
    for name in ("cartpole", "acrobot", "pendulum", "reinforce_cartpole", "a2c_cartpole")
    for seed in solve_rates.CASES[name][2]
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "seed"), CASES)
def test_reaches_target(case: str, seed: int, tmp_path: Path) -> None:
    overrides, threshold, _ = solve_rates.CASES[case]
    summary = solve_rates.run_one(overrides, seed, tmp_path / "run")
    assert summary["final_eval_return"] >= threshold, json.dumps(summary, indent=1)
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
