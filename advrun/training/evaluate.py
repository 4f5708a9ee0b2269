"""Evaluation: play the (by default deterministic) policy on dedicated vector envs.

One sub-env per episode; each contributes its first complete episode, so N episodes
cost about one episode's worth of batched forward passes. The training envs are never
touched, so evaluation does not perturb the training trajectory.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from advrun.collect.actions import EnvActions
from advrun.envs.torch_envs import TorchVectorEnv
from advrun.networks import ActorCritic
from advrun.training.rollout import check_env_output, reset_envs, step_envs

# Safety valve for envs without a time limit.
MAX_EVAL_STEPS = 100_000


@torch.no_grad()
def evaluate(
    model: ActorCritic,
    envs: gym.vector.VectorEnv,
    *,
    seed: int,
    device: torch.device,
    deterministic: bool = True,
) -> np.ndarray:
    """Return the undiscounted return of one episode per sub-env of ``envs``."""
    n = envs.num_envs
    # Torch-native envs take and return tensors on the device; gymnasium's take numpy.
    native = isinstance(envs, TorchVectorEnv)
    to_env_action = EnvActions(envs, device, native=native)
    obs, _ = reset_envs(envs, seed)
    returns = np.zeros(n, dtype=np.float64)
    finished = np.zeros(n, dtype=bool)
    was_training = model.training
    model.eval()
    try:
        for step in range(MAX_EVAL_STEPS):
            x = torch.as_tensor(obs, dtype=torch.float32, device=device)
            action, _, _ = model.act(x, deterministic=deterministic)
            obs, reward, term, trunc, _ = step_envs(envs, to_env_action(action))
            if native:
                reward, term, trunc = (x.cpu().numpy() for x in (reward, term, trunc))
            else:
                check_env_output(np.asarray(obs), np.asarray(reward), step)
            returns += np.where(finished, 0.0, reward)
            finished |= np.logical_or(term, trunc)
            if finished.all():
                break
        else:
            raise RuntimeError(
                f"evaluation did not finish {n} episodes in {MAX_EVAL_STEPS} steps; "
                "set env.max_episode_steps"
            )
    finally:
        model.train(was_training)
    return returns
