"""Tests for advrun.networks: shapes, distribution math, init, errors, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch.distributions import Categorical, Normal

from advrun.networks import ACTIVATIONS, ActorCritic, build_actor_critic

DISCRETE_OBS = spaces.Box(-np.inf, np.inf, shape=(4,), dtype=np.float32)
DISCRETE_ACT = spaces.Discrete(2)
CONT_OBS = spaces.Box(-np.inf, np.inf, shape=(3,), dtype=np.float32)
CONT_ACT = spaces.Box(low=-2.0, high=2.0, shape=(1,), dtype=np.float32)


def make(
    obs_space: spaces.Space = DISCRETE_OBS,
    act_space: spaces.Space = DISCRETE_ACT,
    *,
    hidden_sizes: list[int] | None = None,
    activation: str = "tanh",
    shared: bool = False,
    orthogonal_init: bool = True,
    log_std_init: float = 0.0,
) -> ActorCritic:
    return build_actor_critic(
        obs_space,
        act_space,
        hidden_sizes=[64, 64] if hidden_sizes is None else hidden_sizes,
        activation=activation,
        shared=shared,
        orthogonal_init=orthogonal_init,
        log_std_init=log_std_init,
    )


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize("shared", [False, True])
def test_discrete_shapes(shared: bool) -> None:
    net = make(shared=shared)
    assert not net.is_continuous
    assert (net.obs_dim, net.action_dim) == (4, 2)
    obs = torch.randn(5, 4)
    action, log_prob, value = net.act(obs)
    assert action.shape == (5,) and action.dtype == torch.int64
    assert ((action >= 0) & (action < 2)).all()
    assert log_prob.shape == (5,) and value.shape == (5,)
    assert net.value(obs).shape == (5,)
    lp, ent, v = net.evaluate_actions(obs, action)
    assert lp.shape == ent.shape == v.shape == (5,)


@pytest.mark.parametrize("shared", [False, True])
def test_continuous_shapes(shared: bool) -> None:
    net = make(CONT_OBS, CONT_ACT, shared=shared, log_std_init=-0.5)
    assert net.is_continuous
    assert (net.obs_dim, net.action_dim) == (3, 1)
    assert torch.allclose(net.log_std.detach(), torch.tensor([-0.5]))
    obs = torch.randn(7, 3)
    action, log_prob, value = net.act(obs)
    assert action.shape == (7, 1) and action.dtype == torch.float32
    assert log_prob.shape == (7,) and value.shape == (7,)
    lp, ent, v = net.evaluate_actions(obs, action)
    assert lp.shape == ent.shape == v.shape == (7,)


def test_multidim_box_spaces_are_flattened() -> None:
    obs_space = spaces.Box(-1.0, 1.0, shape=(2, 3), dtype=np.float32)
    act_space = spaces.Box(-1.0, 1.0, shape=(2, 2), dtype=np.float32)
    net = make(obs_space, act_space)
    assert (net.obs_dim, net.action_dim) == (6, 4)
    action, _, value = net.act(torch.randn(5, 2, 3))
    assert action.shape == (5, 4) and value.shape == (5,)
    lp, _, _ = net.evaluate_actions(torch.randn(5, 6), action.reshape(5, 2, 2))
    assert lp.shape == (5,)


def test_categorical_math_matches_torch_distributions() -> None:
    net = make(hidden_sizes=[16], orthogonal_init=False)
    obs = torch.randn(32, 4)
    action, log_prob, _ = net.act(obs)
    logits, _ = net(obs)
    dist = Categorical(logits=logits)
    torch.testing.assert_close(log_prob, dist.log_prob(action))
    lp, ent, _ = net.evaluate_actions(obs, action)
    torch.testing.assert_close(lp, dist.log_prob(action))
    torch.testing.assert_close(ent, dist.entropy())


def test_gaussian_math_matches_torch_distributions() -> None:
    cont_act = spaces.Box(-2.0, 2.0, shape=(3,), dtype=np.float32)
    net = make(CONT_OBS, cont_act, hidden_sizes=[16], orthogonal_init=False)
    with torch.no_grad():
        net.log_std.copy_(torch.tensor([-1.0, 0.0, 0.7]))
    obs = torch.randn(32, 3)
    action, log_prob, _ = net.act(obs)
    mean, _ = net(obs)
    dist = Normal(mean, net.log_std.exp().expand_as(mean))
    torch.testing.assert_close(log_prob, dist.log_prob(action).sum(-1))
    arbitrary = torch.randn(32, 3) * 3
    lp, ent, _ = net.evaluate_actions(obs, arbitrary)
    torch.testing.assert_close(lp, dist.log_prob(arbitrary).sum(-1))
    torch.testing.assert_close(ent, dist.entropy().sum(-1))


@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("deterministic", [False, True])
def test_evaluate_reproduces_act_log_prob(continuous: bool, deterministic: bool) -> None:
    net = make(CONT_OBS, CONT_ACT) if continuous else make()
    obs = torch.randn(16, net.obs_dim)
    action, log_prob, value = net.act(obs, deterministic=deterministic)
    lp, _, v = net.evaluate_actions(obs, action)
    torch.testing.assert_close(lp, log_prob)
    torch.testing.assert_close(v, value)
    torch.testing.assert_close(net.value(obs), value)


@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("deterministic", [False, True])
@pytest.mark.parametrize("shared", [False, True])
def test_policy_action_is_acts_action_without_the_critic(
    continuous: bool, deterministic: bool, shared: bool
) -> None:
    """Evaluation's actor-only path picks act()'s actions (the same draws from the same
    generator state when sampling) and never runs a separate critic."""
    net = make(CONT_OBS, CONT_ACT, shared=shared) if continuous else make(shared=shared)
    obs = torch.randn(16, net.obs_dim)
    torch.manual_seed(3)
    expected = net.act(obs, deterministic=deterministic)[0]
    calls = []
    if not shared:
        net.critic_trunk.register_forward_hook(lambda *_: calls.append(1))
    net.value_head.register_forward_hook(lambda *_: calls.append(1))
    torch.manual_seed(3)
    assert torch.equal(net.policy_action(obs, deterministic), expected)
    assert calls == []


def test_deterministic_discrete_is_argmax() -> None:
    net = make(orthogonal_init=False)
    obs = torch.randn(64, 4)
    action, _, _ = net.act(obs, deterministic=True)
    logits, _ = net(obs)
    assert torch.equal(action, logits.argmax(-1))


def test_deterministic_continuous_is_mean() -> None:
    net = make(CONT_OBS, CONT_ACT, log_std_init=0.3)
    obs = torch.randn(8, 3)
    action, log_prob, _ = net.act(obs, deterministic=True)
    mean, _ = net(obs)
    torch.testing.assert_close(action, mean)
    expected = torch.full((8,), -0.3 - 0.5 * math.log(2 * math.pi))
    torch.testing.assert_close(log_prob, expected)


def test_stochastic_discrete_sampling_frequencies() -> None:
    net = make(hidden_sizes=[8], orthogonal_init=False)
    with torch.no_grad():
        net.policy_head.weight.zero_()
        net.policy_head.bias.copy_(torch.tensor([0.0, math.log(3.0)]))  # p = [0.25, 0.75]
    action, _, _ = net.act(torch.randn(20_000, 4))
    assert abs(action.float().mean().item() - 0.75) < 0.02


def test_stochastic_gaussian_sampling_moments() -> None:
    net = make(CONT_OBS, CONT_ACT, log_std_init=math.log(0.5))
    obs = torch.zeros(20_000, 3)
    action, _, _ = net.act(obs)
    mean, _ = net(obs[:1])
    assert abs(action.mean().item() - mean.item()) < 0.02
    assert abs(action.std().item() - 0.5) < 0.02


def _assert_orthogonal(weight: torch.Tensor, gain: float) -> None:
    w = weight.detach().double()
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    eye = torch.eye(gram.shape[0], dtype=torch.float64)
    torch.testing.assert_close(gram, gain**2 * eye, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shared", [False, True])
def test_orthogonal_init(shared: bool) -> None:
    net = make(shared=shared)
    trunks = [net.trunk] if shared else [net.actor_trunk, net.critic_trunk]
    for trunk in trunks:
        _assert_orthogonal(trunk.fc0.weight, math.sqrt(2))  # [64, 4]: W^T W
        _assert_orthogonal(trunk.fc1.weight, math.sqrt(2))  # [64, 64]
        assert torch.count_nonzero(trunk.fc0.bias) == 0
    _assert_orthogonal(net.policy_head.weight, 0.01)  # [2, 64]: W W^T
    _assert_orthogonal(net.value_head.weight, 1.0)
    assert net.policy_head.weight.norm() < 0.05
    assert torch.count_nonzero(net.policy_head.bias) == 0
    assert torch.count_nonzero(net.value_head.bias) == 0


def test_no_orthogonal_init_keeps_torch_defaults() -> None:
    net = make(orthogonal_init=False)
    # torch's default Linear init gives non-zero biases and a much larger policy head.
    assert torch.count_nonzero(net.actor_trunk.fc0.bias) > 0
    assert net.policy_head.weight.norm() > 0.1


def test_layer_names() -> None:
    separate = dict(make(CONT_OBS, CONT_ACT).named_parameters())
    assert {
        "actor_trunk.fc0.weight",
        "critic_trunk.fc1.bias",
        "policy_head.weight",
        "value_head.weight",
        "log_std",
    } <= separate.keys()
    assert not any(k.startswith("trunk.") for k in separate)

    shared_net = make(shared=True)
    assert not hasattr(shared_net, "critic_trunk")
    assert not hasattr(shared_net, "actor_trunk")
    assert not hasattr(shared_net, "log_std")
    assert "trunk.fc0.weight" in dict(shared_net.named_parameters())


def test_value_loss_gradient_reaches_shared_trunk() -> None:
    net = make(shared=True)
    obs = torch.randn(8, 4)
    _, _, value = net.evaluate_actions(obs, torch.zeros(8, dtype=torch.long))
    (value - 1.0).square().mean().backward()
    assert net.trunk.fc0.weight.grad is not None
    assert net.trunk.fc0.weight.grad.abs().sum() > 0
    assert net.policy_head.weight.grad is None


def test_separate_trunks_gradients_are_isolated() -> None:
    net = make(CONT_OBS, CONT_ACT)
    obs = torch.randn(8, 3)
    lp, ent, value = net.evaluate_actions(obs, torch.randn(8, 1))
    value.mean().backward()
    assert net.critic_trunk.fc0.weight.grad is not None
    assert net.actor_trunk.fc0.weight.grad is None
    net.zero_grad()
    (lp.mean() + ent.mean()).backward()
    assert net.actor_trunk.fc0.weight.grad is not None
    assert net.log_std.grad is not None
    assert net.critic_trunk.fc0.weight.grad is None


def test_float64_obs_is_cast() -> None:
    net = make()
    obs64 = torch.from_numpy(np.random.default_rng(0).normal(size=(4, 4)))
    assert obs64.dtype == torch.float64
    _, log_prob, value = net.act(obs64)
    assert log_prob.dtype == value.dtype == torch.float32
    torch.testing.assert_close(net.value(obs64), net.value(obs64.float()))


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_all_activations_build(activation: str) -> None:
    net = make(activation=activation)
    assert isinstance(net.actor_trunk.act0, ACTIVATIONS[activation])
    assert net.act(torch.randn(2, 4))[0].shape == (2,)


def test_empty_hidden_sizes_is_linear() -> None:
    net = make(hidden_sizes=[])
    assert net.act(torch.randn(3, 4))[2].shape == (3,)


def test_bad_activation_raises() -> None:
    with pytest.raises(ValueError, match="swish"):
        make(activation="swish")
    with pytest.raises(ValueError, match="swish"):
        make(activation="swish", hidden_sizes=[])


@pytest.mark.parametrize(
    ("obs_space", "act_space", "name"),
    [
        # MultiDiscrete / MultiBinary actions and Discrete / Dict observations are
        # supported now (tests/networks/test_spaces.py); these are not.
        (DISCRETE_OBS, spaces.Tuple((DISCRETE_ACT, DISCRETE_ACT)), "Tuple"),
        (spaces.Text(5), DISCRETE_ACT, "Text"),
        (spaces.Dict({"a": DISCRETE_OBS, "t": spaces.Text(3)}), DISCRETE_ACT, "Text"),
        (DISCRETE_OBS, spaces.Discrete(3, start=1), "start=1"),
    ],
)
def test_unsupported_spaces_raise(
    obs_space: spaces.Space, act_space: spaces.Space, name: str
) -> None:
    with pytest.raises(ValueError, match=name) as info:
        make(obs_space, act_space)
    assert "supported" in str(info.value)


@pytest.mark.parametrize("continuous", [False, True])
def test_seeded_construction_is_reproducible(continuous: bool) -> None:
    spaces_ = (CONT_OBS, CONT_ACT) if continuous else (DISCRETE_OBS, DISCRETE_ACT)
    torch.manual_seed(123)
    a = make(*spaces_).state_dict()
    torch.manual_seed(123)
    b = make(*spaces_).state_dict()
    torch.manual_seed(124)
    c = make(*spaces_).state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_seeded_sampling_is_reproducible() -> None:
    net = make(CONT_OBS, CONT_ACT)
    obs = torch.randn(4, 3)
    torch.manual_seed(7)
    a1, _, _ = net.act(obs)
    torch.manual_seed(7)
    a2, _, _ = net.act(obs)
    assert torch.equal(a1, a2)
