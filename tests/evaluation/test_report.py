"""``advrun eval`` writes ``<stem>.eval.json``/``.eval.md``; ``baseline=`` gives a paired
difference with a bootstrap CI; the statistics match a direct computation."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from advrun.evaluation.episodes import Episodes
from advrun.evaluation.progress import EvalProgress
from advrun.evaluation.report import paired_difference, render_markdown, summarize


def _direct_iqm(x: np.ndarray) -> float:
    """Mean of the middle half: drop floor(n/4) from each end of the sorted scores."""
    s = np.sort(x)
    k = len(s) // 4
    return float(s[k : len(s) - k].mean())


def _direct_ci(x: np.ndarray, stat, reps: int, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap: resample the episodes with replacement ``reps`` times."""
    rng = np.random.default_rng(seed)
    values = [stat(x[rng.integers(0, len(x), size=len(x))]) for _ in range(reps)]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def test_summary_statistics_by_hand() -> None:
    eps = Episodes(np.arange(1.0, 9.0), np.array([10, 20, 30, 40, 50, 60, 70, 80]), [0], 8)
    s = summarize(eps, target=6.0, reps=200)
    # returns 1..8: mean = median = 36/8 = 4.5; IQM drops 1, 2 and 7, 8 -> mean(3..6) = 4.5;
    # population std = sqrt(mean((x - 4.5)^2)) = sqrt(42/8) = sqrt(5.25).
    assert s["mean"] == 4.5 and s["median"] == 4.5 and s["iqm"] == 4.5
    assert s["std"] == pytest.approx(math.sqrt(5.25))
    assert (s["min"], s["max"]) == (1.0, 8.0)
    assert s["success_rate"] == 3 / 8  # 6, 7, 8 reach the target 6
    assert (s["length_mean"], s["length_min"], s["length_max"]) == (45.0, 10, 80)
    assert 1.0 <= s["iqm_ci"][0] <= 4.5 <= s["iqm_ci"][1] <= 8.0
    assert summarize(eps, target=None, reps=10)["success_rate"] is None


def test_paired_difference_by_hand() -> None:
    a = Episodes(np.array([3.0, 5.0, 7.0, 9.0]), np.ones(4, dtype=int))
    b = Episodes(np.array([1.0, 1.0, 7.0, 1.0]), np.ones(4, dtype=int))
    d = paired_difference(a, b, reps=500)
    # d = [2, 4, 0, 8]: mean 14/4 = 3.5; IQM of 4 drops one each end -> mean(2, 4) = 3.
    assert d["differences"] == [2.0, 4.0, 0.0, 8.0]
    assert d["mean"] == 3.5 and d["iqm"] == 3.0
    assert (d["wins"], d["ties"], d["losses"]) == (3, 1, 0)
    assert d["mean_ci"] == list(_direct_ci(np.array(d["differences"]), np.mean, 500))


def test_progress_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        p = EvalProgress(10, stream=stream, min_interval=0.0)
        p.update(3, 12.5)
        p.update(10, 20.0)
        p.close()
    assert pipe.getvalue() == ""
    shown = tty.getvalue()
    assert "3/10 episodes" in shown and "mean return 12.5" in shown
    last = shown.rstrip("\n").rsplit("\r", 1)[-1]  # what the terminal shows at the end
    assert "10/10 episodes" in last and "mean return 20.0" in last
    assert shown.endswith("\n")


@pytest.fixture
def two_runs(train_run, tmp_path: Path) -> tuple[Path, Path]:
    """A 256-step CartPole run (return ~9) and a 4096-step one that reaches the
    50-step cap of the tiny runs; same env settings."""
    weak = train_run(tmp_path / "weak")
    strong = train_run(
        tmp_path / "strong", total_steps=4096, env__num_envs=4, algo__rollout_steps=64
    )
    return weak, strong


def test_baseline_report_matches_direct_computation(cli, two_runs, tmp_path, capsys) -> None:
    weak, strong = two_runs
    cli(["eval", f"run={strong}", f"baseline={weak}", "episodes=20", "bootstrap_reps=500"])
    out = capsys.readouterr().out
    report = json.loads((strong / "checkpoints" / "best.eval.json").read_text())
    r = report["returns"]
    returns = np.array(r["returns"])
    assert len(returns) == 20 and r["episodes"] == 20
    assert r["iqm"] == pytest.approx(_direct_iqm(returns), abs=1e-12)
    assert r["iqm_ci"] == pytest.approx(_direct_ci(returns, _direct_iqm, 500), abs=1e-12)
    assert r["mean"] == pytest.approx(returns.mean()) and r["median"] == np.median(returns)
    assert r["success_rate"] == float(np.mean(returns >= 475.0))  # CartPole's target

    # The baseline alone, same seeds: the same episodes as inside the paired report.
    cli(["eval", f"run={weak}", "episodes=20", "bootstrap_reps=500"])
    alone = json.loads((weak / "checkpoints" / "best.eval.json").read_text())["returns"]
    assert alone["returns"] == report["baseline"]["returns"]["returns"]

    d = report["paired_difference"]
    diffs = returns - np.array(alone["returns"])
    assert d["differences"] == diffs.tolist()
    assert d["mean"] == pytest.approx(diffs.mean())
    assert d["mean_ci"] == pytest.approx(_direct_ci(diffs, np.mean, 500), abs=1e-12)
    assert d["iqm_ci"] == pytest.approx(_direct_ci(diffs, _direct_iqm, 500), abs=1e-12)
    assert d["mean_ci"][0] > 0 and d["ci_excludes_zero"]  # the strong run is better
    assert "vs baseline: mean difference" in out

    md = (strong / "checkpoints" / "best.eval.md").read_text()
    assert md == render_markdown(report)
    assert "| IQM [95% CI] |" in md and "excludes 0" in md
    assert report["evaluation"]["reset_seeds"] == [12345]  # one round of 20 envs


def test_seed_rounds_cover_all_episodes(cli, train_run, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run")
    cli(["eval", f"run={run}", "episodes=5", "num_envs=2"])
    ev = json.loads((run / "checkpoints" / "best.eval.json").read_text())
    # 5 episodes on 2 envs: rounds reset with 12345, 12347, 12349 (the last half used).
    assert ev["evaluation"]["reset_seeds"] == [12345, 12347, 12349]
    assert len(ev["returns"]["lengths"]) == 5
    assert ev["returns"]["lengths"] == [int(x) for x in ev["returns"]["returns"]]  # +1/step


def test_baseline_of_another_env_exits_2(cli, train_run, tmp_path, capsys) -> None:
    run = train_run(tmp_path / "cartpole")
    other = train_run(tmp_path / "acrobot", env="acrobot")
    with pytest.raises(SystemExit) as info:
        cli(["eval", f"run={run}", f"baseline={other}", "episodes=2"])
    assert info.value.code == 2
    assert "`baseline`" in capsys.readouterr().err
