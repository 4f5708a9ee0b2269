"""Rollouts from torch-native vector envs (``env.backend=torch``): everything stays on
the device, and nothing synchronises with the host inside the step loop.

Same NEXT_STEP bookkeeping as :class:`~advrun.training.rollout.RolloutCollector`
(read its docstring for the row semantics), written in tensor ops. Finished-episode
returns are recorded per row with NaN for "no episode ended here" and gathered once
after the loop, so a GPU rollout issues no per-step ``.item()``/``.any()``. For the same
reason the env outputs are checked for NaN/inf once per rollout (these envs are
advrun's own code), before anything reaches the statistics or the loss.
"""

from __future__ import annotations

import torch

from advrun.collect.actions import EnvActions
from advrun.collect.reward_scale import RewardScaler
from advrun.envs.torch_envs import TorchVectorEnv
from advrun.networks import ActorCritic
from advrun.training.faults import NonFiniteEnvOutput
from advrun.training.rollout import EpisodeStats, Rollout, reset_envs, step_envs


class TorchRolloutCollector:
    """Steps a :class:`TorchVectorEnv` with ``model``; keeps env state between rollouts."""

    def __init__(
        self,
        envs: TorchVectorEnv,
        device: torch.device,
        seed: int | None,
        reward_scaler: RewardScaler | None = None,
    ) -> None:
        self.envs = envs
        self.reward_scaler = reward_scaler
        self.device = device
        self.num_envs = envs.num_envs
        self.to_env_action = EnvActions(envs, device, native=True)
        obs, _ = reset_envs(envs, seed)
        self.next_obs = obs.to(device=device, dtype=torch.float32)
        n = self.num_envs
        self.autoreset = torch.zeros(n, dtype=torch.bool, device=device)
        self.ep_return = torch.zeros(n, dtype=torch.float64, device=device)
        self.ep_length = torch.zeros(n, dtype=torch.int64, device=device)

    @torch.no_grad()
    def collect(self, model: ActorCritic, steps: int) -> tuple[Rollout, EpisodeStats]:
        n, dev = self.num_envs, self.device
        obs_buf = torch.empty((steps, n, *self.next_obs.shape[1:]), device=dev)
        raw_rewards = torch.empty((steps, n), device=dev)
        rewards = torch.empty((steps, n), device=dev)
        terminated = torch.empty((steps, n), dtype=torch.bool, device=dev)
        done = torch.empty((steps, n), dtype=torch.bool, device=dev)
        valid = torch.empty((steps, n), dtype=torch.bool, device=dev)
        ended_returns = torch.full((steps, n), float("nan"), dtype=torch.float64, device=dev)
        ended_lengths = torch.zeros((steps, n), dtype=torch.int64, device=dev)
        actions, log_probs, values = [], [], []

        for t in range(steps):
            obs_buf[t] = self.next_obs
            action, log_prob, value = model.act(self.next_obs)
            actions.append(action)
            log_probs.append(log_prob)
            values.append(value)
            obs, reward, term, trunc, _ = step_envs(self.envs, self.to_env_action(action))
            raw_rewards[t] = reward
            is_dummy = self.autoreset
            ended = term | trunc
            valid[t] = ~is_dummy
            if self.reward_scaler is None:
                rewards[t] = reward
            else:
                rewards[t] = self.reward_scaler(reward, ended, ~is_dummy)
            terminated[t] = term | is_dummy
            done[t] = ended | is_dummy

            self.ep_return += torch.where(is_dummy, 0.0, reward.double())
            self.ep_length += (~is_dummy).long()
            ended_returns[t] = torch.where(ended, self.ep_return, float("nan"))
            ended_lengths[t] = torch.where(ended, self.ep_length, 0)
            self.ep_return = torch.where(ended, 0.0, self.ep_return)
            self.ep_length = torch.where(ended, 0, self.ep_length)
            self.autoreset = ended
            self.next_obs = obs.to(dtype=torch.float32)

        _check_finite(obs_buf, raw_rewards, self.next_obs)
        last_value = model.value(self.next_obs)
        values_t = torch.stack(values)
        finished = ~torch.isnan(ended_returns)
        stats = EpisodeStats(  # one host transfer per rollout
            returns=ended_returns[finished].tolist(), lengths=ended_lengths[finished].tolist()
        )
        rollout = Rollout(
            obs=obs_buf,
            actions=torch.stack(actions),
            log_probs=torch.stack(log_probs),
            values=values_t,
            next_values=torch.cat([values_t[1:], last_value.unsqueeze(0)]),
            rewards=rewards,
            terminated=terminated,
            done=done,
            valid=valid,
        )
        return rollout, stats

    def state_dict(self) -> dict:
        """Pending observation, autoreset flags, running episode sums and the env's own
        state (physics, step counters, generator) — everything for an exact resume."""
        state = {
            "next_obs": self.next_obs.cpu(),
            "autoreset": self.autoreset.cpu(),
            "ep_return": self.ep_return.cpu(),
            "ep_length": self.ep_length.cpu(),
            "envs": {"torch_env": self.envs.state_dict()},
        }
        if self.reward_scaler is not None:
            state["reward_scaler"] = self.reward_scaler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> bool:
        self.envs.load_state_dict(state["envs"]["torch_env"])
        dev = self.device
        self.next_obs = state["next_obs"].to(dev)
        self.autoreset = state["autoreset"].to(dev)
        self.ep_return = state["ep_return"].to(dev)
        self.ep_length = state["ep_length"].to(dev)
        if self.reward_scaler is not None and "reward_scaler" in state:
            self.reward_scaler.load_state_dict(state["reward_scaler"])
        return True


def _check_finite(obs: torch.Tensor, rewards: torch.Tensor, next_obs: torch.Tensor) -> None:
    """One host sync per rollout: raise for the first non-finite reward or observation."""
    all_obs = torch.cat([obs, next_obs.unsqueeze(0)]).flatten(2)
    if bool(torch.isfinite(rewards).all()) and bool(torch.isfinite(all_obs).all()):
        return
    bad = torch.nonzero(~torch.isfinite(rewards))
    if len(bad):
        row, env = (int(x) for x in bad[0])
        raise NonFiniteEnvOutput("reward", float(rewards[row, env]), row, env)
    row, env, element = (int(x) for x in torch.nonzero(~torch.isfinite(all_obs))[0])
    raise NonFiniteEnvOutput(f"observation[{element}]", float(all_obs[row, env, element]), row, env)
