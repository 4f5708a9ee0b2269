"""Q-networks: shapes, the dueling identity, observation normalisation, stable names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.networks import QNetwork, build_q_network

OBS = spaces.Box(-np.inf, np.inf, shape=(4,), dtype=np.float32)
FRAMES = spaces.Box(0, 255, (4, 84, 84), dtype=np.uint8)
ACT = spaces.Discrete(3)


def make(obs_space: spaces.Space = OBS, **kw: object) -> QNetwork:
    args: dict = dict(hidden_sizes=[32, 32], activation="relu", dueling=False)
    args.update(orthogonal_init=True)
    args.update(kw)
    return build_q_network(obs_space, ACT, **args)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize("dueling", [False, True])
def test_mlp_shapes_and_greedy_act(dueling: bool) -> None:
    net = make(dueling=dueling)
    obs = torch.randn(5, 4)
    q = net(obs)
    assert q.shape == (5, 3)
    actions = net.act(obs)
    assert actions.shape == (5,) and actions.dtype == torch.int64
    assert torch.equal(actions, q.argmax(dim=1))
    with pytest.raises(ValueError, match="greedy only"):
        net.act(obs, deterministic=False)


@pytest.mark.parametrize("dueling", [False, True])
def test_cnn_on_uint8_frames(dueling: bool) -> None:
    net = make(FRAMES, kind="nature_cnn", hidden_sizes=[], dueling=dueling)
    frames = torch.randint(0, 256, (2, 4, 84, 84), dtype=torch.uint8)
    q = net(frames)
    assert q.shape == (2, 3)
    # uint8 is cast like ActorCritic does: the same values as float give the same Q.
    torch.testing.assert_close(net(frames.float()), q)
    # and scaled by 1/255 inside the encoder: all-255 frames act as 1s fed to the convs.
    ones = torch.full((1, 4, 84, 84), 255, dtype=torch.uint8)
    enc = net.encoder
    h = net.trunk(enc.act(enc.fc(enc.convs(torch.ones(1, 4, 84, 84)))))
    if dueling:
        adv = net.advantage_stream(h)
        expected = net.value_stream(h) + adv - adv.mean(dim=1, keepdim=True)
    else:
        expected = net.q_head(h)
    torch.testing.assert_close(net(ones), expected)


def test_dueling_identity() -> None:
    net = make(dueling=True)
    obs = torch.randn(7, 4)
    q = net(obs)
    value = net.value_stream(net.trunk(net._prep(obs))).squeeze(-1)
    # Q = V + A - mean_a A, so mean_a Q = V.
    torch.testing.assert_close(q.mean(dim=1), value)
    # A constant added to every advantage cancels in A - mean_a A.
    with torch.no_grad():
        net.advantage_stream.bias.add_(3.0)
    torch.testing.assert_close(net(obs), q)
    # ... while a constant added to V shifts every Q by it.
    with torch.no_grad():
        net.value_stream.bias.add_(2.0)
    torch.testing.assert_close(net(obs), q + 2.0)


def test_obs_norm_buffers_and_effect() -> None:
    net = make(normalize_obs=True, obs_clip=5.0)
    keys = set(net.state_dict())
    assert {"obs_norm.mean", "obs_norm.var", "obs_norm.count"} <= keys
    assert not any(n.startswith("obs_norm") for n, _ in net.named_parameters())
    with torch.no_grad():
        net.obs_norm.mean.fill_(1.0)
        net.obs_norm.var.fill_(4.0)
    plain = make(normalize_obs=False)
    plain.load_state_dict({k: v for k, v in net.state_dict().items() if "obs_norm" not in k})
    obs = torch.tensor([[3.0, 1.0, -1.0, 101.0]])
    # (x - 1) / sqrt(4 + 1e-8) ~ [1, 0, -1, 50] -> clipped to [1, 0, -1, 5]
    torch.testing.assert_close(net(obs), plain(torch.tensor([[1.0, 0.0, -1.0, 5.0]])))


@pytest.mark.parametrize(
    ("kind", "dueling", "prefixes"),
    [
        ("mlp", False, {"trunk", "q_head"}),
        ("mlp", True, {"trunk", "value_stream", "advantage_stream"}),
        ("nature_cnn", True, {"encoder", "value_stream", "advantage_stream"}),
    ],
)
def test_stable_submodule_names(kind: str, dueling: bool, prefixes: set[str]) -> None:
    space = FRAMES if kind == "nature_cnn" else OBS
    net = make(space, kind=kind, dueling=dueling, hidden_sizes=[] if kind != "mlp" else [8])
    names = {n.split(".", 1)[0] for n, _ in net.named_parameters()}
    assert names == prefixes
    if kind == "mlp":
        assert "trunk.fc0.weight" in dict(net.named_parameters())


def test_orthogonal_init_zeroes_biases() -> None:
    net = make(dueling=True)
    for name, param in net.named_parameters():
        if name.endswith("bias"):
            assert torch.count_nonzero(param) == 0, name


@pytest.mark.parametrize(
    ("obs_space", "act_space", "message"),
    [
        (OBS, spaces.Box(-1, 1, (2,)), "Box"),
        (OBS, spaces.MultiDiscrete([2, 2]), "MultiDiscrete"),
        (OBS, spaces.Discrete(3, start=1), "start=1"),
        (spaces.Text(5), ACT, "observation space"),
    ],
)
def test_unsupported_spaces(obs_space: spaces.Space, act_space: spaces.Space, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_q_network(
            obs_space,
            act_space,
            hidden_sizes=[8],
            activation="relu",
            dueling=False,
            orthogonal_init=False,
        )


def test_bad_kind_and_cnn_on_flat_obs() -> None:
    with pytest.raises(ValueError, match="unknown network kind"):
        make(kind="transformer")
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        make(kind="nature_cnn")
