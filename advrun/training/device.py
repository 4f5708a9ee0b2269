"""Device selection and determinism knobs."""

from __future__ import annotations

import random

import gymnasium as gym
import numpy as np
import torch

from advrun.config.errors import ConfigError
from advrun.spaces import has_image


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available, else CPU (:func:`auto_learner_device` then
    moves a small model over host envs back to the CPU); ``cuda`` without a GPU is an
    error."""
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


# torch-native envs from which device=auto trains on the GPU (a round number above the
# presets' 8-128 envs; the GPU benchmarks run 4096).
GPU_ENVS = 1024


def auto_learner_device(backend: str, observation_space: gym.Space, num_envs: int) -> torch.device:
    """Where ``device=auto`` puts the learner once the envs are built.

    CUDA only where it pays: image observations (a CNN), or many torch-native envs
    (``env.backend=torch`` with at least :data:`GPU_ENVS` of them). A small MLP or LSTM
    over host (gymnasium) envs, or over a few torch envs, runs one batch-of-``num_envs``
    forward per env step; on a GPU that is kernel-launch (and host-device copy) bound,
    slower than the CPU: on the H200 even 4096 torch CartPole envs stepped at 5.8 M/s
    against 15.2 M/s for numpy on the host, and the 128-env torch Pendulum preset
    trained at about half its CPU speed relative to SB3. Measured on an NVIDIA H200 machine
    (2026-11-26, ``auto`` then meaning CUDA): Acrobot PPO trained at 2.5-3.5k env-steps/s
    and CartPole DQN at 0.5-0.8k, against SB3 pinned to that machine's CPU at 3.3k and
    1.4k. SB3 gives the same advice for its MLP policies. ``device=cuda`` still forces it.
    """
    if not torch.cuda.is_available():
        return torch.device("cpu")
    if backend == "torch":  # decided before the envs are built on it: no space needed
        return torch.device("cuda" if num_envs >= GPU_ENVS else "cpu")
    assert observation_space is not None
    return torch.device("cuda" if has_image(observation_space) else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
