"""An actor-critic's action path for evaluation loops, without module dispatch.

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

__all__ = ["direct_policy"]

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


def direct_policy(
    model: nn.Module, deterministic: bool = True
) -> Callable[[Tensor], Tensor] | None:
    """``obs -> actions`` equal to ``model.policy_action(obs, deterministic)`` (module
    docstring), or None where the model is not a plain-MLP actor-critic without hooks."""
    if (
        not isinstance(model, ActorCritic)
        or getattr(model, "recurrent", False)
        or model.encoder is not None
        or _hooked(model)
    ):
        return None
    trunk = model.trunk if model.shared else model.actor_trunk
    if type(trunk) is not MLP:
        return None
    layers = [_layer(m) for m in trunk] + [_layer(model.policy_head)]
    dtype = model.policy_head.weight.dtype
    norm = model.obs_norm

    def policy(obs: Tensor) -> Tensor:
        x = prepare_observations(obs, dtype, norm, None)
        for layer in layers:
            x = layer(x)
        if deterministic:
            return model.deterministic_action(x)
        return model.sample(x)[0]

    return policy
