"""The lockstep loop over K agents: each agent is a whole single-run
:class:`~advrun.training.trainer.Trainer` (its own model, optimizer, generator, envs,
eval envs, early stopper, checkpoints, TensorBoard and summary), and the driver runs
their iterations in turn, one round at a time, until each has stopped on its own.

**Why every member equals its single run.** The single run draws from three kinds of
random state: its algorithm's ``generator`` (minibatch order; per agent already), its
envs' seeded generators (per agent), and the process-global Python/numpy/torch
generators (the model's initialisation after ``seed_everything``, action sampling, a
stochastic evaluation). The driver keeps one copy of the global state per agent
(:func:`advrun.storage.checkpoint.rng_state`) and swaps it in around everything that
agent does, so each agent sees exactly the stream its single run sees and the
``rng`` its checkpoints store is its own. The arithmetic is the same code on the same
shapes, so on CPU the members are bit-identical to single runs
(``tests/seeds/test_driver.py`` checks weights, summaries and TensorBoard series).

**Failures stay local.** An agent that diverges, fails or reaches its target stops
alone (its final evaluation, save and ``summary.json`` as in a single run); the rest go
on. A signal stops every agent: each saves ``last.pt`` and says ``interrupted``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch

from advrun.config.schema import TrainConfig
from advrun.storage.checkpoint import rng_state, set_rng_state
from advrun.training.faults import RunFailed, TrainingDiverged
from advrun.training.signals import StopSignals
from advrun.training.trainer import Interrupted, Trainer

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["Agent", "BatchInterrupted", "run_agents"]

RUNNING, COMPLETED, DIVERGED, FAILED = "running", "completed", "diverged", "failed"
INTERRUPTED = "interrupted"


class BatchInterrupted(Exception):
    """A signal stopped the batch; every running agent saved its state (unless a second
    Ctrl-C stopped it at once: ``saved`` False)."""

    def __init__(self, signum: int, saved: bool) -> None:
        self.exit_code = 128 + signum
        self.saved = saved
        super().__init__(f"interrupted by signal {signum}")


@dataclass
class Agent:
    """One seed of the batch: its trainer and its copy of the global RNG state."""

    seed: int
    run_dir: Path
    trainer: Trainer
    rng: dict[str, Any] = field(default_factory=dict)
    status: str = RUNNING
    reason: str = ""
    final_return: float = math.nan

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    def record(self) -> dict[str, Any]:
        """This agent's entry in ``batch.json``."""
        out: dict[str, Any] = {"seed": self.seed, "run_dir": str(self.run_dir)}
        out["status"] = self.status
        if self.reason:
            out["reason"] = self.reason
        return out


@contextlib.contextmanager
def own_rng(agent: Agent) -> Iterator[None]:
    """Run the block with ``agent``'s global RNG state, and keep what it left."""
    set_rng_state(agent.rng)
    try:
        yield
    finally:
        agent.rng = rng_state()


@contextlib.contextmanager
def own_torch_rng(agent: Agent) -> Iterator[None]:
    """:func:`own_rng` for torch's generators only (CPU, and CUDA when the state has
    it): cheap enough per env step, where only torch draws (action sampling; the envs
    have their own generators)."""
    torch.set_rng_state(agent.rng["torch"])
    if "cuda" in agent.rng:
        torch.cuda.set_rng_state_all(agent.rng["cuda"])
    try:
        yield
    finally:
        agent.rng["torch"] = torch.get_rng_state()
        if "cuda" in agent.rng:
            agent.rng["cuda"] = torch.cuda.get_rng_state_all()


def attempt(
    agent: Agent,
    work: Callable[[], T],
    rng: Callable[[Agent], contextlib.AbstractContextManager[None]] = own_rng,
) -> T | None:
    """Run ``work`` as part of ``agent``'s run (its RNG in place, its faults recorded
    in its summary by :meth:`Trainer.guarded`). A divergence or failure stops this
    agent alone (None is returned); :class:`Interrupted` marks it and propagates."""
    trainer = agent.trainer
    result = None
    with rng(agent):
        try:
            result = trainer.guarded(work)
        except TrainingDiverged as err:
            agent.status, agent.reason = DIVERGED, str(err)
        except RunFailed as err:
            agent.status, agent.reason = FAILED, str(err)
        except Interrupted:
            agent.status = INTERRUPTED  # it saved (or not, on a second Ctrl-C) and said so
            raise
    if agent.status in (DIVERGED, FAILED):
        trainer._close_progress()
        trainer.close()
        log.info("seed %d %s at step %d", agent.seed, agent.status, trainer.global_step)
    return result


def build_agents(configs: list[TrainConfig], run_dirs: list[Path]) -> list[Agent]:
    """One trainer per config, each built exactly as its single run builds it (the
    builder seeds the global generators from the agent's seed, then initialises the
    model), with the global RNG state it leaves kept as the agent's."""
    agents: list[Agent] = []
    try:
        for cfg, run_dir in zip(configs, run_dirs, strict=True):
            trainer = Trainer(cfg, run_dir, container=_container(cfg, configs[0], agents))
            agents.append(Agent(cfg.seed, run_dir, trainer, rng_state()))
    except BaseException:
        for agent in agents:
            agent.trainer.close()
        raise
    return agents


def _container(cfg: TrainConfig, first: TrainConfig, built: list[Agent]) -> dict[str, Any] | None:
    """``config_container(cfg)`` from the first member's, where ``cfg`` equals the first
    config but for its seed (members of one batch do): the same dict with ``seed``
    replaced. The conversion through OmegaConf took ~16 ms per CartPole member, the
    largest part of building one. None (convert it) for the first member or any other
    difference."""
    if not built or dataclasses.replace(cfg, seed=first.seed) != first:
        return None
    container = copy.deepcopy(built[0].trainer.container)
    container["seed"] = cfg.seed
    return container


def _step(agent: Agent, signals: StopSignals) -> None:
    """One iteration of ``agent`` (and its end when training is over for it)."""
    trainer = agent.trainer

    def work() -> None:
        if trainer.iteration(signals):
            agent.final_return = trainer.end(signals)
            agent.status = COMPLETED

    attempt(agent, work)


def _stop_all(agents: list[Agent], signals: StopSignals, first: Interrupted) -> None:
    """Save and mark every running agent interrupted (the one that saw the signal did)."""
    for agent in agents:
        if not agent.running:
            continue
        trainer = agent.trainer
        with own_rng(agent):
            if first.saved:
                # It saves last.pt, writes "interrupted" and raises Interrupted.
                with contextlib.suppress(Interrupted, TrainingDiverged, RunFailed):
                    trainer.guarded(lambda: trainer._stop_if_asked(signals))  # noqa: B023
            else:
                trainer._write_summary("interrupted", reason="a second Ctrl-C stopped the batch")
        agent.status = INTERRUPTED
        trainer.close()


def run_agents(
    agents: list[Agent],
    signals: StopSignals,
    *,
    lockstep: bool | None = None,
    fused: bool = False,
    profile: dict[str, float] | None = None,
) -> list[Agent]:
    """Run every agent to its end, a round of one iteration each at a time.

    ``fused``: train them as one batched network (:mod:`advrun.seeds.fused`).
    Otherwise ``lockstep``: collect with one batched policy forward per env step over
    all agents (:mod:`advrun.seeds.lockstep`); None picks it on CUDA and the exact
    per-agent iteration on CPU (that module says why). ``profile`` receives seconds per phase.
    Raises :class:`BatchInterrupted` on a signal (after every agent saved)."""
    from advrun.seeds.lockstep import lockstep_round

    if lockstep is None:
        lockstep = agents[0].trainer.parts.device.type == "cuda"
    profile = {} if profile is None else profile
    start = time.perf_counter()
    for agent in agents:
        agent.trainer._start = start
        with own_rng(agent):
            agent.trainer.begin(progress=False)
    batch = None
    if fused:
        from advrun.seeds.fused.driver import FusedBatch

        batch = FusedBatch(agents)
    try:
        while any(a.running for a in agents):
            if batch is not None:
                batch.round(signals, profile)
                continue
            if lockstep:
                lockstep_round(agents, signals, profile)
                continue
            clock = time.perf_counter()
            for agent in agents:
                if agent.running:
                    _step(agent, signals)
            profile["iterations"] = profile.get("iterations", 0.0) + time.perf_counter() - clock
    except Interrupted as stop:
        _stop_all(agents, signals, stop)
        raise BatchInterrupted(stop.exit_code - 128, stop.saved) from None
    finally:
        for agent in agents:
            agent.trainer._close_progress()
            agent.trainer.close()
        profile.setdefault("eval", sum(a.trainer.eval_time for a in agents))
    return agents
