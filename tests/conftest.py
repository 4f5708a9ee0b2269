"""Shared fixtures: Hydra isolation for in-process CLI runs, tiny-run overrides, and one
small trained run reused by the checkpoint / TensorBoard / eval-command tests.

Every run writes under pytest's ``tmp_path`` (``hydra.run.dir`` / ``hydra.sweep.dir``
are always set), so nothing lands in ``outputs/``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Overrides for a run that takes well under a second on one slow core.
TINY: dict[str, str] = {
    "total_steps": "256",
    "env.num_envs": "2",
    "algo.rollout_steps": "32",
    "eval.episodes": "2",
    "eval.interval": "0",
    "checkpoint_interval": "0",
    "env.max_episode_steps": "50",
    "progress": "false",
    "device": "cpu",
}


def tiny_args(**changes: object) -> list[str]:
    """``key=value`` overrides for a tiny run; keyword ``a__b=x`` means ``a.b=x`` and
    ``a__b=None`` drops that tiny override (e.g. ``algo.rollout_steps`` for DQN)."""
    merged = dict(TINY)
    for key, value in changes.items():
        if value is None:
            merged.pop(key.replace("__", "."), None)
        else:
            merged[key.replace("__", ".")] = str(value)
    return [f"{k}={v}" for k, v in merged.items()]


class _HydraIsolation:
    """Clear Hydra's global state and restore ``sys.argv`` / logging around a block.

    ``advrun.cli.main`` rewrites ``sys.argv`` and Hydra installs logging handlers that
    point into the run directory; both would leak into later tests otherwise.
    """

    def __enter__(self) -> _HydraIsolation:
        from hydra.core.global_hydra import GlobalHydra

        GlobalHydra.instance().clear()
        self.argv = list(sys.argv)
        self.loggers = {
            name: (lg.handlers[:], lg.level, lg.propagate)
            for name, lg in ((n, logging.getLogger(n)) for n in ("", "hydra"))
        }
        return self

    def __exit__(self, *exc: object) -> None:
        from hydra.core.global_hydra import GlobalHydra

        GlobalHydra.instance().clear()
        sys.argv = self.argv
        for name, (handlers, level, propagate) in self.loggers.items():
            lg = logging.getLogger(name)
            for h in lg.handlers[:]:
                if h not in handlers:
                    lg.removeHandler(h)
                    h.close()
            for h in handlers:
                if h not in lg.handlers:
                    lg.addHandler(h)
            lg.setLevel(level)
            lg.propagate = propagate


@pytest.fixture
def tiny() -> Callable[..., list[str]]:
    """``tiny(key=value, ...)``: the tiny-run overrides as a ``key=value`` list."""
    return tiny_args


@pytest.fixture(autouse=True)
def hydra_isolation() -> Iterator[None]:
    with _HydraIsolation():
        yield


def _run_cli(argv: list[str]) -> None:
    from advrun.cli import main

    with _HydraIsolation():
        main(argv)


@pytest.fixture
def cli() -> Callable[[list[str]], None]:
    """Call ``advrun <argv>`` in-process (Hydra state cleared before and after)."""
    return _run_cli


@pytest.fixture
def train_run() -> Callable[..., Path]:
    """Factory: ``train_run(run_dir, key=value, ...)`` runs a tiny ``advrun train`` into
    ``run_dir`` and returns it (``a__b=x`` stands for the override ``a.b=x``)."""

    def run(run_dir: Path, **changes: object) -> Path:
        _run_cli(["train", *tiny_args(**changes), f"hydra.run.dir={run_dir}"])
        return run_dir

    return run


@pytest.fixture
def compose_train() -> Callable[..., object]:
    """Factory: compose the ``train`` config with overrides (no run)."""
    import hydra

    from advrun.config import conf_dir, register_configs

    def compose(overrides: list[str]):
        register_configs()
        with (
            _HydraIsolation(),
            hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"),
        ):
            return hydra.compose("train", overrides=overrides)

    return compose


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny PPO/GAE CartPole run shared by read-only tests.

    Short episodes (``max_episode_steps=20``) so episodes end during training, and an
    eval every 128 steps so ``eval/*`` scalars are logged mid-run.
    """
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    _run_cli(
        [
            "train",
            *tiny_args(env__max_episode_steps=20, eval__interval=128),
            f"hydra.run.dir={run_dir}",
        ]
    )
    return run_dir
