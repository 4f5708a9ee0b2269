"""Build batched gymnasium environments with the autoreset mode pinned.

advrun always uses gymnasium's ``NEXT_STEP`` autoreset: the step that ends an episode
returns the *final* observation, and the following step resets that sub-env and
returns a dummy transition (reward 0, action ignored). Every gymnasium vector env
supports this mode, including CartPole's native numpy one, and it gives the value of
the final observation for free: it is the next row's value. The rollout collector
masks the dummy transitions (see :mod:`advrun.training.rollout`).
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

import gymnasium as gym
from gymnasium.error import (
    DependencyNotInstalled,
    NameNotFound,
    NamespaceNotFound,
    VersionNotFound,
)
from gymnasium.vector import AutoresetMode

from advrun.config.errors import ConfigError

# Extras that provide the optional env families, keyed by a word in the error text.
_EXTRAS = {"box2d": "box2d", "mujoco": "mujoco", "ale": "atari", "atari": "atari"}
# Namespaces registered by importing a package: namespace -> (module, advrun extra).
_NAMESPACES = {"ALE": ("ale_py", "atari")}


def _suggest(env_id: str) -> str:
    close = difflib.get_close_matches(env_id, list(gym.envs.registry.keys()), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


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


def check_env_id(env_id: str) -> None:
    """Fail early, with suggestions, on an id gymnasium does not know."""
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
            "ids look like Name-vN or Namespace/Name-vN, e.g. env=gym env.id=CartPole-v1.",
        ) from None


def make_vec_env(
    env_id: str,
    num_envs: int,
    *,
    vectorization: str = "auto",
    kwargs: dict[str, Any] | None = None,
    max_episode_steps: int | None = None,
) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``env_id`` in NEXT_STEP autoreset mode (not yet reset)."""
    check_env_id(env_id)
    mode = resolve_vectorization(env_id, vectorization)
    env_kwargs = dict(kwargs or {})
    if max_episode_steps is not None:
        env_kwargs["max_episode_steps"] = max_episode_steps
    try:
        if mode == "vector_entry_point":
            envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **env_kwargs)
        else:
            envs = gym.make_vec(
                env_id,
                num_envs=num_envs,
                vectorization_mode=mode,
                vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
                **env_kwargs,
            )
    except DependencyNotInstalled as err:
        text = str(err).lower()
        extra = next((x for k, x in _EXTRAS.items() if k in text), None)
        fix = f"pip install 'advrun[{extra}]'" if extra else "install the package named above"
        raise ConfigError(
            "env.id",
            f"{env_id} needs an optional dependency that is not installed ({err}).",
            f"{fix}.",
        ) from None
    got = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if got != AutoresetMode.NEXT_STEP:
        envs.close()
        raise RuntimeError(f"{env_id}: expected NEXT_STEP autoreset, vector env reports {got}")
    return envs
