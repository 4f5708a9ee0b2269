"""Value-based advantage learning (the DQN family): target operators, losses and
epsilon-greedy exploration as pure functions. The replay buffer lives in
:mod:`advrun.replay`, the Q-network in :mod:`advrun.networks.q_network`."""

from advrun.algos.dqn.exploration import epsilon_at, epsilon_greedy
from advrun.algos.dqn.operators import (
    TD_LOSSES,
    action_gap,
    advantage_learning,
    bootstrap_value,
    greedy_value,
    persistent_advantage_learning,
    td_loss,
)

__all__ = [
    "TD_LOSSES",
    "action_gap",
    "advantage_learning",
    "bootstrap_value",
    "epsilon_at",
    "epsilon_greedy",
    "greedy_value",
    "persistent_advantage_learning",
    "td_loss",
]
