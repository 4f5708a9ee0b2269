"""An actor-critic's action paths for collection and evaluation loops, without module
dispatch.

Evaluation calls the policy once per env step on a handful of rows (20 episodes: 20
rows, up to an episode's length of calls), so the fixed cost of a call dominates: on
the 2-core CPU, ``ActorCritic.policy_action`` on 20 CartPole observations (a 64-64
tanh actor) took ~88 us, most of it ``nn.Module.__call__`` dispatch and parameter
lookups around six module calls (~5 us each), against ~35 us for the same kernels
called directly. :func:`direct_policy` gives ``obs -> actions`` that runs exactly the
kernels ``policy_action`` runs (``F.linear`` on the same parameter tensors, each
activation module's own ``forward`` so advrun's ``Tanh`` picks its path as it would, the
same observation preparation and action choice), so its actions equal
``policy_action``'s bit for bit (tests/networks/test_direct.py).

:func:`direct_act` does the same for collection: ``obs -> (action, log_prob, value)``
with the kernels of :meth:`~advrun.networks.ActorCritic.act` (sampled). A rollout row
calls it once on every env's observation; on the 2-core CPU a CartPole row (64 envs,
separate 64-64 tanh actor and critic) took ~305 us through ``act``, of which ~200 us the
module forward, against ~115 us for the same kernels called directly.

It applies to a plain-MLP :class:`~advrun.networks.ActorCritic` (no encoder, not
recurrent) with no forward hooks (calling ``forward`` directly would skip them); for
anything else it returns None and the caller keeps the module path. The parameters
are read by reference, so build it per evaluation: an optimizer step in between
updates them in place and the function follows.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules import module as _module

from advrun.networks.actor_critic import ActorCritic
from advrun.networks.encoders import prepare_observations
from advrun.networks.mlp import MLP

__all__ = ["direct_act", "direct_policy"]

Layer = Callable[[Tensor], Tensor]


def _hooked(model: nn.Module) -> bool:
    """Whether any forward hook (the module's own or a global one) would run."""
    if _module._global_forward_hooks or _module._global_forward_pre_hooks:
        return True
    return any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def _layer(m: nn.Module) -> Layer:
    if type(m) is nn.Linear:
        w, b = m.weight, m.bias
        return lambda x: F.linear(x, w, b)
    return m.forward


def _plain(model: nn.Module) -> bool:
    """A plain-MLP, feed-forward actor-critic whose forward runs no hooks."""
    if (
        not isinstance(model, ActorCritic)
        or getattr(model, "recurrent", False)
        or model.encoder is not None
        or _hooked(model)
    ):
        return False
    trunks = [model.trunk] if model.shared else [model.actor_trunk]
    if not model.shared and model.has_critic:
        trunks.append(model.critic_trunk)
    return all(type(t) is MLP for t in trunks)


def _replaced(model: nn.Module, *methods: str) -> bool:
    """Whether a subclass or the instance (``compile=``'s compiled ``act``) replaces one of
    ``methods``: the direct path would skip what the replacement does."""
    return any(
        name in vars(model) or getattr(type(model), name) is not getattr(ActorCritic, name)
        for name in methods
    )


def _chain(*modules: nn.Module) -> Callable[[Tensor], Tensor]:
    """The layers of ``modules`` (an MLP's children, or a single Linear) in order."""
    layers: list[Layer] = []
    for m in modules:
        if isinstance(m, MLP):
            layers.extend(_layer(c) for c in m)
        else:
            layers.append(_layer(m))

    def run(x: Tensor) -> Tensor:
        for layer in layers:
            x = layer(x)
        return x

    return run


def direct_policy(
    model: nn.Module, deterministic: bool = True
) -> Callable[[Tensor], Tensor] | None:
    """``obs -> actions`` equal to ``model.policy_action(obs, deterministic)`` (module
    docstring), or None where the model is not a plain-MLP actor-critic without hooks."""
    if not _plain(model) or _replaced(model, "policy_action", "_prep"):
        return None
    assert isinstance(model, ActorCritic)
    actor = _chain(model.trunk if model.shared else model.actor_trunk, model.policy_head)
    dtype = model.policy_head.weight.dtype
    norm = model.obs_norm

    def policy(obs: Tensor) -> Tensor:
        x = actor(prepare_observations(obs, dtype, norm, None))
        if deterministic:
            return model.deterministic_action(x)
        return model.sample(x)[0]

    return policy


def direct_act(model: nn.Module) -> Callable[[Tensor], tuple[Tensor, Tensor, Tensor]] | None:
    """``obs -> (action, log_prob, value)`` equal to ``model.act(obs)`` (sampled; module
    docstring), or None where the model is not a plain-MLP actor-critic without hooks.
    Read by reference like :func:`direct_policy`: build it per rollout."""
    if not _plain(model) or _replaced(model, "act", "forward", "_prep", "_value_of"):
        return None
    assert isinstance(model, ActorCritic)
    dtype = model.policy_head.weight.dtype
    norm = model.obs_norm
    critic = model.has_critic
    head = _chain(model.policy_head)
    value_head = _chain(model.value_head) if critic else None
    actor = _chain(model.trunk if model.shared else model.actor_trunk)
    # forward's features: the shared trunk's (or a critic-free actor's) serve both heads
    critic_trunk = _chain(model.critic_trunk) if critic and not model.shared else None

    def act(obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x = prepare_observations(obs, dtype, norm, None)
        ha = actor(x)
        hc = critic_trunk(x) if critic_trunk is not None else ha
        out = head(ha)
        value = value_head(hc).squeeze(-1) if value_head is not None else hc.new_zeros(hc.shape[0])
        action, log_prob = model.sample(out)
        return action, log_prob, value

    return act
