"""direct_policy runs policy_action's kernels without module dispatch: the same actions
bit for bit (greedy and sampled, small batches and ones large enough for the
vectorised tanh path), following in-place weight updates, and None wherever the module
path must stay (hooks, an encoder, a recurrent or value-based network)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from advrun.networks import ActorCritic, QNetwork, RunningObsNorm
from advrun.networks.cnn import NatureCNN
from advrun.networks.direct import direct_policy
from advrun.training.evaluate import model_policy

CASES = {
    "tanh-separate-discrete": dict(is_continuous=False, activation="tanh", shared=False),
    "relu-shared-discrete": dict(is_continuous=False, activation="relu", shared=True),
    "tanh-continuous-normalised": dict(
        is_continuous=True, activation="tanh", shared=False, norm=True
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
