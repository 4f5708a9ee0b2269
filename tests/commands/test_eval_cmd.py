"""``advrun eval``: play a saved policy from a run dir or a checkpoint file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RESULT = re.compile(r"^3 episodes: return (-?\d+\.\d+) ± (\d+\.\d+)", re.MULTILINE)


def test_eval_from_run_dir(cli, trained_run: Path, tmp_path: Path, capsys) -> None:
    cli(["eval", f"run={trained_run}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"])
    out = capsys.readouterr().out
    match = RESULT.search(out)
    assert match, out
    assert float(match.group(2)) >= 0


def test_eval_from_checkpoint_file(cli, trained_run: Path, tmp_path: Path, capsys) -> None:
    ckpt = trained_run / "checkpoints" / "last.pt"
    cli(["eval", f"checkpoint={ckpt}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"])
    assert RESULT.search(capsys.readouterr().out)


def test_eval_is_reproducible(cli, trained_run: Path, tmp_path: Path, capsys) -> None:
    args = ["eval", f"run={trained_run}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"]
    cli(args)
    first = capsys.readouterr().out
    cli(args)
    assert capsys.readouterr().out == first


def test_missing_checkpoint_exits_2_naming_path(cli, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope" / "best.pt"
    with pytest.raises(SystemExit) as info:
        cli(["eval", f"checkpoint={missing}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("advrun: ")
    assert str(missing) in err


def test_run_dir_without_checkpoints_exits_2(cli, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty_run"
    empty.mkdir()
    with pytest.raises(SystemExit) as info:
        cli(["eval", f"run={empty}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"])
    assert info.value.code == 2
    assert str(empty) in capsys.readouterr().err


def test_zero_episodes_exits_2(cli, trained_run: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli(["eval", f"run={trained_run}", "episodes=0", f"hydra.run.dir={tmp_path}/eval"])
    assert info.value.code == 2
    assert "`episodes`" in capsys.readouterr().err
