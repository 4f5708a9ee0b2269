"""Networks: actor-critics (MLP trunks, optionally behind a Nature CNN encoder and a
running observation normaliser; categorical / diagonal-Gaussian policy heads) and
Q-networks (plain or dueling) for the DQN family. Encoders, activations and the two
families are registered (:data:`ENCODERS`, :data:`ACTIVATIONS`, :data:`NETWORKS`)."""

from advrun.networks.actor_critic import (
    SUPPORTED_ACTION_SPACES,
    SUPPORTED_OBSERVATION_SPACES,
    ActorCritic,
    build_actor_critic,
)
from advrun.networks.cnn import NatureCNN
from advrun.networks.encoders import ENCODERS, make_encoder
from advrun.networks.families import NETWORKS
from advrun.networks.mlp import ACTIVATIONS, MLP, make_activation
from advrun.networks.normalize import RunningObsNorm, merge_moments
from advrun.networks.q_network import QNetwork, build_q_network

__all__ = [
    "ACTIVATIONS",
    "ENCODERS",
    "MLP",
    "NETWORKS",
    "SUPPORTED_ACTION_SPACES",
    "SUPPORTED_OBSERVATION_SPACES",
    "ActorCritic",
    "NatureCNN",
    "QNetwork",
    "RunningObsNorm",
    "build_actor_critic",
    "build_q_network",
    "make_activation",
    "make_encoder",
    "merge_moments",
]
