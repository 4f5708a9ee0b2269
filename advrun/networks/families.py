"""Network families: what an algorithm's model is. Each algorithm names the family it
needs (``Algorithm.network``); the run's builder makes it from ``network.*`` and the
env's spaces through :data:`NETWORKS`.

* ``actor_critic``: policy and value heads (:class:`~advrun.networks.ActorCritic`); for
  the on-policy algorithms. ``critic=False`` for the critic-free estimators. With
  ``network.recurrent`` a :class:`~advrun.networks.recurrent.RecurrentActorCritic`.
* ``q``: action values (:class:`~advrun.networks.QNetwork`, plain or dueling); for DQN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gymnasium import spaces
from torch import nn

from advrun.networks.actor_critic import build_actor_critic
from advrun.networks.q_network import build_q_network
from advrun.networks.recurrent import build_recurrent_actor_critic
from advrun.registry import Registry

if TYPE_CHECKING:
    from advrun.config.schema import NetworkConfig

FamilyBuilder = Callable[..., nn.Module]

NETWORKS: Registry[FamilyBuilder] = Registry("network family", "algo")


def _name(value: object) -> str:
    return str(getattr(value, "value", value))


@NETWORKS.register("actor_critic", summary="policy + value heads (on-policy algorithms)")
def _actor_critic(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    net: NetworkConfig,
    *,
    critic: bool = True,
) -> nn.Module:
    if net.recurrent:
        return build_recurrent_actor_critic(
            observation_space,
            action_space,
            cell=net.recurrent,
            hidden=net.recurrent_size,
            kind=_name(net.kind),
            normalize_obs=net.normalize_obs,
            obs_clip=net.obs_clip,
            hidden_sizes=list(net.hidden_sizes),
            activation=_name(net.activation),
            shared=net.shared,
            orthogonal_init=net.orthogonal_init,
            log_std_init=net.log_std_init,
            critic=critic,
        )
    return build_actor_critic(
        observation_space,
        action_space,
        hidden_sizes=list(net.hidden_sizes),
        activation=_name(net.activation),
        shared=net.shared,
        orthogonal_init=net.orthogonal_init,
        log_std_init=net.log_std_init,
        kind=_name(net.kind),
        normalize_obs=net.normalize_obs,
        obs_clip=net.obs_clip,
        critic=critic,
    )


@NETWORKS.register("q", summary="action values, plain or dueling (DQN)")
def _q(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    net: NetworkConfig,
    *,
    critic: bool = True,
) -> nn.Module:
    return build_q_network(
        observation_space,
        action_space,
        kind=_name(net.kind),
        hidden_sizes=list(net.hidden_sizes),
        activation=_name(net.activation),
        dueling=net.dueling,
        orthogonal_init=net.orthogonal_init,
        normalize_obs=net.normalize_obs,
        obs_clip=net.obs_clip,
    )
