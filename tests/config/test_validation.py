"""Bad config values fail before any work starts, naming the key.

Out-of-range values raise ConfigError from ``to_train_config`` (exit 2 through the
CLI); wrong types and unknown keys are rejected by Hydra/OmegaConf at composition.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigAttributeError, ValidationError

from advrun.config import ConfigError, to_train_config

OUT_OF_RANGE = [
    (["advantage.gamma=1.5"], "advantage.gamma"),
    (["advantage.gamma=-0.1"], "advantage.gamma"),
    (["advantage.lam=2"], "advantage.lam"),
    (["advantage=vtrace", "advantage.rho_bar=0"], "advantage.rho_bar"),
    (["advantage=grpo", "advantage.group_size=3"], "advantage.group_size"),  # 8 envs
    (["optimizer.lr=0"], "optimizer.lr"),
    (["optimizer.lr=-1"], "optimizer.lr"),
    (["advantage=nstep", "advantage.n=0"], "advantage.n"),
    (["optimizer=sgd", "optimizer.momentum=1.5"], "optimizer.momentum"),
    (["algo=dqn", "algo.tau=0"], "algo.tau"),
    (["algo=dqn", "algo.operator=bogus"], "algo.operator"),
    (["network.activation=bogus"], "network.activation"),
    (["env.num_envs=0"], "env.num_envs"),
    (["algo.rollout_steps=2", "env.num_envs=2", "algo.minibatches=5"], "algo.minibatches"),
    (["eval.episodes=0"], "eval.episodes"),
    (["env.vectorization=bogus"], "env.vectorization"),
]


def _error_text(exc: BaseException) -> str:
    """The message of an exception and of everything it was raised from."""
    parts = []
    while exc is not None:
        parts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _artifacts(run_dir: Path) -> list[Path]:
    if not run_dir.exists():
        return []
    return [p for p in run_dir.rglob("*") if "tfevents" in p.name or p.suffix == ".pt"]


@pytest.mark.parametrize(
    ("overrides", "key"), OUT_OF_RANGE, ids=[" ".join(o) for o, _ in OUT_OF_RANGE]
)
def test_out_of_range_raises_config_error(compose_train, overrides, key) -> None:
    cfg = compose_train(overrides)
    with pytest.raises(ConfigError) as info:
        to_train_config(cfg)
    assert info.value.key == key
    assert str(info.value).startswith(f"Invalid config `{key}`")
    assert "Fix:" in str(info.value)


def test_valid_edges_are_accepted(compose_train) -> None:
    cfg = compose_train(["advantage.gamma=1.0", "advantage.lam=0"])
    config = to_train_config(cfg)
    assert config.advantage.gamma == 1.0
    config = to_train_config(compose_train(["advantage=nstep", "advantage.n=1"]))
    assert config.advantage.n == 1


def test_wrong_type_fails_at_composition(compose_train) -> None:
    with pytest.raises(ConfigCompositionException) as info:
        compose_train(["advantage.gamma=abc"])
    assert isinstance(info.value.__cause__, ValidationError)
    assert info.value.__cause__.full_key == "advantage.gamma"
    assert "advantage.gamma" in _error_text(info.value)


def test_unknown_key_fails_at_composition(compose_train) -> None:
    with pytest.raises(ConfigCompositionException) as info:
        compose_train(["advantage.foo=1"])
    assert isinstance(info.value.__cause__, ConfigAttributeError)
    assert "advantage.foo" in _error_text(info.value)


def test_appended_unknown_key_is_rejected(compose_train) -> None:
    # `+key=` appends with struct mode off; validation must still reject it.
    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(["+advantage.foo=1"]))
    assert info.value.key == "advantage.foo"


def test_appended_env_kwargs_are_allowed(compose_train) -> None:
    # env.kwargs is an open dict of gymnasium.make keyword arguments.
    config = to_train_config(compose_train(["env=lunarlander", "+env.kwargs.continuous=true"]))
    assert config.env.kwargs == {"continuous": True}


def test_cli_out_of_range_exits_2_before_any_work(cli, tiny, tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(advantage__gamma=1.5), f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("advrun: Invalid config `advantage.gamma`")
    assert "Traceback" not in err
    assert _artifacts(run_dir) == []
    assert not (run_dir / "summary.json").exists()


def test_cli_wrong_type_exits_2_naming_key(cli, tiny, tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), "advantage.gamma=abc", f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2  # composition errors are bad input too
    assert "advantage.gamma" in capsys.readouterr().err
    assert _artifacts(run_dir) == []


def test_cli_unknown_key_exits_2_naming_key(cli, tiny, tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), "advantage.foo=1", f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2  # composition errors are bad input too
    assert "advantage.foo" in capsys.readouterr().err
    assert _artifacts(run_dir) == []


def test_cli_unknown_group_option_names_it(cli, tiny, tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), "env=nosuch", f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2  # composition errors are bad input too
    err = capsys.readouterr().err
    assert "nosuch" in err
    assert "cartpole" in err  # Hydra lists the available options
    assert _artifacts(run_dir) == []


def test_cli_unknown_env_id_exits_2_with_suggestion(cli, tiny, tmp_path, capsys) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), "env=gym", "env.id=CartPol-v1", f"hydra.run.dir={run_dir}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("advrun: Invalid config `env.id`")
    assert "CartPole-v1" in err
    assert _artifacts(run_dir) == []


def test_cli_discrete_observation_env_trains_and_resumes_exactly(cli, tiny, tmp_path) -> None:
    # FrozenLake's Discrete observations were refused before; they are one-hot encoded
    # now (tests/envs/test_space_envs.py), and its bytes map is snapshotted for resume.
    run_dir = tmp_path / "run"
    cli(["train", *tiny(), "env=gym", "env.id=FrozenLake-v1", f"hydra.run.dir={run_dir}"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["exact_resume"] is True
