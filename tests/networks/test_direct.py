"""direct_policy and direct_act run policy_action's and act's kernels without module
dispatch: the same actions (and log-probabilities and values) bit for bit (greedy and
sampled, small batches and ones large enough for the vectorised tanh path), following
in-place weight updates, and None wherever the module path must stay (hooks, an
encoder, a recurrent or value-based network, a compiled or overridden method)."""

from __future__ import annotations

import tempfile

import pytest
import torch
from torch import nn

from advrun.networks import ActorCritic, QNetwork, RunningObsNorm
from advrun.networks.cnn import NatureCNN
from advrun.networks.direct import direct_act, direct_policy
from advrun.training.evaluate import model_policy

CASES = {
    "tanh-separate-discrete": dict(is_continuous=False, activation="tanh", shared=False),
    "relu-shared-discrete": dict(is_continuous=False, activation="relu", shared=True),
    "tanh-continuous-normalised": dict(
        is_continuous=True, activation="tanh", shared=False, norm=True
    ),
    "tanh-separate-critic-free": dict(
        is_continuous=False, activation="tanh", shared=False, critic=False
    ),
}


def _model(case: str) -> ActorCritic:
    torch.manual_seed(0)
    spec = dict(CASES[case])
    norm = RunningObsNorm((4,)) if spec.pop("norm", False) else None
    model = ActorCritic(4, 3, hidden_sizes=[64, 64], orthogonal_init=True, obs_norm=norm, **spec)
    if norm is not None:
        norm.update(torch.randn(100, 4) * 3 + 1)
    return model


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("rows", [20, 300])  # 300 x 64 >= MIN_ELEMENTS: the sigmoid tanh
def test_same_actions_as_policy_action(case: str, rows: int) -> None:
    model = _model(case).eval()
    obs = torch.randn(rows, 4) * 2
    with torch.no_grad():
        for deterministic in (True, False):
            direct = direct_policy(model, deterministic)
            assert direct is not None
            torch.manual_seed(7)
            got = direct(obs)
            torch.manual_seed(7)
            want = model.policy_action(obs, deterministic)
            assert torch.equal(got, want)


def test_follows_in_place_updates_and_is_what_evaluation_uses() -> None:
    model = _model("tanh-separate-discrete")
    obs = torch.randn(20, 4)
    with torch.no_grad():
        direct = direct_policy(model)
        before = direct(obs)
        for p in model.policy_head.parameters():
            p.mul_(-1.0)  # flips every logit
        assert torch.equal(direct(obs), model.policy_action(obs, True))
        assert not torch.equal(direct(obs), before)
    policy = model_policy(model, True)
    assert getattr(policy, "__name__", "") == "policy"  # the direct path, not a lambda


def test_module_path_kept_where_direct_calls_would_differ() -> None:
    model = _model("tanh-separate-discrete")
    handle = model.actor_trunk.fc0.register_forward_hook(lambda m, i, o: o * 2)
    assert direct_policy(model) is None  # the hook must run
    handle.remove()
    assert direct_policy(model) is not None
    handle = nn.modules.module.register_module_forward_hook(lambda m, i, o: None)
    try:
        assert direct_policy(model) is None
    finally:
        handle.remove()
    cnn = NatureCNN(4, 84, 84)
    with_encoder = ActorCritic(
        cnn.out_dim,
        2,
        is_continuous=False,
        hidden_sizes=[64],
        activation="relu",
        shared=True,
        orthogonal_init=True,
        encoder=cnn,
    )
    assert direct_policy(with_encoder) is None
    q = QNetwork(4, 2, hidden_sizes=[16], activation="relu", dueling=False, orthogonal_init=True)
    assert direct_policy(q) is None


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("rows", [64, 300])
def test_direct_act_equals_act(case: str, rows: int) -> None:
    model = _model(case)
    obs = torch.randn(rows, 4) * 2
    with torch.no_grad():
        act = direct_act(model)
        assert act is not None
        torch.manual_seed(3)
        got = act(obs)
        torch.manual_seed(3)
        want = model.act(obs)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and torch.equal(g, w)


def test_direct_act_follows_updates_and_steps_aside_for_compiled_or_overridden_act() -> None:
    model = _model("tanh-separate-discrete")
    obs = torch.randn(64, 4)
    with torch.no_grad():
        act = direct_act(model)
        assert act is not None
        before = act(obs)[2]
        model.value_head.bias.add_(1.0)
        assert torch.equal(act(obs)[2], before + 1.0)
    model.act = lambda obs, deterministic=False: (obs, obs, obs)  # as compile= installs it
    assert direct_act(model) is None
    del model.act

    class Doubled(ActorCritic):
        def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out, value = super().forward(obs)
            return out, value * 2

    torch.manual_seed(0)
    doubled = Doubled(
        4, 3, hidden_sizes=[8], orthogonal_init=True, **CASES["tanh-separate-discrete"]
    )
    assert direct_act(doubled) is None

    class Shifted(ActorCritic):
        def _prep(self, obs: torch.Tensor) -> torch.Tensor:
            return super()._prep(obs) + 1.0

    shifted = Shifted(
        4, 3, hidden_sizes=[8], orthogonal_init=True, **CASES["tanh-separate-discrete"]
    )
    assert direct_act(shifted) is None and direct_policy(shifted) is None
    assert direct_act(model.actor_trunk) is None


def test_collection_uses_direct_act() -> None:
    """A PPO rollout collects through direct_act (module dispatch skipped), and gets
    the same rollout as through the module path."""
    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    register_configs()
    overrides = ["env=cartpole", "env.num_envs=4", "algo.rollout_steps=8", "progress=false"]
    rollouts = []
    for direct in (True, False):
        with initialize_config_dir(conf_dir(), version_base="1.3"):
            cfg = to_train_config(compose("train", overrides=overrides))
        with tempfile.TemporaryDirectory() as tmp:
            trainer = Trainer(cfg, tmp)
            algorithm = trainer.algorithm
            if not direct:
                # a forward hook keeps the module path (direct_act returns None)
                algorithm.model.register_forward_pre_hook(lambda m, i: None)
            torch.manual_seed(11)
            rollouts.append(algorithm._collect(8))
            assert (algorithm._act == algorithm.model.act) is not direct
            trainer.close()
    a, b = rollouts
    assert torch.equal(a.actions, b.actions) and torch.equal(a.obs, b.obs)
    for name in ("log_probs", "values"):
        assert torch.equal(a.extras[name], b.extras[name])
