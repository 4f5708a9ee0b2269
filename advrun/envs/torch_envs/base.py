"""Shared machinery of the torch-native batched envs: NEXT_STEP autoreset, time limit,
masked resets, seeding and checkpointable state.

A subclass supplies only the physics of one sub-env written over a batch:

* :meth:`TorchVectorEnv._sample_initial_state` — ``[n, state_dim]`` draws from the
  env's ``torch.Generator`` (same distributions as gymnasium's ``reset``);
* :meth:`TorchVectorEnv._dynamics` — ``(state, action) -> (next_state, reward,
  terminated)`` for every sub-env at once;
* :meth:`TorchVectorEnv._observe` — ``state -> observation``.

One :meth:`~TorchVectorEnv.step` then does, for all ``N`` sub-envs, with no Python loop
over envs (and, on CUDA, no host synchronisation):

.. code-block:: text

    s', r, term = dynamics(s, a)                    # every env, action or not
    s           = where(autoreset, s0 ~ initial, s')  # NEXT_STEP: reset the envs that
    elapsed     = where(autoreset, 0, elapsed + 1)  #   ended on the previous step
    r           = where(autoreset, 0, r)            # dummy transition: reward 0,
    term        = term & ~autoreset                 #   no flags, action ignored
    trunc       = elapsed >= max_episode_steps
    autoreset   = term | trunc

``trunc`` follows gymnasium's ``TimeLimit``: it is set when the episode's step count
reaches ``max_episode_steps`` whether or not the env also terminated on that step.
Where the fresh initial states ``s0`` come from depends on the device (see
:meth:`TorchVectorEnv._reset_rows`); either way a run is reproducible from its seed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

_NUMPY_DTYPES: dict[torch.dtype, type[np.floating]] = {
    torch.float32: np.float32,
    torch.float64: np.float64,
}


def numpy_dtype(dtype: torch.dtype) -> type[np.floating]:
    """The numpy dtype matching a supported torch float dtype (float32 / float64)."""
    try:
        return _NUMPY_DTYPES[dtype]
    except KeyError:
        raise ValueError(
            f"unsupported dtype {dtype}; torch envs run in torch.float32 or torch.float64"
        ) from None


class TorchVectorEnv(gym.vector.VectorEnv):
    """Base class: ``num_envs`` copies of one env, stepped together on ``device``.

    Attributes (all on ``device``):
        state: ``[N, state_dim]`` physics state in ``dtype``.
        elapsed: ``[N]`` int64 steps taken in the current episode.
        autoreset: ``[N]`` bool, True where the previous step ended the episode, so the
            next step resets that sub-env.
        generator: the ``torch.Generator`` that draws initial states.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "autoreset_mode": AutoresetMode.NEXT_STEP,
        "render_modes": [],
    }
    #: gymnasium id this env reimplements; also the registry key.
    env_id: ClassVar[str]
    #: width of the physics state.
    state_dim: ClassVar[int]
    #: gymnasium's registered ``max_episode_steps`` for ``env_id``.
    default_max_episode_steps: ClassVar[int]

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        max_episode_steps: int | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = int(num_envs)
        self.device = torch.device(device)
        self.dtype = dtype
        self.np_dtype = numpy_dtype(dtype)
        steps = self.default_max_episode_steps if max_episode_steps is None else max_episode_steps
        if steps < 1:
            raise ValueError(f"max_episode_steps must be >= 1, got {steps}")
        self.max_episode_steps = int(steps)

        self.single_observation_space = self._make_observation_space()
        self.single_action_space = self._make_action_space()
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self.generator = torch.Generator(device=self.device)
        #: draw initial states for all rows on every step (sync-free; see _reset_rows).
        self.draw_all_rows = self.device.type != "cpu"
        self._seeded = False
        n = self.num_envs
        self.state = torch.zeros(n, self.state_dim, device=self.device, dtype=dtype)
        self.elapsed = torch.zeros(n, device=self.device, dtype=torch.int64)
        self.autoreset = torch.zeros(n, device=self.device, dtype=torch.bool)

    # ------------------------------------------------------------------ physics hooks
    def _make_observation_space(self) -> gym.spaces.Box:
        raise NotImplementedError

    def _make_action_space(self) -> gym.Space:
        raise NotImplementedError

    def _sample_initial_state(self, n: int) -> torch.Tensor:
        """``[n, state_dim]`` initial states drawn from :attr:`generator`."""
        raise NotImplementedError

    def _dynamics(
        self, state: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step of every sub-env: ``(next_state, reward [N], terminated [N])``.

        ``next_state`` must be a new tensor (the base class may write into it)."""
        raise NotImplementedError

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        """Observation ``[N, obs_dim]`` of a state batch."""
        raise NotImplementedError

    def _to_action(self, actions: torch.Tensor | np.ndarray | Any) -> torch.Tensor:
        """Discrete actions as an int64 ``[N]`` tensor on the device (override for Box)."""
        a = torch.as_tensor(actions, device=self.device)
        if a.dtype != torch.int64:
            a = a.to(torch.int64)
        return a.reshape(self.num_envs)

    # ------------------------------------------------------------------ helpers
    def _reset_rows(self, state: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``state`` with the rows where ``mask`` is set replaced by fresh initial states.

        With :attr:`draw_all_rows` (the default off the CPU) every row draws a fresh
        state and :func:`torch.where` keeps the masked ones: no host synchronisation and
        a fixed amount of generator use per call. Otherwise (the CPU default) only the
        masked rows draw, through one ``nonzero`` (a sync that costs nothing on CPU),
        several times cheaper than drawing ``N`` rows; ``state`` may be written in place.
        """
        if not self.draw_all_rows:
            rows = mask.nonzero().squeeze(1)
            if rows.numel():
                state[rows] = self._sample_initial_state(rows.numel())
            return state
        fresh = self._sample_initial_state(self.num_envs)
        return torch.where(mask[:, None], fresh, state)

    def _uniform(self, n: int, low: torch.Tensor | float, high: torch.Tensor | float, width: int):
        """``[n, width]`` draws of ``U(low, high)`` from :attr:`generator`."""
        u = torch.rand(n, width, generator=self.generator, device=self.device, dtype=self.dtype)
        return low + (high - low) * u

    def _const(self, values: list[float]) -> torch.Tensor:
        return torch.tensor(values, device=self.device, dtype=self.dtype)

    # ------------------------------------------------------------------ gymnasium API
    @torch.no_grad()
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Reset sub-envs and return ``(obs [N, obs_dim], {})``.

        ``seed`` reseeds the generator; with ``seed=None`` the generator continues its
        stream (and on the very first reset is seeded from fresh entropy, like gymnasium).
        ``options={"reset_mask": bool [N]}`` resets only the masked sub-envs.
        """
        if seed is not None:
            self.generator.manual_seed(int(seed))
            self._seeded = True
        elif not self._seeded:
            self.generator.seed()
            self._seeded = True
        mask = None if options is None else options.get("reset_mask")
        if mask is None:
            self.state = self._sample_initial_state(self.num_envs)
            self.elapsed = torch.zeros_like(self.elapsed)
            self.autoreset = torch.zeros_like(self.autoreset)
        else:
            m = torch.as_tensor(mask, device=self.device, dtype=torch.bool).reshape(self.num_envs)
            self.state = self._reset_rows(self.state.clone(), m)
            self.elapsed = self.elapsed.masked_fill(m, 0)
            self.autoreset = self.autoreset & ~m
        return self._observe(self.state), {}

    @torch.no_grad()
    def step(
        self, actions: torch.Tensor | np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Step every sub-env; NEXT_STEP autoreset (see the module docstring).

        Returns ``(obs [N, obs_dim], reward [N] dtype, terminated [N] bool,
        truncated [N] bool, {})``, all on the device.
        """
        action = self._to_action(actions)
        next_state, reward, terminated = self._dynamics(self.state, action)
        resetting = self.autoreset
        self.state = self._reset_rows(next_state, resetting)
        self.elapsed = (self.elapsed + 1).masked_fill_(resetting, 0)
        reward = reward.masked_fill(resetting, 0.0)
        terminated = terminated & ~resetting
        # A resetting env has elapsed == 0 < max_episode_steps, so it is never truncated.
        truncated = self.elapsed >= self.max_episode_steps
        self.autoreset = terminated | truncated
        return self._observe(self.state), reward, terminated, truncated, {}

    # ------------------------------------------------------------------ state access
    def set_state(self, states: torch.Tensor | np.ndarray) -> None:
        """Overwrite the physics state (``[N, state_dim]`` or ``[state_dim]`` when
        ``num_envs == 1``); ``elapsed`` and ``autoreset`` are left as they are."""
        s = torch.as_tensor(states, device=self.device, dtype=self.dtype)
        self.state = s.reshape(self.num_envs, self.state_dim).clone()

    def state_dict(self) -> dict[str, torch.Tensor | int]:
        """Everything needed to continue bit-identically (tensors are copies)."""
        return {
            "num_envs": self.num_envs,
            "max_episode_steps": self.max_episode_steps,
            "state": self.state.clone(),
            "elapsed": self.elapsed.clone(),
            "autoreset": self.autoreset.clone(),
            "generator": self.generator.get_state(),
            "seeded": int(self._seeded),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor | int]) -> None:
        """Restore :meth:`state_dict` (tensors may come from another device)."""
        if int(state["num_envs"]) != self.num_envs:
            raise ValueError(
                f"state_dict is for {state['num_envs']} envs, this env has {self.num_envs}"
            )
        self.max_episode_steps = int(state["max_episode_steps"])
        self.set_state(state["state"])
        self.elapsed = torch.as_tensor(state["elapsed"], device=self.device).to(torch.int64)
        self.autoreset = torch.as_tensor(state["autoreset"], device=self.device).to(torch.bool)
        gen_state = state["generator"]
        assert isinstance(gen_state, torch.Tensor)
        self.generator.set_state(gen_state.cpu())
        self._seeded = bool(state.get("seeded", True))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.env_id}, num_envs={self.num_envs}, "
            f"device={self.device}, dtype={self.dtype})"
        )
