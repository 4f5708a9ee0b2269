"""Evaluation: play a policy on dedicated vector envs, one episode per sub-env.

Each sub-env contributes its first complete episode, so N episodes cost about one
episode's worth of batched forward passes. The training envs are never touched, so
evaluation does not perturb the training trajectory. The envs sit behind the same
:class:`~advrun.collect.adapters.EnvAdapter` as training (numpy or torch at the edge).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from advrun.collect.adapters import EnvAdapter

# Safety valve for envs without a time limit.
MAX_EVAL_STEPS = 100_000


class RecurrentEvalPolicy:
    """``obs -> actions`` for a recurrent model, carrying its state between calls.

    The first call starts every env from a zero state (the envs were just reset);
    later calls continue it. Evaluation counts each env's first episode only, so no
    further resets are needed: make a fresh policy per evaluation round."""

    def __init__(self, model: nn.Module, deterministic: bool = True) -> None:
        self.model = model
        self.deterministic = deterministic
        self.state: Tensor | None = None

    @torch.no_grad()
    def __call__(self, obs: Tensor) -> Tensor:
        n = obs.shape[0]
        first = self.state is None
        if self.state is None:
            self.state = self.model.initial_state(n, obs.device)
        starts = torch.full((n,), first, dtype=torch.bool, device=obs.device)
        action, _, _, self.state = self.model.act(obs, self.state, starts, self.deterministic)
        return action


class FirstEpisodeReturns:
    """The undiscounted return of each sub-env's first episode, one step at a time (the
    sub-envs go on, auto-resetting, until the last one has finished)."""

    def __init__(self, num_envs: int, device: torch.device) -> None:
        self.returns = torch.zeros(num_envs, dtype=torch.float64, device=device)
        self.finished = torch.zeros(num_envs, dtype=torch.bool, device=device)

    def add(self, reward: Tensor, terminated: Tensor, truncated: Tensor) -> bool:
        """Count one step of every sub-env; True once all have finished an episode."""
        self.returns += torch.where(self.finished, 0.0, reward)
        self.finished |= terminated | truncated
        return bool(self.finished.all())

    def count(self) -> int:
        """How many sub-envs have finished their episode."""
        return int(self.finished.sum())

    def result(self) -> np.ndarray:
        return self.returns.cpu().numpy()


def unfinished(num_envs: int) -> RuntimeError:
    """The error for an evaluation that hit :data:`MAX_EVAL_STEPS`."""
    return RuntimeError(
        f"evaluation did not finish {num_envs} episodes in {MAX_EVAL_STEPS} steps; "
        "set env.max_episode_steps"
    )


def model_policy(model: nn.Module, deterministic: bool = True) -> Callable[[Tensor], Tensor]:
    """A fresh evaluation policy for ``model``: stateful for a recurrent actor-critic,
    greedy for a Q-network (``act(obs)``), else ``act(obs, deterministic)[0]``."""
    if getattr(model, "recurrent", False):
        return RecurrentEvalPolicy(model, deterministic)
    from advrun.networks import QNetwork

    if isinstance(model, QNetwork):  # value-based: always greedy
        return model.act
    from advrun.networks.direct import direct_policy

    direct = direct_policy(model, deterministic)  # policy_action's kernels, called directly
    if direct is not None:
        return direct
    policy_action = getattr(model, "policy_action", None)
    if policy_action is not None:  # the actor alone (ActorCritic)
        return lambda obs: policy_action(obs, deterministic)
    return lambda obs: model.act(obs, deterministic=deterministic)[0]  # type: ignore[operator]


@torch.no_grad()
def evaluate(
    policy: Callable[[Tensor], Tensor],
    env: EnvAdapter,
    *,
    seed: int,
    module: nn.Module | None = None,
    on_episode: Callable[[int], None] | None = None,
) -> np.ndarray:
    """The undiscounted return of one episode per sub-env of ``env``, playing
    ``policy(obs) -> actions``. ``module`` (the policy's network) is put in eval mode
    meanwhile; ``on_episode(done)`` is called whenever the number of finished episodes
    grows (progress display)."""
    obs = env.reset(seed)
    tally = FirstEpisodeReturns(env.num_envs, env.data_device)
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    reported = 0
    try:
        for _ in range(MAX_EVAL_STEPS):
            obs, reward, term, trunc = env.step(policy(obs))
            all_done = tally.add(reward, term, trunc)
            if on_episode is not None:
                done = tally.count()
                if done != reported:
                    reported = done
                    on_episode(done)
            if all_done:
                break
        else:
            raise unfinished(env.num_envs)
    finally:
        if module is not None:
            module.train(was_training)
    return tally.result()
