#!/usr/bin/env python
"""Time of ``ReplayBuffer.sample`` and ``add`` on CartPole-shaped data (obs ``[4]``).

Fills a buffer of ``--capacity`` transitions past wrap-around with ~1% dummy rows, then
times ``sample(--batch, n=--n)`` and a one-row ``add`` with ``timeit`` (best and median
of ``--repeats`` blocks of ``--number`` calls, one torch thread). With stable-baselines3
installed (``pip install 'advrun[bench]'``) it also times SB3's ``ReplayBuffer.sample``
(one-step transitions) on the same machine for reference.

    python scripts/bench_replay.py                       # capacity 100k, batch 64, n 3
    python scripts/bench_replay.py --capacity 1000 --number 10 --repeats 1   # smoke
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

import numpy as np
import torch

from advrun.replay import ReplayBuffer


def timed(fn: Callable[[], object], number: int, repeats: int) -> tuple[float, float]:
    """(best, median) microseconds per call."""
    fn()
    blocks = [t / number * 1e6 for t in timeit.repeat(fn, number=number, repeat=repeats)]
    return min(blocks), statistics.median(blocks)


def fill(buf: ReplayBuffer, rng: np.random.Generator) -> None:
    n, chunk = buf.num_envs, 1000
    for _ in range(buf.rows // chunk + 2):
        valid = rng.random((chunk, n)) > 0.01
        buf.add(
            rng.standard_normal((chunk, n, 4)).astype(np.float32),
            rng.integers(0, 2, (chunk, n)),
            np.ones((chunk, n), dtype=np.float32),
            ~valid,
            ~valid,
            valid,
            rng.standard_normal((n, 4)).astype(np.float32),
        )


def one_row(num_envs: int) -> tuple[np.ndarray, ...]:
    """Arguments of ``ReplayBuffer.add`` for one valid row of zeros."""
    obs = np.zeros((1, num_envs, 4), dtype=np.float32)
    zeros = np.zeros((1, num_envs), dtype=np.float32)
    false, true = np.zeros((1, num_envs), dtype=bool), np.ones((1, num_envs), dtype=bool)
    return obs, zeros, zeros, false, false, true, obs[0]


def sb3_sample(capacity: int, batch: int, number: int, repeats: int) -> tuple[float, float]:
    from gymnasium import spaces
    from stable_baselines3.common.buffers import ReplayBuffer as SB3Buffer

    obs_space = spaces.Box(-np.inf, np.inf, (4,), dtype=np.float32)
    buf = SB3Buffer(capacity, obs_space, spaces.Discrete(2), device="cpu")
    rng = np.random.default_rng(0)
    for _ in range(capacity + 10):
        o = rng.standard_normal((1, 4)).astype(np.float32)
        buf.add(o, o, np.zeros((1, 1)), np.ones(1), np.zeros(1), [{}])
    np.random.seed(0)
    return timed(lambda: buf.sample(batch), number, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--capacity", type=int, default=100_000)
    parser.add_argument("--num-envs", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    for num_envs in args.num_envs:
        buf = ReplayBuffer(args.capacity, num_envs, (4,), np.float32)
        fill(buf, np.random.default_rng(0))
        best, med = timed(
            lambda b=buf: b.sample(args.batch, args.n, gen), args.number, args.repeats
        )
        row = one_row(num_envs)
        add_best, add_med = timed(lambda b=buf, r=row: b.add(*r), args.number, args.repeats)
        print(
            f"advrun sample(batch={args.batch}, n={args.n}), capacity {args.capacity}, "
            f"num_envs {num_envs}: best {best:.1f} us, median {med:.1f} us; "
            f"add(1 row): best {add_best:.1f} us, median {add_med:.1f} us"
        )
    try:
        best, med = sb3_sample(args.capacity, args.batch, args.number, args.repeats)
    except ImportError:
        print("stable-baselines3 not installed: no SB3 reference")
    else:
        print(
            f"SB3 ReplayBuffer.sample(batch={args.batch}) (n=1), capacity {args.capacity}: "
            f"best {best:.1f} us, median {med:.1f} us"
        )


if __name__ == "__main__":
    main()
