"""Nature CNN shapes and the nature_cnn actor-critic on uint8 frame stacks."""

from __future__ import annotations

import pytest
import torch
from gymnasium import spaces

from advrun.networks import NatureCNN, build_actor_critic

FRAMES = spaces.Box(0, 255, (4, 84, 84), dtype="uint8")
KW = dict(hidden_sizes=[], activation="relu", shared=True, orthogonal_init=True, log_std_init=0.0)


def test_nature_cnn_shapes() -> None:
    cnn = NatureCNN(4, 84, 84)
    # 84 -> (84-8)/4+1 = 20 -> (20-4)/2+1 = 9 -> 9-3+1 = 7: 64*7*7 = 3136 into fc.
    assert cnn.fc.in_features == 64 * 7 * 7
    out = cnn(torch.randint(0, 256, (3, 4, 84, 84)).float())
    assert out.shape == (3, 512) and (out >= 0).all()


def test_nature_cnn_rejects_small_images() -> None:
    with pytest.raises(ValueError, match="H, W >= 36"):
        NatureCNN(4, 20, 20)


def test_actor_critic_acts_on_uint8_frames() -> None:
    model = build_actor_critic(FRAMES, spaces.Discrete(6), kind="nature_cnn", **KW)
    obs = torch.randint(0, 256, (5, 4, 84, 84), dtype=torch.uint8)
    action, log_prob, value = model.act(obs)
    assert action.shape == (5,) and log_prob.shape == (5,) and value.shape == (5,)
    log_prob2, entropy, value2 = model.evaluate_actions(obs, action)
    torch.testing.assert_close(log_prob2, log_prob)
    assert entropy.shape == (5,)
    torch.testing.assert_close(value2, value)
    # Pixels are scaled by 1/255 inside: a frame of 255s equals a float frame of 1s
    # fed to the convs directly.
    ones = torch.full((1, 4, 84, 84), 255, dtype=torch.uint8)
    torch.testing.assert_close(
        model.encoder(ones.float()),
        model.encoder.act(model.encoder.fc(model.encoder.convs(torch.ones(1, 4, 84, 84)))),
    )


def test_nature_cnn_needs_image_observations() -> None:
    with pytest.raises(ValueError, match="image observations"):
        build_actor_critic(spaces.Box(-1, 1, (4,)), spaces.Discrete(2), kind="nature_cnn", **KW)
