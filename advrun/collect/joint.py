"""Several agents' env adapters stepped as one.

Where every adapter wraps a vector env that :func:`advrun.envs.joint.joint_stepper`
can step jointly (gymnasium's native CartPole; advrun's torch-native envs), one call
steps them all: the actions of the stepped adapters side by side go in, their outputs
side by side come out as an adapter's :data:`~advrun.collect.adapters.Step` (the same
conversions), with the NaN/inf check a numpy adapter makes per step done once over the
whole and the faulty members named (torch envs are checked per rollout, as alone). The
seeds batch uses it for its training envs (advrun.seeds.fused.collect) and its
evaluation (advrun.seeds.fused.evaluate); anything else steps adapter by adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from advrun.collect.adapters import EnvAdapter, GymAdapter, Step, TorchAdapter, check_env_output
from advrun.envs.joint import JointCartPole, JointTorch, joint_stepper

__all__ = ["JointStep"]


class JointStep:
    """``step(actions, members)`` over same-sized adapters (module docstring)."""

    def __init__(self, adapters: Sequence[EnvAdapter], stepper: JointCartPole | JointTorch) -> None:
        self.adapters = list(adapters)
        self.stepper = stepper
        self.num_envs = adapters[0].num_envs
        self.device = adapters[0].device
        self.data_device = adapters[0].data_device

    @classmethod
    def build(cls, adapters: Sequence[EnvAdapter]) -> JointStep | None:
        """The joint step for ``adapters``, or None where they cannot share one (none,
        not all plain adapters of one kind and size, or no joint stepper for their
        envs). One adapter is served too: the batch's last agent keeps the joint path's
        numpy tallies and leaner step (advrun.seeds.fused.evaluate)."""
        if not adapters:
            return None
        kind = type(adapters[0])
        if kind not in (GymAdapter, TorchAdapter) or any(
            type(a) is not kind or a.layout is not None or a.device != adapters[0].device
            for a in adapters
        ):
            return None
        if len({a.num_envs for a in adapters}) != 1:
            return None
        stepper = joint_stepper([a.envs for a in adapters])
        return cls(adapters, stepper) if stepper is not None else None

    def step(
        self, actions: torch.Tensor, members: Sequence[int] | None = None, autoreset: bool = True
    ) -> tuple[Step, dict[int, BaseException]]:
        """The members' (all adapters by default) step side by side, and position
        (among them) -> the NonFiniteEnvOutput its own adapter would have raised. Raises
        before any env moves where the actions do not fit. ``autoreset=False``: an env
        whose episode ended is not reset (:meth:`JointCartPole.step`,
        :meth:`JointTorch.step`; evaluation)."""
        chosen = self.adapters if members is None else [self.adapters[i] for i in members]
        env_actions = chosen[0].to_env_action(actions)
        obs, reward, term, trunc = self.stepper.step(env_actions, members, autoreset)
        if isinstance(self.stepper, JointTorch):  # TorchAdapter.step's conversions
            return (obs.to(dtype=torch.float32), reward.to(torch.float64), term, trunc), {}
        for adapter in chosen:
            adapter._step += 1
        reward = reward.astype(np.float64)
        faults = self._faults(chosen, obs, reward)
        step = (
            torch.from_numpy(obs).to(self.device, non_blocking=True),
            torch.from_numpy(reward),
            torch.from_numpy(term),
            torch.from_numpy(trunc),
        )
        return step, faults

    def _faults(
        self, chosen: list[EnvAdapter], obs: np.ndarray, reward: np.ndarray
    ) -> dict[int, BaseException]:
        if np.isfinite(obs).all() and np.isfinite(reward).all():
            return {}
        out: dict[int, BaseException] = {}
        n = self.num_envs
        for j, adapter in enumerate(chosen):
            cols = slice(j * n, (j + 1) * n)
            try:
                check_env_output(obs[cols], reward[cols], adapter._step)
            except Exception as err:
                out[j] = err
        return out
