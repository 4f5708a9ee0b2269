"""Build batched gymnasium environments with the autoreset mode pinned.

advrun always uses gymnasium's ``NEXT_STEP`` autoreset: the step that ends an episode
returns the *final* observation, and the following step resets that sub-env and
returns a dummy transition (reward 0, action ignored). Every gymnasium vector env
supports this mode, including CartPole's native numpy one, and it gives the value of
the final observation for free: it is the next row's value. The rollout collector
masks the dummy transitions (see :mod:`advrun.training.rollout`).

``preprocess="atari"`` applies the standard Atari pipeline (Machado et al. 2018 /
SB3's ``AtariWrapper``): 30 random no-ops at reset, 4-frame skip with max-pooling of
the last two frames, 84x84 grayscale, 4 stacked frames as ``uint8 [4, 84, 84]``, no
sticky actions (as ``*NoFrameskip-v4``). Training envs also clip rewards to their sign
and end an episode at each lost life; evaluation envs (``training=False``) keep raw
scores and whole games. ale-py >= 0.10 ships ``AtariVectorEnv``, a C++ vector env that
does all of this natively (threaded, no Python per frame); ``vectorization=auto``
uses it. ``sync``/``async`` build the same pipeline from gymnasium's wrappers.

The user's own envs come in three ways (see :mod:`advrun.envs.custom`): gymnasium's
``module:EnvId`` id (the module is imported so its ``gymnasium.register`` runs), a
factory ``make="pkg.module:callable"``, and ``wrappers`` applied per sub-env. With
``check=True`` one sub-env is played briefly first (:mod:`advrun.envs.check`).
"""

from __future__ import annotations

import difflib
import importlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.error import (
    DependencyNotInstalled,
    NameNotFound,
    NamespaceNotFound,
    VersionNotFound,
)
from gymnasium.vector import AutoresetMode

from advrun.config.errors import ConfigError
from advrun.envs.custom import check_built_env, make_factory_vec_env, wrapper_fns
from advrun.envs.user_code import describe, import_module

log = logging.getLogger(__name__)

# Extras that provide the optional env families, keyed by a word in the error text.
_EXTRAS = {"box2d": "box2d", "mujoco": "mujoco", "ale": "atari", "atari": "atari"}
# Namespaces registered by importing a package: namespace -> (module, advrun extra).
_NAMESPACES = {"ALE": ("ale_py", "atari")}


def _registered_by(module: str) -> list[str]:
    """Ids whose entry point lives in ``module`` (a class/function or a "mod:attr")."""
    ids = []
    for env_id, spec in gym.envs.registry.items():
        entry = spec.entry_point
        where = (
            entry.split(":", 1)[0] if isinstance(entry, str) else getattr(entry, "__module__", "")
        )
        if where and (where == module or where.startswith(module + ".")):
            ids.append(env_id)
    return ids


def _suggest(env_id: str, module: str | None = None) -> str:
    """Close registered ids; after ``module:``, the module's own ids (prefixed) first."""
    own = _registered_by(module) if module is not None else []
    close = [f"{module}:{c}" for c in difflib.get_close_matches(env_id, own, n=3, cutoff=0.5)]
    if not close:
        close = difflib.get_close_matches(env_id, list(gym.envs.registry.keys()), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


def split_env_id(env_id: str) -> tuple[str | None, str]:
    """``"module:Name-v0"`` -> ``("module", "Name-v0")``; a plain id has no module."""
    if ":" in env_id:
        module, name = env_id.split(":", 1)
        return module, name
    return None, env_id


def resolve_vectorization(env_id: str, vectorization: str) -> str:
    """Pick gymnasium's vectorization mode; ``auto`` prefers a native vector env."""
    spec = gym.spec(env_id)
    if vectorization == "auto":
        return "vector_entry_point" if spec.vector_entry_point is not None else "sync"
    if vectorization == "native":
        if spec.vector_entry_point is None:
            raise ConfigError(
                "env.vectorization",
                f"{env_id} has no native vector implementation in gymnasium.",
                "use env.vectorization=auto or sync.",
            )
        return "vector_entry_point"
    return vectorization


def _register_namespace(env_id: str) -> bool:
    """Import the package that registers ``env_id``'s namespace (gymnasium >= 1.0 has
    no plugin auto-loading: ``ALE/...`` exists only after ``import ale_py``). Returns
    False when the namespace is unknown here; raises ConfigError when its package is
    missing."""
    namespace = env_id.split("/", 1)[0] if "/" in env_id else ""
    if namespace not in _NAMESPACES:
        return False
    module, extra = _NAMESPACES[namespace]
    try:
        importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(
            "env.id",
            f"{env_id} needs the optional package {module}, which is not installed ({err}).",
            f"pip install 'advrun[{extra}]'.",
        ) from None
    return True


def check_env_id(env_id: str) -> str:
    """Fail early, with suggestions, on an id gymnasium does not know; return the
    registered id. ``module:Name-v0`` (gymnasium's syntax) first imports ``module``,
    whose ``gymnasium.register`` calls add its ids; its import errors are reported as
    the module's own."""
    module, name = split_env_id(env_id)
    if module is not None:
        if not module or not all(part.isidentifier() for part in module.split(".")):
            raise ConfigError(
                "env.id",
                f"{env_id!r}: {module!r} is not a module name.",
                "write module:EnvId, e.g. env.id=corridor:Corridor-v0.",
            )
        import_module(module, "env.id")
        try:
            gym.spec(name)
        except gym.error.Error as err:
            raise ConfigError(
                "env.id",
                f"importing {module!r} did not register {name!r} ({err}).{_suggest(name, module)}",
                f"call gymnasium.register({name!r}, entry_point=...) at the top level of "
                f"{module}, or correct the name after the colon.",
            ) from None
        return name
    try:
        try:
            gym.spec(env_id)
        except NamespaceNotFound:
            if not _register_namespace(env_id):
                raise
            gym.spec(env_id)
    except (NameNotFound, VersionNotFound) as err:
        raise ConfigError(
            "env.id",
            f"gymnasium has no environment {env_id!r} ({err}).{_suggest(env_id)}",
            "pass a registered id, e.g. env=cartpole or env=gym env.id=Acrobot-v1.",
        ) from None
    except gym.error.Error as err:  # unknown namespace, no version, malformed id
        raise ConfigError(
            "env.id",
            f"{env_id!r} is not a registered gymnasium id ({err}).{_suggest(env_id)}",
            "ids look like Name-vN, Namespace/Name-vN or module:Name-vN, e.g. env=gym "
            "env.id=CartPole-v1.",
        ) from None
    return env_id


PREPROCESSORS = ("atari",)
ATARI_FRAME_SKIP = 4
ATARI_STACK = 4
ATARI_SIZE = 84
ATARI_NOOP_MAX = 30


def _atari_wrappers(training: bool) -> list[Callable[[gym.Env], gym.Env]]:
    """The Atari pipeline from gymnasium's wrappers (env built with ``frameskip=1``)."""
    from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation, TransformReward

    def preprocess(env: gym.Env) -> gym.Env:
        return AtariPreprocessing(
            env,
            noop_max=ATARI_NOOP_MAX,
            frame_skip=ATARI_FRAME_SKIP,
            screen_size=ATARI_SIZE,
            terminal_on_life_loss=training,
            grayscale_obs=True,
            scale_obs=False,
        )

    wrappers: list[Callable[[gym.Env], gym.Env]] = [preprocess]
    if training:
        wrappers.append(lambda env: TransformReward(env, lambda r: float(np.sign(r))))
    wrappers.append(lambda env: FrameStackObservation(env, ATARI_STACK))
    return wrappers


def _atari_kwargs(
    mode: str, kwargs: dict[str, Any], max_episode_steps: int | None, training: bool
) -> dict[str, Any]:
    """Keyword arguments for an Atari env under ``preprocess=atari``."""
    out = dict(kwargs)
    out.setdefault("repeat_action_probability", 0.0)
    if mode == "vector_entry_point":
        out.update(reward_clipping=training, episodic_life=training)
        out.setdefault("noop_max", ATARI_NOOP_MAX)
        out.setdefault("frameskip", ATARI_FRAME_SKIP)
        out.setdefault("stack_num", ATARI_STACK)
        if max_episode_steps is not None:
            out["max_num_frames_per_episode"] = max_episode_steps * out["frameskip"]
    else:
        out["frameskip"] = 1  # AtariPreprocessing skips frames itself
        if max_episode_steps is not None:
            out["max_episode_steps"] = max_episode_steps
    return out


@contextmanager
def _dependency_errors(env_id: str) -> Iterator[None]:
    """gymnasium's DependencyNotInstalled as a ConfigError naming advrun's extra."""
    try:
        yield
    except DependencyNotInstalled as err:
        text = str(err).lower()
        extra = next((x for k, x in _EXTRAS.items() if k in text), None)
        fix = f"pip install 'advrun[{extra}]'" if extra else "install the package named above"
        raise ConfigError(
            "env.id",
            f"{env_id} needs an optional dependency that is not installed ({err}).",
            f"{fix}.",
        ) from None


def _check_registered(
    env_id: str, name: str, kwargs: dict[str, Any], wrappers: Sequence[Callable[..., gym.Env]]
) -> None:
    """Build one sub-env of registered ``name`` as the sync path would and check it."""

    def build() -> gym.Env:
        try:
            env = gym.make(name, disable_env_checker=True, **kwargs)
        except DependencyNotInstalled:
            raise
        except Exception as err:
            raise ConfigError(
                "env.id",
                f"gymnasium.make({name!r}) raised {describe(err)}.",
                "fix the env's constructor or the arguments given in env.kwargs.",
            ) from None
        for wrap in wrappers:
            env = wrap(env)
        return env

    check_built_env(build, env_id, "env.id")


def make_vec_env(
    env_id: str,
    num_envs: int,
    *,
    vectorization: str = "auto",
    kwargs: dict[str, Any] | None = None,
    max_episode_steps: int | None = None,
    preprocess: str | None = None,
    training: bool = True,
    make: str | None = None,
    wrappers: Sequence[Any] | None = None,
    check: bool = False,
) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``env_id`` in NEXT_STEP autoreset mode (not yet reset).

    ``preprocess="atari"`` applies the Atari pipeline described in the module docstring
    (``training`` picks reward clipping and life-loss episodes). ``make`` builds the
    sub-envs from a factory instead (``env_id`` then only names the run); ``wrappers``
    (``{_target_: ..., **kwargs}`` specs) wrap every sub-env; ``check`` plays one
    sub-env through :func:`advrun.envs.check.check_env` before building the rest."""
    user_wrappers = wrapper_fns(wrappers or [])
    if make is not None:
        return make_factory_vec_env(
            make,
            num_envs,
            vectorization=vectorization,
            kwargs=kwargs,
            max_episode_steps=max_episode_steps,
            wrappers=user_wrappers,
            check=check,
        )
    given_id, env_id = env_id, check_env_id(env_id)
    if preprocess is not None and preprocess not in PREPROCESSORS:
        raise ConfigError(
            "env.preprocess",
            f"{preprocess!r} is not one of {', '.join(PREPROCESSORS)}.",
            "use env.preprocess=atari or null.",
        )
    mode = resolve_vectorization(env_id, vectorization)
    if user_wrappers and mode == "vector_entry_point":
        if training:
            log.info(
                "env.wrappers: %s is built one sub-env at a time (env.vectorization=sync) "
                "instead of gymnasium's native vector env, which cannot take wrappers.",
                given_id,
            )
        mode = "sync"

    def recipe(how: str) -> tuple[dict[str, Any], list[Callable[[gym.Env], gym.Env]]]:
        """Keyword arguments and per-env wrappers for vectorization mode ``how``."""
        env_kwargs = dict(kwargs or {})
        per_env: list[Callable[[gym.Env], gym.Env]] = []
        if preprocess == "atari":
            env_kwargs = _atari_kwargs(how, env_kwargs, max_episode_steps, training)
            if how != "vector_entry_point":
                per_env = _atari_wrappers(training)
        elif max_episode_steps is not None:
            env_kwargs["max_episode_steps"] = max_episode_steps
        return env_kwargs, per_env + list(user_wrappers)

    env_kwargs, all_wrappers = recipe(mode)
    with _dependency_errors(env_id):
        if check:
            # The native vector env is gymnasium's own; its per-env twin is checked.
            _check_registered(given_id, env_id, *recipe("sync"))
        if mode == "vector_entry_point":
            envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **env_kwargs)
        else:
            envs = gym.make_vec(
                env_id,
                num_envs=num_envs,
                vectorization_mode=mode,
                vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
                wrappers=all_wrappers or None,
                **env_kwargs,
            )
    got = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if got != AutoresetMode.NEXT_STEP:
        envs.close()
        raise RuntimeError(f"{env_id}: expected NEXT_STEP autoreset, vector env reports {got}")
    return envs
