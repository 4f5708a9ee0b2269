"""scripts/study_estimators.py: the study covers every estimator PPO accepts, picks a
group size that divides each preset's envs, composes each (env, estimator) member, and
keeps committed records from being replaced by a smaller run."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from advrun.advantages import ESTIMATORS
from advrun.config import to_train_config

_spec = importlib.util.spec_from_file_location(
    "study_estimators", Path(__file__).resolve().parents[2] / "scripts" / "study_estimators.py"
)
assert _spec and _spec.loader
study = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("study_estimators", study)
_spec.loader.exec_module(study)


def test_group_size_divides_num_envs() -> None:
    # largest g <= 8 with n % g == 0: 64 -> 8, 16 -> 8, 12 -> 6, 10 -> 5, 7 -> 7, 9 -> 3
    assert [study.group_size(n) for n in (64, 16, 8, 12, 10, 7, 9)] == [8, 8, 8, 6, 5, 7, 3]


def test_every_registered_estimator_is_studied() -> None:
    ungrouped, grouped = study.estimators()
    assert sorted(ungrouped + grouped) == sorted(ESTIMATORS.names())
    assert {"grpo", "rloo"} <= set(grouped)
    assert {"mc", "td", "nstep", "gae", "vtrace", "upgo"} <= set(ungrouped)


@pytest.mark.parametrize("env", sorted(study.BUDGETS))
def test_each_member_composes_and_validates(compose_train, env: str) -> None:
    """Every preset of the study takes every estimator (a preset that sets GAE's lam
    would fail to compose with vtrace)."""
    ungrouped, grouped = study.estimators()
    n_envs = study.num_envs(env)
    for name in ungrouped + grouped:
        extra = [f"advantage.group_size={study.group_size(n_envs)}"] if name in grouped else []
        cfg = compose_train([f"experiment=ppo_{env}", f"advantage={name}", *extra])
        config = to_train_config(cfg)
        assert config.advantage.name == name and config.env.num_envs == n_envs


def test_smaller_run_keeps_committed_records(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(study, "DATA", Path("data"))

    def fake_report(argv: list[str]) -> None:  # what `advrun report --records` writes
        out = Path(argv[argv.index("--records") + 1])
        out.write_text(json.dumps({"version": 1, "records": [{}] * 2}))

    monkeypatch.setattr(study, "run", fake_report)
    committed = Path("data/cartpole.json")
    committed.parent.mkdir()
    committed.write_text(json.dumps({"version": 1, "records": [{}] * 3}))
    assert not study.save_records("cartpole", tmp_path, force=False)
    assert len(json.loads(committed.read_text())["records"]) == 3
    assert study.save_records("cartpole", tmp_path, force=True)
    assert len(json.loads(committed.read_text())["records"]) == 2
