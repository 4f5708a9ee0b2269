"""Config interpolation never executes code from the command line.

OmegaConf interpolations (``${...}``) call *registered resolvers* only. advrun
registers two (``advrun.if_null``, ``advrun.callable_name``); Hydra adds ``now`` and
``hydra``; OmegaConf ships the ``oc.*`` family. None of them evaluates code.
``${oc.env:VAR}`` reads an environment variable — allowed and documented here: it
can only read a string the user's own shell already holds. Anything else —
``${eval:...}``, ``${python:...}``, a Python expression as a value — must either fail
with a clean error (Hydra's parse or merge message, or ``advrun: Invalid config ...``,
exit status 2) or be kept as a
plain string. A marker file that the payload would create must never appear.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import hydra
import pytest
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.basecontainer import BaseContainer
from omegaconf.errors import OmegaConfBaseException

from advrun.config import ConfigError, TrainConfig, conf_dir, register_configs, to_train_config

FORBIDDEN = ("eval", "exec", "python", "oc.eval", "oc.exec", "oc.python", "py", "import")
# Every resolver that may be registered in an advrun process (OmegaConf's built-ins,
# Hydra's ``now``/``hydra`` and advrun's own). A new one must be reviewed and added here.
ALLOWED = {
    "oc.create",
    "oc.decode",
    "oc.deprecated",
    "oc.dict.keys",
    "oc.dict.values",
    "oc.env",
    "oc.select",
    "now",
    "advrun.run_tag",  # returns a constant string; takes no input
    "advrun.choices",  # the --help listing from the registries; takes no input
    "hydra",
    "python_version",  # Hydra's: returns the interpreter's version string
    "ray_pkg_version",  # hydra-ray-launcher's: returns an installed package's version
    "advrun.if_null",
    "advrun.callable_name",  # slices "pkg.module:fn" to "fn" (the env=custom run name)
    "advrun.path_name",  # replaces "/" and whitespace in the run name by "-" (run dirs)
}


def payloads(marker: Path) -> list[str]:
    cmd = f"touch {marker}"
    return [
        f'name=${{eval:__import__("os").system("{cmd}")}}',
        f'name=\'${{eval:__import__("os").system("{cmd}")}}\'',
        f"name=__import__('os').system('{cmd}')",
        f'name=\'__import__("os").system("{cmd}")\'',
        "seed=${python:1}",
        f"name=${{python:__import__('os').system('{cmd}')}}",
        f"name='${{exec:import os; os.system(\"{cmd}\")}}'",
        "name=${oc.eval:1+1}",
        f'name=${{oc.decode:\'${{eval:__import__("os").system("{cmd}")}}\'}}',
    ]


# Payload indices whose value survives as a plain string (no interpolation in them).
PLAIN_STRING = {3}
IDS = [
    "eval-unquoted",
    "eval-quoted",
    "python-expr",
    "python-expr-quoted",
    "python-resolver-int",
    "python-resolver-str",
    "exec-resolver",
    "oc.eval",
    "oc.decode-eval",
]


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # a relative ``touch MARKER`` would land here too
    return tmp_path / "MARKER"


def _registered_resolvers() -> set[str]:
    return set(BaseContainer._resolvers)


def test_no_code_evaluating_resolver_is_registered(
    cli: Callable[[list[str]], None], tiny: Callable[..., list[str]], tmp_path: Path
) -> None:
    # Import the commands: whatever they register at import time is inspected too.
    importlib.import_module("advrun.commands.evaluate")
    importlib.import_module("advrun.commands.train")

    register_configs()
    cli(["train", *tiny(), f"hydra.run.dir={tmp_path / 'run'}"])  # Hydra adds its own
    names = _registered_resolvers()
    assert "advrun.if_null" in names and "oc.env" in names  # the registry is the real one
    for name in FORBIDDEN:
        assert not OmegaConf.has_resolver(name), name
        assert name not in names
    assert names <= ALLOWED, f"unreviewed resolvers: {sorted(names - ALLOWED)}"


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_compose_never_executes_code(index: int, marker: Path) -> None:
    override = payloads(marker)[index]
    register_configs()
    with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        try:
            cfg = to_train_config(hydra.compose("train", overrides=[override]))
        except ConfigError as err:
            assert "Fix:" in str(err) and err.key in override
            outcome = "error"
        except (HydraException, OmegaConfBaseException) as err:
            assert str(err)
            outcome = "error"
        else:
            assert isinstance(cfg, TrainConfig)
            assert isinstance(cfg.name, str) and "__import__" in cfg.name  # kept verbatim
            outcome = "plain"
    assert not marker.exists()
    assert outcome == ("plain" if index in PLAIN_STRING else "error"), override


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_cli_never_executes_code(
    index: int,
    marker: Path,
    cli: Callable[[list[str]], None],
    tiny: Callable[..., list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    override = payloads(marker)[index]
    run_dir = tmp_path / "run"
    code: object = 0
    try:
        cli(["train", *tiny(), override, f"hydra.run.dir={run_dir}"])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert not marker.exists()
    assert not any(tmp_path.rglob("MARKER"))
    if index in PLAIN_STRING:
        assert code in (0, None), err
        return
    assert code == 2, err
    assert "Traceback" not in err, err
    assert not list(run_dir.glob("events.out.tfevents.*"))  # rejected before any work


def test_oc_env_is_allowed_and_reads_only_the_variable(
    cli: Callable[[list[str]], None],
    tiny: Callable[..., list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``${oc.env:VAR}`` is documented behaviour: the value is the variable's text, even
    when that text looks like code."""
    monkeypatch.setenv("ADVRUN_TEST_NAME", "__import__('os').system('touch MARKER')")
    monkeypatch.chdir(tmp_path)
    register_configs()
    with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        cfg = to_train_config(hydra.compose("train", overrides=["name=${oc.env:ADVRUN_TEST_NAME}"]))
    assert cfg.name == "__import__('os').system('touch MARKER')"
    cli(["train", *tiny(), "name=${oc.env:ADVRUN_TEST_NAME}", f"hydra.run.dir={tmp_path / 'r'}"])
    assert not any(tmp_path.rglob("MARKER"))
    assert (tmp_path / "r" / "summary.json").is_file()
