"""The user's own envs: a factory (``env.make``) and wrappers (``env.wrappers``).

``env.make=pkg.module:callable`` names a function (or class) that returns a
``gymnasium.Env`` when called with ``env.kwargs``; ``env.wrappers`` is a list of
``{_target_: pkg.module.Wrapper, **kwargs}`` (Hydra's convention; a bare
``pkg.module.Wrapper`` string means no kwargs), applied to every sub-env in order
after ``env.max_episode_steps``' TimeLimit. Factories are vectorised like registered
ids, by gymnasium's SyncVectorEnv / AsyncVectorEnv in NEXT_STEP autoreset mode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import TimeLimit

from advrun.config.errors import ConfigError
from advrun.envs.check import check_env
from advrun.envs.user_code import call_user, load_object

EnvFn = Callable[[], gym.Env]
WrapperFn = Callable[[gym.Env], gym.Env]


def wrapper_spec(spec: Any, key: str) -> tuple[str, dict[str, Any]]:
    """``(target, kwargs)`` of one ``env.wrappers`` item."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping) and isinstance(spec.get("_target_"), str):
        return spec["_target_"], {str(k): v for k, v in spec.items() if k != "_target_"}
    raise ConfigError(
        key,
        f"{spec!r} is not a wrapper spec.",
        "give each wrapper as {_target_: pkg.module.Wrapper, kwarg: value, ...}.",
    )


def _apply_wrapper(
    cls: Callable[..., Any], target: str, kwargs: dict[str, Any], key: str, env: gym.Env
) -> gym.Env:
    wrapped = call_user(cls, f"the wrapper {target}", key, env, **kwargs)
    if not isinstance(wrapped, gym.Env):
        raise ConfigError(
            key,
            f"{target}(env, ...) returned {type(wrapped).__name__}, not a gymnasium.Env.",
            "name a gymnasium.Wrapper subclass (or a function returning one).",
        )
    return wrapped


def wrapper_fns(specs: Sequence[Any], key: str = "env.wrappers") -> list[WrapperFn]:
    """Import every wrapper now (so a bad path fails before any env is built) and
    return ``env -> wrapped env`` functions in the order given."""
    fns: list[WrapperFn] = []
    for i, spec in enumerate(specs):
        item_key = f"{key}[{i}]"
        target, kwargs = wrapper_spec(spec, item_key)
        cls = load_object(target, item_key)
        if not callable(cls):
            raise ConfigError(
                item_key, f"{target} is a {type(cls).__name__}, not a class.", "name a Wrapper."
            )
        fns.append(functools.partial(_apply_wrapper, cls, target, kwargs, item_key))
    return fns


def factory_env_fn(
    make: str,
    kwargs: dict[str, Any],
    max_episode_steps: int | None,
    wrappers: Sequence[WrapperFn],
    key: str = "env.make",
) -> EnvFn:
    """A no-argument function building one sub-env: ``make(**kwargs)``, then
    ``TimeLimit(max_episode_steps)`` when set, then the wrappers."""
    factory = load_object(make, key)
    if not callable(factory):
        raise ConfigError(
            key, f"{make} is a {type(factory).__name__}, not callable.", "name a function."
        )

    def build() -> gym.Env:
        env = call_user(factory, f"the factory {make}", key, **kwargs)
        if not isinstance(env, gym.Env):
            raise ConfigError(
                key,
                f"{make}(**env.kwargs) returned {type(env).__name__}, not a gymnasium.Env.",
                "return a gymnasium.Env instance (a subclass of gymnasium.Env).",
            )
        if max_episode_steps is not None:
            env = TimeLimit(env, max_episode_steps)
        for wrap in wrappers:
            env = wrap(env)
        return env

    return build


def check_built_env(build: EnvFn, name: str, key: str) -> None:
    """Build one sub-env with ``build``, run :func:`advrun.envs.check.check_env` on
    it and close it."""
    env = build()
    try:
        check_env(env, name, key)
    finally:
        env.close()


def make_factory_vec_env(
    make: str,
    num_envs: int,
    *,
    vectorization: str = "auto",
    kwargs: dict[str, Any] | None = None,
    max_episode_steps: int | None = None,
    wrappers: Sequence[WrapperFn] = (),
    check: bool = False,
) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``make(**kwargs)`` in NEXT_STEP autoreset mode (``auto``
    means ``sync``: a factory has no native vector env)."""
    if vectorization not in ("auto", "sync", "async"):
        raise ConfigError(
            "env.vectorization",
            f"{vectorization!r} is not available for env.make (a factory has no native "
            "vector implementation).",
            "use env.vectorization=auto, sync or async.",
        )
    build = factory_env_fn(make, dict(kwargs or {}), max_episode_steps, wrappers)
    if check:
        check_built_env(build, make, "env.make")
    vector_cls = gym.vector.AsyncVectorEnv if vectorization == "async" else gym.vector.SyncVectorEnv
    return vector_cls([build] * num_envs, autoreset_mode=AutoresetMode.NEXT_STEP)
