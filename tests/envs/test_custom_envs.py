"""The user's own env, three ways: ``module:EnvId``, ``env.make``, ``env.wrappers``.

The env is ``docs/examples/corridor.py`` (the README's example), imported by its
top-level name from ``sys.path`` as a user's module on ``PYTHONPATH`` would be.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import ClipReward, TimeLimit

from advrun.config import ConfigError
from advrun.envs.factory import check_env_id, make_vec_env
from advrun.storage.checkpoint import load_checkpoint

pytestmark = pytest.mark.usefixtures("user_envs_on_path")

ONE_HOT = {"_target_": "corridor.OneHotPosition"}
CLIP = {"_target_": "gymnasium.wrappers.ClipReward", "min_reward": -0.005, "max_reward": 1.0}


# -- the factory ------------------------------------------------------------------------
def test_module_id_imports_the_module_and_returns_the_registered_name() -> None:
    assert check_env_id("corridor:Corridor-v0") == "Corridor-v0"
    envs = make_vec_env("corridor:Corridor-v0", 2, vectorization="sync")
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, _ = envs.reset(seed=0)
    # Both sub-envs start at the left end: position 0 / (length - 1) = 0.
    assert obs.tolist() == [[0.0], [0.0]]
    obs, reward, *_ = envs.step(np.array([1, 0]))
    # Right: 1/7 (length 8); left stays at the wall. Both steps cost 0.01.
    assert obs[:, 0].tolist() == pytest.approx([1 / 7, 0.0])
    assert reward.tolist() == pytest.approx([-0.01, -0.01])
    envs.close()


def test_module_id_with_an_unregistered_name_suggests_the_registered_one() -> None:
    with pytest.raises(ConfigError) as info:
        check_env_id("corridor:Coridor-v0")
    assert info.value.key == "env.id"
    assert "Did you mean corridor:Corridor-v0" in str(info.value)
    assert "gymnasium.register('Coridor-v0'" in info.value.fix


@pytest.mark.parametrize("vectorization", ["auto", "sync", "async"])
def test_factory_with_kwargs_time_limit_and_wrappers(vectorization: str) -> None:
    envs = make_vec_env(
        "ignored-name",
        2,
        vectorization=vectorization,
        make="corridor:make_corridor",
        kwargs={"length": 4},
        max_episode_steps=2,
        wrappers=[ONE_HOT, CLIP],
    )
    want = gym.vector.AsyncVectorEnv if vectorization == "async" else gym.vector.SyncVectorEnv
    assert type(envs) is want
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    # OneHotPosition: 4 cells (env.kwargs.length=4 reached the factory).
    assert envs.single_observation_space.shape == (4,)
    obs, _ = envs.reset(seed=0)
    assert obs.tolist() == [[1, 0, 0, 0], [1, 0, 0, 0]]
    obs, reward, terminated, truncated, _ = envs.step(np.array([1, 1]))
    assert obs.tolist() == [[0, 1, 0, 0], [0, 1, 0, 0]]
    # ClipReward after the env: the -0.01 step cost is clipped to min_reward -0.005.
    assert reward.tolist() == pytest.approx([-0.005, -0.005])
    _, _, terminated, truncated, _ = envs.step(np.array([1, 1]))
    # max_episode_steps=2 via TimeLimit: truncated at the 2nd step, at cell 2 of 0..3.
    assert truncated.tolist() == [True, True] and terminated.tolist() == [False, False]
    envs.close()


def test_wrappers_apply_in_order_after_the_time_limit() -> None:
    envs = make_vec_env("corridor:Corridor-v0", 1, vectorization="sync", wrappers=[ONE_HOT, CLIP])
    outer = envs.envs[0]
    assert isinstance(outer, ClipReward)  # the last wrapper listed is outermost
    assert type(outer.env).__name__ == "OneHotPosition"
    chain = []
    env: gym.Env = outer
    while isinstance(env, gym.Wrapper):
        chain.append(type(env).__name__)
        env = env.env
    assert chain.index("OneHotPosition") < chain.index("TimeLimit")
    envs.close()


def test_wrappers_given_as_bare_paths() -> None:
    envs = make_vec_env("corridor:Corridor-v0", 1, wrappers=["corridor.OneHotPosition"])
    assert envs.single_observation_space.shape == (8,)
    envs.close()


@pytest.mark.parametrize("vectorization", ["auto", "native"])
def test_wrappers_on_a_native_vector_env_use_the_per_env_path(
    vectorization: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrappers = [{"_target_": "gymnasium.wrappers.ClipReward", "min_reward": 0, "max_reward": 0.5}]
    with caplog.at_level(logging.INFO, logger="advrun.envs.factory"):
        envs = make_vec_env("CartPole-v1", 2, vectorization=vectorization, wrappers=wrappers)
    assert isinstance(envs, gym.vector.SyncVectorEnv)
    assert "native vector env, which cannot take wrappers" in caplog.text
    envs.reset(seed=0)
    _, reward, *_ = envs.step(np.array([0, 1]))
    assert reward.tolist() == [0.5, 0.5]  # CartPole's +1 clipped to max_reward 0.5
    envs.close()


def test_without_wrappers_cartpole_keeps_its_native_vector_env() -> None:
    envs = make_vec_env("CartPole-v1", 2)
    assert not isinstance(envs, gym.vector.SyncVectorEnv)
    envs.close()


def test_factory_refuses_native_vectorization() -> None:
    with pytest.raises(ConfigError) as info:
        make_vec_env("x", 1, make="corridor:make_corridor", vectorization="native")
    assert info.value.key == "env.vectorization"


def test_time_limit_is_outermost_before_wrappers_for_factories() -> None:
    envs = make_vec_env("x", 1, make="corridor:make_corridor", max_episode_steps=5)
    assert isinstance(envs.envs[0], TimeLimit) and envs.envs[0]._max_episode_steps == 5
    envs.close()


# -- user code that fails --------------------------------------------------------------
BROKEN_IMPORT = Path(__file__).resolve().parent / "user_envs" / "broken_import.py"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"env_id": "broken_import:NeverRegistered-v0"}, "env.id"),
        ({"env_id": "x", "make": "broken_import:make"}, "env.make"),
        (
            {"env_id": "CartPole-v1", "wrappers": [{"_target_": "broken_import.W"}]},
            "env.wrappers[0]",
        ),
    ],
)
def test_a_module_that_fails_to_import_shows_its_own_error(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_vec_env(num_envs=1, **kwargs)
    err = info.value
    assert err.key == key
    # The exception type, its message and the user's file:line (line 8: 1 / CELLS).
    assert "ZeroDivisionError: division by zero" in err.problem
    assert f"{BROKEN_IMPORT}:8: `STEP_SIZE = 1 / CELLS" in err.problem
    assert "advrun/" not in err.problem


def test_a_syntax_error_points_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "typo_env_module.py"
    module.write_text("import gymnasium\n\ndef make(:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as info:
        make_vec_env("x", 1, make="typo_env_module:make")
    assert "SyntaxError" in info.value.problem and f"{module}:3" in info.value.problem


def test_an_error_raised_inside_a_library_points_at_the_users_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gymnasium raises inside its own code; the place shown is the user's call."""
    module = tmp_path / "bad_space_module.py"
    module.write_text("import gymnasium\n\nSPACE = gymnasium.spaces.Discrete(0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as info:
        make_vec_env("bad_space_module:X-v0", 1)
    problem = info.value.problem
    assert "ValueError: n (counts) have to be positive" in problem
    assert f"{module}:3: `SPACE = gymnasium.spaces.Discrete(0)`" in problem
    assert "site-packages" not in problem


def test_a_missing_import_inside_the_module_names_the_missing_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "needs_pkg_module.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as info:
        make_vec_env("needs_pkg_module:X-v0", 1)
    err = info.value
    assert "ModuleNotFoundError" in err.problem and "needs_pkg_module.py:1" in err.problem
    assert "no_such_dependency_xyz" in err.fix


def test_a_module_not_on_the_path_says_pythonpath() -> None:
    with pytest.raises(ConfigError) as info:
        make_vec_env("no_such_user_module:Corridor-v0", 1)
    assert "no module named 'no_such_user_module'" in info.value.problem
    assert "PYTHONPATH" in info.value.fix


@pytest.mark.parametrize(
    ("kwargs", "key", "text"),
    [
        ({"make": "broken_envs:make_not_an_env"}, "env.make", "returned NoneType"),
        ({"make": "broken_envs:nosuch"}, "env.make", "has no attribute 'nosuch'"),
        ({"make": "broken_envs:IDS"}, "env.make", "not callable"),
        (
            {"make": "broken_envs:make_walker", "kwargs": {"bugg": 1}},
            "env.make",
            "unexpected keyword argument 'bugg'",
        ),
        ({"wrappers": [{"min_reward": 0}]}, "env.wrappers[0]", "not a wrapper spec"),
        ({"wrappers": ["gymnasium.wrappers.NoSuch"]}, "env.wrappers[0]", "no attribute"),
        ({"wrappers": ["no_such_pkg_xyz.Wrapper"]}, "env.wrappers[0]", "no module found"),
        ({"wrappers": ["broken_envs.forget_to_return"]}, "env.wrappers[0]", "not a gymnasium"),
        (
            {"wrappers": ["gymnasium.wrappers.ClipReward"]},
            "env.wrappers[0]",
            "InvalidBound: Both `min_reward` and `max_reward` cannot be None",
        ),
    ],
)
def test_bad_factories_and_wrappers_are_config_errors(kwargs: dict, key: str, text: str) -> None:
    kwargs.setdefault("make", "corridor:make_corridor")
    with pytest.raises(ConfigError) as info:
        make_vec_env("x", 1, **kwargs)
    assert info.value.key == key and text in info.value.problem


# -- through the CLI: train, eval, resume ----------------------------------------------
THREE_WAYS = {
    "module_id": ["env=gym", "env.id=corridor:Corridor-v0"],
    "factory": ["env=custom", "env.make=corridor:make_corridor", "+env.kwargs.length=6"],
    "wrappers": [
        "env=gym",
        "env.id=corridor:Corridor-v0",
        "env.wrappers=[{_target_:corridor.OneHotPosition},"
        "{_target_:gymnasium.wrappers.ClipReward,min_reward:-0.005,max_reward:1}]",
    ],
}
# The actor's first layer sees the observation: 1 input (scaled position) or 8 cells
# (OneHotPosition on the default length 8).
INPUTS = {"module_id": 1, "factory": 1, "wrappers": 8}


@pytest.mark.parametrize("way", sorted(THREE_WAYS))
def test_train_eval_and_resume_a_custom_env(
    way: str, cli, tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    cli(["train", *tiny(), *THREE_WAYS[way], f"hydra.run.dir={run}"])
    assert list(run.glob("events.out.tfevents.*"))
    last = run / "checkpoints" / "last.pt"
    state = load_checkpoint(last)
    assert state["model"]["actor_trunk.fc0.weight"].shape[1] == INPUTS[way]
    env_cfg = state["config"]["env"]
    if way == "factory":
        # env.id names the run after the factory; the kwargs reached it (6 cells).
        assert (env_cfg["id"], env_cfg["make"]) == ("make_corridor", "corridor:make_corridor")
        assert env_cfg["kwargs"] == {"length": 6}
    if way == "wrappers":
        assert [w["_target_"] for w in env_cfg["wrappers"]] == [
            "corridor.OneHotPosition",
            "gymnasium.wrappers.ClipReward",
        ]
    capsys.readouterr()

    # The stored config names user code: eval refuses it until the user trusts it.
    with pytest.raises(SystemExit) as refused:
        cli(["eval", f"run={run}", "episodes=2"])
    assert refused.value.code == 2
    assert "corridor" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli(["export", f"run={run}", "format=torchscript", "which=last"])
    assert refused.value.code == 2 and "trust_env_code=true" in capsys.readouterr().err
    cli(["eval", f"run={run}", "episodes=2", "trust_env_code=true"])
    assert capsys.readouterr().out.startswith("2 episodes: return ")

    steps_before = state["global_step"]
    cli(["train", f"resume={run}", "total_steps=512"])
    resumed = load_checkpoint(last)
    assert steps_before == 256 and resumed["global_step"] == 512
