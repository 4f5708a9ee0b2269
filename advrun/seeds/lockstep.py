"""One round of the batch with the collection in lockstep: every running agent's
rollout is filled a row at a time, with ONE batched policy forward per row over all
agents (:class:`~advrun.seeds.stacked.StackedModels`), then each agent learns from its
rollout and goes on exactly as its single run's iteration does (log, evaluate, save).

Per row and agent, the agent samples its actions from its slice of the batched output
with its own torch RNG state swapped in (the single run samples from the global torch
generator), and steps its own envs. The update stays per agent (its own optimizer,
clipping, minibatch order from its own generator).

**Exactness.** On CPU the batched forward matches each agent's module forward bitwise
for the policy logits over 4+ rows, but not for the value head (``Linear(64, 1)``: a
``bmm`` against the module's ``addmm``/gemv) nor for 1-2 rows, differing by ~1e-9.
The members then equal single runs only within float noise for a few updates (tested
at 1e-4); over a long run the noise can grow into a different trajectory (8 CartPole
seeds to 200k steps: 7 took the same path, seed 1 did not). So the CPU default
keeps the per-agent iteration (:func:`advrun.seeds.driver.run_agents`, exact); this
path is the default of `seeds_mode=exact` on CUDA, where one forward for K agents saves K
kernel chains (`seeds_mode=fused`, :mod:`advrun.seeds.fused`, batches the whole iteration).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from advrun.algos.on_policy import OnPolicyAlgorithm
from advrun.collect.collector import RolloutBuilder
from advrun.seeds.driver import COMPLETED, Agent, BatchInterrupted, attempt, own_torch_rng
from advrun.seeds.stacked import StackedModels
from advrun.training.faults import NonFiniteEnvOutput
from advrun.training.signals import StopSignals
from advrun.training.trainer import Interrupted, Trainer


@dataclass
class _Job:
    """One agent's rollout in progress this round."""

    agent: Agent
    builder: RolloutBuilder
    progress: float
    lr: float
    slot: int  # the agent's row in the stack


def _env_fault(trainer: Trainer, err: NonFiniteEnvOutput) -> None:
    """As the single run reports an env's NaN/inf during its iteration."""
    trainer._env_fault(err, trainer.global_step + (err.row + 1) * trainer.num_envs)


def _begin(agent: Agent, slot: int) -> _Job:
    """The single run's iteration up to its collection: rows and learning rate."""
    trainer = agent.trainer
    algorithm = trainer.algorithm
    assert isinstance(algorithm, OnPolicyAlgorithm)
    cfg = trainer.cfg
    progress = trainer.global_step / cfg.total_steps
    rows = algorithm.rows(cfg.total_steps - trainer.global_step)
    lr = algorithm.set_learning_rate(progress)
    return _Job(agent, algorithm.collector.start(rows), progress, lr, slot)


def _act_and_step(job: _Job, out: torch.Tensor, values: torch.Tensor) -> None:
    """Sample the agent's actions from its slice of the batched output (its own torch
    RNG is in place) and step its envs, as ``OnPolicyAlgorithm._policy`` would."""
    model = job.agent.trainer.algorithm.model
    action, log_prob = model.sample(out)  # type: ignore[operator]
    try:
        job.builder.step(action, {"log_probs": log_prob, "values": values})
    except NonFiniteEnvOutput as err:
        _env_fault(job.agent.trainer, err)


def _learn(job: _Job, signals: StopSignals) -> None:
    """The rest of the single run's iteration: learn, then log / evaluate / save, and
    the run's end when training is over for this agent."""
    trainer = job.agent.trainer
    algorithm = trainer.algorithm
    assert isinstance(algorithm, OnPolicyAlgorithm)
    try:
        rollout = job.builder.finish()
    except NonFiniteEnvOutput as err:
        _env_fault(trainer, err)
        raise AssertionError("unreachable") from None
    it = algorithm.learn(rollout, job.progress, job.lr)
    if trainer.after_iterate(it, signals):
        job.agent.final_return = trainer.end(signals)
        job.agent.status = COMPLETED


def lockstep_round(agents: list[Agent], signals: StopSignals, profile: dict[str, float]) -> None:
    """One iteration of every running agent, collecting in lockstep (module docstring).

    A signal seen between rounds stops every agent at once; one seen while agents learn
    lets the others finish learning from the rollouts they collected, then each saves
    (a member is never saved between its collection and its update). Raises
    :class:`~advrun.seeds.driver.BatchInterrupted`."""
    running = [a for a in agents if a.running]
    if signals.received is not None:
        interrupt_running(running, signals)
    clock = time.perf_counter()
    jobs = [
        j for j in (attempt(a, lambda a=a, k=k: _begin(a, k)) for k, a in enumerate(running)) if j
    ]
    stack = StackedModels([a.trainer.algorithm.model for a in running])
    profile["stack"] = profile.get("stack", 0.0) + time.perf_counter() - clock
    with torch.no_grad():
        while True:
            live = [j for j in jobs if j.agent.running and not j.builder.full]
            if not live:
                break
            clock = time.perf_counter()
            obs = torch.stack([j.builder.observation() for j in live])
            index = None
            if len(live) < len(running):
                index = torch.tensor([j.slot for j in live], device=obs.device)
            out, values = stack.forward(obs, index)
            now = time.perf_counter()
            profile["forward"] = profile.get("forward", 0.0) + now - clock
            clock = now
            for k, job in enumerate(live):
                attempt(
                    job.agent,
                    lambda job=job, o=out[k], v=values[k]: _act_and_step(job, o, v),
                    rng=own_torch_rng,
                )
            profile["sample+env"] = profile.get("sample+env", 0.0) + time.perf_counter() - clock
    clock = time.perf_counter()
    stopped: Interrupted | None = None
    for job in jobs:
        if not job.agent.running:
            continue
        try:
            attempt(job.agent, lambda job=job: _learn(job, signals))
        except Interrupted as stop:
            stopped = stopped or stop
    profile["learn+eval+save"] = profile.get("learn+eval+save", 0.0) + time.perf_counter() - clock
    if stopped is not None:
        # Those that learned before the signal arrived save now, after their update.
        still = [a for a in running if a.running]
        if still:
            interrupt_running(still, signals)
        raise BatchInterrupted(stopped.exit_code - 128, stopped.saved)


def interrupt_running(running: list[Agent], signals: StopSignals) -> None:
    """Every running agent saves and says interrupted (as its single run's loop would
    at the start of an iteration); then the batch stops."""
    first: Interrupted | None = None
    for agent in running:
        try:
            attempt(agent, lambda agent=agent: agent.trainer._stop_if_asked(signals))
        except Interrupted as stop:
            first = first or stop
    assert first is not None
    raise BatchInterrupted(first.exit_code - 128, first.saved)
