"""Actor-critic networks: MLP trunks, categorical / diagonal-Gaussian policy heads."""

from advrun.networks.actor_critic import (
    SUPPORTED_ACTION_SPACES,
    SUPPORTED_OBSERVATION_SPACES,
    ActorCritic,
    build_actor_critic,
)
from advrun.networks.mlp import ACTIVATIONS, MLP, make_activation

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SUPPORTED_ACTION_SPACES",
    "SUPPORTED_OBSERVATION_SPACES",
    "ActorCritic",
    "build_actor_critic",
    "make_activation",
]
