"""``compile=<mode>`` end to end: the config refuses what it cannot compile, and a
compiled CartPole run saves plain weights that ``advrun eval`` plays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from advrun.config import ConfigError, to_train_config
from advrun.networks.compiled import COMPILE_MODES


@pytest.mark.parametrize("value", ["null", "false", "False"])
def test_compile_off_spellings_store_null(compose_train, value: str) -> None:
    assert to_train_config(compose_train([f"compile={value}"])).compile is None


@pytest.mark.parametrize("mode", COMPILE_MODES)
def test_compile_modes_are_accepted(compose_train, mode: str) -> None:
    assert to_train_config(compose_train([f"compile={mode}"])).compile == mode


def test_unknown_mode_names_the_key_and_the_modes(compose_train) -> None:
    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(["compile=fast"]))
    text = str(info.value)
    assert "compile" in text and "'fast'" in text
    assert all(mode in text for mode in COMPILE_MODES), text


@pytest.mark.parametrize("overrides", [["algo=dqn"], ["network=lstm"]])
def test_compile_is_refused_where_nothing_is_compiled(compose_train, overrides) -> None:
    with pytest.raises(ConfigError, match="compile"):
        to_train_config(compose_train([*overrides, "compile=default"]))


@pytest.mark.slow  # ~1 min on one loaded core: inductor compiles with gcc
def test_compiled_run_saves_plain_weights_that_eval_plays(
    cli, train_run, tmp_path: Path, capsys
) -> None:
    run = train_run(tmp_path / "run", compile="default", total_steps=512, eval__interval=256)
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["config"]["compile"] == "default"
    assert not any("_orig_mod" in key for key in state["model"])
    assert "policy_head.weight" in state["model"]
    cli(["eval", f"run={run}", "episodes=3", f"hydra.run.dir={tmp_path}/eval"])
    assert re.search(r"^3 episodes: return -?\d+\.\d+", capsys.readouterr().out, re.MULTILINE)


@pytest.mark.slow  # one compile
def test_resume_may_switch_compile_on_and_records_it(cli, train_run, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", total_steps=512)
    try:
        cli(["train", f"resume={run}", "total_steps=1024", "compile=default"])
    except SystemExit as done:
        assert done.code in (0, None)
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["global_step"] >= 1024
    assert state["config"]["compile"] == "default"
    assert state["config_history"][0]["changes"]["compile"] == [None, "default"]
    assert not any("_orig_mod" in key for key in state["model"])
