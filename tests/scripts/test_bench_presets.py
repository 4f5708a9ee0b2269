"""scripts/bench_presets.py: its preset table matches the shipped presets, and the
report renders a table row and a PNG from a finished run."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import pytest
from script_loader import load_script

from advrun.config import conf_dir, to_train_config

bench = load_script("bench_presets")


def test_every_preset_file_is_benchmarked() -> None:
    experiments = Path(conf_dir()) / "experiment"
    shipped = {p.stem for glob in ("ppo_*.yaml", "dqn_*.yaml") for p in experiments.glob(glob)}
    assert shipped == set(bench.PRESETS)


@pytest.mark.parametrize("name", sorted(bench.PRESETS))
def test_table_budget_and_env_match_the_preset(compose_train, name: str) -> None:
    cfg = to_train_config(compose_train([f"experiment={name}"]))
    preset = bench.PRESETS[name]
    assert cfg.total_steps == preset.budget
    assert preset.env_id.split(" ")[0] == cfg.env.id


def _harvest_tiny(trained_run: Path, tmp_path: Path, budget: int) -> tuple[Path, Path]:
    out, docs = tmp_path / "bench", tmp_path / "docs"
    (out / "ppo_cartpole").mkdir(parents=True)
    (out / "ppo_cartpole" / "seed1").symlink_to(trained_run, target_is_directory=True)
    (out / "ppo_cartpole" / "seed2").mkdir()  # an unfinished run: left out
    record = bench.harvest(out, "ppo_cartpole", {"budget": budget, "command": "cmd"})
    data = docs / "results" / "data"
    data.mkdir(parents=True)
    (data / "ppo_cartpole.json").write_text(json.dumps(record))
    return data, docs


def test_harvest_keeps_summary_and_eval_curve(trained_run: Path, tmp_path: Path) -> None:
    data, _ = _harvest_tiny(trained_run, tmp_path, 256)
    record = json.loads((data / "ppo_cartpole.json").read_text())
    assert list(record["seeds"]) == ["1"]
    seed = record["seeds"]["1"]
    summary = json.loads((trained_run / "summary.json").read_text())
    assert seed["summary"] == summary
    assert [step for step, _ in seed["eval"]] == [128, 256]  # eval.interval=128
    assert seed["eval"][-1][1] == pytest.approx(summary["final_eval_return"])
    assert record["budget"] == 256 and record["command"] == "cmd"


def test_report_renders_from_the_records_alone(trained_run: Path, tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    data, docs = _harvest_tiny(trained_run, tmp_path, 256)
    shutil.rmtree(tmp_path / "bench")  # the runs are gone; the record is enough
    text = bench.report(data, docs)
    row = next(line for line in text.splitlines() if line.startswith("| `ppo_cartpole`"))
    assert "**shortened**" in row and "500.0 ± 0.0 (CartPole-v1, 100k)" in row
    assert "475.0: not met" in row  # a shortened run never meets its target
    assert (docs / "results" / "cartpole.png").stat().st_size > 1000
    assert (docs / "results.md").read_text() == text


def _record(finals: list[float], budget: int) -> dict:
    return {
        "budget": budget,
        "seeds": {
            str(i): {
                "summary": {
                    "final_eval_return": f,
                    "steps": budget,
                    "wall_time_s": 60.0,
                    "stop_reason": "total_steps",
                },
                "eval": [],
                "training": [],
            }
            for i, f in enumerate(finals, 1)
        },
    }


@pytest.mark.parametrize(
    ("finals", "verdict"),
    [
        ([1600.0, 1400.0, 1550.0], "**met** (2/3 seeds)"),  # median 1550 >= 1500
        ([1600.0, 1400.0, 1450.0], "not met (1/3 seeds)"),  # median 1450 < 1500
    ],
)
def test_target_is_judged_on_the_median(finals: list[float], verdict: str) -> None:
    row = bench.table_row(
        "ppo_halfcheetah", bench.PRESETS["ppo_halfcheetah"], _record(finals, 1_000_000)
    )
    assert f"1500: {verdict}" in row
    assert f"**{statistics.median(finals):.0f}**" in row


def test_main_trains_seeds_in_parallel_and_writes_the_docs(tmp_path: Path, capsys) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    out, docs = tmp_path / "bench", tmp_path / "docs"
    tiny = ["env.num_envs=2", "algo.rollout_steps=32", "eval.episodes=2", "eval.interval=0"]
    args = [*tiny, "--preset", "ppo_cartpole", "--seeds", "1", "2", "--jobs", "2"]
    assert bench.main([*args, "--budget", "128", "--out", str(out), "--docs", str(docs)]) == 0
    record = json.loads((docs / "results" / "data" / "ppo_cartpole.json").read_text())
    assert sorted(record["seeds"]) == ["1", "2"] and record["jobs"] == 2
    assert {s["summary"]["steps"] for s in record["seeds"].values()} == {128}
    assert record["machine"]["versions"]["torch"]
    assert "--jobs 2" in record["command"]
    assert "| `ppo_cartpole` |" in (docs / "results.md").read_text()
    assert "ppo_cartpole seed 2: final" in capsys.readouterr().out


def test_config_drift_spots_a_changed_preset(trained_run: Path, tmp_path: Path) -> None:
    import yaml

    from tests.conftest import tiny_args

    same = tiny_args(env__max_episode_steps=20, eval__interval=128)  # trained_run's
    assert bench.config_drift(trained_run, same) is None
    assert bench.config_drift(trained_run, [*same, "advantage.lam=0.9"]) == "advantage"
    assert bench.config_drift(trained_run, [*same, "seed=7"]) == "seed"

    # A field added to the schema after the run, at its default, is not drift.
    old = tmp_path / "old"
    shutil.copytree(trained_run / ".hydra", old / ".hydra")
    stored = yaml.safe_load((old / ".hydra" / "config.yaml").read_text())
    del stored["algo"]["clip_schedule"]
    (old / ".hydra" / "config.yaml").write_text(yaml.safe_dump(stored))
    assert bench.config_drift(old, same) is None
    assert bench.config_drift(old, [*same, "algo.clip_schedule=linear"]) == "algo"


def test_a_smaller_run_does_not_replace_the_committed_record() -> None:
    """Issue 16 item 6: 1 seed at 20k must not overwrite 3 seeds at 200k (nor 3 seeds at
    a smaller budget); as large or larger may."""
    committed = {"budget": 200_000, "seeds": {"1": {}, "2": {}, "3": {}}}
    quick = {"budget": 20_000, "seeds": {"1": {}}}
    assert "1 seed(s) at 20,000" in bench.smaller_than_committed(committed, quick)
    assert bench.smaller_than_committed(committed, {**committed, "budget": 100_000})
    assert bench.smaller_than_committed(committed, {**committed, "seeds": {"1": {}}})
    assert bench.smaller_than_committed(committed, committed) is None
    assert bench.smaller_than_committed(None, quick) is None


def test_main_keeps_the_committed_record_unless_forced(
    trained_run: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """End to end through main(): a finished tiny run under --out is harvested, but the
    committed 3-seed record in --docs stays, until --force."""
    out, docs = tmp_path / "bench", tmp_path / "docs"
    shutil.copytree(trained_run, out / "ppo_cartpole" / "seed1")
    # run_one reuses a finished run whose config matches what the preset composes to.
    monkeypatch.setattr(bench, "config_drift", lambda *_: None)
    monkeypatch.setattr(bench, "report", lambda *_: "")  # rendering is tested above
    data = docs / "results" / "data"
    data.mkdir(parents=True)
    committed = {"preset": "ppo_cartpole", "budget": 200_000, "seeds": {"1": {}, "2": {}, "3": {}}}
    (data / "ppo_cartpole.json").write_text(json.dumps(committed))
    args = ["--preset", "ppo_cartpole", "--seeds", "1", "--budget", "256"]
    args += ["--out", str(out), "--docs", str(docs)]
    bench.main(args)
    assert json.loads((data / "ppo_cartpole.json").read_text()) == committed
    assert "--force replaces it" in capsys.readouterr().out
    bench.main([*args, "--force"])
    assert list(json.loads((data / "ppo_cartpole.json").read_text())["seeds"]) == ["1"]


def test_no_preset_is_an_error_not_a_silent_no_op(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        bench.main([])
    assert info.value.code == 2
    assert "--preset" in capsys.readouterr().err


def test_dqn_rows_name_the_zoo_algorithm_and_ppo_rows_stay_as_they_were() -> None:
    # The zoo's DQN LunarLander-v2 agent: 154.382 +- 79.241 after 100k steps -> "154.4 ± 79.2".
    dqn = bench.table_row(
        "dqn_lunarlander", bench.PRESETS["dqn_lunarlander"], _record([210.0, 190.0, 230.0], 400_000)
    )
    assert "154.4 ± 79.2 (DQN LunarLander-v2, 100k)" in dqn
    assert "200.0: **met** (2/3 seeds)" in dqn  # median 210 >= 200
    ppo = bench.table_row(
        "ppo_lunarlander", bench.PRESETS["ppo_lunarlander"], _record([250.0], 1_000_000)
    )
    assert "242.1 ± 31.8 (LunarLander-v2, 1M)" in ppo
