"""``hydra/sweeper=ppo_search`` with SQLite storage survives a SIGKILL of the sweep: the
same command, rerun, finishes the study (8 completed trials in all) and keeps the
trials completed before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import hydra_plugins.hydra_optuna_sweeper  # noqa: F401  (dev extra)
import optuna

N_TRIALS = 8


def _command(tiny, tmp_path: Path, storage: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "advrun",
        "train",
        "-m",
        "hydra/sweeper=ppo_search",
        f"hydra.sweeper.n_trials={N_TRIALS}",
        "hydra.sweeper.n_jobs=1",
        f"hydra.sweeper.storage={storage}",
        "hydra.sweeper.study_name=resume_test",
        *tiny(total_steps=1024),
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        *extra,
    ]


def _states(storage: str) -> dict[str, int]:
    try:
        study = optuna.load_study(study_name="resume_test", storage=storage)
    except KeyError:
        return {}
    counts: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts


KILL_AFTER = 3


def test_killed_study_resumes_to_n_trials(tiny, tmp_path: Path) -> None:
    """Killed after 3 of 8 trials (or 4: a short trial can finish between the poll and
    the kill), the rerun runs exactly the rest, none of them repeating a parameter set
    tried before the kill (issue 16, item 4: the seeded sampler used to restart its
    stream, so resumed trial k had the values of trial k - 3)."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    cmd = _command(tiny, tmp_path, storage)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    try:
        while _states(storage).get("COMPLETE", 0) < KILL_AFTER:
            assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"{KILL_AFTER} trials did not complete in 180 s"
            time.sleep(0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL

    study = optuna.load_study(study_name="resume_test", storage=storage)
    tried = {t.number: t.params for t in study.get_trials(deepcopy=False)}  # stale one too
    before = {
        t.number: (t.params, t.value)
        for t in study.get_trials(deepcopy=False)
        if t.state == optuna.trial.TrialState.COMPLETE
    }
    assert KILL_AFTER <= len(before) < N_TRIALS, "the sweep must be killed mid-study"

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert "Resuming Optuna study 'resume_test'" in rerun.stdout + rerun.stderr

    study = optuna.load_study(study_name="resume_test", storage=storage)
    trials = study.get_trials(deepcopy=False)
    new = [t for t in trials if t.number not in tried]
    assert len(new) == N_TRIALS - len(before)  # exactly the missing trials were run
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in new)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == N_TRIALS
    after = {t.number: (t.params, t.value) for t in complete}
    for number, record in before.items():
        assert after[number] == record  # earlier trials kept, unchanged
    # No parameter set is tried twice: neither one from before the kill nor within the rerun.
    seen = [tuple(sorted(p.items())) for p in tried.values()]
    seen += [tuple(sorted(t.params.items())) for t in new]
    assert len(set(seen)) == len(seen), seen
    # Trials the kill left RUNNING are closed as FAIL, marked stale, and not counted.
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    stale = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert all(t.user_attrs.get("advrun_stale") for t in stale)
    # The sweeper's summary of the finished study is written.
    assert (tmp_path / "sweep" / "optimization_results.yaml").is_file()
    # Optuna's messages go through Hydra's logging, without ANSI colour codes (item 12).
    assert "\x1b[" not in rerun.stdout + rerun.stderr


def test_search_with_the_parallel_launcher(tiny, tmp_path: Path) -> None:
    """The shipped search space runs under joblib, and the study's SQLite folder is
    created on demand."""
    storage = f"sqlite:///{tmp_path / 'new_dir' / 'study.db'}"
    cmd = _command(tiny, tmp_path, storage, "hydra/launcher=parallel")
    cmd[cmd.index(f"hydra.sweeper.n_trials={N_TRIALS}")] = "hydra.sweeper.n_trials=4"
    cmd[cmd.index("hydra.sweeper.n_jobs=1")] = "hydra.sweeper.n_jobs=2"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert _states(storage) == {"COMPLETE": 4}
    study = optuna.load_study(study_name="resume_test", storage=storage)
    for trial in study.trials:
        assert 1e-4 <= trial.params["optimizer.lr"] <= 3e-3
        assert 0.8 <= trial.params["advantage.lam"] <= 1.0
        assert 0.1 <= trial.params["algo.clip_coef"] <= 0.3
