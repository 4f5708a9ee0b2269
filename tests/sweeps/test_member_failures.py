"""A failing member (bad value) does not stop the sweep: the others finish, the failure
is recorded with its overrides, and ``hydra/callbacks=report_failures`` makes the sweep
exit with status 4."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from advrun.sweeps.callbacks import EXIT_MEMBERS_FAILED


def _summaries(sweep: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for member in sweep.iterdir():
        if not member.is_dir():
            continue
        # Read the member's overrides, not its name: the name leaves out the keys every
        # member shares (seed=1 here).
        overrides = yaml.safe_load((member / ".hydra" / "overrides.yaml").read_text())
        items = dict(item.split("=", 1) for item in overrides)
        out[(items["seed"], items["advantage.gamma"])] = json.loads(
            (member / "summary.json").read_text()
        )
    return out


def test_bad_member_fails_alone_and_sweep_exits_4(cli, tiny, tmp_path: Path, capsys) -> None:
    sweep = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_:
        cli(
            [
                "train",
                "-m",
                "hydra/callbacks=report_failures",
                "seed=1,2",
                "advantage.gamma=0.9,1.5",
                *tiny(),
                f"hydra.sweep.dir={sweep}",
            ]
        )
    assert exit_.value.code == EXIT_MEMBERS_FAILED
    summaries = _summaries(sweep)
    assert set(summaries) == {(s, g) for s in ("1", "2") for g in ("0.9", "1.5")}
    for seed in ("1", "2"):
        ok = summaries[(seed, "0.9")]
        assert ok["status"] == "completed"
        assert math.isfinite(ok["final_eval_return"])
        bad = summaries[(seed, "1.5")]
        assert bad["status"] == "failed"
        assert bad["error_type"] == "ConfigError"
        assert "advantage.gamma" in bad["error"] and "1.5" in bad["error"]
        assert f"seed={seed}" in bad["overrides"]
        assert "advantage.gamma=1.5" in bad["overrides"]
    err = capsys.readouterr().err
    # One paragraph per failed member, naming its overrides, then the sweep's list.
    assert err.count("failed (ConfigError)") == 2
    assert "2 sweep member(s) failed" in err
    assert "advrun report" in err
    assert "Traceback" not in err


def test_without_callback_sweep_finishes_normally(cli, tiny, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    cli(["train", "-m", "seed=1", "advantage.gamma=0.9,1.5", *tiny(), f"hydra.sweep.dir={sweep}"])
    statuses = {k[1]: v["status"] for k, v in _summaries(sweep).items()}
    assert statuses == {"0.9": "completed", "1.5": "failed"}


def test_crashing_member_is_recorded(cli, tiny, tmp_path: Path, monkeypatch) -> None:
    """A crash (not bad input) is caught the same way, its traceback goes to the log."""
    import advrun.commands.train as train_cmd

    real = train_cmd.run_training

    def crash_on_seed_2(cfg, run_dir, overridden=None, signals=None):
        if cfg.seed == 2:
            raise RuntimeError("simulated crash")
        return real(cfg, run_dir, overridden, signals)

    monkeypatch.setattr(train_cmd, "run_training", crash_on_seed_2)
    sweep = tmp_path / "sweep"
    cli(["train", "-m", "seed=1,2", *tiny(), f"hydra.sweep.dir={sweep}"])
    by_seed = {}
    for member in (m for m in sweep.iterdir() if m.is_dir()):
        seed = next(i for i in member.name.split(",") if i.startswith("seed="))
        by_seed[seed] = json.loads((member / "summary.json").read_text())
        if seed == "seed=2":
            assert "simulated crash" in (member / "train.log").read_text()
    assert by_seed["seed=2"]["status"] == "failed"
    assert by_seed["seed=2"]["error"] == "simulated crash"
    assert by_seed["seed=1"]["status"] == "completed"
