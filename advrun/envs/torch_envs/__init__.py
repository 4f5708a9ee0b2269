"""Torch-native batched classic-control envs (CartPole, Acrobot, MountainCar, Pendulum).

Each env steps thousands of sub-envs at once on a torch device (CPU or CUDA) with no
numpy and no Python loop over envs, behind gymnasium's ``VectorEnv`` interface with
NEXT_STEP autoreset; observations, rewards and flags come back as tensors on the
device. The dynamics match gymnasium's single envs (checked step by step in
``tests/envs/test_torch_envs_dynamics.py``); the initial-state noise comes from a
``torch.Generator``, so runs are reproducible but not bit-identical to gymnasium's.
"""

from __future__ import annotations

from typing import Any

import torch

from advrun.envs.torch_envs.acrobot import AcrobotTorch
from advrun.envs.torch_envs.base import TorchVectorEnv
from advrun.envs.torch_envs.cartpole import CartPoleTorch
from advrun.envs.torch_envs.mountaincar import MountainCarTorch
from advrun.envs.torch_envs.pendulum import PendulumTorch

TORCH_ENVS: dict[str, type[TorchVectorEnv]] = {
    "CartPole-v1": CartPoleTorch,
    "Acrobot-v1": AcrobotTorch,
    "MountainCar-v0": MountainCarTorch,
    "Pendulum-v1": PendulumTorch,
}


def make_torch_vec_env(
    env_id: str,
    num_envs: int,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    max_episode_steps: int | None = None,
    **kwargs: Any,
) -> TorchVectorEnv:
    """``num_envs`` copies of ``env_id`` on ``device`` (not yet reset).

    ``kwargs`` go to the env (``g`` for Pendulum, ``goal_velocity`` for MountainCar,
    ``sutton_barto_reward`` for CartPole). Raises ValueError for an unsupported id.
    """
    try:
        cls = TORCH_ENVS[env_id]
    except KeyError:
        raise ValueError(
            f"no torch-native implementation of {env_id!r}; supported: {', '.join(TORCH_ENVS)}"
        ) from None
    return cls(num_envs, device=device, dtype=dtype, max_episode_steps=max_episode_steps, **kwargs)


__all__ = [
    "TORCH_ENVS",
    "AcrobotTorch",
    "CartPoleTorch",
    "MountainCarTorch",
    "PendulumTorch",
    "TorchVectorEnv",
    "make_torch_vec_env",
]
