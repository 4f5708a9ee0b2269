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
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from advrun.commands import errors
from advrun.commands.errors import clean_errors, mark_job_started
from advrun.commands.run_end import read_summary, summary_line, sweep_end_lines
from advrun.config import TrainConfig, to_train_config
from advrun.config.seeds import check_seeds
from advrun.seeds.layout import (
    member_config,
    member_dir,
    member_overrides,
    write_batch,
    write_member_record,
)
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


def train_seeds(cfg: DictConfig, overridden: list[str], multirun: bool) -> float:
    """The ``train`` task when ``seeds`` is set; returns the mean final eval return."""
    from advrun.commands.train import _remove_unstarted
    from advrun.seeds.driver import BatchInterrupted, build_agents, run_agents

    hydra_cfg = HydraConfig.get()
    batch_dir = Path(hydra_cfg.runtime.output_dir)
    overrides = [str(o) for o in OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)]  # type: ignore[union-attr]
    mark_job_started()
    made: list[Path] = []
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
                agents = build_agents([m[2] for m in members], made)
                fused = _fused(str(cfg.seeds_mode), members[0][2], agents)
                if fused:
                    _log_fused_threads(len(agents))
        except SystemExit as exit_:
            if exit_.code == errors.EXIT_BAD_INPUT:
                locks.close()
                for path in made:
                    shutil.rmtree(path, ignore_errors=True)
                _remove_unstarted(batch_dir, hydra_cfg.output_subdir)
            raise
        profile: dict[str, float] = {}
        try:
            run_agents(agents, signals, lockstep=_lockstep(), fused=fused, profile=profile)
        except BatchInterrupted as stop:
            write_batch(batch_dir, [a.record() for a in agents], profile, _mode(fused))
            saved = "each member saved checkpoints/last.pt" if stop.saved else "not saved"
            sys.stderr.write(
                f"advrun: {stop}; {saved}. Continue a member with: advrun train "
                f"resume={member_dir(batch_dir, agents[0].seed)} (one per seed).\n"
            )
            raise SystemExit(stop.exit_code) from None
    write_batch(batch_dir, [a.record() for a in agents], profile, _mode(fused))
    log.info("batch time by phase (s): %s", ", ".join(f"{k} {v:.1f}" for k, v in profile.items()))
    for agent in agents:
        summary = read_summary(agent.run_dir)
        if summary is not None:
            log.info("seed %d: %s", agent.seed, summary_line(summary))
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = sweep_end_lines(batch_dir)
    lines[0] = lines[0].replace("sweep dir:", "batch dir:", 1)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    bad = [a for a in agents if a.status != "completed"]
    if bad:
        listed = "; ".join(f"seed {a.seed} {a.status} ({a.run_dir})" for a in bad)
        sys.stderr.write(
            f"advrun: {len(bad)} of {len(agents)} seeds did not complete: {listed}. The "
            f"other seeds completed; each member's summary.json says why and "
            f"advrun train resume=<its dir> continues it.\n"
        )
        sys.stderr.flush()
        all_diverged = all(a.status == "diverged" for a in bad)
        raise SystemExit(EXIT_DIVERGED if all_diverged else EXIT_FAILED)
    finals = [a.final_return for a in agents if math.isfinite(a.final_return)]
    return sum(finals) / len(finals) if finals else math.nan
