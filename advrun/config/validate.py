"""Range and consistency checks that types cannot express.

Composition already rejected unknown keys and wrong types; these checks run on the typed
object before any environment, network or file is created, and raise
:class:`~advrun.config.errors.ConfigError` naming the key and the fix.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError, MissingMandatoryValue

from advrun.config.errors import ConfigError
from advrun.config.schema import TrainConfig

VECTORIZATIONS = ("auto", "native", "sync", "async")
BACKENDS = ("gymnasium", "torch")


def _check_backend(c: TrainConfig) -> None:
    _check(
        c.env.backend in BACKENDS,
        "env.backend",
        f"{c.env.backend!r} is not one of {', '.join(BACKENDS)}.",
        "use env.backend=gymnasium, or env.backend=torch for the torch-native envs.",
    )
    if c.env.backend == "torch":
        from advrun.envs.torch_envs import TORCH_ENVS

        _check(
            c.env.id in TORCH_ENVS,
            "env.backend",
            f"there is no torch-native implementation of {c.env.id}.",
            f"use env.backend=gymnasium, or one of {', '.join(TORCH_ENVS)}.",
        )


def _check_custom_env(c: TrainConfig) -> None:
    """``env.make`` / ``env.wrappers`` are well-formed and combine with the other env
    keys (nothing is imported here: the env factory does that, and reports the user
    module's own errors)."""
    from advrun.envs.user_code import is_import_path

    _check(
        c.env.make is not None or c.env.id != "custom",
        "env.make",
        "env=custom builds the env from a factory, but env.make is not set.",
        "add env.make=pkg.module:make_env (a function returning a gymnasium.Env).",
    )
    if c.env.make is not None:
        _check(
            isinstance(c.env.make, str) and is_import_path(c.env.make),
            "env.make",
            f"{c.env.make!r} is not an import path of the form pkg.module:callable.",
            "write env.make=pkg.module:make_env (a function returning a gymnasium.Env; "
            "its module must be importable, e.g. on PYTHONPATH).",
        )
        for key, ok, why in (
            ("env.backend", c.env.backend == "gymnasium", "runs only advrun's own envs"),
            ("env.preprocess", c.env.preprocess is None, "applies to Atari ids"),
            ("env.vectorization", c.env.vectorization != "native", "needs a native env"),
        ):
            _check(
                ok,
                key,
                f"{key}={getattr(c.env, key.split('.')[1])} cannot be combined with "
                f"env.make ({why}).",
                f"drop {key}, or use a registered env.id instead of env.make.",
            )
    for i, spec in enumerate(c.env.wrappers):
        target = spec.get("_target_") if isinstance(spec, dict) else spec
        _check(
            isinstance(target, str) and bool(target.strip()),
            f"env.wrappers[{i}]",
            f"{spec!r} is not a wrapper spec.",
            "give each wrapper as {_target_: pkg.module.Wrapper, kwarg: value, ...}, e.g. "
            "env.wrappers=[{_target_:gymnasium.wrappers.ClipReward,min_reward:-1,max_reward:1}].",
        )
    _check(
        not c.env.wrappers or c.env.backend == "gymnasium",
        "env.wrappers",
        "wrappers apply to gymnasium envs, not to env.backend=torch.",
        "use env.backend=gymnasium, or drop env.wrappers.",
    )


def _check_components(c: TrainConfig) -> None:
    """Each chosen component checks its own section (``check``), then the algorithm
    checks its combinations with the rest of the run (estimator, network, env)."""
    from advrun.algos import ALGORITHMS
    from advrun.config.store import component_registries
    from advrun.networks import ACTIVATIONS, ENCODERS

    for group, registry in component_registries().items():
        section = getattr(c, group)
        name = getattr(section, "name", None)
        _check(
            name in registry and type(section) is registry.get(name).config,
            f"{group}.name",
            f"{name!r} does not name the {registry.kind} this section was composed for "
            f"({type(section).__name__}).",
            f"choose the {registry.kind} with the group, e.g. {group}={registry.names()[0]} "
            f"(one of: {', '.join(registry.names())}), not with {group}.name.",
        )
    c.advantage.check("advantage")
    c.optimizer.check("optimizer")
    for key, registry, value in (
        ("network.kind", ENCODERS, c.network.kind),
        ("network.activation", ACTIVATIONS, c.network.activation),
    ):
        _check(
            value in registry,
            key,
            f"{value!r} is not a registered {registry.kind}.",
            f"use one of: {', '.join(registry.names())}.",
        )
    algorithm = ALGORITHMS[c.algo.name]
    _check(
        not c.network.dueling or algorithm.network == "q",
        "network.dueling",
        f"the dueling head is a Q-network head, and algo={c.algo.name} trains an "
        f"{algorithm.network} network.",
        "use network.dueling=true with algo=dqn, or drop it.",
    )
    _check_recurrent(c, algorithm.network)
    _check_compile(c, algorithm.network)
    c.algo.check("algo", c)


def _check_recurrent(c: TrainConfig, family: str) -> None:
    """``network.recurrent`` names a cell, and the algorithm carries a policy state
    (the on-policy actor-critics do; DQN's replay of single transitions does not)."""
    from advrun.networks.recurrent import CELLS

    cell = c.network.recurrent
    if cell is None:
        return
    _check(
        cell in CELLS,
        "network.recurrent",
        f"{cell!r} is not a recurrent cell.",
        f"use one of: {', '.join(CELLS)} (or null for a feed-forward network).",
    )
    _at_least(c.network.recurrent_size, 1, "network.recurrent_size")
    _check(
        family == "actor_critic",
        "network.recurrent",
        f"algo={c.algo.name} trains a {family} network from single replayed transitions; "
        f"a recurrent policy (network.recurrent={cell}) needs whole sequences and their "
        "hidden states, which only the on-policy algorithms carry.",
        "use algo=ppo|a2c|reinforce with network=lstm, or a feed-forward network "
        "(network=mlp_relu) with algo=dqn.",
    )


def _check_compile(c: TrainConfig, family: str) -> None:
    """``compile`` is off (``null``/``false``, stored as null) or a torch.compile mode,
    and only the feed-forward actor-critic has compiled paths
    (:mod:`advrun.networks.compiled`)."""
    from advrun.networks.compiled import COMPILE_MODES, compile_mode

    given = c.compile
    c.compile = compile_mode(given)
    if c.compile is None:
        return
    _check(
        c.compile in COMPILE_MODES,
        "compile",
        f"{given!r} is not a torch.compile mode advrun uses.",
        f"use compile=null (off) or one of: {', '.join(COMPILE_MODES)}.",
    )
    _check(
        family == "actor_critic" and not c.network.recurrent,
        "compile",
        f"compile={c.compile} compiles the feed-forward actor-critic's act and "
        f"evaluate_actions; algo={c.algo.name} with network.recurrent="
        f"{c.network.recurrent} trains a {'recurrent ' if c.network.recurrent else ''}"
        f"{family} network.",
        "drop compile (compile=null), or use algo=ppo|a2c|reinforce with a feed-forward network.",
    )


def _check_network_kind(c: TrainConfig) -> None:
    """nature_cnn needs image observations; only known preprocessors are accepted."""
    from advrun.envs.factory import PREPROCESSORS

    _check(
        c.env.preprocess is None or c.env.preprocess in PREPROCESSORS,
        "env.preprocess",
        f"{c.env.preprocess!r} is not one of {', '.join(PREPROCESSORS)}.",
        "use env.preprocess=atari (Atari ids such as ALE/Pong-v5) or null.",
    )
    _check(
        c.env.preprocess is None or c.env.backend == "gymnasium",
        "env.preprocess",
        f"preprocessing {c.env.preprocess!r} is not available for env.backend=torch.",
        "use env.backend=gymnasium.",
    )
    from advrun.networks import ENCODERS

    kind = str(getattr(c.network.kind, "value", c.network.kind))
    if kind in ENCODERS and ENCODERS.get(kind).trait("image"):
        _check(
            c.env.preprocess == "atari",
            "network.kind",
            f"nature_cnn needs stacked image frames, but {c.env.id} is not set up as an "
            "image env (env.preprocess is not atari).",
            "use network=mlp for vector observations, or an Atari env "
            "(e.g. experiment=ppo_pong, or env=atari_pong).",
        )
        _check(
            not c.network.normalize_obs,
            "network.normalize_obs",
            "nature_cnn already scales pixels by 1/255; per-pixel running statistics "
            "are not supported.",
            "set network.normalize_obs=false.",
        )


# numpy seeds must fit in 32 bits; eval and per-env seeds are offset from ``seed``.
MAX_SEED = 2**31 - 1


def _check(ok: bool, key: str, problem: str, fix: str) -> None:
    if not ok:
        raise ConfigError(key, problem, fix)


def _in_unit_interval(value: float, key: str) -> None:
    _check(
        0.0 <= value <= 1.0,
        key,
        f"{value} is outside [0, 1].",
        f"set {key} to a value between 0 and 1, e.g. {key}=0.99.",
    )


def _positive(value: float | None, key: str, example: str, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    _check(
        value is not None and math.isfinite(value) and value > 0,
        key,
        f"{value} must be > 0.",
        f"set a positive value, e.g. {key}={example}"
        + (" (or null to disable)." if allow_none else "."),
    )


def _at_least(value: int | None, minimum: int, key: str, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    _check(
        value is not None and value >= minimum,
        key,
        f"{value} must be >= {minimum}.",
        f"set {key}={minimum} or more" + (" (or null to disable)." if allow_none else "."),
    )


def _first_non_finite(obj: object, prefix: str = "") -> tuple[str, object] | None:
    """The first float field (or float in a list field) that is NaN or +-inf.

    ``nan`` compares False with everything, so a range check written as ``not (x < lo)``
    or a missing check would let it through; ``inf`` passes ``>= 0`` checks. Open dicts
    (``env.kwargs``) are passed to gymnasium as is and are not inspected."""
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            found = _first_non_finite(value, f"{key}.")
            if found:
                return found
        elif isinstance(value, float) and not math.isfinite(value):
            return key, value
        elif isinstance(value, list) and any(
            isinstance(v, float) and not math.isfinite(v) for v in value
        ):
            return key, list(value)
    return None


def _finite(c: TrainConfig) -> None:
    found = _first_non_finite(c)
    if found:
        key, value = found
        _check(
            False,
            key,
            f"{value} is not a finite number.",
            f"pass a finite number for {key} (null disables the optional ones).",
        )


def _reject_unknown_keys(node: DictConfig, prefix: str = "") -> None:
    """``+group.key=value`` appends a key with struct mode off, and OmegaConf would then
    carry it as a stray attribute. Walk the typed nodes and refuse any key that is not
    a field of its dataclass (open dicts such as ``env.kwargs`` are not dataclasses)."""
    schema = OmegaConf.get_type(node)
    if not dataclasses.is_dataclass(schema):
        return
    fields = {f.name for f in dataclasses.fields(schema)}
    for key in node:
        full_key = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(
                full_key,
                f"{schema.__name__} has no field {key!r} (valid: {', '.join(sorted(fields))}).",
                "check the spelling against `advrun train --help` and drop the key.",
            )
        child = node._get_node(key)
        if isinstance(child, DictConfig):
            _reject_unknown_keys(child, f"{full_key}.")


def to_object(cfg: DictConfig) -> object:
    """``OmegaConf.to_object`` with unresolvable interpolations reported as ConfigError.

    ``seed=${python:1}``, ``name=${nosuch.key}`` or a removed section: OmegaConf only
    finds out when it resolves the value, so report it like a bad value."""
    try:
        return OmegaConf.to_object(cfg)
    except (InterpolationResolutionError, MissingMandatoryValue) as err:
        key = getattr(err, "full_key", None) or "config"
        problem = str(err).splitlines()[0] if str(err) else type(err).__name__
        fix = (
            f"set {key} to a plain value, or use an interpolation that resolves (a key "
            "of this config such as ${env.id}, or ${oc.env:VAR}); other resolvers are "
            "not registered and code is never evaluated."
            if isinstance(err, InterpolationResolutionError)
            else f"give {key} a value, e.g. restore the default group instead of removing it."
        )
        raise ConfigError(key, problem.rstrip(".") + ".", fix) from None


def to_train_config(cfg: DictConfig | TrainConfig) -> TrainConfig:
    """Turn a composed DictConfig into the typed dataclass and validate it."""
    if isinstance(cfg, DictConfig):
        _reject_unknown_keys(cfg)
    obj = cfg if isinstance(cfg, TrainConfig) else to_object(cfg)
    assert isinstance(obj, TrainConfig), type(obj)
    validate(obj)
    return obj


def resolve_network_kind(c: TrainConfig) -> None:
    """``network.kind=auto`` becomes the encoder the observations need: ``nature_cnn`` for
    stacked image frames (``env.preprocess=atari``), ``mlp`` otherwise. Flattening
    4x84x84 frames into an MLP trains nothing useful (and ``advrun train env=atari_pong``
    used to do exactly that); an explicit ``network.kind`` is kept as given."""
    if str(getattr(c.network.kind, "value", c.network.kind)) == "auto":
        c.network.kind = "nature_cnn" if c.env.preprocess == "atari" else "mlp"


def validate(c: TrainConfig) -> None:
    """Raise ConfigError for the first out-of-range or inconsistent value (after
    resolving ``network.kind=auto``, see :func:`resolve_network_kind`)."""
    resolve_network_kind(c)
    checks: list[Callable[[], None]] = [
        lambda: _finite(c),
        lambda: _check(
            0 <= c.seed <= MAX_SEED,
            "seed",
            f"{c.seed} is outside [0, {MAX_SEED}] (numpy and gymnasium refuse it).",
            "use a non-negative seed, e.g. seed=1.",
        ),
        lambda: _at_least(c.env.num_envs, 1, "env.num_envs"),
        lambda: _check(
            c.env.vectorization in VECTORIZATIONS,
            "env.vectorization",
            f"{c.env.vectorization!r} is not one of {', '.join(VECTORIZATIONS)}.",
            "use env.vectorization=auto (native when gymnasium has it, else sync).",
        ),
        lambda: _at_least(c.env.max_episode_steps, 1, "env.max_episode_steps", allow_none=True),
        lambda: _check_backend(c),
        lambda: _check_custom_env(c),
        lambda: _check_network_kind(c),
        lambda: _positive(c.env.reward_clip, "env.reward_clip", "10.0"),
        lambda: _positive(c.network.obs_clip, "network.obs_clip", "10.0"),
        lambda: _check(
            all(h >= 1 for h in c.network.hidden_sizes),
            "network.hidden_sizes",
            f"{list(c.network.hidden_sizes)} contains a size below 1.",
            "use positive layer widths, e.g. network.hidden_sizes=[64,64].",
        ),
        lambda: _check_components(c),
        lambda: _at_least(c.total_steps, 1, "total_steps"),
        lambda: _check(
            c.env.num_envs <= c.total_steps,
            "total_steps",
            f"{c.total_steps} is fewer than one step of the {c.env.num_envs} envs "
            "(env.num_envs), so the run would overshoot it by "
            f"{c.env.num_envs - c.total_steps} steps.",
            f"raise total_steps to at least {c.env.num_envs} or lower env.num_envs.",
        ),
        lambda: _check(
            c.eval.interval >= 0,
            "eval.interval",
            f"{c.eval.interval} is negative.",
            "use eval.interval=0 (only at the end) or a positive number of env steps.",
        ),
        lambda: _at_least(c.eval.episodes, 1, "eval.episodes"),
        lambda: _check(
            c.checkpoint_interval >= 0,
            "checkpoint_interval",
            f"{c.checkpoint_interval} is negative.",
            "use checkpoint_interval=0 (only at the end) or a positive number of env steps.",
        ),
        lambda: _at_least(c.early_stop.patience, 1, "early_stop.patience", allow_none=True),
        lambda: _at_least(c.torch_threads, 1, "torch_threads"),
        lambda: _at_least(c.eval.video_episodes, 1, "eval.video_episodes"),
        lambda: _positive(c.init.lr_scale, "init.lr_scale", "0.1"),
        lambda: _check(
            c.init.checkpoint is not None or (not c.init.load and c.init.lr_scale == 1.0),
            "init.load" if c.init.load else "init.lr_scale",
            "applies to the weights loaded from init.checkpoint, which is not set.",
            "set init.checkpoint=<run>/checkpoints/best.pt, or drop init.load/init.lr_scale.",
        ),
        lambda: _at_least(c.log_interval, 1, "log_interval"),
    ]
    for check in checks:
        check()
