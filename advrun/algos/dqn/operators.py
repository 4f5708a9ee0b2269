"""Target operators and losses of the DQN family, as pure functions over tensors.

Shapes are batch-first: ``q`` is ``[B, A]`` (or any ``[..., A]`` where stated), a value,
target or action is ``[B]``. Nothing here detaches its inputs: gradients flow wherever
the inputs carry them. The caller computes every target-network output (and anything else
that must stay fixed) under ``torch.no_grad()``; only the online network's ``Q(s, a)``
given to :func:`td_loss` should require grad. Detaching silently here would hide a caller
that built its targets with gradients (a bug that slows training without any error).

Notation: ``Q`` the online network, ``Q~`` the target network (Mnih et al. 2015),
``V~(s) = max_a Q~(s, a)``, ``T Q(s, a)`` the (one-step or n-step) Bellman target.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from advrun.registry import Registry

__all__ = [
    "OPERATORS",
    "TD_LOSSES",
    "action_gap",
    "advantage_learning",
    "bootstrap_value",
    "greedy_value",
    "persistent_advantage_learning",
    "td_loss",
]

TD_LOSSES: Registry[Callable[[Tensor, Tensor], Tensor]] = Registry("TD loss", "algo.loss")
"""Losses :func:`td_loss` accepts (``huber``, ``mse``)."""

Operator = Callable[[Tensor, Tensor, Tensor, Tensor, float, Tensor], Tensor]
"""``(target, q_target_s, q_target_next, actions, alpha, next_terminated) -> target'``."""

OPERATORS: Registry[Operator] = Registry("target operator", "algo.operator")
"""The target operators ``algo.operator`` chooses among (``bellman``, ``al``, ``pal``)."""


def _check_q(q: Tensor, name: str) -> None:
    if q.dim() < 1 or q.shape[-1] < 1:
        raise ValueError(f"{name} must have a trailing action dimension >= 1, got {tuple(q.shape)}")


def _check_batch(q: Tensor, name: str, **vectors: Tensor) -> None:
    """``q`` is ``[B, A]`` and every vector is ``[B]``."""
    _check_q(q, name)
    if q.dim() != 2:
        raise ValueError(f"{name} must be [B, A], got {tuple(q.shape)}")
    for key, vec in vectors.items():
        if tuple(vec.shape) != (q.shape[0],):
            raise ValueError(f"{key} must be [B] = [{q.shape[0]}], got {tuple(vec.shape)}")


def _taken(q: Tensor, actions: Tensor) -> Tensor:
    """``q[b, actions[b]]`` as ``[B]``."""
    return q.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)


def greedy_value(q: Tensor) -> Tensor:
    """``V(s) = max_a Q(s, a)`` over the last dimension: ``[..., A] -> [...]``."""
    _check_q(q, "q")
    return q.max(dim=-1).values


def bootstrap_value(q_next_target: Tensor, q_next_online: Tensor | None = None) -> Tensor:
    """The value of the next state used in the Bellman target, ``[..., A] -> [...]``.

    * DQN (Mnih et al. 2015, Nature 518): ``V(s') = max_a Q~(s', a)``.
    * Double DQN (van Hasselt, Guez & Silver 2016, AAAI): the online network picks the
      action and the target network values it, ``V(s') = Q~(s', argmax_a Q(s', a))``,
      which removes most of the max operator's overestimation bias.

    Any leading shape works (``[B, A]``, or ``[n, B, A]`` windows for n-step targets).
    Ties in the online argmax go to the lowest action index (``torch.argmax``).
    """
    _check_q(q_next_target, "q_next_target")
    if q_next_online is None:
        return q_next_target.max(dim=-1).values
    if q_next_online.shape != q_next_target.shape:
        raise ValueError(
            f"q_next_online {tuple(q_next_online.shape)} and q_next_target "
            f"{tuple(q_next_target.shape)} must have the same shape"
        )
    best = q_next_online.argmax(dim=-1, keepdim=True)
    return q_next_target.gather(-1, best).squeeze(-1)


def advantage_learning(target: Tensor, q_target_s: Tensor, actions: Tensor, alpha: float) -> Tensor:
    """Advantage learning (Baird 1995; Bellemare et al. 2016, "Increasing the Action Gap:
    New Operators for Reinforcement Learning", AAAI), ``[B]``::

        T_AL Q(s, a) = T Q(s, a) - alpha * [V~(s) - Q~(s, a)],   V~(s) = max_b Q~(s, b)

    ``target`` is the already computed ``T Q(s, a)`` (one-step or n-step), ``q_target_s``
    the target network's ``Q~(s, .)`` at the sampled state, ``actions`` the taken actions
    and ``0 <= alpha < 1`` (the paper uses 0.9). The subtracted action gap is zero for the
    greedy action and positive otherwise, so sub-optimal actions are devalued and the gap
    between the best and the other actions grows, while the optimal policy is preserved.
    ``alpha = 0`` gives back ``target``.
    """
    _check_batch(q_target_s, "q_target_s", target=target, actions=actions)
    gap = greedy_value(q_target_s) - _taken(q_target_s, actions)
    return target - alpha * gap


def persistent_advantage_learning(
    target: Tensor,
    q_target_s: Tensor,
    q_target_next: Tensor,
    actions: Tensor,
    alpha: float,
    next_terminated: Tensor,
) -> Tensor:
    """Persistent advantage learning (Bellemare et al. 2016, AAAI), ``[B]``::

        T_PAL Q(s, a) = max{ T_AL Q(s, a),  T Q(s, a) - alpha * [V~(s') - Q~(s', a)] }
                      = T Q(s, a) - alpha * min( V~(s) - Q~(s, a),  V~(s') - Q~(s', a) )

    with the *same* action ``a`` evaluated at the successor ``s'`` (``q_target_next`` is
    ``Q~(s', .)``): repeating an action is devalued less, which favours persistent
    policies. With ``alpha = gamma`` the second term is the paper's
    ``R(s, a) + gamma * Q~(s', a)``. Since the gap at ``s'`` is ``>= 0``,
    ``T_AL <= T_PAL <= T``.

    Note: the issue text that asked for this wrote ``max(V(s) - Q(s,a), V(s') - Q(s',a))``
    inside; that subtracts the *larger* gap, i.e. it is the min of the two operators and
    lies below advantage learning. This function implements the paper's operator (the
    max of the two targets, so the min of the two gaps).

    Termination vs truncation: ``next_terminated[b]`` is True when the step ``s -> s'``
    terminated the MDP. A terminal state's Q-values are all 0, so its action gap is 0 and
    ``T_PAL = max(T_AL, T) = T``; ``q_target_next`` is ignored there. On a truncation
    (time limit) ``s'`` is a real state (the final observation) and its gap is used.
    ``s'`` is always the immediate successor, also when ``target`` is an n-step target.
    """
    _check_batch(
        q_target_s, "q_target_s", target=target, actions=actions, next_terminated=next_terminated
    )
    if q_target_next.shape != q_target_s.shape:
        raise ValueError(
            f"q_target_next {tuple(q_target_next.shape)} must match q_target_s "
            f"{tuple(q_target_s.shape)}"
        )
    gap_s = greedy_value(q_target_s) - _taken(q_target_s, actions)
    gap_next = greedy_value(q_target_next) - _taken(q_target_next, actions)
    gap_next = torch.where(next_terminated.bool(), torch.zeros_like(gap_next), gap_next)
    return target - alpha * torch.minimum(gap_s, gap_next)


def action_gap(q: Tensor) -> Tensor:
    """Best minus second-best action value, ``[B, A] -> [B]`` (0 when ``A == 1``).

    The quantity the gap-increasing operators enlarge (Farahmand 2011; Bellemare et al.
    2016): a larger gap makes the greedy policy robust to estimation error in ``Q``.
    """
    _check_q(q, "q")
    if q.shape[-1] == 1:
        return torch.zeros_like(q[..., 0])
    top2 = q.topk(2, dim=-1).values
    return top2[..., 0] - top2[..., 1]


def td_loss(q_sa: Tensor, target: Tensor, kind: str = "huber") -> Tensor:
    """Mean regression loss of ``Q(s, a)`` onto its target, a scalar.

    * ``"huber"``: Huber loss with delta 1 (``F.smooth_l1_loss``, beta 1):
      ``0.5 d^2`` for ``|d| <= 1`` and ``|d| - 0.5`` beyond, ``d = q_sa - target``. This is
      the DQN error clipping of Mnih et al. 2015 (gradients bounded by 1) and the loss
      Stable-Baselines3's DQN uses (``F.smooth_l1_loss``).
    * ``"mse"``: ``0.5 * mean(d^2)``. The factor 0.5 makes it equal to the Huber loss
      (and give the same gradient ``d``) wherever every ``|d| <= 1``, so switching the
      loss does not also rescale the learning rate.

    ``target`` must not require grad (compute it under ``torch.no_grad()``); this
    function does not detach it.
    """
    if q_sa.shape != target.shape:
        raise ValueError(
            f"q_sa {tuple(q_sa.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    name = str(getattr(kind, "value", kind))  # a str Enum member from a config works too
    if name not in TD_LOSSES:
        raise ValueError(f"unknown td loss {name!r}; expected one of {tuple(TD_LOSSES.names())}")
    return TD_LOSSES[name](q_sa, target)


@TD_LOSSES.register("huber", summary="Huber, delta 1 (DQN's error clipping)")
def _huber(q_sa: Tensor, target: Tensor) -> Tensor:
    return F.smooth_l1_loss(q_sa, target, beta=1.0)


@TD_LOSSES.register("mse", summary="0.5 * mean squared error")
def _mse(q_sa: Tensor, target: Tensor) -> Tensor:
    return 0.5 * F.mse_loss(q_sa, target)


@OPERATORS.register("bellman", summary="T Q: the (n-step) Bellman target as it is")
def _bellman(
    target: Tensor,
    q_target_s: Tensor,
    q_target_next: Tensor,
    actions: Tensor,
    alpha: float,
    next_terminated: Tensor,
) -> Tensor:
    return target


@OPERATORS.register("al", summary="advantage learning: T Q - alpha [V(s) - Q(s,a)]")
def _al(
    target: Tensor,
    q_target_s: Tensor,
    q_target_next: Tensor,
    actions: Tensor,
    alpha: float,
    next_terminated: Tensor,
) -> Tensor:
    return advantage_learning(target, q_target_s, actions, alpha)


@OPERATORS.register("pal", summary="persistent advantage learning (same action at s')")
def _pal(
    target: Tensor,
    q_target_s: Tensor,
    q_target_next: Tensor,
    actions: Tensor,
    alpha: float,
    next_terminated: Tensor,
) -> Tensor:
    return persistent_advantage_learning(
        target, q_target_s, q_target_next, actions, alpha, next_terminated
    )
