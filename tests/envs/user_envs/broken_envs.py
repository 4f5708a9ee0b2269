"""Envs that break the gymnasium API, one way each, for advrun's env checker.

Importable as ``broken_envs`` with this folder on PYTHONPATH (as a user's module would
be). Each bug shows at a known point so the message's step can be asserted: the
observation bugs from the first reset, the reward bugs and the out-of-bounds
observation at step 3. ``scripts/bad_inputs.py`` trains on each through the console
script; ``tests/envs/test_env_check.py`` checks them one by one.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

BUG_STEP = 3


class Walker(gym.Env):
    """A correct env (obs = [step / 10] in [0, 1], reward 1, 10 steps) that turns
    buggy in the way ``bug`` names."""

    def __init__(self, bug: str | None = None) -> None:
        self.bug = bug
        self.observation_space = gym.spaces.Box(0.0, 1.0, (2,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def _obs(self) -> Any:
        obs = np.array([self.t / 10, 0.5], dtype=np.float32)
        if self.bug == "dtype":
            return obs.astype(np.float64)
        if self.bug == "shape":
            return obs[:1]
        if self.bug == "out_of_bounds" and self.t >= BUG_STEP:
            return obs + 2.0
        return obs

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        super().reset(seed=seed)
        self.t = 0
        if self.bug == "old_reset":
            return self._obs()  # gym < 0.26: obs only
        return self._obs(), {}

    def step(self, action: int) -> Any:
        self.t += 1
        reward: Any = 1.0
        if self.bug == "nan_reward" and self.t >= BUG_STEP:
            reward = float("nan")
        if self.bug == "array_reward" and self.t >= BUG_STEP:
            reward = np.array([1.0])
        done = self.t >= 10
        if self.bug == "old_step":
            return self._obs(), reward, done, {}  # gym < 0.26: one done flag
        return self._obs(), reward, done, False, {}


BUGS = ("dtype", "shape", "out_of_bounds", "nan_reward", "array_reward", "old_step", "old_reset")
IDS = {bug: f"Broken-{bug.replace('_', '')}-v0" for bug in BUGS}
for _bug, _id in IDS.items():
    gym.register(_id, entry_point=Walker, kwargs={"bug": _bug})


def make_walker(bug: str | None = None) -> Walker:
    """Factory for ``env.make=broken_envs:make_walker`` (``env.kwargs.bug=...``)."""
    return Walker(bug)


def make_not_an_env() -> object:
    """A factory that forgets to return the env."""
    return None


def forget_to_return(env: gym.Env) -> None:
    """A wrapper function (``env.wrappers=[broken_envs.forget_to_return]``) that
    forgets to return the wrapped env."""
