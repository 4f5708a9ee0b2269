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
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from advrun.collect.adapters import EnvAdapter
from advrun.collect.joint import JointStep
from advrun.envs.joint import JointCartPole, binary
from advrun.seeds.fused.greedy import NumpyGreedy
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
        lean = isinstance(joint.stepper, JointCartPole) and _host(joint.data_device)
        play = _evaluate_cartpole if lean else _evaluate_joint
        outcome = play(stack, joint, obs, generators, deterministic, timing)
        if outcome is not None:
            return outcome
        obs = [env.reset(seed) for env, seed in zip(envs, seeds, strict=True)]  # start over
    tallies = [FirstEpisodeReturns(e.num_envs, e.data_device) for e in envs]
    policy = _Actions(stack, generators, deterministic)
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        actions = policy(torch.stack([obs[i] for i in live]), live)
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
        _env_time(timing, clock)
    for i in live:
        results[i] = unfinished(envs[i].num_envs)
    return [r for r in results if r is not None]


class _Actions:
    """The actions of the agents still playing (``live``, indices into the stack) for
    their observations ``[len(live), envs, ...]``: only they run the network, through a
    frozen copy of their rows made again when one of them ends."""

    def __init__(
        self, stack: StackedActorCritic, generators: list[torch.Generator], deterministic: bool
    ) -> None:
        self.stack, self.generators, self.deterministic = stack, generators, deterministic
        self.sub, self.rows = stack.frozen(), list(range(stack.k))
        self.device = stack.params["policy_head.weight"].device

    def __call__(self, obs: torch.Tensor, live: list[int]) -> torch.Tensor:
        if live != self.rows:
            self.sub, self.rows = self.stack.subset(live).frozen(), list(live)
        out = self.sub.policy(obs.to(self.device))
        return self.sub.actions(out, [self.generators[i] for i in live], self.deterministic)


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
    policy = _Actions(stack, generators, deterministic)
    x = torch.stack(obs)
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        actions = policy(x, live)
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
        _env_time(timing, clock)
    for i in live:
        results[i] = unfinished(joint.num_envs)
    return [r for r in results if r is not None]


def _evaluate_cartpole(
    stack: StackedActorCritic,
    joint: JointStep,
    obs: list[torch.Tensor],
    generators: list[torch.Generator],
    deterministic: bool,
    timing: dict[str, float] | None,
) -> list[np.ndarray | BaseException] | None:
    """:func:`_evaluate_joint` for gymnasium CartPoles with their physics called
    directly (:meth:`~advrun.envs.joint.JointCartPole.physics`). One joined float64
    state, with the tallies beside it, shrinks only when an agent ends, so none of a
    general step's per-call work is left: joining and splitting the envs' arrays, the
    env-by-env bookkeeping, the tensor wraps and the gathers and scatters of the live
    rows. It is the same arithmetic on the same numbers as
    :meth:`~advrun.envs.joint.JointCartPole.step` with ``autoreset=False``, so it gives
    the same returns (tests/seeds/fused/test_evaluate.py). None where it cannot serve (an
    action other than 0 or 1, a state that is not finite): the caller then starts over on
    the general path, which raises what a step would."""
    stepper = joint.stepper
    assert isinstance(stepper, JointCartPole)
    envs, adapters = stepper.envs, joint.adapters
    k, n = len(envs), joint.num_envs
    state = np.concatenate([e.state for e in envs], axis=1)  # [4, live agents x n]
    steps = np.concatenate([e.steps for e in envs])
    limit = stepper.c["max_episode_steps"]
    returns = np.zeros((k, n))  # the live agents' rows only, as the state's columns
    finished = np.zeros((k, n), dtype=bool)
    ended = np.zeros(k * n, dtype=bool)  # the last step's terminated | truncated
    results: list[np.ndarray | BaseException | None] = [None] * k
    live = list(range(k))
    choose = _cartpole_actions(stack, adapters[0], generators, deterministic)
    # [live agents, n, 4] float32 as the envs return them; the adapters hand them over on
    # the learner's device (a GPU with device=cuda), the loop keeps them on the host.
    x = torch.stack(obs).cpu().numpy()
    for _ in range(MAX_EVAL_STEPS):
        if not live:
            break
        act = choose(x, live)
        clock = time.perf_counter()
        if act is None or act.shape != steps.shape:
            return None
        state, terminated = stepper.physics(state, act)
        obs32 = state.T.astype(np.float32)  # the observations a step returns
        if not np.isfinite(obs32).all():
            return None
        steps += 1
        ended = terminated | (steps >= limit)
        for i in live:
            adapters[i]._step += 1
        m = len(live)
        reward = stepper.reward(terminated).astype(np.float64).reshape(m, n)
        returns += np.where(finished, 0.0, reward)
        finished |= ended.reshape(m, n)
        over = finished.all(axis=1)
        if over.any():
            for j in np.flatnonzero(over).tolist():
                results[live[j]] = returns[j].copy()
                _leave(envs[live[j]], state, steps, ended, j, n)
            keep = ~over
            cols = np.repeat(keep, n)
            state, steps, ended, obs32 = state[:, cols], steps[cols], ended[cols], obs32[cols]
            returns, finished = returns[keep], finished[keep]
            live = [i for i, kept in zip(live, keep.tolist(), strict=True) if kept]
        x = obs32.reshape(len(live), n, 4)
        _env_time(timing, clock)
    for j, i in enumerate(live):
        _leave(envs[i], state, steps, ended, j, n)
        results[i] = unfinished(n)
    return [r for r in results if r is not None]


def _cartpole_actions(
    stack: StackedActorCritic,
    adapter: EnvAdapter,
    generators: list[torch.Generator],
    deterministic: bool,
) -> Callable[[np.ndarray, list[int]], np.ndarray | None]:
    """The lean loop's policy: the live agents' env actions ``[live x n]`` for their
    observations ``[live, n, 4]``, or None for an action CartPole refuses. Greedy
    actions of a two-logit head come from :class:`~advrun.seeds.fused.greedy.NumpyGreedy`
    (argmax of two logits is 0 or 1, so nothing needs checking); otherwise the torch
    forward, the env adapter's conversion and the check."""
    greedy = NumpyGreedy.of(stack) if deterministic else None
    if greedy is not None and greedy.width == 2:
        return lambda obs, live: greedy.actions(obs, live).reshape(-1)
    policy = _Actions(stack, generators, deterministic)
    to_env = adapter.to_env_action

    def torch_actions(obs: np.ndarray, live: list[int]) -> np.ndarray | None:
        act = to_env(policy(torch.from_numpy(obs), live).reshape(-1))
        return act if binary(act) else None

    return torch_actions


def _leave(
    env: Any, state: np.ndarray, steps: np.ndarray, ended: np.ndarray, j: int, n: int
) -> None:
    """Hand live agent ``j``'s columns back to its env, as a joint step leaves them."""
    cols = slice(j * n, (j + 1) * n)
    env.state, env.steps = state[:, cols].copy(), steps[cols].copy()
    env.prev_done = ended[cols].copy()


def _env_time(timing: dict[str, float] | None, since: float) -> None:
    """Add the seconds since ``since`` to ``timing["env steps (eval)"]`` (if timed)."""
    if timing is not None:
        key = "env steps (eval)"
        timing[key] = timing.get(key, 0.0) + time.perf_counter() - since


def _host(data: torch.device) -> bool:
    """Whether the joint evaluation tallies in numpy (env outputs on the host)."""
    return data.type == "cpu"


def _index(rows: list[int], data: torch.device) -> np.ndarray | torch.Tensor:
    return np.asarray(rows) if _host(data) else torch.tensor(rows, device=data)
