"""Check that one env follows the gymnasium API before any training work starts.

A vector env copies each sub-env's observation into a preallocated array of the
space's dtype and sums rewards into float arrays, so an env that returns float64
observations for a float32 space, an observation of the wrong shape, a reward array or
a NaN reward trains on silently wrong numbers, and an env written for gym < 0.26 (a
4-tuple ``step``) fails deep inside a wrapper. This checker plays one env for a reset
and :data:`CHECK_STEPS` random actions (resetting when an episode ends) and stops at
the first problem with a ConfigError naming the env, the check and the step.

gymnasium's own ``gymnasium.utils.env_checker.check_env`` was considered: most of its
findings are warnings rather than errors, it does not say at which step a value went
wrong, it requires ``reset(seed=...)`` to be deterministic and it renders, so advrun
runs these few checks itself. Cost: a reset and 32 steps of one env (CartPole: well
under a millisecond of stepping; see the README for the measured total).

Checks (the names appear in the messages):

- ``reset returns (obs, info)``: a 2-tuple whose second item is a dict.
- ``step returns 5 values``: ``(obs, reward, terminated, truncated, info)``; the old
  4-tuple ``(obs, reward, done, info)`` is named as such.
- ``observation in observation_space``: the right type, shape and dtype, finite, and
  inside the space's bounds (for Box; ``contains`` for the other spaces, per key for
  Dict and Tuple).
- ``reward is a finite scalar``: a Python or numpy number (or 0-d array), not NaN/inf.
- ``terminated and truncated are booleans`` and ``info is a dict``.

The API shape (the first two checks) is tested on the unwrapped env first, so a 4-tuple
env is named as such instead of failing inside ``TimeLimit``; the rest is tested on the
env as the learner sees it, with ``env.max_episode_steps`` and ``env.wrappers`` applied.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import gymnasium as gym
import numpy as np

from advrun.config.errors import ConfigError
from advrun.envs.user_code import describe

CHECK_STEPS = 32
CHECK_SEED = 0


class EnvCheckFailed(ConfigError):
    """The env breaks the gymnasium API; ``check`` and ``where`` say how and when."""

    def __init__(self, key: str, env_name: str, check: str, where: str, detail: str) -> None:
        self.check = check
        self.where = where
        super().__init__(
            key,
            f"env {env_name!r} failed the check `{check}` {where}: {detail}",
            "fix the env so it follows the gymnasium API (README: 'Your own environment' "
            "says what each check means), or skip the checks with env.check=false.",
        )


@contextmanager
def _global_rng_kept() -> Iterator[None]:
    """Envs that draw from the global ``random``/``numpy`` generators must not shift
    the run's random stream: ``env.check=false`` trains exactly as ``true``."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def _type_name(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"ndarray(shape={x.shape}, dtype={x.dtype})"
    return type(x).__name__


def obs_problem(space: gym.Space, obs: Any, path: str = "observation") -> str | None:
    """Why ``obs`` is not a valid member of ``space`` (None when it is)."""
    if isinstance(space, gym.spaces.Dict):
        if not isinstance(obs, dict) or set(obs) != set(space.spaces):
            keys = sorted(obs) if isinstance(obs, dict) else _type_name(obs)
            return f"{path} has keys {keys}, the Dict space has {sorted(space.spaces)}."
        for k, sub in space.spaces.items():
            found = obs_problem(sub, obs[k], f"{path}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(space, gym.spaces.Tuple):
        if not isinstance(obs, tuple) or len(obs) != len(space.spaces):
            return f"{path} is {_type_name(obs)}, the Tuple space has {len(space.spaces)} items."
        for i, (sub, item) in enumerate(zip(space.spaces, obs, strict=True)):
            found = obs_problem(sub, item, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(space, gym.spaces.Box):
        return _box_problem(space, obs, path)
    if not space.contains(obs):
        return f"{path} {obs!r} ({_type_name(obs)}) is not in {space}."
    return None


def _box_problem(space: gym.spaces.Box, obs: Any, path: str) -> str | None:
    if not isinstance(obs, np.ndarray):
        return f"{path} is a {_type_name(obs)}, expected a numpy array of dtype {space.dtype}."
    if obs.shape != space.shape:
        return f"{path} has shape {obs.shape}, the space has shape {space.shape}."
    if obs.dtype != space.dtype:
        return (
            f"{path} has dtype {obs.dtype}, the space has dtype {space.dtype} (return "
            f"np.asarray(obs, dtype=np.{space.dtype}) or declare the space with "
            f"dtype=np.{obs.dtype})."
        )
    if obs.dtype.kind == "f" and not np.all(np.isfinite(obs)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(obs))[0])
        return f"{path} is not finite at index {bad}: {obs[bad]}."
    outside = (obs < space.low) | (obs > space.high)
    if np.any(outside):
        i = tuple(int(j) for j in np.argwhere(outside)[0])
        return (
            f"{path} is outside the space's bounds at index {i}: {obs[i]} is not in "
            f"[{space.low[i]}, {space.high[i]}]."
        )
    return None


def reward_problem(reward: Any) -> str | None:
    """Why ``reward`` is not a finite scalar (None when it is)."""
    scalar = isinstance(reward, (int, float, np.integer, np.floating)) or (
        isinstance(reward, np.ndarray) and reward.ndim == 0 and reward.dtype.kind in "iuf"
    )
    if not scalar:
        return f"reward is a {_type_name(reward)}, expected a scalar (a float)."
    if not math.isfinite(float(reward)):
        return f"reward is {float(reward)}."
    return None


class _Checker:
    """Runs the checks on one env and raises :class:`EnvCheckFailed` at the first
    problem; ``step`` counts ``env.step`` calls since the check started."""

    def __init__(self, env: gym.Env, name: str, key: str) -> None:
        self.env, self.name, self.key = env, name, key
        self.step_count = 0

    def fail(self, check: str, where: str, detail: str) -> NoReturn:
        raise EnvCheckFailed(self.key, self.name, check, where, detail)

    def call(self, fn: Any, check: str, where: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            self.fail(check, where, f"it raised {describe(err)}.")

    def reset(self, env: gym.Env, where: str) -> Any:
        check = "reset returns (obs, info)"
        result = self.call(env.reset, check, where, seed=CHECK_SEED)
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            self.fail(
                check,
                where,
                f"reset returned {_type_name(result)}"
                + (f" of length {len(result)}" if isinstance(result, tuple) else "")
                + "; gymnasium's reset(seed=None, options=None) returns (obs, info: dict).",
            )
        return result[0]

    def step(self, env: gym.Env, action: Any, where: str) -> tuple[Any, ...]:
        check = "step returns 5 values"
        result = self.call(env.step, check, where, action)
        if isinstance(result, tuple) and len(result) == 4:
            self.fail(
                check,
                where,
                "step returned the old 4-tuple (obs, reward, done, info) of gym < 0.26; "
                "gymnasium's step returns (obs, reward, terminated, truncated, info).",
            )
        if not (isinstance(result, tuple) and len(result) == 5):
            self.fail(
                check,
                where,
                f"step returned {_type_name(result)}; expected "
                "(obs, reward, terminated, truncated, info).",
            )
        return result

    def check_spaces(self) -> None:
        for attr in ("observation_space", "action_space"):
            space = getattr(self.env, attr, None)
            if not isinstance(space, gym.spaces.Space):
                self.fail(
                    "spaces are gymnasium spaces",
                    "before reset",
                    f"env.{attr} is {_type_name(space)}, expected a gymnasium.spaces.Space.",
                )

    def api_shape(self) -> None:
        """reset and one step on the unwrapped env: the 4-tuple API is named as such
        instead of failing inside TimeLimit's unpacking."""
        base = self.env.unwrapped
        self.reset(base, "at the first reset")
        base.action_space.seed(CHECK_SEED)
        self.step(base, base.action_space.sample(), "at step 1")

    def check_obs(self, obs: Any, where: str) -> None:
        found = obs_problem(self.env.observation_space, obs)
        if found:
            self.fail("observation in observation_space", where, found)

    def play(self, steps: int) -> None:
        env = self.env
        self.check_obs(self.reset(env, "at the first reset"), "at the first reset")
        env.action_space.seed(CHECK_SEED)
        for k in range(1, steps + 1):
            where = f"at step {k}"
            obs, reward, terminated, truncated, info = self.step(
                env, env.action_space.sample(), where
            )
            self.check_obs(obs, where)
            found = reward_problem(reward)
            if found:
                self.fail("reward is a finite scalar", where, found)
            for flag, value in (("terminated", terminated), ("truncated", truncated)):
                if not isinstance(value, (bool, np.bool_)):
                    self.fail(
                        "terminated and truncated are booleans",
                        where,
                        f"{flag} is a {_type_name(value)}, expected a bool.",
                    )
            if not isinstance(info, dict):
                self.fail("info is a dict", where, f"info is a {_type_name(info)}.")
            if terminated or truncated:
                where = f"at the reset after step {k}"
                self.check_obs(self.reset(env, where), where)


def check_env(env: gym.Env, name: str, key: str = "env.id", *, steps: int = CHECK_STEPS) -> None:
    """Play ``env`` for one reset and ``steps`` random actions; raise EnvCheckFailed
    (a ConfigError on ``key``, naming ``name``, the check and the step) at the first
    API violation. The global RNGs are left as they were."""
    with _global_rng_kept():
        checker = _Checker(env, name, key)
        checker.check_spaces()
        checker.api_shape()
        checker.play(steps)
