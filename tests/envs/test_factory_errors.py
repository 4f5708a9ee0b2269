"""Env-factory errors name ``env.id``, suggest close ids and point at the right extra."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium
import pytest
from gymnasium.error import DependencyNotInstalled

from advrun.config import ConfigError
from advrun.envs import factory
from advrun.envs.factory import check_env_id, make_vec_env

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("CartPol-v1", "CartPole-v1"),
        ("Acrobat-v1", "Acrobot-v1"),
        ("cartpole", "CartPole-v1"),
        ("CartPole-v99", "CartPole-v1"),
        ("CartPole", "CartPole-v1"),  # no version
        ("MountainCarContinous-v0", "MountainCarContinuous-v0"),
    ],
)
def test_unknown_id_suggests_close_names(typo: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_vec_env(typo, 1)
    err = info.value
    assert err.key == "env.id"
    msg = str(err)
    assert msg.startswith("Invalid config `env.id`:") and "Fix:" in msg
    assert "Did you mean" in msg and suggestion in msg.split("Did you mean", 1)[1]


# "module:Name" is gymnasium's own syntax (module imported, then Name looked up), so
# "os:CartPole-v1" is a valid id; a missing module, a module that registers no such
# name, or an empty/invalid module name are not.
@pytest.mark.parametrize(
    "bad",
    [
        "",
        "a/b/c",
        "Foo/Bar-v0",
        "no_such_module_xyz:CartPole-v1",
        "os:NoSuchEnv-v0",
        ":CartPole-v1",
        "a b:CartPole-v1",
        "CartPole-v1 ",
    ],
)
def test_malformed_or_unregistered_ids_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_env_id(bad)
    assert info.value.key == "env.id" and "Fix:" in str(info.value)


def _fail_make_vec(message: str):
    def fake(*args: object, **kwargs: object) -> None:
        raise DependencyNotInstalled(message)

    return fake


@pytest.mark.parametrize(
    ("env_id", "message", "extra"),
    [
        (
            "LunarLander-v3",
            "Box2D is not installed, run `pip install gymnasium[box2d]`",
            "box2d",
        ),
        (
            "HalfCheetah-v5",
            'MuJoCo is not installed, run `pip install "gymnasium[mujoco]"`',
            "mujoco",
        ),
        ("Hopper-v5", "No module named 'mujoco'. MuJoCo is not installed", "mujoco"),
    ],
)
def test_missing_optional_dependency_names_the_advrun_extra(
    monkeypatch: pytest.MonkeyPatch, env_id: str, message: str, extra: str
) -> None:
    # advrun.envs.factory calls ``gym.make_vec`` on the gymnasium module itself.
    assert factory.gym is gymnasium
    monkeypatch.setattr(gymnasium, "make_vec", _fail_make_vec(message))
    with pytest.raises(ConfigError) as info:
        make_vec_env(env_id, 1, vectorization="sync")
    err = info.value
    assert err.key == "env.id"
    assert env_id in err.problem
    assert f"advrun[{extra}]" in err.fix
    assert str(err).startswith("Invalid config `env.id`:")


def test_unknown_dependency_message_has_a_generic_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gymnasium, "make_vec", _fail_make_vec("pygame is not installed"))
    with pytest.raises(ConfigError) as info:
        make_vec_env("CartPole-v1", 1, vectorization="sync")
    assert "advrun[" not in info.value.fix and "pygame" in info.value.problem


def test_atari_namespace_without_ale_py_points_at_the_atari_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulate a machine without ale-py: the module cannot be imported and its envs
    # were never registered.
    monkeypatch.setitem(sys.modules, "ale_py", None)
    registry = {k: v for k, v in gymnasium.envs.registry.items() if not k.startswith("ALE/")}
    monkeypatch.setattr(gymnasium.envs.registration, "registry", registry)
    monkeypatch.setattr(gymnasium.envs, "registry", registry)
    with pytest.raises(ConfigError) as info:
        check_env_id("ALE/Pong-v5")
    assert info.value.key == "env.id"
    assert "advrun[atari]" in info.value.fix and "ale_py" in info.value.problem


def test_every_extra_the_factory_names_exists_in_pyproject() -> None:
    """A message that says ``pip install 'advrun[X]'`` must name a real extra."""
    import tomllib

    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    named = set(factory._EXTRAS.values()) | {x for _, x in factory._NAMESPACES.values()}
    assert named <= set(extras), sorted(named - set(extras))
    for name in named:
        assert any(req.startswith("gymnasium[") for req in extras[name]), extras[name]


def test_environment_errors_reach_the_cli_as_exit_2(
    cli, tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), "env=gym", "env.id=CartPol-v1", f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("advrun: Invalid config `env.id`:") and "CartPole-v1" in err
    assert not list(run_dir.glob("events.out.tfevents.*"))
