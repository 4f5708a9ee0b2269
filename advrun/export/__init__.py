"""Export a trained policy as a self-contained ONNX or TorchScript file.

The file maps a batch of raw observations to actions (observation normalisation
inside, deterministic), optionally with the distribution's parameters as extra
outputs; a metadata JSON beside it describes the env, spaces, inputs and outputs.
"""

from advrun.export.bundle import ExportResult, export_checkpoint, export_policy
from advrun.export.formats import FORMATS, run_exported
from advrun.export.policy import (
    OUTPUTS,
    ActorCriticPolicy,
    ExportablePolicy,
    GreedyQPolicy,
    policy_for,
)
from advrun.export.spaces import describe_space, random_observations

__all__ = [
    "FORMATS",
    "OUTPUTS",
    "ActorCriticPolicy",
    "ExportResult",
    "ExportablePolicy",
    "GreedyQPolicy",
    "describe_space",
    "export_checkpoint",
    "export_policy",
    "policy_for",
    "random_observations",
    "run_exported",
]
