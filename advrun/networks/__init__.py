"""Actor-critic networks: MLP trunks (optionally behind a Nature CNN encoder and a
running observation normaliser), categorical / diagonal-Gaussian policy heads; Q-networks
(plain or dueling) for the DQN family."""

from advrun.networks.actor_critic import (
    NETWORK_KINDS,
    SUPPORTED_ACTION_SPACES,
    SUPPORTED_OBSERVATION_SPACES,
    ActorCritic,
    build_actor_critic,
)
from advrun.networks.cnn import NatureCNN
from advrun.networks.mlp import ACTIVATIONS, MLP, make_activation
from advrun.networks.normalize import RunningObsNorm, merge_moments
from advrun.networks.q_network import Q_NETWORK_KINDS, QNetwork, build_q_network

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "NETWORK_KINDS",
    "Q_NETWORK_KINDS",
    "SUPPORTED_ACTION_SPACES",
    "SUPPORTED_OBSERVATION_SPACES",
    "ActorCritic",
    "NatureCNN",
    "QNetwork",
    "RunningObsNorm",
    "build_actor_critic",
    "build_q_network",
    "make_activation",
    "merge_moments",
]
