"""``compile=<mode>`` (advrun.networks.compiled): the compiled policy step and update
forward give the eager model's numbers, and the module's weights stay plain."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.networks import build_actor_critic
from advrun.networks.compiled import COMPILE_MODES, bucket, compile_mode, compile_policy


def test_bucket_by_hand() -> None:
    # step = 2 ** max(0, bit_length - 4):
    assert bucket(15) == 15  # bit_length 4 -> step 1
    assert bucket(17) == 18  # bit_length 5 -> step 2 -> 9 * 2
    assert bucket(60) == 60  # bit_length 6 -> step 4 -> 15 * 4
    assert bucket(61) == 64  # step 4 -> 16 * 4
    assert bucket(30000) == 30720  # bit_length 15 -> step 2048 -> 15 * 2048
    assert bucket(31000) == 32768  # step 2048 -> 16 * 2048
    assert bucket(32768) == 32768  # a multiple already: no padding


def test_bucket_pads_less_than_an_eighth_and_few_sizes() -> None:
    sizes = range(1, 70_000)
    assert all(n <= bucket(n) < n + max(1, n / 8) for n in sizes)
    # 4096 envs x 16 rows in 2 minibatches with 0-5 % dummy rows: 31130..32768 rows
    # (0.95 * 32768 = 31130), all in one bucket (ceil(31130 / 2048) * 2048 = 32768).
    assert {bucket(n) for n in range(31_130, 32_769)} == {32768}


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, None), (False, None), ("False", None), ("false", None), ("null", None)]
    + [(m, m) for m in COMPILE_MODES],
)
def test_compile_mode_spellings(value: object, mode: str | None) -> None:
    assert compile_mode(value) == mode


def test_unknown_mode_is_refused() -> None:
    model = build_actor_critic(
        spaces.Box(-1, 1, (4,)),
        spaces.Discrete(2),
        hidden_sizes=[8],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
    )
    with pytest.raises(ValueError, match="reduce-overhead"):
        compile_policy(model, "fast")


@pytest.fixture(scope="module")
def pair() -> tuple[torch.nn.Module, torch.nn.Module]:
    """An eager CartPole-shaped actor-critic and a compiled copy with the same weights."""
    torch.manual_seed(0)
    eager = build_actor_critic(
        spaces.Box(-np.inf, np.inf, (4,)),
        spaces.Discrete(2),
        hidden_sizes=[64, 64],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
    )
    return eager, compile_policy(copy.deepcopy(eager), "default")


def test_state_dict_keys_stay_plain(pair) -> None:
    eager, compiled = pair
    assert list(compiled.state_dict()) == list(eager.state_dict())
    assert not any(k.startswith("_orig_mod") for k in compiled.state_dict())
    assert compiled.compiled_mode == "default"


@pytest.mark.parametrize(
    "deterministic",
    # Each is its own graph (one compile each, ~20 s here): the sampled one runs with -m slow.
    [True, pytest.param(False, marks=pytest.mark.slow)],
)
def test_compiled_act_matches_eager(pair, deterministic: bool) -> None:
    eager, compiled = pair
    obs = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.manual_seed(7)
        a_e, lp_e, v_e = eager.act(obs, deterministic=deterministic)
        torch.manual_seed(7)
        a_c, lp_c, v_c = compiled.act(obs, deterministic=deterministic)
        # Same actions: argmax of the same logits, and torch.multinomial is not
        # lowered by inductor (it falls back to the eager kernel on the same global
        # generator). Log-probs and values differ only by float rounding: inductor
        # fuses log_softmax and the matmul epilogues in another order.
        assert torch.equal(a_c, a_e), deterministic
        torch.testing.assert_close(lp_c, lp_e, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(v_c, v_e, rtol=1e-5, atol=1e-6)


def test_compiled_evaluate_actions_pads_and_matches_eager_with_gradients(pair) -> None:
    eager, compiled = pair
    gen = torch.Generator().manual_seed(2)
    obs = torch.randn(61, 4, generator=gen)  # padded to bucket(61) = 64 rows
    actions = torch.randint(0, 2, (61,), generator=gen)
    outs = []
    for model in (eager, compiled):
        model.zero_grad()
        log_prob, entropy, value = model.evaluate_actions(obs, actions)
        assert log_prob.shape == entropy.shape == value.shape == (61,)
        (log_prob.sum() + entropy.sum() + value.sum()).backward()
        grads = [p.grad.clone() for p in model.parameters()]
        outs.append((log_prob.detach(), entropy.detach(), value.detach(), grads))
    (lp_e, h_e, v_e, g_e), (lp_c, h_c, v_c, g_c) = outs
    torch.testing.assert_close(lp_c, lp_e, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(h_c, h_e, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(v_c, v_e, rtol=1e-5, atol=1e-6)
    # The 3 padded rows add nothing to the gradients.
    for gc, ge in zip(g_c, g_e, strict=True):
        torch.testing.assert_close(gc, ge, rtol=1e-4, atol=1e-6)
