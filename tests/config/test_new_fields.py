"""Validation of the network-kind, preprocessing and normalisation fields."""

from __future__ import annotations

import pytest

from advrun.config import ConfigError, to_train_config


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["network=nature_cnn"], "network.kind"),  # CartPole is not an image env
        (["env.preprocess=resize"], "env.preprocess"),
        (["env=pendulum", "env.backend=torch", "env.preprocess=atari"], "env.preprocess"),
        (["experiment=ppo_pong", "network.normalize_obs=true"], "network.normalize_obs"),
        (["env.reward_clip=0"], "env.reward_clip"),
        (["network.obs_clip=-1"], "network.obs_clip"),
    ],
)
def test_bad_values_name_their_key(compose_train, overrides: list[str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(overrides))
    assert info.value.key == key and "Fix:" in str(info.value)


def test_unknown_network_kind_is_rejected_naming_the_choices(compose_train) -> None:
    with pytest.raises(ConfigError) as info:
        to_train_config(compose_train(["network.kind=resnet"]))
    assert info.value.key == "network.kind"
    assert "mlp" in str(info.value) and "nature_cnn" in str(info.value)


def test_ppo_cartpole_preset_equals_the_defaults(compose_train) -> None:
    """The preset is conf/train.yaml's own defaults, without the tuned CartPole file."""
    default = to_train_config(compose_train(["~tuned"]))
    preset = to_train_config(compose_train(["experiment=ppo_cartpole"]))
    assert preset == default


@pytest.mark.parametrize(
    ("preset", "env_id", "normalized"),
    [
        ("ppo_mountaincar", "MountainCar-v0", True),
        ("ppo_lunarlander", "LunarLander-v3", False),
        ("ppo_lunarlander_continuous", "LunarLander-v3", False),
        ("ppo_halfcheetah", "HalfCheetah-v5", True),
        ("ppo_hopper", "Hopper-v5", True),
        ("ppo_walker2d", "Walker2d-v5", True),
        ("ppo_pong", "ALE/Pong-v5", False),
        ("ppo_breakout", "ALE/Breakout-v5", False),
    ],
)
def test_presets_compose_without_their_extras(
    compose_train, preset: str, env_id: str, normalized: bool
) -> None:
    """Composing and validating never builds an env, so it needs no optional package."""
    cfg = to_train_config(compose_train([f"experiment={preset}"]))
    assert cfg.env.id == env_id
    assert cfg.network.normalize_obs is normalized and cfg.env.normalize_reward is normalized
    if "ALE/" in env_id:
        assert cfg.env.preprocess == "atari"
        assert str(getattr(cfg.network.kind, "value", cfg.network.kind)) == "nature_cnn"
