"""Property test: any override list either composes into a valid TrainConfig or fails
with a clean, named error — never a TypeError/AttributeError/KeyError/AssertionError.

The overrides mix valid schema keys with values of right and wrong types,
out-of-range and non-finite numbers, nulls, lists, unknown keys (plain and ``+``),
unknown group options and random strings. Each example composes with Hydra's compose
API inside one ``initialize_config_dir`` context held for the whole test (the autouse
fixture in ``tests/conftest.py`` clears GlobalHydra around the test, not per example).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterator

import hydra
from hydra.errors import HydraException, OverrideParseException
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from omegaconf.errors import OmegaConfBaseException

from advrun.advantages import GAEConfig
from advrun.algos import PPOConfig
from advrun.config import (
    ConfigError,
    TrainConfig,
    conf_dir,
    register_configs,
    to_train_config,
    validate,
)
from advrun.config.validate import MAX_SEED
from advrun.optim import AdamConfig


def _schema_keys(cls: type, prefix: str = "") -> Iterator[str]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            yield from _schema_keys(hint, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}"


# The component sections are typed by the chosen component's config; the default run
# composes PPO, GAE and Adam, so those are the keys an override can hit.
KEYS = sorted(
    [
        *_schema_keys(TrainConfig),
        *_schema_keys(PPOConfig, "algo."),
        *_schema_keys(GAEConfig, "advantage."),
        *_schema_keys(AdamConfig, "optimizer."),
    ]
)
GROUPS = ["env", "network", "advantage", "optimizer", "algo", "experiment", "tuned"]
UNKNOWN_KEYS = ["advantage.gama", "foo", "env.idd", "network.depth", "algo.lr", "hydra_x"]

# Values rendered as override text.
SPECIAL = [
    "nan",
    "inf",
    "-inf",
    "NaN",
    "null",
    "true",
    "false",
    "''",
    "[]",
    "[0,-1]",
    "[64,64]",
    "[0.9,0.999]",
    "[nan]",
    "[1,[2]]",
    "{a:1}",
    "abc",
    "1e-300",
    "1e309",
    "cartpole",
    "CartPole-v1",
]
values = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.integers(min_value=-3, max_value=5).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.floats(min_value=-2, max_value=2).map(repr),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=0, max_size=12),
)

# Plausible values: right type, often in range, so that some examples are valid.
plausible = st.one_of(
    st.integers(min_value=0, max_value=64).map(str),
    st.floats(min_value=0, max_value=1).map(repr),
    st.sampled_from(["null", "true", "false", "[32]", "[0.9,0.99]", "relu", "sgd", "cosine"]),
)
schema_override = st.tuples(st.sampled_from(KEYS), values).map(lambda kv: f"{kv[0]}={kv[1]}")
overrides_one = st.one_of(
    schema_override,
    schema_override,
    st.tuples(st.sampled_from(KEYS), plausible).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(st.sampled_from(KEYS), plausible).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(st.sampled_from(UNKNOWN_KEYS), values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(st.sampled_from(["+", "++"]), st.sampled_from([*UNKNOWN_KEYS, "unknown.key"])).map(
        lambda pk: f"{pk[0]}{pk[1]}=1"
    ),
    st.tuples(
        st.sampled_from(GROUPS), st.sampled_from(["xyz", "nosuch", "gym", "mlp", "null", "nstep"])
    ).map(lambda gv: f"{gv[0]}={gv[1]}"),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=16),
)
override_lists = st.lists(overrides_one, min_size=0, max_size=4)


def _error_text(err: BaseException) -> str:
    parts = []
    while err is not None and len(parts) < 5:
        parts.append(str(err))
        err = err.__cause__ or err.__context__
    return "\n".join(parts)


def _tokens(overrides: list[str]) -> set[str]:
    """Keys, key parts and values of the overrides; a clean error names one of them."""
    out: set[str] = set()
    for ov in overrides:
        key, _, value = ov.partition("=")
        key = key.lstrip("+~")
        out |= {ov, key, value, *key.split(".")}
    return {t for t in out if t.strip()}


def _check_ranges(c: TrainConfig) -> None:
    validate(c)  # re-validation of an accepted config passes

    def finite(x: float | None) -> bool:
        return x is None or math.isfinite(x)

    assert 0.0 <= c.advantage.gamma <= 1.0
    for name, low in (("lam", 0.0), ("rho_bar", 0.0), ("c_bar", 0.0)):
        if hasattr(c.advantage, name):
            assert getattr(c.advantage, name) >= low
    if hasattr(c.advantage, "n"):
        assert c.advantage.n >= 1
    opt = c.optimizer
    assert math.isfinite(opt.lr) and opt.lr > 0
    assert math.isfinite(opt.weight_decay) and opt.weight_decay >= 0
    assert 0.0 <= opt.min_lr_ratio <= 1.0
    if hasattr(opt, "eps"):
        assert math.isfinite(opt.eps) and opt.eps > 0
    if hasattr(opt, "momentum"):
        assert 0.0 <= opt.momentum < 1.0
    if hasattr(opt, "betas"):
        assert len(opt.betas) == 2 and all(0.0 <= b < 1.0 for b in opt.betas)
    assert opt.max_grad_norm is None or (math.isfinite(opt.max_grad_norm) and opt.max_grad_norm > 0)
    assert c.env.num_envs >= 1
    assert c.env.max_episode_steps is None or c.env.max_episode_steps >= 1
    assert finite(c.env.target_return)
    assert all(h >= 1 for h in c.network.hidden_sizes)
    assert math.isfinite(c.network.log_std_init)
    algo = c.algo
    if hasattr(algo, "rollout_steps"):
        assert algo.rollout_steps >= 1
        assert math.isfinite(algo.value_coef) and algo.value_coef >= 0
        assert math.isfinite(algo.entropy_coef) and algo.entropy_coef >= 0
        assert finite(algo.value_clip)
    if hasattr(algo, "minibatches"):
        assert algo.epochs >= 1 and algo.minibatches >= 1
        assert algo.minibatches <= algo.rollout_steps * c.env.num_envs
        assert math.isfinite(algo.clip_coef) and algo.clip_coef > 0
        assert finite(algo.target_kl)
    assert c.total_steps >= 1
    assert c.eval.interval >= 0 and c.eval.episodes >= 1
    assert c.checkpoint_interval >= 0
    assert c.early_stop.patience is None or c.early_stop.patience >= 1
    assert finite(c.early_stop.target_return) and finite(c.early_stop.min_delta)
    assert c.torch_threads >= 1 and c.log_interval >= 1
    assert 0 <= c.seed <= MAX_SEED


def _outcome(overrides: list[str]) -> None:
    from advrun.cli import precheck_overrides

    try:
        # The CLI's own pre-check (a list for env/algo/advantage, which also name the
        # tuned file): exit 2 with a message before Hydra composes anything.
        precheck_overrides(overrides)
    except SystemExit as exit_:
        event("refused by the CLI (group list, keyless override)")
        assert exit_.code == 2
        return
    try:
        cfg = hydra.compose("train", overrides=overrides)
        c = to_train_config(cfg)
    except ConfigError as err:
        event("ConfigError")
        msg = str(err)
        assert msg.startswith(f"Invalid config `{err.key}`:"), msg
        assert "Fix:" in msg, msg
        # The key named is one the user touched, or a key whose check it affects.
        assert err.key in KEYS or any(err.key in t or t in err.key for t in _tokens(overrides))
        return
    except OverrideParseException as err:
        event("OverrideParseException")
        # Not an override at all: Hydra's parser quotes the offending fragment.
        assert "override_grammar" in str(err), err
        return
    except (HydraException, OmegaConfBaseException) as err:
        event(type(err).__name__)
        text = _error_text(err)
        assert any(t in text for t in _tokens(overrides)), (overrides, text)
        return
    except ValueError as err:
        event("ValueError (group=null)")
        # Hydra itself raises a bare ValueError for ``<group>=null``; the CLI reports it
        # through Hydra's error handler (exit 2) like any composition error.
        assert str(err).startswith("Config group override must be a string or a list"), err
        assert any(ov.split("=")[0] in GROUPS for ov in overrides), overrides
        return
    event("valid TrainConfig")
    assert isinstance(c, TrainConfig)
    _check_ranges(c)


def test_random_overrides_compose_or_fail_cleanly() -> None:
    register_configs()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(override_lists)
    # Regressions found by this test: non-finite floats used to pass validation
    # (``nan``/``inf`` slip through ``>=`` checks or fields with no check at all), and a
    # negative seed passed validation but crashed numpy/gymnasium seeding mid-run.
    @example(["algo.value_coef=inf"])
    @example(["network.log_std_init=nan"])
    @example(["early_stop.min_delta=nan"])
    @example(["env.target_return=nan"])
    @example(["optimizer.weight_decay=inf"])
    @example(["seed=-1"])
    @example(["seed=99999999999"])
    @example(["tuned=[0,-1]"])  # Hydra's TypeError on a list for the tuned group
    @example(["~"])  # Hydra's "Could not delete ''", which names no override
    @example(["optimizer=[0,-1]"])  # Hydra's TypeError on a non-name list for any group
    # Cases from the brief.
    @example(["network.hidden_sizes=[0,-1]"])
    @example(["+unknown.key=1"])
    @example(["env=xyz"])
    @example(["network=null"])
    @example(["advantage.gamma=nan", "advantage.lam=-0.1"])
    @example(["~env"])
    @example(["seed=${foo}"])
    def run(overrides: list[str]) -> None:
        _outcome(overrides)

    with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        run()
