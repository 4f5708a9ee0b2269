"""Tests for the estimator registry and get_estimator."""

from __future__ import annotations

import functools

import pytest
import torch

import advrun.advantages as advantages
from advrun.advantages import ESTIMATORS, gae, get_estimator, mc, nstep, td


def test_registry_contents():
    expected = {"mc": mc, "td": td, "nstep": nstep, "gae": gae}
    assert expected == ESTIMATORS


def test_public_api():
    for name in ("mc", "td", "nstep", "gae", "normalize", "get_estimator", "ESTIMATORS"):
        assert name in advantages.__all__
        assert hasattr(advantages, name)


ALL = {"gamma": 0.5, "lam": 0.5, "n": 2}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("td", {"gamma": 0.5}),
        ("mc", {"gamma": 0.5}),
        ("gae", {"gamma": 0.5, "lam": 0.5}),
        ("nstep", {"gamma": 0.5, "n": 2}),
    ],
)
def test_binds_only_relevant_hyperparameters(name, expected):
    fn = get_estimator(name, **ALL)
    assert isinstance(fn, functools.partial)
    assert fn.func is ESTIMATORS[name]
    assert fn.args == ()
    assert fn.keywords == expected


def test_bound_estimator_computes_spec_example():
    # gamma = lam = 0.5, r = 1, V = 0 -> GAE advantages [1.3125, 1.25, 1.0]
    r = torch.ones(3, 1)
    z = torch.zeros(3, 1)
    f = torch.zeros(3, 1, dtype=torch.bool)
    adv, ret = get_estimator("gae", **ALL)(r, z, z, f, f)
    torch.testing.assert_close(adv, torch.tensor([[1.3125], [1.25], [1.0]]))
    torch.testing.assert_close(ret, adv)


@pytest.mark.parametrize("name", ["td", "mc", "gae", "nstep"])
def test_bound_matches_direct_call(rollout, name):
    data = rollout(8, 3, 0, p_done=0.3)
    kwargs = {"gamma": 0.9, **({"lam": 0.7} if name == "gae" else {})}
    kwargs |= {"n": 3} if name == "nstep" else {}
    direct = ESTIMATORS[name](*data, **kwargs)
    bound = get_estimator(name, gamma=0.9, lam=0.7, n=3)(*data)
    torch.testing.assert_close(bound[0], direct[0], rtol=0, atol=0)
    torch.testing.assert_close(bound[1], direct[1], rtol=0, atol=0)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown advantage estimator 'ppo'") as info:
        get_estimator("ppo", gamma=0.9)
    for valid in ("gae", "mc", "nstep", "td"):
        assert valid in str(info.value)


def test_unknown_hyperparameter_raises():
    with pytest.raises(ValueError, match="lambda"):
        get_estimator("gae", gamma=0.9, **{"lambda": 0.95})


@pytest.mark.parametrize(("name", "missing"), [("gae", "lam"), ("nstep", "n"), ("td", "gamma")])
def test_missing_hyperparameter_raises(name, missing):
    hyper = {k: v for k, v in ALL.items() if k != missing}
    with pytest.raises(ValueError, match=f"requires hyperparameter '{missing}'"):
        get_estimator(name, **hyper)


@pytest.mark.parametrize(
    ("name", "hyper", "match"),
    [
        ("td", {"gamma": 1.5}, "gamma"),
        ("gae", {"gamma": 0.9, "lam": -0.1}, "lam"),
        ("nstep", {"gamma": 0.9, "n": 0}, "n must"),
    ],
)
def test_invalid_values_fail_at_construction(name, hyper, match):
    with pytest.raises(ValueError, match=match):
        get_estimator(name, **hyper)


def test_irrelevant_invalid_values_are_dropped():
    # lam/n are not used by td, so their (invalid) values are not validated
    fn = get_estimator("td", gamma=0.9, lam=None, n=None)
    assert fn.keywords == {"gamma": 0.9}
