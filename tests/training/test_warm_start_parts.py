"""init.load loads named parts of a checkpoint (fine-tuning with a new head), shape
mismatches are refused naming the parameter, init.freeze still applies, and
init.lr_scale slows the loaded parameters through optimizer param groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.config.errors import ConfigError
from advrun.networks import ActorCritic, build_actor_critic
from advrun.optim import AdamConfig, SGDConfig, param_groups, set_lr
from advrun.storage.checkpoint import save_checkpoint
from advrun.training.builders import build_optimizer
from advrun.training.warm_start import freeze, load_weights

OBS = spaces.Box(-np.inf, np.inf, (8,), dtype=np.float32)  # LunarLander's 8 numbers
DISCRETE = spaces.Discrete(4)  # LunarLander-v3
CONTINUOUS = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)  # continuous=True
TRUNKS = ["actor_trunk", "critic_trunk", "value_head"]


def _net(action_space: spaces.Space, seed: int, normalize_obs: bool = False) -> ActorCritic:
    torch.manual_seed(seed)
    return build_actor_critic(
        OBS,
        action_space,
        hidden_sizes=[64, 64],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
        normalize_obs=normalize_obs,
    )


@pytest.fixture
def source(tmp_path: Path) -> tuple[ActorCritic, str]:
    """A 'trained' discrete policy saved as a checkpoint (weights perturbed so they
    differ from any fresh init, observation statistics moved off 0/1)."""
    net = _net(DISCRETE, seed=0, normalize_obs=True)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.5)
    net.obs_norm.update(torch.randn(100, 8) * 3 + 1)
    path = tmp_path / "source.pt"
    save_checkpoint(path, {"model": net.state_dict(), "config": {}})
    return net, str(path)


def test_load_subset_keeps_the_new_head_fresh(source) -> None:
    src, path = source
    target = _net(CONTINUOUS, seed=1, normalize_obs=True)
    fresh = {k: v.clone() for k, v in target.state_dict().items()}
    loaded = load_weights(target, path, parts=[*TRUNKS, "obs_norm"])
    want = [k for k in src.state_dict() if k.split(".")[0] in {*TRUNKS, "obs_norm"}]
    assert sorted(loaded) == sorted(want)
    state, src_state = target.state_dict(), src.state_dict()
    for name, value in state.items():
        if name in loaded:
            assert torch.equal(value, src_state[name]), name
        else:  # policy_head.* and log_std: the target's own initialisation
            assert torch.equal(value, fresh[name]), name
    assert {n for n in state if n not in loaded} == {
        "policy_head.weight",
        "policy_head.bias",
        "log_std",
    }


def test_shape_mismatch_names_the_parameter_and_both_shapes(source) -> None:
    _, path = source
    target = _net(CONTINUOUS, seed=1)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(ConfigError) as info:
        load_weights(target, path, parts=["actor_trunk", "policy_head"])
    err = info.value
    assert err.key == "init.load"
    # checkpoint head: 4 logits x 64 features; this network's: 2 means x 64 features
    assert "policy_head.weight has shape (4, 64)" in str(err) and "but (2, 64)" in str(err)
    # nothing was half-loaded before the error
    assert all(torch.equal(v, before[k]) for k, v in target.state_dict().items())


def test_unknown_prefix_and_missing_entry(source) -> None:
    _, path = source
    with pytest.raises(ConfigError, match=r"'encoder' matches nothing.*actor_trunk\.fc0"):
        load_weights(_net(CONTINUOUS, seed=1), path, parts=["encoder"])
    with pytest.raises(ConfigError, match="has no log_std"):  # discrete nets have none
        load_weights(_net(CONTINUOUS, seed=1), path, parts=["log_std"])


def test_freeze_with_load_and_lr_scale_param_groups(source) -> None:
    src, path = source
    model = _net(CONTINUOUS, seed=1)
    loaded = load_weights(model, path, parts=TRUNKS)
    frozen = freeze(model, ["actor_trunk"])
    opt = build_optimizer(AdamConfig(lr=3e-4), model, loaded=loaded, lr_scale=0.1)
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {
        g["name"]: (g["lr"], sorted(names[id(p)] for p in g["params"])) for g in opt.param_groups
    }
    assert groups["new"] == (3e-4, ["log_std", "policy_head.bias", "policy_head.weight"])
    assert groups["loaded"][0] == pytest.approx(3e-5)  # 3e-4 * 0.1
    assert groups["loaded"][1] == sorted(
        n for n in loaded if n.startswith(("critic_trunk", "value_head"))
    )
    # a schedule keeps the ratio: set_lr(1e-3) gives 1e-3 and 1e-4
    set_lr(opt, 1e-3)
    assert [g["lr"] for g in opt.param_groups] == [1e-3, pytest.approx(1e-4)]

    for _ in range(3):
        obs = torch.randn(32, 8)
        log_prob, entropy, value = model.evaluate_actions(obs, torch.randn(32, 2))
        loss = -(log_prob.mean() + entropy.mean()) + value.square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    state, src_state = model.state_dict(), src.state_dict()
    for name in frozen:  # loaded and frozen: still the checkpoint's weights
        assert torch.equal(state[name], src_state[name]), name
    assert not torch.equal(state["critic_trunk.fc0.weight"], src_state["critic_trunk.fc0.weight"])


def test_loaded_parameters_move_lr_scale_times_as_far() -> None:
    # Plain SGD, one step, the same gradient 1 for two scalars: the new one moves by
    # lr = 0.5, the loaded one by lr * 0.1 = 0.05.
    model = torch.nn.Module()
    model.head = torch.nn.Linear(1, 1, bias=False)
    model.trunk = torch.nn.Linear(1, 1, bias=False)
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    opt = build_optimizer(
        SGDConfig(lr=0.5, momentum=0.0), model, loaded=["trunk.weight"], lr_scale=0.1
    )
    (model.head.weight + model.trunk.weight).sum().backward()
    opt.step()
    assert model.head.weight.item() == pytest.approx(-0.5)
    assert model.trunk.weight.item() == pytest.approx(-0.05)


def test_lr_scale_one_is_a_single_group() -> None:
    model = _net(DISCRETE, seed=0)
    freeze(model, ["policy_head"])
    (group,) = param_groups(model, ["actor_trunk.fc0.weight"], lr=1e-3)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert group["lr"] == 1e-3 and len(group["params"]) == len(trainable)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("init.load=[actor_trunk]", "`init.load`"),
        ("init.lr_scale=0.5", "`init.lr_scale`"),
        ("init.lr_scale=0", "`init.lr_scale`"),
    ],
)
def test_init_fields_are_checked_before_work(cli, tiny, tmp_path, capsys, override, key) -> None:
    with pytest.raises(SystemExit) as info:
        cli(["train", *tiny(), override, f"hydra.run.dir={tmp_path}/run"])
    assert info.value.code == 2
    assert key in capsys.readouterr().err
    assert not list((tmp_path / "run").glob("events.out.tfevents*"))
