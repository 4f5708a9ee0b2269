"""Several agents' :class:`~advrun.collect.adapters.GymAdapter` s stepped as one.

Where every adapter wraps a vector env that :func:`advrun.envs.joint.joint_stepper`
can step jointly (gymnasium's native CartPole today), one call steps them all: the
actions of the stepped adapters side by side go in, their outputs side by side come
out, with the adapter's own conversion; :meth:`JointGymStep.faults` then checks for
NaN/inf once over the whole and names the members whose envs gave one. The
seeds batch uses it for its training envs (advrun.seeds.fused.collect) and its
evaluation (advrun.seeds.fused.evaluate); anything else steps adapter by adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import Tensor

from advrun.collect.adapters import GymAdapter, check_env_output
from advrun.envs.joint import JointCartPole, joint_stepper

__all__ = ["JointGymStep"]


class JointGymStep:
    """``step(actions, members)`` over same-sized adapters (module docstring)."""

    def __init__(self, adapters: Sequence[GymAdapter], stepper: JointCartPole) -> None:
        self.adapters = list(adapters)
        self.stepper = stepper
        self.num_envs = adapters[0].num_envs

    @classmethod
    def build(cls, adapters: Sequence[object]) -> JointGymStep | None:
        """The joint step for ``adapters``, or None where they cannot share one (not all
        plain numpy-env adapters of one size, or no joint stepper for their envs)."""
        if len(adapters) < 2 or any(
            type(a) is not GymAdapter or a.layout is not None for a in adapters
        ):
            return None
        gym_adapters = [a for a in adapters if isinstance(a, GymAdapter)]
        if len({a.num_envs for a in gym_adapters}) != 1:
            return None
        stepper = joint_stepper([a.envs for a in gym_adapters])
        return cls(gym_adapters, stepper) if stepper is not None else None

    def step(
        self, actions: Tensor, members: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(obs, reward float64, terminated, truncated)`` as numpy arrays, the
        members' envs side by side (all adapters by default). Raises before any env
        moves where the actions are invalid; NaN/inf are for :meth:`faults`."""
        chosen = self.adapters if members is None else [self.adapters[i] for i in members]
        obs, reward, term, trunc = self.stepper.step(chosen[0].to_env_action(actions), members)
        for adapter in chosen:
            adapter._step += 1
        return obs, reward.astype(np.float64), term, trunc

    def faults(
        self, obs: np.ndarray, reward: np.ndarray, members: Sequence[int] | None = None
    ) -> dict[int, BaseException]:
        """Position (among the stepped members) -> the NonFiniteEnvOutput its adapter
        would have raised for this step's output; empty when all is finite."""
        if np.isfinite(obs).all() and np.isfinite(reward).all():
            return {}
        chosen = self.adapters if members is None else [self.adapters[i] for i in members]
        out: dict[int, BaseException] = {}
        n = self.num_envs
        for j, adapter in enumerate(chosen):
            cols = slice(j * n, (j + 1) * n)
            try:
                check_env_output(obs[cols], reward[cols], adapter._step)
            except Exception as err:
                out[j] = err
        return out
