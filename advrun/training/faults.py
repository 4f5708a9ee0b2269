"""Faults during a run: what went wrong, said in one paragraph with the fix.

Exit statuses (the train command maps these): 1 a runtime fault (:class:`RunFailed`:
an env that raises, a full disk, out of memory, a bug), 3 numbers stopped being finite
(:class:`TrainingDiverged`, including :class:`NonFiniteEnvOutput`), 128+N a signal.
Every one leaves ``summary.json`` saying so and the last good checkpoint untouched.
"""

from __future__ import annotations

import errno
import math
from typing import Any

import torch


class TrainingDiverged(RuntimeError):
    """Raised with a message naming the step and the last good checkpoint."""


class NonFiniteEnvOutput(TrainingDiverged):
    """The env returned NaN/inf in an observation or reward (found before any of it
    reached the observation statistics, the loss or a checkpoint)."""

    def __init__(self, key: str, value: float, row: int, env_index: int) -> None:
        self.key, self.value, self.row, self.env_index = key, value, row, env_index
        super().__init__(f"non-finite {key} ({value}) from sub-env {env_index}")


class EnvError(RuntimeError):
    """The env raised while advrun stepped or reset it (the original is ``__cause__``)."""

    def __init__(self, during: str, original: BaseException) -> None:
        self.during = during
        self.original = original
        super().__init__(f"{type(original).__name__}: {original}")


class RunFailed(RuntimeError):
    """A runtime fault, already recorded in ``summary.json`` (status ``failed``).

    ``cause`` and ``fix`` are the two halves of the paragraph the CLI prints; the
    original exception is ``__cause__`` (shown with ``--verbose``)."""

    def __init__(self, cause: str, fix: str, step: int) -> None:
        self.cause, self.fix, self.step = cause, fix, step
        super().__init__(f"{cause} {fix}")


def non_finite(metrics: dict[str, float], model: torch.nn.Module) -> str | None:
    """Name of the first non-finite loss (a ``losses/`` metric), parameter or buffer
    (observation statistics), or None if all are finite."""
    for key, value in metrics.items():
        if key.startswith("losses/") and not math.isfinite(value):
            return f"{key} = {value}"
    tensors = [t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()]
    if not torch.isfinite(torch.stack([t.detach().abs().sum() for t in tensors]).sum()):
        named = (*model.named_parameters(), *model.named_buffers())
        for name, t in named:
            if t.is_floating_point() and not torch.isfinite(t).all():
                return f"{'parameter' if isinstance(t, torch.nn.Parameter) else 'buffer'} {name}"
    return None


def first_non_finite(tree: Any, prefix: str = "") -> str | None:
    """Dotted path of the first floating-point tensor holding NaN/inf in a nested
    dict/list (a checkpoint payload), or None. Plain floats are not inspected: the
    payload keeps sentinels such as ``best_return = -inf`` before the first eval."""
    if isinstance(tree, torch.Tensor):
        if tree.is_floating_point() and not bool(torch.isfinite(tree).all()):
            return prefix or "<tensor>"
        return None
    items: Any = ()
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    for key, value in items:
        found = first_non_finite(value, f"{prefix}.{key}" if prefix else str(key))
        if found:
            return found
    return None


# torch < 2.5 only has the CUDA spelling.
_OOM = (MemoryError, getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError))
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def explain(err: BaseException, *, env_id: str, step: int, run_dir: str) -> tuple[str, str]:
    """``(cause, fix)`` for a runtime fault: one sentence each, naming what failed and
    what to change. ``run_dir`` appears in the resume command of the fix."""
    resume = f"then continue with: advrun train resume={run_dir}"
    if isinstance(err, EnvError):
        return (
            f"the env {env_id} raised {err} while advrun was {err.during} it at step {step}.",
            f"Fix the env (add --verbose to see its traceback), {resume}",
        )
    if isinstance(err, OSError) and err.errno == errno.EFBIG:
        return (
            f"a file grew past the size limit (EFBIG) writing {err.filename or 'a run file'} "
            f"at step {step}.",
            f"Raise the limit (ulimit -f, or the job scheduler's file-size limit) or move the "
            f"run dir to a file system that allows larger files, {resume}",
        )
    if isinstance(err, OSError) and err.errno in _DISK_FULL:
        what = "the disk is full" if err.errno == errno.ENOSPC else "the disk quota is used up"
        return (
            f"{what} ({errno.errorcode[err.errno]}) writing {err.filename or 'a run file'} at "
            f"step {step}.",
            f"Free space on that file system (or move the run dir elsewhere), {resume}",
        )
    if isinstance(err, OSError) and err.errno in _NOT_WRITABLE:
        return (
            f"advrun cannot write {err.filename or 'a run file'} "
            f"({errno.errorcode[err.errno]}: {err.strerror}) at step {step}.",
            f"Make {run_dir} writable again, {resume}",
        )
    if isinstance(err, _OOM):
        return (
            f"out of memory at step {step} ({type(err).__name__}).",
            "Lower env.num_envs, algo.rollout_steps, eval.episodes or network.hidden_sizes "
            f"(or use device=cpu), {resume} (a resume may change device), or start a new "
            "run with the smaller settings.",
        )
    return (
        f"advrun stopped at step {step} with {type(err).__name__}: {err}.",
        f"This is likely a bug in advrun: please report it with the traceback from "
        f"--verbose. The last checkpoint is intact; {resume}",
    )
