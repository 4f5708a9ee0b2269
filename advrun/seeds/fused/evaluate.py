"""Evaluate several agents at once: each plays one episode per sub-env of its own eval
env, reset with the seed its single run would use, and one batched forward per step
serves all of them (:class:`~advrun.seeds.fused.model.StackedActorCritic`). Each
agent's loop is :func:`advrun.training.evaluate.evaluate`'s: undiscounted returns of
the first episode per sub-env, stepping the agent's envs until all of them finished.
An agent whose env fails gets the exception instead of its returns.

Where the agents' eval envs can be stepped as one (:class:`~advrun.collect.joint.
JointStep`: gymnasium's CartPole, advrun's torch-native envs), a step of all the agents
still playing is one call, and their tallies are one ``[K, episodes]`` tensor: the
same sums of the same rewards, so the same returns as the agent-by-agent loop.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from advrun.collect.adapters import EnvAdapter
from advrun.collect.joint import JointStep
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
    live = [i for i in range(k) if results[i] is None]
    joint = JointStep.build(envs) if len(live) == k else None
    if joint is not None:
        outcome = _evaluate_joint(stack, joint, obs, generators, deterministic, timing)
        if outcome is not None:
            return outcome
        obs = [env.reset(seed) for env, seed in zip(envs, seeds, strict=True)]  # start over
    tallies = [FirstEpisodeReturns(e.num_envs, e.data_device) for e in envs]
    sub, sub_rows = stack.frozen(), list(range(k))
    device = stack.params["policy_head.weight"].device
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        if live != sub_rows:  # only the agents still playing run the network
            sub, sub_rows = stack.subset(live).frozen(), list(live)
        out = sub.policy(torch.stack([obs[i] for i in live]).to(device))
        actions = sub.actions(out, [generators[i] for i in live], deterministic)
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


def _evaluate_joint(
    stack: StackedActorCritic,
    joint: JointStep,
    obs: list[torch.Tensor],
    generators: list[torch.Generator],
    deterministic: bool,
    timing: dict[str, float] | None,
) -> list[np.ndarray | BaseException] | None:
    """:func:`evaluate_stacked` with one joint env step per step (module docstring);
    None if a joint step refused its actions (nothing moved: the caller starts over
    agent by agent)."""
    k, n = len(obs), joint.num_envs
    results: list[np.ndarray | BaseException | None] = [None] * k
    data = joint.data_device
    # FirstEpisodeReturns' float64 sums, one row per agent: in numpy on the host (a third
    # of torch's per-call cost on arrays this small), in torch on an accelerator.
    host = _host(data)
    xp: Any = np if host else torch
    returns = xp.zeros((k, n), dtype=xp.float64, **({} if host else {"device": data}))
    finished = xp.zeros(
        (k, n), dtype=xp.bool_ if host else torch.bool, **({} if host else {"device": data})
    )
    live = list(range(k))
    rows = _index(live, data)  # the live agents' rows, remade when one ends
    sub, sub_rows = stack.frozen(), list(live)
    device = stack.params["policy_head.weight"].device
    x = torch.stack(obs)
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        if live != sub_rows:
            sub, sub_rows = stack.subset(live).frozen(), list(live)
        out = sub.policy(x.to(device))
        actions = sub.actions(out, [generators[i] for i in live], deterministic)
        clock = time.perf_counter()
        try:
            # Only each env's first episode counts, so no env needs its reset.
            step, faults = joint.step(
                actions.reshape(-1, *actions.shape[2:]), live, autoreset=False
            )
        except Exception:
            return None
        next_obs, reward, term, trunc = (a.reshape(len(live), n, *a.shape[1:]) for a in step)
        if host:
            reward, term, trunc = reward.numpy(), term.numpy(), trunc.numpy()
        if len(rows) != len(live):
            rows = _index(live, data)
        done = finished[rows]
        returns[rows] += xp.where(done, 0.0, reward)
        done |= term | trunc
        finished[rows] = done
        over = done.all(axis=1).tolist()
        for j, err in faults.items():
            over[j] = True
            results[live[j]] = err
        for j, ended in enumerate(over):
            if ended and results[live[j]] is None:
                own = returns[live[j]]
                results[live[j]] = own.copy() if host else own.cpu().numpy()
        if any(over):
            keep = [j for j, ended in enumerate(over) if not ended]
            live = [live[j] for j in keep]
            next_obs = next_obs[keep]
        x = next_obs
        if timing is not None:
            key = "env steps (eval)"
            timing[key] = timing.get(key, 0.0) + time.perf_counter() - clock
    for i in live:
        results[i] = unfinished(joint.num_envs)
    return [r for r in results if r is not None]


def _host(data: torch.device) -> bool:
    """Whether the joint evaluation tallies in numpy (env outputs on the host)."""
    return data.type == "cpu"


def _index(rows: list[int], data: torch.device) -> np.ndarray | torch.Tensor:
    return np.asarray(rows) if _host(data) else torch.tensor(rows, device=data)
