#!/usr/bin/env python
"""advrun's ``Tanh`` (2σ(2x) − 1 on the CPU) against ``torch.nn.Tanh``, side by side.

    python scripts/bench_activation.py                 # minibatch timings + a training run
    python scripts/bench_activation.py --steps 0       # minibatch timings only

1. The elementwise calls alone, and forward + backward of a PPO minibatch through the
   default actor-critic (separate 64-64 tanh MLPs, CartPole's shapes), at several row
   counts: median of ``--repeats`` blocks, the two activations alternating block by block.
2. ``--steps`` env steps of the default ``advrun train env=cartpole`` config (no
   evaluation, one torch thread), the two activations alternating run by run: median
   training seconds and the ratio. The learning is the same up to float32 rounding.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn

from advrun.networks import activations
from advrun.networks.activations import Tanh

SLOW = 1 << 62  # MIN_ELEMENTS that no tensor reaches: advrun's Tanh is torch.tanh


@contextlib.contextmanager
def vectorised(on: bool) -> Iterator[None]:
    """advrun's Tanh with its 2σ(2x) − 1 path (on) or as plain ``torch.tanh`` (off)."""
    saved = activations.MIN_ELEMENTS
    activations.MIN_ELEMENTS = saved if on else SLOW
    try:
        yield
    finally:
        activations.MIN_ELEMENTS = saved


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    for _ in range(10):
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def paired(a: Callable[[], float], b: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b`` run alternately ``repeats`` times each."""
    xs, ys = [], []
    for _ in range(repeats):
        xs.append(a())
        ys.append(b())
    return statistics.median(xs), statistics.median(ys)


def minibatch(on: bool, rows: int, calls: int) -> float:
    """Forward + backward of a PPO-shaped loss through two 64-64 MLPs, µs per call."""
    from advrun.networks.mlp import MLP

    torch.manual_seed(0)
    actor, critic = MLP(4, [64, 64], "tanh"), MLP(4, [64, 64], "tanh")
    pi, v = nn.Linear(64, 2), nn.Linear(64, 1)
    obs = torch.randn(rows, 4)

    def step() -> None:
        loss = pi(actor(obs)).log_softmax(-1)[:, 0].mean() + v(critic(obs)).pow(2).mean()
        loss.backward()

    with vectorised(on):
        return per_call_us(step, calls)


def train_seconds(on: bool, steps: int) -> float:
    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    register_configs()
    overrides = [
        f"total_steps={steps}",
        f"eval.interval={10 * steps}",
        "early_stop.target_return=null",
        "progress=false",
        "checkpoint_interval=0",
    ]
    with (
        vectorised(on),
        initialize_config_dir(conf_dir(), version_base="1.3"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        trainer = Trainer(to_train_config(compose("train", overrides=overrides)), tmp)
        start = time.perf_counter()
        trainer.run()
        return time.perf_counter() - start - trainer.eval_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.disable(logging.INFO)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    act = Tanh()
    with torch.no_grad():
        for rows in (64, 1024):
            x = torch.randn(rows, 64)
            ours, plain = paired(
                lambda x=x: per_call_us(lambda: act(x), 2000),
                lambda x=x: per_call_us(lambda: torch.tanh(x), 2000),
                args.repeats,
            )
            print(
                f"tanh [{rows}, 64]: advrun {ours:.1f} µs, torch.tanh {plain:.1f} µs, "
                f"ratio {plain / ours:.2f}x"
            )
    for rows in (64, 256, 1024, 4096):
        ours, plain = paired(
            lambda rows=rows: minibatch(True, rows, 200),
            lambda rows=rows: minibatch(False, rows, 200),
            args.repeats,
        )
        print(
            f"PPO minibatch forward+backward, {rows} rows: advrun Tanh {ours:.0f} µs, "
            f"torch.tanh {plain:.0f} µs, ratio {plain / ours:.2f}x"
        )
    if args.steps:
        ours, plain = paired(
            lambda: train_seconds(True, args.steps),
            lambda: train_seconds(False, args.steps),
            max(3, args.repeats // 2),
        )
        print(
            f"advrun train env=cartpole, {args.steps} steps, no eval: advrun Tanh {ours:.2f} s, "
            f"torch.tanh {plain:.2f} s, ratio {plain / ours:.2f}x"
        )


if __name__ == "__main__":
    main()
