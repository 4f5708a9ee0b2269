"""Evaluate several agents at once: each plays one episode per sub-env of its own eval
env, reset with the seed its single run would use, and one batched forward per step
serves all of them (:class:`~advrun.seeds.fused.model.StackedActorCritic`). Each
agent's loop is :func:`advrun.training.evaluate.evaluate`'s: undiscounted returns of
the first episode per sub-env, stepping the agent's envs until all of them finished.
An agent whose env fails gets the exception instead of its returns.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from advrun.collect.adapters import EnvAdapter
from advrun.seeds.fused.model import StackedActorCritic
from advrun.training.evaluate import MAX_EVAL_STEPS, FirstEpisodeReturns, unfinished

__all__ = ["evaluate_stacked"]


@torch.no_grad()
def evaluate_stacked(
    stack: StackedActorCritic,
    envs: list[EnvAdapter],
    seeds: list[int],
    generators: list[torch.Generator],
    deterministic: bool,
    timing: dict[str, float] | None = None,
) -> list[np.ndarray | BaseException]:
    """Per agent of ``stack`` (in order): its returns ``[episodes]``, or its fault.
    ``timing["env steps (eval)"]`` accumulates the seconds spent in the envs' steps."""
    k = len(envs)
    results: list[np.ndarray | BaseException | None] = [None] * k
    obs: list[torch.Tensor] = []
    for i, (env, seed) in enumerate(zip(envs, seeds, strict=True)):
        try:
            obs.append(env.reset(seed))
        except Exception as err:
            results[i] = err
            obs.append(torch.zeros((env.num_envs, *env.obs_shape), dtype=env.obs_dtype))
    tallies = [FirstEpisodeReturns(e.num_envs, e.data_device) for e in envs]
    live = [i for i in range(k) if results[i] is None]
    sub, sub_rows = stack, list(range(k))
    device = stack.params["policy_head.weight"].device
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        if live != sub_rows:  # only the agents still playing run the network
            sub, sub_rows = stack.subset(live), list(live)
        out = sub.policy(torch.stack([obs[i] for i in live]).to(device))
        actions, _ = sub.sample(out, [generators[i] for i in live], deterministic)
        clock = time.perf_counter()
        for j, i in enumerate(list(live)):
            try:
                obs[i], reward, term, trunc = envs[i].step(actions[j])
            except Exception as err:
                results[i] = err
                live.remove(i)
                continue
            if tallies[i].add(reward, term, trunc):
                results[i] = tallies[i].result()
                live.remove(i)
        if timing is not None:
            key = "env steps (eval)"
            timing[key] = timing.get(key, 0.0) + time.perf_counter() - clock
    for i in live:
        results[i] = unfinished(envs[i].num_envs)
    return [r for r in results if r is not None]
