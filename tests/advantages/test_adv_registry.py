"""The estimator registry: every estimator registers its config and traits once, and
the bound call equals the pure function."""

from __future__ import annotations

import pytest
import torch

import advrun.advantages as advantages
from advrun.advantages import (
    ESTIMATORS,
    EstimatorInputs,
    GAEConfig,
    GRPOConfig,
    MCConfig,
    NStepConfig,
    RLOOConfig,
    TDConfig,
    VTraceConfig,
    bind,
    gae,
    grpo,
    mc,
    nstep,
    rloo,
    td,
    vtrace,
)
from advrun.config.errors import ConfigError
from advrun.registry import UnknownChoice


def test_registry_lists_every_estimator_with_its_config() -> None:
    expected = {
        "gae": GAEConfig,
        "mc": MCConfig,
        "td": TDConfig,
        "nstep": NStepConfig,
        "vtrace": VTraceConfig,
        "grpo": GRPOConfig,
        "rloo": RLOOConfig,
    }
    registered = {e.name: e.config for e in ESTIMATORS}
    assert expected.items() <= registered.items()  # new estimators may join
    for entry in ESTIMATORS:
        assert entry.config().name == entry.name  # the config's default names its entry
        assert entry.summary


def test_traits_say_what_each_estimator_needs() -> None:
    def having(trait: str, value: bool = True) -> set[str]:
        return {e.name for e in ESTIMATORS if bool(e.trait(trait, not value)) == value}

    assert {"grpo", "rloo"} <= having("needs_critic", False)
    assert {"gae", "mc", "td", "nstep", "vtrace"} <= having("needs_critic")
    assert having("target") == {"td", "nstep"}
    assert having("off_policy") == {"vtrace"}


def test_public_api() -> None:
    for name in ("ESTIMATORS", "bind", "EstimatorInputs", "gae", "vtrace", "grpo", "rloo"):
        assert name in advantages.__all__
        assert hasattr(advantages, name)


def _inputs(rollout, log_rhos: bool = False) -> EstimatorInputs:
    r, v, nv, term, done = rollout(8, 4, 0, p_done=0.3)
    return EstimatorInputs(r, v, nv, term, done, torch.randn(8, 4) * 0.3 if log_rhos else None)


@pytest.mark.parametrize(
    ("cfg", "direct"),
    [
        (TDConfig(gamma=0.9), lambda x: td(*_five(x), gamma=0.9)),
        (MCConfig(gamma=0.9), lambda x: mc(*_five(x), gamma=0.9)),
        (GAEConfig(gamma=0.9, lam=0.7), lambda x: gae(*_five(x), gamma=0.9, lam=0.7)),
        (NStepConfig(gamma=0.9, n=3), lambda x: nstep(*_five(x), gamma=0.9, n=3)),
        (
            VTraceConfig(gamma=0.9, rho_bar=1.0, c_bar=0.8),
            lambda x: vtrace(*_five(x), gamma=0.9, log_rhos=x.log_rhos, rho_bar=1.0, c_bar=0.8),
        ),
        (
            GRPOConfig(gamma=0.9, group_size=2),
            lambda x: grpo(x.rewards, x.terminated, x.done, gamma=0.9, group_size=2),
        ),
        (
            RLOOConfig(gamma=0.9, group_size=2),
            lambda x: rloo(x.rewards, x.terminated, x.done, gamma=0.9, group_size=2),
        ),
    ],
    ids=lambda c: getattr(c, "name", ""),
)
def test_bound_estimator_equals_the_pure_function(rollout, cfg, direct) -> None:
    x = _inputs(rollout, log_rhos=cfg.name == "vtrace")
    got, want = bind(cfg)(x), direct(x)
    torch.testing.assert_close(got[0], want[0], rtol=0, atol=0)
    torch.testing.assert_close(got[1], want[1], rtol=0, atol=0)


def _five(x: EstimatorInputs) -> tuple:
    return x.rewards, x.values, x.next_values, x.terminated, x.done


def test_vtrace_without_ratios_is_on_policy(rollout) -> None:
    x = _inputs(rollout)
    got = bind(VTraceConfig(gamma=0.9))(x)
    want = vtrace(*_five(x), gamma=0.9, log_rhos=torch.zeros(8, 4))
    torch.testing.assert_close(got[1], want[1], rtol=0, atol=0)


def test_spec_example_through_the_registry() -> None:
    # gamma = lam = 0.5, r = 1, V = 0 -> GAE advantages [1.3125, 1.25, 1.0]
    r, z, f = torch.ones(3, 1), torch.zeros(3, 1), torch.zeros(3, 1, dtype=torch.bool)
    adv, ret = bind(GAEConfig(gamma=0.5, lam=0.5))(EstimatorInputs(r, z, z, f, f))
    torch.testing.assert_close(adv, torch.tensor([[1.3125], [1.25], [1.0]]))
    torch.testing.assert_close(ret, adv)


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(UnknownChoice, match="'ppo' is not a registered advantage estimator"):
        ESTIMATORS.get("ppo")


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        (TDConfig(gamma=1.5), "advantage.gamma"),
        (GAEConfig(lam=-0.1), "advantage.lam"),
        (NStepConfig(n=0), "advantage.n"),
        (VTraceConfig(rho_bar=0.0), "advantage.rho_bar"),
        (VTraceConfig(c_bar=-1.0), "advantage.c_bar"),
        (RLOOConfig(group_size=1), "advantage.group_size"),
    ],
)
def test_config_checks_name_the_key(cfg, key) -> None:
    with pytest.raises(ConfigError) as info:
        cfg.check("advantage")
    assert info.value.key == key
