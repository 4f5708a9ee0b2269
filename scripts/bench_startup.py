#!/usr/bin/env python
"""Start-up cost of the advrun commands, as ratios to a bare ``import torch``.

    python scripts/bench_startup.py                  # ratios, medians of 5 paired runs
    python scripts/bench_startup.py --breakdown      # where one `advrun train` spends it

Ratios: each command and ``python -c "import torch"`` run in turn (A B A B ...), and
the ratio is taken pair by pair, so a machine whose speed drifts (a shared 2-core box)
moves both sides of a pair together; the median of the pair ratios is printed. Issue 14's
targets: ``advrun --help`` <= 0.2, ``advrun train --help`` <= 0.6, ``advrun train
env=cartpole`` <= 2.5.

Breakdown: one ``advrun train env=cartpole`` in this process with timers around the
phases that are fixed costs whatever the run's length (imports, Hydra, building the run,
the optimizer, the TensorBoard writer, evaluations,
checkpoint writes); the rest is training.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def advrun_executable() -> str:
    local = Path(sys.executable).with_name("advrun")
    return str(local) if local.exists() else (shutil.which("advrun") or "advrun")


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return took


def paired(cmd: list[str], runs: int) -> tuple[float, float, float]:
    """Median of ``wall(cmd) / wall(import torch)`` over ``runs`` pairs (one warm-up
    pair first), and the medians of the two walls."""
    base = [sys.executable, "-c", "import torch"]
    wall(cmd), wall(base)
    ratios, a, b = [], [], []
    for _ in range(runs):
        ta, tb = wall(cmd), wall(base)
        ratios.append(ta / tb)
        a.append(ta)
        b.append(tb)
    return statistics.median(ratios), statistics.median(a), statistics.median(b)


def ratios(runs: int) -> None:
    exe = advrun_executable()
    with tempfile.TemporaryDirectory(prefix="advrun-startup-") as tmp:
        cases = {
            "advrun --help": ([exe, "--help"], 0.2),
            "advrun train --help": ([exe, "train", "--help"], 0.6),
            "advrun train env=cartpole": (
                [exe, "train", "env=cartpole", "progress=false", f"hydra.run.dir={tmp}/run"],
                2.5,
            ),
        }
        print(f"{'command':<28} {'ratio':>6} {'target':>7} {'wall s':>7} {'torch s':>8}")
        for name, (cmd, target) in cases.items():
            ratio, ta, tb = paired(cmd, runs)
            if "train env" in name:
                shutil.rmtree(Path(tmp) / "run", ignore_errors=True)
            verdict = "met" if ratio <= target else "MISSED"
            print(
                f"{name:<28} {ratio:>6.2f} {target:>7.1f} {ta:>7.2f} {tb:>8.2f}  {verdict}",
                flush=True,
            )


class Timers:
    """Wall seconds and call counts per label, from wrapped callables."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.first: dict[str, float] = {}

    @contextlib.contextmanager
    def time(self, label: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - start
            self.first.setdefault(label, took)
            self.seconds[label] = self.seconds.get(label, 0.0) + took
            self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        fn: Callable[..., Any] = getattr(owner, attr)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.time(label):
                return fn(*args, **kwargs)

        setattr(owner, attr, timed)


def breakdown() -> None:
    t = Timers()
    start = time.perf_counter()
    with t.time("import torch"):
        import torch  # noqa: F401
    with t.time("import gymnasium"):
        import gymnasium  # noqa: F401
    with t.time("import hydra, advrun.cli, schemas"):
        from advrun.cli import main
        from advrun.config import register_configs

        register_configs()
    with t.time("import the trainer (+ TensorBoard)"):
        from advrun.storage import tb
        from advrun.training import builders, trainer

    t.wrap(trainer.Trainer, "__init__", "Trainer.__init__ (all of it)")
    t.wrap(builders, "build_envs", "  build envs")
    t.wrap(builders, "build_model", "  build network")
    t.wrap(builders, "build_optimizer", "  build optimizer")
    t.wrap(tb.TensorBoardLogger, "__init__", "  TensorBoard writer")
    t.wrap(tb.TensorBoardLogger, "hparams_start", "  TensorBoard hparams")
    t.wrap(trainer.Trainer, "_evaluate", "evaluations")
    t.wrap(trainer.Trainer, "_save", "checkpoint writes")
    t.wrap(trainer.Trainer, "run", "Trainer.run (training + evals + checkpoints)")
    with (
        tempfile.TemporaryDirectory(prefix="advrun-startup-") as tmp,
        t.time("advrun train (from main)"),
    ):
        main(["train", "env=cartpole", "progress=false", f"hydra.run.dir={tmp}/run"])
    total = time.perf_counter() - start
    print(f"{'phase':<48} {'s':>7} {'calls':>6} {'first s':>8}")
    for label, seconds in t.seconds.items():
        print(f"{label:<48} {seconds:>7.2f} {t.calls[label]:>6} {t.first[label]:>8.2f}")
    print(f"{'total (this process, after interpreter start)':<48} {total:>7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="pairs per command (default 5)")
    parser.add_argument("--breakdown", action="store_true", help="time the phases of one run")
    args = parser.parse_args()
    if args.breakdown:
        breakdown()
    else:
        ratios(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
