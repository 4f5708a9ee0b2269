"""The ``advrun`` dispatcher: usage, unknown commands, Hydra help per command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advrun.cli import main

GROUPS = ("advantage", "algo", "env", "network", "optimizer")


def _console_script() -> str:
    script = Path(sys.executable).with_name("advrun")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    return str(script)


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_lists_commands(flag: str, capsys) -> None:
    main([flag])
    out = capsys.readouterr().out
    assert out.startswith("usage: advrun <command>")
    assert "  train " in out
    assert "  eval " in out


def test_no_arguments_prints_usage(capsys) -> None:
    main([])
    assert "usage: advrun" in capsys.readouterr().out


def test_unknown_command_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["trian"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown command 'trian'" in err
    assert "usage: advrun" in err


def test_console_script_train_help_lists_groups(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_console_script(), "train", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    groups = proc.stdout.split("== Choices ==", 1)[1].split("== Config", 1)[0]
    listed = {line.split("=", 1)[0].strip() for line in groups.splitlines() if "=" in line}
    assert set(GROUPS) <= listed
    assert "cartpole" in groups and "gae" in groups
    # the registry-backed groups list every registered option with its summary
    from advrun.algos import ALGORITHMS

    for entry in ALGORITHMS:
        assert f"    {entry.name:<12} {entry.summary}" in groups
    assert list(tmp_path.iterdir()) == []  # --help writes nothing


def test_python_dash_m_help(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "advrun", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: advrun" in proc.stdout
    assert "train" in proc.stdout and "eval" in proc.stdout


@pytest.mark.parametrize("spelling", ["experiment", "+experiment"])
def test_experiment_preset_with_or_without_plus(cli, tiny, tmp_path: Path, spelling: str) -> None:
    """``+experiment=`` (sheeprl's spelling) selects the preset like ``experiment=``."""
    import yaml

    run = tmp_path / "run"
    cli(["train", f"{spelling}=ppo_acrobot", *tiny(), f"hydra.run.dir={run}"])
    cfg = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
    assert cfg["env"]["id"] == "Acrobot-v1"
    assert (cfg["algo"]["epochs"], cfg["optimizer"]["schedule"]) == (4, "linear")  # not defaults


def test_multirun_with_cfg_is_refused_with_the_fix(capsys) -> None:
    """Hydra allows only one of --multirun and --cfg (issue 16, item 1): exit 2 and the
    command without -m, instead of Hydra's traceback."""
    with pytest.raises(SystemExit) as info:
        main(["train", "-m", "hydra/launcher=parallel", "--cfg", "hydra", "-p", "hydra.launcher"])
    assert info.value.code == 2
    assert "drop -m" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["eval", "export"])
def test_eval_and_export_help_list_only_their_own_keys(command: str, capsys) -> None:
    """Issue 16 item 12: `advrun eval --help` listed the training config groups."""
    try:  # Hydra's help exits; the CLI's fast path (advrun.config.help) returns
        main([command, "--help"])
    except SystemExit as info:
        assert info.code in (0, None)
    out = capsys.readouterr().out
    assert out.startswith(f"advrun {command}:")
    assert "run: null" in out
    assert "advantage:" not in out and "Configuration groups" not in out


@pytest.mark.parametrize("outcome", ["returns", "exits"])
def test_console_entry_freezes_gc_after_main(outcome: str, monkeypatch) -> None:
    """The console script freezes the collector once main is done, whether main returns
    or raises SystemExit (the exit code still propagates), and not before."""
    import advrun.cli as cli

    calls: list[str] = []

    def fake_main() -> None:
        calls.append("main")
        if outcome == "exits":
            raise SystemExit(3)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append("freeze"))
    if outcome == "exits":
        with pytest.raises(SystemExit) as info:
            cli.entry()
        assert info.value.code == 3
    else:
        cli.entry()
    assert calls == ["main", "freeze"]


def test_console_script_and_module_run_entry() -> None:
    """Both ways to start advrun go through entry(): the installed script's entry point
    and ``python -m advrun``."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "advrun"]
    assert script.value == "advrun.cli:entry"
    main_py = Path(__file__).resolve().parents[2] / "advrun" / "__main__.py"
    assert "entry()" in main_py.read_text()
