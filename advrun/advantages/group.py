"""Critic-free group baselines: GRPO (Shao et al., 2024) and RLOO (Kool et al., 2019).

**Rollout contract** (the collector arranges it; it cannot be checked here). The ``N``
environments form ``N // K`` groups of ``K = group_size`` contiguous envs: env ``j``
belongs to group ``j // K``. Every env of a group starts its episode from the same start
state at row 0 and plays exactly **one** episode in the rollout. An env's rows after the
first row where its episode ended are **invalid** (what an auto-reset env does there
is ignored). The valid mask is derived from ``done`` (see :func:`first_episode_mask`)
rather than passed in: under the one-episode contract ``done`` already says everything,
and a second argument could disagree with it. Invalid rows get advantage 0 and return 0;
the caller should still mask its loss with :func:`first_episode_mask` (a zero advantage
removes a row from the policy-gradient term, not from an entropy or KL term).

**Estimator: per-step returns-to-go minus a per-time-step group baseline.** For member
``i`` of a group and row ``t``::

    G^i_t = sum_{k >= t, k valid} gamma^(k-t) r^i_k       (0 on invalid rows)
    x_t   = (G^1_t, ..., G^K_t)                           (finished members give 0)

and the advantage of member ``i`` at ``t`` compares ``G^i_t`` with the other members' ``G_t``
at the same ``t``. A member whose episode has ended has ``G_t = 0`` (its true remaining
return), so it counts as 0 rather than being dropped: every baseline has exactly ``K - 1``
(RLOO) or ``K`` (GRPO) terms, and the RLOO ``K/(K-1)`` identity holds at every row.

Why this and not the LLM form (one episode-level return broadcast to every step): a
policy-gradient term ``grad log pi(a_t|s_t) * (G_t - b_t)`` needs only the rewards from
``t`` on; the rewards before ``t`` do not depend on ``a_t`` and only add variance
(reward-to-go / causality). The time-indexed baseline matches the scale of ``G_t``, which
shrinks as an episode nears its end. When rewards arrive only at the final step,
``gamma = 1`` and all members' episodes have the same length, both forms coincide.

Unbiasedness: the other members' returns depend only on their own (independently sampled)
actions from the shared start state, so they are independent of member ``i``'s actions and
``E[grad log pi(a^i_t|s^i_t) * b^{-i}_t] = 0``: the leave-one-out baseline (RLOO) is
unbiased. The plain group mean and std (GRPO) include member ``i`` itself, a small bias
(of order ``1/K``) that GRPO accepts.

**No bootstrap.** There is no critic, so nothing bootstraps: ``terminated`` and truncated
episodes are treated alike (the episode's return is the sum of its observed rewards), and
an episode still running at the segment end counts only the rewards inside the segment
(choose ``T`` at least the maximum episode length). ``terminated`` is accepted for the
common estimator interface and treated as ``done | terminated``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
from omegaconf import MISSING
from torch import Tensor

from advrun.advantages.registry import ESTIMATORS, EstimatorConfig, EstimatorInputs
from advrun.config.errors import ConfigError

from ._checks import check_gamma, to_bool_mask

__all__ = ["first_episode_mask", "grpo", "rloo"]


def first_episode_mask(terminated: Tensor, done: Tensor) -> Tensor:
    """Bool ``[T, N]`` mask: True on the rows of each env's first episode.

    ``valid_t = no (done | terminated) at any row < t``: the row where the episode ends is
    valid, every later row is not. Both inputs are bool (or 0/1) ``[T, N]`` tensors.
    """
    ended = _check_masks(terminated, done)
    valid = torch.ones_like(ended)
    if ended.shape[0] > 1:
        valid[1:] = ended.cumsum(dim=0)[:-1] == 0
    return valid


def _check_masks(terminated: Tensor, done: Tensor) -> Tensor:
    """Validate the two masks and return ``done | terminated`` as a bool tensor."""
    for name, tensor in (("terminated", terminated), ("done", done)):
        if not isinstance(tensor, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dim() != 2:
            raise ValueError(
                f"{name} must be 2-D with shape [T, N], got {tensor.dim()}-D shape "
                f"{tuple(tensor.shape)}"
            )
    if terminated.shape != done.shape:
        raise ValueError(
            f"terminated has shape {tuple(terminated.shape)} but done has shape "
            f"{tuple(done.shape)}; all inputs must share the same [T, N] shape"
        )
    term = to_bool_mask(terminated, "terminated")
    return to_bool_mask(done, "done").to(term.device) | term


def _check_group_size(group_size: object, num_envs: int) -> int:
    """Validate ``group_size`` (an int >= 2 that divides ``num_envs``)."""
    if isinstance(group_size, bool) or not isinstance(group_size, numbers.Integral):
        raise ValueError(f"group_size must be an int >= 2, got {group_size!r}")
    if group_size < 2:
        raise ValueError(
            f"group_size must be >= 2, got {group_size!r}: a group of one has no other "
            "member to form a baseline from"
        )
    if num_envs % group_size:
        raise ValueError(
            f"group_size={group_size} does not divide the number of envs N={num_envs}; "
            "envs are grouped contiguously (env j in group j // group_size), so N must be "
            "a multiple of group_size"
        )
    return int(group_size)


def _group_returns(
    rewards: Tensor, terminated: Tensor, done: Tensor, gamma: object, group_size: object
) -> tuple[Tensor, Tensor, int]:
    """Validate, then return ``(G [T, N], valid [T, N] bool, K)``; ``G`` is 0 where invalid."""
    gamma = check_gamma(gamma)
    if not isinstance(rewards, Tensor):
        raise ValueError(f"rewards must be a torch.Tensor, got {type(rewards).__name__}")
    if rewards.dim() != 2:
        raise ValueError(
            f"rewards must be 2-D with shape [T, N], got {rewards.dim()}-D shape "
            f"{tuple(rewards.shape)}"
        )
    if not rewards.is_floating_point():
        raise ValueError(f"rewards must be a floating point tensor, got dtype {rewards.dtype}")
    valid = first_episode_mask(terminated, done).to(rewards.device)
    if valid.shape != rewards.shape:
        raise ValueError(
            f"terminated and done have shape {tuple(valid.shape)} but rewards has shape "
            f"{tuple(rewards.shape)}; all inputs must share the same [T, N] shape"
        )
    k = _check_group_size(group_size, rewards.shape[1])
    with torch.no_grad():
        # Zero the rewards of invalid rows (they may hold anything, even NaN): then G_t is
        # the plain discounted sum to the segment end, it stops at the episode's end by
        # itself, and it is 0 on every invalid row.
        r = torch.where(valid, rewards.detach(), torch.zeros_like(rewards))
        returns = torch.empty_like(r)
        num_steps = r.shape[0]
        if num_steps:
            returns[-1] = r[-1]
            for t in range(num_steps - 2, -1, -1):
                torch.add(r[t], returns[t + 1], alpha=gamma, out=returns[t])
    return returns, valid, k


def grpo(
    rewards: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
    group_size: int,
    eps: float = 1e-8,
) -> tuple[Tensor, Tensor]:
    """Group-relative advantages (GRPO; Shao et al., 2024, DeepSeekMath, §4.1).

    With ``x_t`` the ``K`` members' returns-to-go at row ``t`` (module docstring)::

        A^i_t = (G^i_t - mean(x_t)) / (std(x_t) + eps)      on valid rows, else 0

    ``std`` is the population std (divide by ``K``), as :func:`normalize` uses, so the
    ``K`` normalised values of a row have unit std (up to ``eps``) wherever the std is
    non-zero and all members are still in their episode; a row where all members agree
    gives 0. (TRL's implementation uses the ``K - 1`` std; the two differ by
    ``sqrt(K / (K - 1))``.) Mean and std include member ``i`` itself (GRPO's accepted bias).

    Args:
        rewards: float tensor ``[T, N]`` (time-major); ignored on invalid rows.
        terminated, done: bool (or 0/1) tensors ``[T, N]``.
        gamma: discount factor in [0, 1].
        group_size: ``K``, an int >= 2 dividing ``N``. ``K = 1`` raises: the advantage
            would be identically 0 (nothing to compare with).
        eps: added to the std; a real number >= 0.

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``rewards``;
        ``returns`` are the per-step returns-to-go ``G_t`` (0 on invalid rows).

    Raises:
        ValueError: on invalid inputs, gamma, group_size or eps.
    """
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 <= eps < math.inf:
        raise ValueError(f"eps must be a finite real number >= 0, got {eps!r}")
    returns, valid, k = _group_returns(rewards, terminated, done, gamma, group_size)
    with torch.no_grad():
        grouped = returns.reshape(returns.shape[0], returns.shape[1] // k, k)
        centred = grouped - grouped.mean(dim=2, keepdim=True)
        std = centred.square().mean(dim=2, keepdim=True).sqrt()  # population std
        advantages = (centred / (std + float(eps))).reshape_as(returns)
        advantages = torch.where(valid, advantages, torch.zeros_like(advantages))
    return advantages, returns


def rloo(
    rewards: Tensor,
    terminated: Tensor,
    done: Tensor,
    *,
    gamma: float,
    group_size: int,
) -> tuple[Tensor, Tensor]:
    """REINFORCE leave-one-out advantages (Kool et al., 2019; Ahmadian et al., 2024).

    With ``x_t`` the ``K`` members' returns-to-go at row ``t`` (module docstring)::

        A^i_t = G^i_t - 1/(K-1) * sum_{j != i} G^j_t = K/(K-1) * (G^i_t - mean(x_t))

    on valid rows, else 0. The baseline uses only the *other* members, so it is independent
    of member ``i``'s actions and the estimate is unbiased; no normalisation is applied.

    Args:
        rewards: float tensor ``[T, N]`` (time-major); ignored on invalid rows.
        terminated, done: bool (or 0/1) tensors ``[T, N]``.
        gamma: discount factor in [0, 1].
        group_size: ``K``, an int >= 2 dividing ``N`` (``K = 1`` leaves no other member).

    Returns:
        ``(advantages, returns)``, both ``[T, N]`` with the dtype/device of ``rewards``;
        ``returns`` are the per-step returns-to-go ``G_t`` (0 on invalid rows).

    Raises:
        ValueError: on invalid inputs, gamma or group_size.
    """
    returns, valid, k = _group_returns(rewards, terminated, done, gamma, group_size)
    with torch.no_grad():
        grouped = returns.reshape(returns.shape[0], returns.shape[1] // k, k)
        others = (grouped.sum(dim=2, keepdim=True) - grouped) / (k - 1)
        advantages = (grouped - others).reshape_as(returns)
        advantages = torch.where(valid, advantages, torch.zeros_like(advantages))
    return advantages, returns


@dataclass
class GroupConfig(EstimatorConfig):
    """Critic-free group baselines: ``env.num_envs`` envs form groups of ``group_size``."""

    name: str = MISSING
    # Envs per group (identical start states); must divide env.num_envs.
    group_size: int = 8
    # GRPO already divides by the group's std; a second standardisation is off.
    normalize: bool = False

    def check(self, key: str) -> None:
        super().check(key)
        if isinstance(self.group_size, bool) or self.group_size < 2:
            raise ConfigError(
                f"{key}.group_size",
                f"{self.group_size} leaves no other member to compare with.",
                f"set {key}.group_size=2 or more (8 is a good start).",
            )


@dataclass
class GRPOConfig(GroupConfig):
    name: str = "grpo"
    # Added to the group std before dividing.
    eps: float = 1e-8


@dataclass
class RLOOConfig(GroupConfig):
    name: str = "rloo"


@ESTIMATORS.register(
    "grpo",
    config=GRPOConfig,
    needs_critic=False,
    grouped=True,
    summary="GRPO: return-to-go minus the group mean, over the group std (no critic)",
)
def _estimate_grpo(x: EstimatorInputs, cfg: GRPOConfig) -> tuple[Tensor, Tensor]:
    return grpo(
        x.rewards, x.terminated, x.done, gamma=cfg.gamma, group_size=cfg.group_size, eps=cfg.eps
    )


@ESTIMATORS.register(
    "rloo",
    config=RLOOConfig,
    needs_critic=False,
    grouped=True,
    summary="RLOO: return-to-go minus the leave-one-out group mean (no critic)",
)
def _estimate_rloo(x: EstimatorInputs, cfg: RLOOConfig) -> tuple[Tensor, Tensor]:
    return rloo(x.rewards, x.terminated, x.done, gamma=cfg.gamma, group_size=cfg.group_size)
