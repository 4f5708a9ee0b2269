"""scripts/bench_seeds.py: the commands it times and how it counts solved members."""

from __future__ import annotations

import json
from pathlib import Path

from script_loader import load_script

bench = load_script("bench_seeds")


def _member(root: Path, name: str, final: float | None) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "summary.json").write_text(json.dumps({"final_eval_return": final}))


def test_solved_counts_members_at_or_above_475(tmp_path: Path) -> None:
    # 475 itself counts (>=), 474.9 does not, a failed member (null) does not: 2 of 4.
    for name, final in (("seed_1", 475.0), ("seed_2", 500.0), ("seed_3", 474.9), ("x/y", None)):
        _member(tmp_path, name, final)
    assert bench.solved(tmp_path) == (2, 4)


def test_cuda_runs_the_torch_envs() -> None:
    assert bench.common("cpu", []) == ["env=cartpole", "progress=false", "device=cpu"]
    assert bench.common("cuda", ["total_steps=1"])[-2:] == ["env.backend=torch", "total_steps=1"]


def test_ways_name_the_commands(tmp_path: Path, monkeypatch) -> None:
    """(a) one seeds=[...] batch, (a1) the same in one process, (b) one command per
    seed, (c) one -m parallel sweep."""
    calls: list[list[str]] = []
    monkeypatch.setattr(bench, "_timed", lambda args, cwd: calls.append(args) or 1.0)
    base = bench.common("cpu", [])
    assert bench.batch([1, 2], tmp_path / "a", base, tmp_path) == 1.0
    assert bench.sequential([1, 2], tmp_path / "b", base, tmp_path) == 2.0
    assert bench.parallel([1, 2], tmp_path / "c", base, tmp_path) == 1.0
    assert "seeds=[1,2]" in calls[0]
    assert [c for c in calls[1] if c.startswith("seed=")] == ["seed=1"]
    assert [c for c in calls[2] if c.startswith("seed=")] == ["seed=2"]
    assert {"-m", "seed=1,2", "hydra/launcher=parallel"} <= set(calls[3])
    # (a1): the batch held to one process.
    assert bench.batch_one_process([1, 2], tmp_path / "a1", base, tmp_path) == 1.0
    assert {"seeds=[1,2]", "seeds_workers=1"} <= set(calls[4])
    assert "seeds_workers=1" not in calls[0]
