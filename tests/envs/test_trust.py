"""A checkpoint's stored config may name user code; eval/export import it only when told."""

from __future__ import annotations

import pytest

from advrun.config.errors import ConfigError
from advrun.config.schema import EnvConfig
from advrun.envs.trust import UserImport, require_trust, user_imports


def test_builtin_and_gymnasium_envs_import_no_user_code() -> None:
    env = EnvConfig(id="CartPole-v1", wrappers=["gymnasium.wrappers.ClipReward"])
    assert user_imports(env) == []
    env = EnvConfig(id="x", wrappers=[{"_target_": "advrun.envs.wrappers:Anything"}])
    assert user_imports(env) == []


def test_every_way_of_naming_user_code_is_listed() -> None:
    env = EnvConfig(
        id="corridor:Corridor-v0",
        make="pkg.factories:make_env",
        wrappers=["corridor.OneHotPosition", {"_target_": "evil:Wrap", "k": 1}],
    )
    assert user_imports(env) == [
        UserImport("env.id", "corridor"),
        UserImport("env.make", "pkg.factories"),
        UserImport("env.wrappers[0]", "corridor"),
        UserImport("env.wrappers[1]", "evil"),
    ]


def test_the_guard_names_the_modules_and_the_fix() -> None:
    env = EnvConfig(id="corridor:Corridor-v0")
    with pytest.raises(ConfigError) as info:
        require_trust(env, "runs/x/checkpoints/best.pt", trust_env_code=False)
    assert info.value.key == "trust_env_code"
    assert "env.id imports 'corridor'" in info.value.problem
    assert "runs/x/checkpoints/best.pt" in info.value.problem
    assert "trust_env_code=true" in info.value.fix
    require_trust(env, "x", trust_env_code=True)  # told: no error
    require_trust(EnvConfig(id="CartPole-v1"), "x", trust_env_code=False)
