"""Tests for advrun.optim: optimizer factory, set_lr and lr schedules."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from advrun.config.errors import ConfigError
from advrun.optim import (
    OPTIMIZERS,
    SCHEDULES,
    AdamConfig,
    AdamWConfig,
    RMSpropConfig,
    SGDConfig,
    lr_at,
    make_optimizer,
    set_lr,
)

CONFIGS = {
    "adam": AdamConfig(lr=3e-4, weight_decay=0.01, eps=1e-5, betas=[0.8, 0.95]),
    "adamw": AdamWConfig(lr=3e-4, weight_decay=0.01, eps=1e-5, betas=[0.8, 0.95]),
    "sgd": SGDConfig(lr=3e-4, weight_decay=0.01, momentum=0.9),
    "rmsprop": RMSpropConfig(lr=3e-4, weight_decay=0.01, alpha=0.97, eps=1e-5, momentum=0.9),
}


def _params() -> list[torch.nn.Parameter]:
    return list(torch.nn.Linear(3, 2).parameters())


def test_registry_lists_every_optimizer_with_its_config() -> None:
    assert {e.name: e.config for e in OPTIMIZERS} == {
        "adam": AdamConfig,
        "adamw": AdamWConfig,
        "sgd": SGDConfig,
        "rmsprop": RMSpropConfig,
    }


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("sgd", torch.optim.SGD),
        ("rmsprop", torch.optim.RMSprop),
    ],
)
def test_make_optimizer_class_and_hyperparameters(name: str, cls: type) -> None:
    opt = make_optimizer(_params(), CONFIGS[name])
    assert type(opt).__bases__ == (cls,)  # torch's class, behind advrun.optim.eager
    group = opt.param_groups[0]
    assert group["lr"] == pytest.approx(3e-4)
    assert group["weight_decay"] == pytest.approx(0.01)
    if name in ("adam", "adamw"):
        assert group["betas"] == (0.8, 0.95)
        assert group["eps"] == pytest.approx(1e-5)
    if name == "sgd":
        assert group["momentum"] == pytest.approx(0.9)
    if name == "rmsprop":
        assert group["alpha"] == pytest.approx(0.97)
        assert group["eps"] == pytest.approx(1e-5)
        assert group["momentum"] == pytest.approx(0.9)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_optimizer_steps(name: str) -> None:
    layer = torch.nn.Linear(3, 1)
    opt = make_optimizer(layer.parameters(), CONFIGS[name])
    before = layer.weight.detach().clone()
    layer(torch.ones(4, 3)).sum().backward()
    opt.step()
    assert not torch.equal(before, layer.weight.detach())


def test_unknown_optimizer_raises_with_valid_names() -> None:
    cfg = AdamConfig(name="lbfgs")
    with pytest.raises(ValueError, match="lbfgs") as info:
        make_optimizer(_params(), cfg)
    for valid in ("adam", "adamw", "sgd", "rmsprop"):
        assert valid in str(info.value)


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        (AdamConfig(betas=[0.9]), "optimizer.betas"),
        (AdamConfig(lr=0.0), "optimizer.lr"),
        (AdamConfig(eps=0.0), "optimizer.eps"),
        (SGDConfig(momentum=1.0), "optimizer.momentum"),
        (SGDConfig(momentum=0.0, nesterov=True), "optimizer.nesterov"),
        (RMSpropConfig(alpha=1.5), "optimizer.alpha"),
        (AdamConfig(schedule="step"), "optimizer.schedule"),
        (AdamConfig(max_grad_norm=0.0), "optimizer.max_grad_norm"),
    ],
)
def test_config_checks_name_the_key(cfg, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        cfg.check("optimizer")
    assert info.value.key == key


def test_set_lr_updates_every_group() -> None:
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    opt = make_optimizer(
        [{"params": a.parameters()}, {"params": b.parameters(), "lr": 1.0}], CONFIGS["adam"]
    )
    set_lr(opt, 0.123)
    assert [g["lr"] for g in opt.param_groups] == [0.123, 0.123]


BASE = 1e-3


@pytest.mark.parametrize(
    ("schedule", "ratio", "expected"),
    [
        ("constant", 0.0, (BASE, BASE, BASE)),
        ("constant", 0.1, (BASE, BASE, BASE)),
        ("linear", 0.0, (BASE, 0.5 * BASE, 0.0)),
        # 1 - 0.5 * 0.9 = 0.55
        ("linear", 0.1, (BASE, 0.55 * BASE, 0.1 * BASE)),
        ("cosine", 0.0, (BASE, 0.5 * BASE, 0.0)),
        # min + (base - min) * 0.5 = 0.1 + 0.9 * 0.5 = 0.55
        ("cosine", 0.1, (BASE, 0.55 * BASE, 0.1 * BASE)),
    ],
)
def test_schedule_values(schedule: str, ratio: float, expected: tuple[float, ...]) -> None:
    got = tuple(
        lr_at(p, base_lr=BASE, schedule=schedule, min_lr_ratio=ratio) for p in (0.0, 0.5, 1.0)
    )
    assert got == pytest.approx(expected, abs=1e-15)


def test_cosine_quarter_point() -> None:
    # 0.5 * (1 + cos(pi / 4)) = 0.5 + sqrt(2) / 4
    expected = BASE * (0.5 + math.sqrt(2) / 4)
    assert lr_at(0.25, base_lr=BASE, schedule="cosine", min_lr_ratio=0.0) == pytest.approx(expected)


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
@pytest.mark.parametrize("ratio", [0.0, 0.1])
def test_progress_is_clamped(schedule: str, ratio: float) -> None:
    def f(p: float) -> float:
        return lr_at(p, base_lr=BASE, schedule=schedule, min_lr_ratio=ratio)

    assert f(-0.5) == f(0.0)
    assert f(1.7) == f(1.0)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_schedules_are_monotone_non_increasing(schedule: str) -> None:
    values = [lr_at(i / 100, base_lr=BASE, schedule=schedule, min_lr_ratio=0.1) for i in range(101)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_unknown_schedule_raises() -> None:
    with pytest.raises(ValueError, match="step") as info:
        lr_at(0.5, base_lr=BASE, schedule="step", min_lr_ratio=0.0)
    assert "cosine" in str(info.value)


def test_schedule_registry() -> None:
    assert SCHEDULES.names() == ["constant", "cosine", "linear"]
