"""``advrun train -m``: one directory per sweep member, named by its overrides."""

from __future__ import annotations

import json
import math
from pathlib import Path


def test_multirun_creates_one_named_dir_per_member(cli, tiny, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    cli(["train", "-m", "seed=1,2", *tiny(), f"hydra.sweep.dir={sweep}"])
    members = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert len(members) == 2, [p.name for p in members]
    # subdir is ${hydra.job.override_dirname} over the swept overrides only (the
    # SweepEnd callback leaves out those every member shares): "seed=1".
    by_seed = {}
    for member in members:
        items = member.name.split(",")
        seeds = [item for item in items if item.startswith("seed=")]
        assert len(seeds) == 1, member.name
        by_seed[seeds[0]] = member
        assert "total_steps=256" not in items
        assert not any(item.startswith("hydra.") for item in items)
    assert set(by_seed) == {"seed=1", "seed=2"}
    for seed, member in by_seed.items():
        summary = json.loads((member / "summary.json").read_text())
        assert summary["seed"] == int(seed.split("=")[1])
        assert math.isfinite(summary["final_eval_return"])
        assert (member / "checkpoints" / "last.pt").is_file()
        assert (member / ".hydra" / "config.yaml").is_file()
        assert any(p.name.startswith("events.out.tfevents") for p in member.iterdir())
    assert (sweep / "multirun.yaml").is_file()
