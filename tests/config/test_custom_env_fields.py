"""Validation of ``env.make``, ``env.wrappers`` and ``env.check`` (nothing is imported:
the env factory imports the user's modules and reports their errors)."""

from __future__ import annotations

import pytest

from advrun.config import ConfigError, to_train_config
from advrun.config.store import callable_name

WRAPPERS = (
    "env.wrappers=[{_target_:corridor.OneHotPosition},"
    "{_target_:gymnasium.wrappers.ClipReward,min_reward:-1,max_reward:1}]"
)


def test_defaults_keep_builtin_envs_as_they_were(compose_train) -> None:
    env = to_train_config(compose_train([])).env
    assert (env.make, env.wrappers, env.check) == (None, [], True)


def test_env_custom_names_the_run_after_the_factory(compose_train) -> None:
    config = to_train_config(
        compose_train(["env=custom", "env.make=pkg.envs:make_corridor", "+env.kwargs.length=5"])
    )
    assert config.env.id == "make_corridor" and config.name == "make_corridor"
    assert config.env.kwargs == {"length": 5} and config.env.vectorization == "auto"


def test_env_id_can_still_name_a_factory_run(compose_train) -> None:
    config = to_train_config(
        compose_train(["env=custom", "env.make=corridor:make_corridor", "env.id=hallway"])
    )
    assert config.name == "hallway"


def test_wrappers_compose_with_their_kwargs(compose_train) -> None:
    config = to_train_config(compose_train(["env=gym", "env.id=corridor:Corridor-v0", WRAPPERS]))
    assert config.env.wrappers == [
        {"_target_": "corridor.OneHotPosition"},
        {"_target_": "gymnasium.wrappers.ClipReward", "min_reward": -1, "max_reward": 1},
    ]


@pytest.mark.parametrize(
    ("path", "name"),
    [("corridor:make_corridor", "make_corridor"), ("a.b:Outer.make", "make"), (None, "custom")],
)
def test_callable_name(path: str | None, name: str) -> None:
    assert callable_name(path) == name


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["env=custom"], "env.make"),  # env.make not given
        (["env=custom", "env.make=corridor"], "env.make"),  # no ":callable"
        (["env=custom", "env.make=corridor:"], "env.make"),
        (["env=custom", "env.make='a b:c'"], "env.make"),
        (["env=custom", "env.make=c:m", "env.backend=torch"], "env.backend"),
        (["env=custom", "env.make=c:m", "env.preprocess=atari"], "env.preprocess"),
        (["env=custom", "env.make=c:m", "env.vectorization=native"], "env.vectorization"),
        (["env.wrappers=[{min_reward:0}]"], "env.wrappers[0]"),  # no _target_
        (["env.wrappers=[1]"], "env.wrappers[0]"),
        (["env.wrappers=['']"], "env.wrappers[0]"),
        (["env.wrappers=[[a]]"], "env.wrappers[0]"),
        (["env=pendulum", "env.backend=torch", "env.wrappers=[a.B]"], "env.wrappers"),
    ],
)
def test_bad_custom_env_values_name_their_key(
    compose_train, overrides: list[str], key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(overrides))
    assert info.value.key == key and "Fix:" in str(info.value)
