"""The algorithm contract: what one RL family owns, and what it leaves to the Trainer.

An :class:`Algorithm` owns how its data is collected and stored (a rollout, or a replay
buffer), when and how it calls its advantage/return estimator, its update, its schedules
(learning rate, PPO's clip range, DQN's epsilon and target sync), its metrics and its
part of the checkpoint. The :class:`~advrun.training.trainer.Trainer` keeps what every
run shares: the loop to ``total_steps``, evaluation, early stopping, checkpoints,
signals, TensorBoard and the summary. They meet in three calls::

    it = algorithm.iterate(budget, progress)  # collect <= budget env steps and learn
    actions = algorithm.act(obs)              # the evaluation policy
    state = algorithm.state_dict()            # merged into last.pt

An algorithm registers itself with its typed config (``@ALGORITHMS.register("ppo",
config=PPOConfig)``); the config's :meth:`AlgoConfig.check` validates the section and
its combinations with the rest of the run (the estimator, the network, the env) before
any work starts. Adding an algorithm is one module, one YAML in ``conf/algo/`` and its
tests.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from omegaconf import MISSING
from torch import Tensor, nn

from advrun.collect.collector import Collector, EpisodeStats
from advrun.optim import lr_at, set_lr
from advrun.registry import Registry

if TYPE_CHECKING:
    from advrun.advantages import EstimatorConfig
    from advrun.config.schema import TrainConfig
    from advrun.optim import OptimizerConfig


@dataclass
class AlgoConfig:
    """What every algorithm config has: its registered name."""

    name: str = MISSING

    def check(self, key: str, run: TrainConfig) -> None:
        """Range checks of this section and its combinations with the rest of ``run``
        (raise :class:`~advrun.config.errors.ConfigError`)."""


@dataclass
class Iteration:
    """What one :meth:`Algorithm.iterate` did."""

    # Env steps taken (rows x envs, NEXT_STEP dummy rows included).
    steps: int
    # TensorBoard tag -> value ("losses/...", "charts/..."); every "losses/" value must
    # be finite (the Trainer stops the run otherwise).
    metrics: dict[str, float]
    episodes: EpisodeStats = field(default_factory=EpisodeStats)


@dataclass
class Parts:
    """What the builder hands an algorithm: everything built from the run's config."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    collector: Collector
    algo: Any
    advantage: EstimatorConfig
    optim: OptimizerConfig
    device: torch.device
    seed: int
    total_steps: int


class Algorithm(ABC):
    """One family's specifics (module docstring). Subclasses set ``network`` to the
    network family they need (:data:`advrun.networks.NETWORKS`)."""

    network: ClassVar[str] = "actor_critic"

    def __init__(self, parts: Parts) -> None:
        self.model = parts.model
        self.optimizer = parts.optimizer
        self.collector = parts.collector
        self.config = parts.algo
        self.estimator_config = parts.advantage
        self.optim_config = parts.optim
        self.device = parts.device
        self.total_steps = parts.total_steps
        self.env_steps = 0  # taken by this algorithm so far (restored on resume)
        self.generator = torch.Generator().manual_seed(parts.seed)

    # -- the contract -----------------------------------------------------------------
    @abstractmethod
    def iterate(self, budget: int, progress: float) -> Iteration:
        """Collect at most about ``budget`` env steps (one row of the vector env may
        overshoot it by ``num_envs - 1``) and learn from them. ``progress`` is the
        fraction of ``total_steps`` done before this call (schedules anneal on it)."""

    @abstractmethod
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """Evaluation actions for ``obs [N, ...]`` (``deterministic``: the argmax or the
        Gaussian mean; a value-based policy is always greedy)."""

    def eval_policy(self, deterministic: bool = True) -> Callable[[Tensor], Tensor]:
        """A fresh policy ``obs -> actions`` for one evaluation (one episode per env from
        a reset); stateful for a recurrent model, :meth:`act` otherwise."""
        return functools.partial(self.act, deterministic=deterministic)

    def state_dict(self) -> dict[str, Any]:
        """This algorithm's part of ``last.pt``: weights-only-safe containers."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "collector": self.collector.state_dict(),
            "algo_state": {"env_steps": self.env_steps, **self.extra_state()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> bool:
        """Restore :meth:`state_dict`; returns whether the resume is exact (False when
        the env's state could not be saved, or the algorithm's own could not)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        own = state.get("algo_state", {})
        self.env_steps = int(own.get("env_steps", state.get("global_step", 0)))
        exact_env = self.collector.load_state_dict(state["collector"])
        return self.load_extra_state(own) and exact_env

    # -- hooks for subclasses ---------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        """Algorithm-specific checkpoint state (target network, replay buffer, ...)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> bool:
        """Restore :meth:`extra_state`; False when part of it was not saved."""
        return True

    # -- shared helpers ---------------------------------------------------------------
    def set_learning_rate(self, progress: float) -> float:
        """Anneal the learning rate by ``optimizer.schedule`` and return it."""
        cfg = self.optim_config
        lr = lr_at(progress, base_lr=cfg.lr, schedule=cfg.schedule, min_lr_ratio=cfg.min_lr_ratio)
        set_lr(self.optimizer, lr)
        return lr


ALGORITHMS: Registry[type[Algorithm]] = Registry("algorithm", "algo")
