"""Spread a batch's seeds over worker processes: a batch of its own per core.

One batch process runs on one core. PPO on a small MLP is bound by per-call overhead,
and more intra-op threads do not help a tiny MLP. They also suffer on a shared machine
(:func:`advrun.seeds.command._log_fused_threads`). ``seeds_workers`` (auto: one per
usable core, divided by ``torch_threads``) forks that many workers once the configs are
checked and the member dirs are laid out, so the start-up (imports, Hydra, validation)
is paid once. Each worker builds and trains its own share of the seeds, interleaved
(``seeds[w::W]``, in the user's order), as a batch of its own (:mod:`advrun.seeds.driver`:
fused or exact, its evaluation and early stopping per agent as before).

**The members do not change.** No member reads another member's numbers. So which
worker trains a member changes nothing in ``seeds_mode=exact``: it stays bit-identical to
its single run. In fused mode only the batched kernels' float noise changes (about 1e-7
in the weights, as with any other set of companions; :mod:`advrun.seeds.fused`).

**Signals.** The workers run in their own process group, and the parent relays every
SIGINT, SIGTERM and SIGHUP it gets to each worker, once. A terminal's Ctrl-C goes to the
foreground group, which is the parent, so each worker sees it once: the first Ctrl-C saves
and stops, the second stops at once, as in one process. If the parent dies (SIGKILL), each
worker gets SIGTERM from the kernel (Linux ``PR_SET_PDEATHSIG``), saves and exits. No
orphan trains on.

**Failures stay local.** If a worker dies without its report (the OOM killer, SIGKILL),
only its members are lost: batch.json marks them failed with the signal, and the other
workers finish.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import selectors
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from advrun.training.signals import HANDLED, StopSignals

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["Outcome", "WorkerLost", "run_workers", "shares", "usable_cores", "worker_count"]

AUTO = "auto"


@dataclass
class Outcome:
    """How one group of agents ended: a worker's share, or the whole batch in one process."""

    members: list[dict[str, Any]]  # :meth:`advrun.seeds.driver.Agent.record`, group order
    finals: list[float]  # each member's final eval return (NaN where none)
    profile: dict[str, float] = field(default_factory=dict)  # seconds per phase
    mode: str = "exact"  # fused or exact
    interrupted: tuple[int, bool] | None = None  # (exit status, every member saved)


@dataclass
class WorkerLost:
    """A worker that ended without an :class:`Outcome`: an exception it raised (sent
    back), or how it died (``reason``)."""

    seeds: list[int]
    reason: str
    error: BaseException | None = None


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_count(value: Any, seeds: int, torch_threads: int, on_cuda: bool) -> int:
    """How many processes train a batch of ``seeds`` agents: ``value`` (``seeds_workers``),
    at most one per seed. ``auto`` is one per usable core divided by ``torch_threads``,
    or 1 where the learner may sit on a GPU (``on_cuda``): one process drives that GPU
    with one batched network. 1 where the OS cannot fork."""
    if not hasattr(os, "fork"):  # Windows: one process
        return 1
    if value == AUTO:
        if on_cuda:
            return 1
        value = usable_cores() // max(1, torch_threads)
    return max(1, min(int(value), seeds))


def shares(items: Sequence[T], workers: int) -> list[list[T]]:
    """``items`` dealt out to ``workers``: worker w gets ``items[w::workers]`` (a batch
    of seeds has no known cost per seed, so dealing spreads the unknown evenly)."""
    return [list(items[w::workers]) for w in range(workers) if items[w::workers]]


def run_workers(
    groups: Sequence[Sequence[T]],
    train: Callable[[Sequence[T]], Outcome],
    seeds_of: Callable[[T], int],
    signals: StopSignals,
) -> list[Outcome | WorkerLost]:
    """Fork one worker per group, each returning ``train(group)``; wait for all of them,
    relaying this process's signals (module docstring). One result per group, in order."""
    _flush()
    # Everything built so far (torch, Hydra, the configs: a few hundred thousand
    # objects) moves out of the collector's view: each worker's full collections then
    # skip it (one took 0.17 s in a CartPole worker), and none of it is copied on write
    # because a collection touched it.
    gc.freeze()
    parent = os.getpid()
    children: list[tuple[int, int]] = []  # (pid, read end of its report pipe)
    try:
        for group in groups:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker
                os.close(read)
                for _, other in children:
                    os.close(other)
                _worker(group, train, write, parent)
            os.close(write)
            children.append((pid, read))
    except BaseException:
        for pid, _ in children:  # a fork failed (out of memory?): stop the others
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid, read in children:
            _collect(pid, read)
        raise
    finally:
        gc.unfreeze()  # the parent's own objects go back to the collector
    pids = [pid for pid, _ in children]
    with _relaying(pids, signals):
        reports = _read_all([read for _, read in children])
    results: list[Outcome | WorkerLost] = []
    for (pid, read), group in zip(children, groups, strict=True):
        status = _wait(pid)
        seeds = [seeds_of(item) for item in group]
        results.append(_result(reports.get(read), status, seeds, pid))
    return results


def _result(report: bytes | None, status: int, seeds: list[int], pid: int) -> Outcome | WorkerLost:
    if report:
        kind, value = pickle.loads(report)
        if kind == "ok":
            return value
        return WorkerLost(seeds, f"worker {pid} raised {type(value).__name__}: {value}", value)
    if os.WIFSIGNALED(status):
        how = f"was killed by signal {os.WTERMSIG(status)}"
    else:
        how = f"exited with status {os.WEXITSTATUS(status)}"
    return WorkerLost(seeds, f"its worker process (pid {pid}) {how} before it reported")


# -- the worker ---------------------------------------------------------------------------
def _worker(
    group: Sequence[T], train: Callable[[Sequence[T]], Outcome], write: int, parent: int
) -> NoReturn:
    """Run in the forked child: train ``group``, send the outcome (or the exception) up
    the pipe, and leave without running the parent's exit handlers (Hydra's, pytest's)."""
    code = 0
    try:
        os.setpgid(0, 0)  # the terminal's signals reach the parent, which relays them
        _die_with_parent(parent)
        payload: tuple[str, Any] = ("ok", train(group))
    except BaseException as err:  # every ending goes back to the parent
        payload, code = ("error", _portable(err)), 1
    try:
        data = pickle.dumps(payload)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    finally:
        _flush()
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux); the worker's own
    StopSignals then saves and stops its agents. Elsewhere a worker outlives a killed
    parent, as a launcher's members do."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before the request took
        os.kill(os.getpid(), signal.SIGTERM)


def _portable(err: BaseException) -> BaseException:
    """``err`` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # any exception type may refuse
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


# -- the parent ---------------------------------------------------------------------------
@contextlib.contextmanager
def _relaying(pids: list[int], signals: StopSignals) -> Any:
    """While the workers run: every handled signal is passed on to each of them once
    (and recorded in ``signals``); one that came before the relay was set up goes too."""

    def relay(signum: int, frame: Any) -> None:
        signals.received = signum
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    previous = {sig: signal.signal(sig, relay) for sig in HANDLED} if _is_main_thread() else {}
    try:
        if signals.received is not None:
            relay(signals.received, None)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _read_all(reads: list[int]) -> dict[int, bytes]:
    """Each pipe's bytes until its end, by file descriptor, read side by side (a
    report can exceed a pipe's buffer, and a worker blocks until it is read)."""
    chunks: dict[int, list[bytes]] = {fd: [] for fd in reads}
    with selectors.DefaultSelector() as sel:
        for fd in reads:
            sel.register(fd, selectors.EVENT_READ)
        open_fds = set(reads)
        while open_fds:
            for key, _ in sel.select():
                data = os.read(key.fd, 1 << 16)
                if data:
                    chunks[key.fd].append(data)
                else:
                    sel.unregister(key.fd)
                    os.close(key.fd)
                    open_fds.discard(key.fd)
    return {fd: b"".join(parts) for fd, parts in chunks.items()}


def _wait(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue


def _collect(pid: int, read: int) -> None:
    with contextlib.suppress(OSError):
        os.close(read)
    _wait(pid)
