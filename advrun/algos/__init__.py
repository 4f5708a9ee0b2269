"""Algorithms: one module per family, each registered in :data:`ALGORITHMS` with its
typed config. Importing this package registers them all.

* :mod:`advrun.algos.pg`: REINFORCE with a baseline, A2C (one step per rollout).
* :mod:`advrun.algos.ppo`: PPO (clipped surrogate, per-epoch re-estimation).
* :mod:`advrun.algos.dqn`: DQN / Double / dueling / n-step / advantage learning.

Every module and subpackage is imported here, so a new algorithm is one module (plus its
``conf/algo/<name>.yaml`` and tests): nothing else lists it.
"""

import importlib
import pkgutil

from advrun.algos.base import ALGORITHMS, AlgoConfig, Algorithm, Iteration, Parts
from advrun.algos.batch import Batch
from advrun.algos.dqn.algorithm import DQN, DQNConfig
from advrun.algos.on_policy import OnPolicyAlgorithm, OnPolicyConfig
from advrun.algos.pg import A2CConfig, PolicyGradient, ReinforceConfig, update_pg
from advrun.algos.ppo import PPO, PPOConfig, ppo_epochs

for _module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
    importlib.import_module(_module.name)

__all__ = [
    "ALGORITHMS",
    "DQN",
    "PPO",
    "A2CConfig",
    "AlgoConfig",
    "Algorithm",
    "Batch",
    "DQNConfig",
    "Iteration",
    "OnPolicyAlgorithm",
    "OnPolicyConfig",
    "PPOConfig",
    "Parts",
    "PolicyGradient",
    "ReinforceConfig",
    "ppo_epochs",
    "update_pg",
]
