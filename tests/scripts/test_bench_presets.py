"""scripts/bench_presets.py: its preset table matches the shipped presets, and the
report renders a table row and a PNG from a finished run."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from advrun.config import conf_dir, to_train_config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_presets.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_presets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_presets"] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_every_preset_file_is_benchmarked() -> None:
    shipped = {p.stem for p in (Path(conf_dir()) / "experiment").glob("ppo_*.yaml")}
    assert shipped == set(bench.PRESETS)


@pytest.mark.parametrize("name", sorted(bench.PRESETS))
def test_table_budget_and_env_match_the_preset(compose_train, name: str) -> None:
    cfg = to_train_config(compose_train([f"experiment={name}"]))
    preset = bench.PRESETS[name]
    assert cfg.total_steps == preset.budget
    assert preset.env_id.split(" ")[0] == cfg.env.id


def test_report_from_a_finished_run(trained_run: Path, tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    out, docs = tmp_path / "bench", tmp_path / "docs"
    (out / "ppo_cartpole").mkdir(parents=True)
    (out / "ppo_cartpole" / "meta.json").write_text(json.dumps({"budget": 256, "seeds": [1]}))
    (out / "ppo_cartpole" / "seed1").symlink_to(trained_run, target_is_directory=True)
    text = bench.report(out, docs)
    row = next(line for line in text.splitlines() if line.startswith("| `ppo_cartpole`"))
    assert "**shortened**" in row and "500.0 ± 0.0 (CartPole-v1, 100k)" in row
    assert (docs / "results" / "cartpole.png").stat().st_size > 1000
    assert (docs / "results.md").read_text() == text
