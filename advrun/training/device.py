"""Device selection and determinism knobs."""

from __future__ import annotations

import random

import numpy as np
import torch

from advrun.config.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device",
            "cuda was requested but torch sees no CUDA device "
            f"(torch {torch.__version__}, cuda build: {torch.version.cuda}).",
            "use device=cpu or device=auto, or install a CUDA build of torch.",
        )
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
