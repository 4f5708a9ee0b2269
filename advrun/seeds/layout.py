"""Where a batch of seeds writes: one member dir per seed, laid out like a sweep's.

::

    <batch dir>/batch.json          seeds, member dirs, each member's status (this file
                                    marks the dir as a batch, so it is not a member)
    <batch dir>/.hydra/, train.log  the batch command's own Hydra record and log
    <batch dir>/seed_<i>/.hydra/config.yaml     the member's composed config (seed=i)
    <batch dir>/seed_<i>/.hydra/overrides.yaml  the batch's overrides with seed=i
    <batch dir>/seed_<i>/checkpoints/, events.out.tfevents.*, summary.json

A member is what ``advrun train seed=<i>`` with the same overrides would have written
(minus its ``train.log``), so ``advrun report <batch dir>`` (which finds members by
``.hydra/overrides.yaml``), ``advrun eval run=<member>``, ``resume=<member>`` and
TensorBoard treat the members as the members of a sweep over ``seed``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from advrun.storage.atomic import atomic_write_json
from advrun.sweeps.members import BATCH_MARKER

__all__ = ["BATCH_MARKER", "member_config", "member_dir", "member_overrides", "write_batch"]


def member_dir(batch_dir: str | Path, seed: int) -> Path:
    """``<batch dir>/seed_<seed>``. Not a sweep's ``seed=<seed>``: an ``=`` in the path
    makes ``resume=<dir>`` a Hydra grammar error unless the user quotes it."""
    return Path(batch_dir) / f"seed_{seed}"


def member_config(cfg: DictConfig, seed: int) -> DictConfig:
    """The batch's composed config as the single run of ``seed`` would have it."""
    member = copy.deepcopy(cfg)
    member.seed = seed
    member.seeds = None
    member.seeds_mode = "auto"  # how the batch trained it is in batch.json
    member.seeds_workers = "auto"
    return member


def member_overrides(overrides: list[str], seed: int) -> list[str]:
    """The batch's command-line overrides with ``seeds=[...]`` replaced by ``seed=<seed>``
    (where it stood, so the order is the user's) and ``seeds_mode`` and
    ``seeds_workers`` left out."""
    out: list[str] = []
    for item in overrides:
        key = item.lstrip("+~").partition("=")[0]
        if key == "seeds":
            out.append(f"seed={seed}")
        elif key in ("seeds_mode", "seeds_workers"):
            continue
        else:
            out.append(item)
    return out


def write_member_record(path: Path, cfg: DictConfig, overrides: list[str]) -> None:
    """The member's ``.hydra/config.yaml`` and ``overrides.yaml`` (unresolved, as Hydra
    writes them)."""
    hydra_dir = path / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, hydra_dir / "config.yaml", resolve=False)
    OmegaConf.save(OmegaConf.create(overrides), hydra_dir / "overrides.yaml")


def write_batch(
    batch_dir: str | Path,
    members: list[dict[str, Any]],
    profile: dict[str, float],
    mode: str = "exact",
    workers: list[dict[str, Any]] | None = None,
) -> None:
    """``batch.json``: one entry per seed (``seed``, ``run_dir``, ``status``, and a
    failed member's ``reason``), how the batch trained (``mode``: fused or exact), the
    seconds it spent per phase (summed over its worker processes) and, where it was
    spread over several (``seeds_workers``), each worker's seeds and seconds."""
    record: dict[str, Any] = {"members": members, "mode": mode, "profile": profile}
    if workers is not None:
        record["workers"] = workers
    atomic_write_json(Path(batch_dir) / BATCH_MARKER, record)
