"""Every option of every config group composes and validates into a TrainConfig.

Options are discovered from the YAML files on disk, so a new option is covered the
moment its file is added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advrun.config import TrainConfig, conf_dir, to_train_config

GROUPS = ("env", "network", "advantage", "optimizer", "algo", "experiment")

EXPECTED_AT_LEAST = {
    "env": {"cartpole", "acrobot", "mountaincar", "pendulum", "lunarlander", "gym"},
    "advantage": {"mc", "td", "nstep", "gae", "vtrace", "grpo", "rloo"},
    "optimizer": {"adam", "adamw", "sgd", "rmsprop"},
    "algo": {"reinforce", "a2c", "ppo", "dqn"},
    "network": {"mlp", "mlp_relu", "dueling"},
}

# Options that need an extra override to compose into a complete config.
EXTRA = {
    ("env", "gym"): ["env.id=CartPole-v1"],
    # Validation does not import the factory's module (the env factory does).
    ("env", "custom"): ["env.make=corridor:make_corridor"],
    # The CNN only accepts image envs (validated); composing needs no ale-py.
    ("network", "nature_cnn"): ["env=atari_pong"],
    # A Q-network head: only value-based algorithms build one (refused with PPO).
    ("network", "dueling"): ["algo=dqn"],
    # Critic-free groups need env.num_envs to be a multiple of the group size.
    ("advantage", "grpo"): ["env.num_envs=8"],
    ("advantage", "rloo"): ["env.num_envs=8"],
}


def options(group: str) -> list[str]:
    folder = Path(conf_dir()) / group
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml"))


ALL = [(group, option) for group in GROUPS for option in options(group)]


@pytest.mark.parametrize("group", sorted(EXPECTED_AT_LEAST))
def test_expected_options_are_shipped(group: str) -> None:
    missing = EXPECTED_AT_LEAST[group] - set(options(group))
    assert not missing, f"conf/{group}/ lacks {sorted(missing)}"


@pytest.mark.parametrize(("group", "option"), ALL, ids=[f"{g}={o}" for g, o in ALL])
def test_option_composes_and_validates(compose_train, group: str, option: str) -> None:
    cfg = compose_train([f"{group}={option}", *EXTRA.get((group, option), [])])
    config = to_train_config(cfg)
    assert isinstance(config, TrainConfig)
    if group == "advantage":
        assert str(getattr(config.advantage.name, "value", config.advantage.name)) == option
    if group == "algo":
        assert str(getattr(config.algo.name, "value", config.algo.name)) == option
    if group == "optimizer":
        assert str(getattr(config.optimizer.name, "value", config.optimizer.name)) == option
    if (group, option) == ("env", "gym"):
        assert config.env.id == "CartPole-v1"
    if (group, option) == ("env", "custom"):
        assert config.env.id == "make_corridor"  # named after the factory


def test_default_config_composes(compose_train) -> None:
    config = to_train_config(compose_train([]))
    assert config.env.id == "CartPole-v1"
    assert config.name == "CartPole-v1"  # name: ${env.id} resolved
