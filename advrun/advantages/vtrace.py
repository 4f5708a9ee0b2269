"""V-trace off-policy corrected targets and advantages (Espeholt et al., 2018, IMPALA)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs
from advrun.config.errors import checked

from ._checks import check_gamma, prepare_inputs

__all__ = ["vtrace"]


def _check_clip(value: object, name: str, *, allow_zero: bool) -> float:
    """Validate a truncation level: a real number > 0 (>= 0 if ``allow_zero``), inf allowed."""
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number {bound}, got {value!r}")
    as_float = float(value)
    if math.isnan(as_float) or as_float < 0.0 or (as_float == 0.0 and not allow_zero):
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return as_float


def _check_log_rhos(log_rhos: object, values: Tensor) -> Tensor:
    """Return ``log_rhos`` detached, with the dtype/device of ``values``, after shape checks."""
    if not isinstance(log_rhos, Tensor):
        raise ValueError(f"log_rhos must be a torch.Tensor, got {type(log_rhos).__name__}")
    if not log_rhos.is_floating_point():
        raise ValueError(f"log_rhos must be a floating point tensor, got dtype {log_rhos.dtype}")
    if log_rhos.shape != values.shape:
        raise ValueError(
            f"log_rhos has shape {tuple(log_rhos.shape)} but values has shape "
            f"{tuple(values.shape)}; all inputs must share the same [T, N] shape"
        )
    return log_rhos.detach().to(dtype=values.dtype, device=values.device)


def vtrace(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
    log_rhos: Tensor,
    rho_bar: float = 1.0,
    c_bar: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """V-trace value targets and the importance-weighted policy-gradient advantage.

    ``log_rhos[t] = log pi(a_t|s_t) - log mu(a_t|s_t)`` (target policy ``pi`` being learned,
    behaviour policy ``mu`` that collected the rollout). Truncated importance weights
    (IMPALA eq. 1): ``rho_t = min(rho_bar, exp(log_rhos_t))``, ``c_t = min(c_bar,
    exp(log_rhos_t))``. ``rho_bar`` sets the fixed point (the value of a policy between
    ``mu`` and ``pi``); ``c_bar`` only sets how far corrections travel back (the paper
    assumes ``rho_bar >= c_bar``; not enforced).

    **Targets** (``returns``), with ``W_t = v_t - values_t``::

        delta_t = rho_t * (r_t + gamma * (1 - terminated_t) * next_values_t - values_t)
        W_t     = delta_t + gamma * c_t * (1 - done_t) * W_{t+1},     W_T = 0
        v_t     = values_t + W_t

    This is eq. 1's recursion ``v_s = V(x_s) + delta_s + gamma c_s (v_{s+1} - V(x_{s+1}))``
    with the recursion cut at ``done`` and the segment end (``v = V`` there, i.e. the
    target bootstraps from ``next_values`` like a truncation). A termination never
    bootstraps (``next_values`` ignored); a truncation bootstraps from ``next_values_t``
    (V of the final observation) inside ``delta_t``.

    **Advantages** (IMPALA §4.2, the policy-gradient term)::

        A_t = rho_t * (r_t + gamma * (1 - terminated_t) * vnext_t - values_t)
        vnext_t = v_{t+1}         if not done_t and t < T - 1   (V-trace target of s_{t+1})
                = next_values_t   otherwise (episode ended, or segment end)

    **Here advantages != returns - values** in general. On consistent data
    (``next_values_t = values_{t+1}`` inside episodes), for a step that is not done,
    ``A_t - (v_t - values_t) = gamma * (rho_t - c_t) * (v_{t+1} - values_{t+1})``; they agree
    where ``rho_t == c_t`` (e.g. ``rho_bar == c_bar``) and on done rows.

    Special cases: ``log_rhos = 0`` with ``rho_bar = c_bar = 1`` (on-policy) gives
    ``returns`` = GAE(lambda=1) returns and ``A_t = r_t + gamma (1-terminated_t) vnext_t -
    values_t`` (the one-step TD error against the V-trace target), which equals
    ``returns - values`` (the Monte-Carlo advantage) on consistent data. ``log_rhos = 0``,
    ``rho_bar = 1``, ``c_bar = lam`` gives GAE(lam) returns. ``c_bar = 0`` gives the
    one-step ``values + rho * TD error``.

    **No gradient flows through** ``log_rhos`` (nor ``values``/``next_values``): everything
    is computed from detached inputs under ``torch.no_grad()``, so the outputs are constants
    for the loss, as in IMPALA (the targets and ``rho_t`` are treated as fixed).
    Pass ``log_rhos`` from the current policy; recompute them (and call this again) after
    each policy update if the algorithm runs several epochs.

    Args:
        rewards, values, next_values: float tensors ``[T, N]`` (time-major).
        terminated, done: bool (or 0/1) tensors ``[T, N]``; terminated implies done.
        gamma: discount factor in [0, 1].
        log_rhos: float tensor ``[T, N]`` of log importance ratios (may be ``-inf``).
        rho_bar: truncation of ``rho`` (> 0; ``math.inf`` disables it).
        c_bar: truncation of the trace coefficients ``c`` (>= 0; ``math.inf`` disables it).

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``values``.

    Raises:
        ValueError: on invalid inputs (as the other estimators), a non-tensor, non-float or
            wrongly shaped ``log_rhos``, or ``rho_bar <= 0`` / ``c_bar < 0`` / NaN.
    """
    gamma = check_gamma(gamma)
    rho_bar = _check_clip(rho_bar, "rho_bar", allow_zero=False)
    c_bar = _check_clip(c_bar, "c_bar", allow_zero=True)
    x = prepare_inputs(rewards, values, next_values, terminated, done)
    log_rhos = _check_log_rhos(log_rhos, x.values)
    with torch.no_grad():
        ratios = torch.exp(log_rhos)
        rho = ratios.clamp(max=rho_bar)
        c = ratios.clamp(max=c_bar)
        delta = rho * (x.rewards + gamma * x.not_terminated * x.next_values - x.values)
        coef = gamma * c * x.not_done
        corrections = torch.empty_like(delta)
        num_steps = delta.shape[0]
        if num_steps:
            corrections[-1] = delta[-1]
            for t in range(num_steps - 2, -1, -1):
                # W_t = delta_t + coef_t * W_{t+1}
                torch.addcmul(delta[t], coef[t], corrections[t + 1], out=corrections[t])
        returns = corrections + x.values

        # v_{t+1} where the episode continues inside the segment, else next_values_t.
        vnext = x.next_values.clone()
        if num_steps > 1:
            flows = x.not_done[:-1] > 0
            vnext[:-1] = torch.where(flows, returns[1:], x.next_values[:-1])
        advantages = rho * (x.rewards + gamma * x.not_terminated * vnext - x.values)
        return advantages, returns


@dataclass
class VTraceConfig(EstimatorConfig):
    name: str = "vtrace"
    # Truncation of the importance weight in the TD error (rho-bar) and in the trace (c-bar).
    rho_bar: float = 1.0
    c_bar: float = 1.0

    def check(self, key: str) -> None:
        super().check(key)
        checked(
            f"{key}.rho_bar",
            lambda v: _check_clip(v, "rho_bar", allow_zero=False),
            self.rho_bar,
            f"set {key}.rho_bar=1.0.",
        )
        checked(
            f"{key}.c_bar",
            lambda v: _check_clip(v, "c_bar", allow_zero=True),
            self.c_bar,
            f"set {key}.c_bar=1.0.",
        )


@ESTIMATORS.register(
    "vtrace",
    config=VTraceConfig,
    needs_critic=True,
    off_policy=True,
    summary="V-trace (IMPALA): off-policy corrected, re-run with the current policy",
)
def _estimate(x: EstimatorInputs, cfg: VTraceConfig) -> tuple[Tensor, Tensor]:
    # Without ratios the behaviour policy is the current one: every ratio is 1.
    log_rhos = torch.zeros_like(x.values) if x.log_rhos is None else x.log_rhos
    return vtrace(
        x.rewards,
        x.values,
        x.next_values,
        x.terminated,
        x.done,
        gamma=cfg.gamma,
        log_rhos=log_rhos,
        rho_bar=cfg.rho_bar,
        c_bar=cfg.c_bar,
    )
