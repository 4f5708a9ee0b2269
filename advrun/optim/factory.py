"""Optimizers: each registers its typed config and a builder in :data:`OPTIMIZERS`.

* ``adam`` / ``adamw``: ``lr, betas, eps, weight_decay`` (AdamW's decay is decoupled,
  Loshchilov & Hutter 2019).
* ``sgd``: ``lr, momentum, nesterov, weight_decay``.
* ``rmsprop``: ``lr, alpha, eps, momentum, weight_decay``.

Every optimizer config also carries the training-loop knobs the algorithms apply
around it: the learning-rate ``schedule`` (with ``min_lr_ratio``) and
``max_grad_norm`` (global gradient-norm clipping).

Adam and AdamW use torch's fused kernel when it supports the parameters (CPU and
CUDA floating point, torch >= 2.4): one kernel for every parameter instead of a
Python loop, ~12% off a CartPole PPO update on CPU. Otherwise torch's default.

Each is torch's own class behind :func:`advrun.optim.eager.eager`, which skips the
``torch._dynamo`` import torch's optimizers do on first use (~1 s of start-up) while
nothing is being compiled; the update and the checkpoint format are torch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from omegaconf import MISSING

from advrun.config.errors import ConfigError
from advrun.optim.eager import eager
from advrun.optim.schedules import SCHEDULES
from advrun.registry import Registry

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]
Builder = Callable[[Params, Any], torch.optim.Optimizer]

OPTIMIZERS: Registry[Builder] = Registry("optimizer", "optimizer")


def _check(ok: bool, key: str, problem: str, fix: str) -> None:
    if not ok:
        raise ConfigError(key, problem, fix)


@dataclass
class OptimizerConfig:
    """What every optimizer takes."""

    name: str = MISSING
    # Learning rate (the start of the schedule).
    lr: float = 1e-3
    # L2 penalty (adam, sgd, rmsprop) or decoupled weight decay (adamw).
    weight_decay: float = 0.0
    # constant | linear | cosine over total_steps, down to lr * min_lr_ratio.
    schedule: str = "constant"
    min_lr_ratio: float = 0.0
    # Clip the global gradient norm; null disables clipping.
    max_grad_norm: float | None = 0.5

    def check(self, key: str) -> None:
        _check(
            math.isfinite(self.lr) and self.lr > 0,
            f"{key}.lr",
            f"{self.lr} must be > 0.",
            f"set a positive value, e.g. {key}.lr=3e-4.",
        )
        _check(
            self.weight_decay >= 0,
            f"{key}.weight_decay",
            f"{self.weight_decay} is negative.",
            f"use {key}.weight_decay=0 or a small positive value such as 1e-4.",
        )
        _check(
            self.schedule in SCHEDULES,
            f"{key}.schedule",
            f"{self.schedule!r} is not a schedule.",
            f"use one of: {', '.join(SCHEDULES.names())}.",
        )
        _check(
            0.0 <= self.min_lr_ratio <= 1.0,
            f"{key}.min_lr_ratio",
            f"{self.min_lr_ratio} is outside [0, 1].",
            f"set {key}.min_lr_ratio between 0 and 1, e.g. 0.1.",
        )
        _check(
            self.max_grad_norm is None or self.max_grad_norm > 0,
            f"{key}.max_grad_norm",
            f"{self.max_grad_norm} must be > 0.",
            f"set a positive value, e.g. {key}.max_grad_norm=0.5 (or null to disable).",
        )


@dataclass
class AdamConfig(OptimizerConfig):
    name: str = "adam"
    # Added to the denominator for stability (1e-5 as in SB3/CleanRL PPO, not torch's 1e-8).
    eps: float = 1e-5
    # Decay rates of the first and second moment estimates.
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])

    def check(self, key: str) -> None:
        super().check(key)
        _check(
            math.isfinite(self.eps) and self.eps > 0,
            f"{key}.eps",
            f"{self.eps} must be > 0.",
            f"set a positive value, e.g. {key}.eps=1e-5.",
        )
        _check(
            len(self.betas) == 2 and all(0.0 <= b < 1.0 for b in self.betas),
            f"{key}.betas",
            f"{list(self.betas)} must be two numbers in [0, 1).",
            f"use {key}.betas=[0.9,0.999].",
        )


@dataclass
class AdamWConfig(AdamConfig):
    name: str = "adamw"
    weight_decay: float = 1e-4


@dataclass
class SGDConfig(OptimizerConfig):
    name: str = "sgd"
    lr: float = 1e-2
    # Momentum factor (rmsprop: 0 disables it).
    momentum: float = 0.9
    # Nesterov momentum (needs momentum > 0).
    nesterov: bool = False

    def check(self, key: str) -> None:
        super().check(key)
        _check(
            0.0 <= self.momentum < 1.0,
            f"{key}.momentum",
            f"{self.momentum} is outside [0, 1).",
            f"use {key}.momentum=0.9 or 0.",
        )
        _check(
            not self.nesterov or self.momentum > 0,
            f"{key}.nesterov",
            "Nesterov momentum needs a momentum > 0.",
            f"set {key}.momentum=0.9 or {key}.nesterov=false.",
        )


@dataclass
class RMSpropConfig(OptimizerConfig):
    name: str = "rmsprop"
    lr: float = 7e-4
    # Smoothing constant of the squared-gradient average.
    alpha: float = 0.99
    eps: float = 1e-5
    momentum: float = 0.0

    def check(self, key: str) -> None:
        super().check(key)
        _check(
            0.0 <= self.alpha < 1.0,
            f"{key}.alpha",
            f"{self.alpha} is outside [0, 1).",
            f"use {key}.alpha=0.99.",
        )
        _check(
            math.isfinite(self.eps) and self.eps > 0,
            f"{key}.eps",
            f"{self.eps} must be > 0.",
            f"set a positive value, e.g. {key}.eps=1e-5.",
        )
        _check(
            0.0 <= self.momentum < 1.0,
            f"{key}.momentum",
            f"{self.momentum} is outside [0, 1).",
            f"use {key}.momentum=0 or 0.9.",
        )


def _adam(cls: type[torch.optim.Optimizer], params: Params, cfg: AdamConfig) -> Any:
    params = list(params)
    kwargs: dict[str, Any] = {
        "lr": float(cfg.lr),
        "betas": (float(cfg.betas[0]), float(cfg.betas[1])),
        "eps": float(cfg.eps),
        "weight_decay": float(cfg.weight_decay),
    }
    try:
        return cls(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # unsupported device/dtype/version
        return cls(params, **kwargs)


@OPTIMIZERS.register("adam", config=AdamConfig, summary="Adam (Kingma & Ba, 2015), fused")
def _build_adam(params: Params, cfg: AdamConfig) -> torch.optim.Optimizer:
    return _adam(eager(torch.optim.Adam), params, cfg)


@OPTIMIZERS.register("adamw", config=AdamWConfig, summary="AdamW: Adam with decoupled decay")
def _build_adamw(params: Params, cfg: AdamWConfig) -> torch.optim.Optimizer:
    return _adam(eager(torch.optim.AdamW), params, cfg)


@OPTIMIZERS.register("sgd", config=SGDConfig, summary="SGD with (Nesterov) momentum")
def _build_sgd(params: Params, cfg: SGDConfig) -> torch.optim.Optimizer:
    return eager(torch.optim.SGD)(
        params,
        lr=float(cfg.lr),
        momentum=float(cfg.momentum),
        nesterov=bool(cfg.nesterov),
        weight_decay=float(cfg.weight_decay),
    )


@OPTIMIZERS.register("rmsprop", config=RMSpropConfig, summary="RMSprop (the A2C paper's)")
def _build_rmsprop(params: Params, cfg: RMSpropConfig) -> torch.optim.Optimizer:
    return eager(torch.optim.RMSprop)(
        params,
        lr=float(cfg.lr),
        alpha=float(cfg.alpha),
        eps=float(cfg.eps),
        momentum=float(cfg.momentum),
        weight_decay=float(cfg.weight_decay),
    )


def make_optimizer(params: Params, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """The optimizer ``cfg.name`` over ``params`` (tensors or param-group dicts)."""
    return OPTIMIZERS[cfg.name](params, cfg)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set ``lr * group["lr_scale"]`` (scale 1 when absent) on every param group of
    ``optimizer``, e.g. once per update from :func:`advrun.optim.schedules.lr_at`;
    the scale is how :func:`advrun.optim.groups.param_groups` slows loaded parts."""
    lr = float(lr)
    for group in optimizer.param_groups:
        group["lr"] = lr * float(group.get("lr_scale", 1.0))
