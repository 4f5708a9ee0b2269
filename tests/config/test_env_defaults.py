"""What ``advrun train env=<atari>`` picks by itself, and where its run lands (issue 16,
items 7 and 8): the Nature CNN through ``network.kind=auto``, 8 stochastic eval games,
and a run dir one level deep although the id has a slash."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from advrun.config import to_train_config
from advrun.config.store import path_name


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        (["env=atari_pong"], "nature_cnn"),
        (["env=atari_breakout", "algo=dqn"], "nature_cnn"),
        (["env=cartpole"], "mlp"),
        (["env=atari_pong", "network.kind=mlp"], "mlp"),  # an explicit choice is kept
        (["experiment=ppo_pong"], "nature_cnn"),
    ],
)
def test_network_kind_auto_follows_the_observations(compose_train, overrides, kind) -> None:
    assert to_train_config(compose_train(overrides)).network.kind == kind


def test_atari_envs_evaluate_8_stochastic_games_unless_told(compose_train) -> None:
    pong = to_train_config(compose_train(["env=atari_pong"])).eval
    assert (pong.episodes, pong.deterministic) == (8, False)
    told = to_train_config(compose_train(["env=atari_pong", "eval.deterministic=true"])).eval
    assert told.deterministic is True
    cartpole = to_train_config(compose_train(["env=cartpole"])).eval
    assert (cartpole.episodes, cartpole.deterministic) == (20, True)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ALE/Pong-v5", "ALE-Pong-v5"),
        ("CartPole-v1", "CartPole-v1"),
        ("a b\\c", "a-b-c"),
        ("/", "run"),
    ],
)
def test_path_name(name: str, expected: str) -> None:
    assert path_name(name) == expected


def test_atari_run_dir_is_one_level_deep(compose_train, tmp_path) -> None:
    import hydra

    from advrun.config import conf_dir, register_configs

    register_configs()
    with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        cfg = hydra.compose("train", ["env=atari_pong"], return_hydra_config=True)
    run_dir = OmegaConf.select(cfg, "hydra.run.dir")
    sweep_dir = OmegaConf.select(cfg, "hydra.sweep.dir")
    for path in (run_dir, sweep_dir):
        parts = path.split("/")
        assert len(parts) == 4, path  # outputs/<runs|multirun>/<date>/<time>_ALE-Pong-v5_<tag>
        assert "_ALE-Pong-v5_" in parts[-1]
