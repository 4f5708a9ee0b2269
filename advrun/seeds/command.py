"""``advrun train seeds=[1,2,3]``: train one agent per seed in this process.

Everything is checked before any work (the run's config once per seed, then what a
batch supports: :func:`advrun.config.seeds.check_seeds`), then each member dir is laid
out (:mod:`advrun.seeds.layout`), locked, and its trainer built; the driver runs them
all (:mod:`advrun.seeds.driver`). Exit status: 0 when every member completed; 3 when
every member that did not complete diverged; 1 when any failed otherwise (one paragraph
naming those seeds and their run dirs); 2 bad input (nothing run, no dir left);
128+N interrupted by signal N (each member saved and is resumable on its own).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from advrun.commands import errors
from advrun.commands.errors import clean_errors, mark_job_started
from advrun.commands.run_end import read_summary, summary_line, sweep_end_lines
from advrun.config import TrainConfig, to_train_config
from advrun.config.errors import ConfigError
from advrun.config.seeds import check_seeds
from advrun.seeds.layout import (
    member_config,
    member_dir,
    member_overrides,
    write_batch,
    write_member_record,
)
from advrun.seeds.workers import Outcome, WorkerLost, run_workers, shares, worker_count
from advrun.storage.lock import RunDirLock
from advrun.training.signals import StopSignals

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_DIVERGED = 3


def _lockstep() -> bool | None:
    """``ADVRUN_SEEDS_LOCKSTEP=1|0`` forces the lockstep collection on or off (for
    benchmarks and tests); unset, the driver picks (lockstep on CUDA)."""
    value = os.environ.get("ADVRUN_SEEDS_LOCKSTEP", "")
    return None if value == "" else value not in ("0", "false")


def _fused(mode: str, cfg: TrainConfig, agents: list[Any]) -> bool:
    """Whether the batch trains fused (``mode``, the batch's ``seeds_mode``; auto: where
    supported, which includes the network the builder chose). Raises ``ConfigError``
    for a forced ``fused`` that the built network rules out (the config itself was
    checked before)."""
    if mode == "exact":
        return False
    from advrun.config.seeds import fused_refused
    from advrun.seeds.fused import unsupported
    from advrun.seeds.fused.model import unsupported as model_unsupported

    why = unsupported(cfg) or model_unsupported(agents[0].trainer.algorithm.model)
    if why is None:
        log.info(
            "seeds_mode=%s: fused, one batched network for %d agents (each equals its "
            "single run within float noise; seeds_mode=exact is bit-identical, slower)",
            mode,
            len(agents),
        )
        return True
    if mode == "fused":
        raise fused_refused(why)
    log.info(
        "seeds_mode=auto: each agent's own iteration (the fused batch does not support %s)", why
    )
    return False


def _mode(fused: bool) -> str:
    return "fused" if fused else "exact"


def _log_fused_threads(agents: int) -> None:
    """Say how many torch threads the fused batch runs on: ``torch_threads`` (default 1),
    as a single run does, never more by itself.

    More intra-op threads speed up a big batch's update on cores nothing else uses, and
    slow every batch down when another process takes one of those cores: each
    threaded op then waits for its descheduled half. On the 2-core dev host
    (docs/benchmarks.md, "Many seeds"), 64 CartPole seeds took 0.87x the wall with 2
    threads on idle cores; with one core busy, 8 seeds took 2.3x (37 s against 16 s)
    and 64 seeds more than 3x (over 400 s against 129 s). One thread is the default
    that holds up on a shared machine; ``torch_threads=N`` is for cores you own."""
    import torch

    threads = torch.get_num_threads()
    log.info(
        "fused batch of %d agents: %d torch thread%s (torch_threads=N uses N: faster for "
        "big batches on cores nothing else uses, much slower when other processes use them)",
        agents,
        threads,
        "" if threads == 1 else "s",
    )


def raise_open_files(agents: int) -> None:
    """Lift the soft limit on open files (often 1,024) towards the hard one: each agent
    holds its run-dir lock, TensorBoard event file and envs open, so a batch of a
    thousand seeds needs a few thousand descriptors."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 256 + 4 * agents
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def prepare(
    cfg: DictConfig, overridden: list[str], *, multirun: bool = False
) -> list[tuple[int, DictConfig, TrainConfig]]:
    """Validate the batch and each member's config; nothing is written."""
    check_seeds(to_train_config(cfg), overridden, multirun=multirun)
    members = []
    for seed in cfg.seeds:
        member = member_config(cfg, int(seed))
        members.append((int(seed), member, to_train_config(member)))
    return members


def _may_use_cuda(c: TrainConfig) -> bool:
    """Whether the learner may sit on a GPU (decided without touching CUDA, which a
    forked worker could not use once this process had): ``device=cuda``, or ``auto``
    with as many torch-native envs as make ``auto`` pick the GPU."""
    from advrun.config.containers import enum_value
    from advrun.training.device import GPU_ENVS

    device = enum_value(c.device)
    many = c.env.backend == "torch" and c.env.num_envs >= GPU_ENVS
    return device == "cuda" or (device == "auto" and many)


Member = tuple[int, TrainConfig, Path]
"""A batch member: its seed, its config, its run dir."""


def _build(group: Sequence[Member], seeds_mode: str) -> tuple[list[Any], bool]:
    """The group's agents (each built as its single run builds it) and whether they
    train fused."""
    from advrun.seeds.driver import build_agents

    agents = build_agents([m[1] for m in group], [m[2] for m in group])
    fused = _fused(seeds_mode, group[0][1], agents)
    if fused:
        _log_fused_threads(len(agents))
    return agents, fused


def _run(agents: list[Any], fused: bool, signals: StopSignals) -> Outcome:
    """Run the built agents to their ends; how they ended."""
    from advrun.seeds.driver import BatchInterrupted, run_agents

    profile: dict[str, float] = {}
    interrupted = None
    try:
        run_agents(agents, signals, lockstep=_lockstep(), fused=fused, profile=profile)
    except BatchInterrupted as stop:
        interrupted = (stop.exit_code, stop.saved)
    return Outcome(
        [a.record() for a in agents],
        [a.final_return for a in agents],
        profile,
        _mode(fused),
        interrupted,
    )


def _in_workers(
    group: list[Member], workers: int, seeds_mode: str, signals: StopSignals
) -> tuple[Outcome, list[dict[str, Any]]]:
    """The batch over ``workers`` forked processes (:mod:`advrun.seeds.workers`): the
    members' outcomes in the batch's order, and each worker's seeds and phase times.
    Bad input that every worker met while building (before any trained) is raised as
    in one process (exit 2)."""
    from advrun.storage.checkpoint import CheckpointError

    log.info("seeds_workers=%d: the %d seeds split over %d processes", workers, len(group), workers)

    def train(share: Sequence[Member]) -> Outcome:
        agents, fused = _build(share, seeds_mode)
        return _run(agents, fused, signals)

    results = run_workers(shares(group, workers), train, lambda m: m[0], signals)
    lost = [r for r in results if isinstance(r, WorkerLost)]
    bad_input = (ConfigError, CheckpointError)
    if lost and len(lost) == len(results) and all(isinstance(r.error, bad_input) for r in lost):
        raise lost[0].error  # type: ignore[misc]
    by_seed: dict[int, tuple[dict[str, Any], float]] = {}
    profile: dict[str, float] = {}
    record: list[dict[str, Any]] = []
    stops: list[tuple[int, bool]] = []  # (exit status, saved) of each interrupted worker
    mode = ""
    dirs = {seed: path for seed, _, path in group}
    for result in results:
        if isinstance(result, WorkerLost):
            log.error("seeds %s: %s", result.seeds, result.reason)
            for seed in result.seeds:
                entry = {"seed": seed, "run_dir": str(dirs[seed]), "status": "failed"}
                by_seed[seed] = ({**entry, "reason": result.reason}, math.nan)
            record.append({"seeds": result.seeds, "lost": result.reason})
            continue
        for member, final in zip(result.members, result.finals, strict=True):
            by_seed[int(member["seed"])] = (member, final)
        for key, seconds in result.profile.items():
            profile[key] = profile.get(key, 0.0) + seconds
        seeds = [int(m["seed"]) for m in result.members]
        record.append({"seeds": seeds, "mode": result.mode, "profile": result.profile})
        mode = mode or result.mode
        if result.interrupted is not None:
            stops.append(result.interrupted)
    # The first interrupted worker's status; saved only if every one of them saved.
    interrupted = (stops[0][0], all(saved for _, saved in stops)) if stops else None
    ordered = [by_seed[seed] for seed, _, _ in group]
    members, finals = [m for m, _ in ordered], [f for _, f in ordered]
    return Outcome(members, finals, profile, mode or "exact", interrupted), record


def train_seeds(cfg: DictConfig, overridden: list[str], multirun: bool) -> float:
    """The ``train`` task when ``seeds`` is set; returns the mean final eval return."""
    from advrun.commands.train import _remove_unstarted

    hydra_cfg = HydraConfig.get()
    batch_dir = Path(hydra_cfg.runtime.output_dir)
    overrides = [str(o) for o in OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)]  # type: ignore[union-attr]
    mark_job_started()
    made: list[Path] = []
    workers_record: list[dict[str, Any]] | None = None
    with StopSignals() as signals, contextlib.ExitStack() as locks:
        try:
            with clean_errors():
                members = prepare(cfg, overridden, multirun=multirun)
                raise_open_files(len(members))
                for seed, member, _ in members:
                    path = member_dir(batch_dir, seed)
                    made.append(path)
                    write_member_record(path, member, member_overrides(overrides, seed))
                    locks.enter_context(RunDirLock(path))
                group = [(seed, c, path) for (seed, _, c), path in zip(members, made, strict=True)]
                first = members[0][2]
                on_cuda = _may_use_cuda(first)
                workers = worker_count(cfg.seeds_workers, len(group), first.torch_threads, on_cuda)
                if workers > 1:
                    outcome, workers_record = _in_workers(
                        group, workers, str(cfg.seeds_mode), signals
                    )
                else:
                    agents, fused = _build(group, str(cfg.seeds_mode))
        except SystemExit as exit_:
            if exit_.code == errors.EXIT_BAD_INPUT:
                locks.close()
                for path in made:
                    shutil.rmtree(path, ignore_errors=True)
                _remove_unstarted(batch_dir, hydra_cfg.output_subdir)
            raise
        if workers == 1:
            outcome = _run(agents, fused, signals)
    write_batch(batch_dir, outcome.members, outcome.profile, outcome.mode, workers_record)
    if outcome.interrupted is not None:
        code, saved = outcome.interrupted
        said = "each member saved checkpoints/last.pt" if saved else "not saved"
        sys.stderr.write(
            f"advrun: interrupted by signal {code - 128}; {said}. Continue a member with: "
            f"advrun train resume={member_dir(batch_dir, group[0][0])} (one per seed).\n"
        )
        raise SystemExit(code) from None
    phases = ", ".join(f"{k} {v:.1f}" for k, v in outcome.profile.items())
    log.info("batch time by phase (s): %s", phases)
    for seed, _, path in group:
        summary = read_summary(path)
        if summary is not None:
            log.info("seed %d: %s", seed, summary_line(summary))
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = sweep_end_lines(batch_dir)
    lines[0] = lines[0].replace("sweep dir:", "batch dir:", 1)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    bad = [m for m in outcome.members if m["status"] != "completed"]
    if bad:
        listed = "; ".join(f"seed {m['seed']} {m['status']} ({m['run_dir']})" for m in bad)
        sys.stderr.write(
            f"advrun: {len(bad)} of {len(group)} seeds did not complete: {listed}. The "
            f"other seeds completed; each member's summary.json says why and "
            f"advrun train resume=<its dir> continues it.\n"
        )
        sys.stderr.flush()
        all_diverged = all(m["status"] == "diverged" for m in bad)
        raise SystemExit(EXIT_DIVERGED if all_diverged else EXIT_FAILED)
    finals = [f for f in outcome.finals if math.isfinite(f)]
    return sum(finals) / len(finals) if finals else math.nan
