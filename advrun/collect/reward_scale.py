"""VecNormalize-style reward scaling, shared by the numpy and the torch-native collector.

Per env, a discounted return is accumulated and its running variance tracked::

    R_t   = gamma * R_{t-1} + r_t          (R reset to 0 after a step that ends an episode)
    var   <- Chan-merge(var, {R_t over envs})
    r'_t  = clip(r_t / sqrt(var + eps), -clip, clip)

Dividing by the std of the *return* (not of the reward) keeps value targets around unit
scale whatever the reward units are (Engstrom et al. 2020, "Implementation Matters";
SB3's ``VecNormalize``). The mean is not subtracted: shifting rewards would change
the optimal policy in episodic tasks. Dummy NEXT_STEP reset rows are masked out of
both the accumulator and the statistics, so they do not pull the variance towards 0.

Everything is a tensor op (no host synchronisation), so the torch-native GPU collector
can call it inside its step loop.
"""

from __future__ import annotations

import torch
from torch import Tensor

from advrun.networks.normalize import COUNT_EPSILON, merge_moments


class RewardScaler:
    """Scale rewards by the running std of each env's discounted return."""

    def __init__(
        self,
        num_envs: int,
        *,
        gamma: float,
        clip: float = 10.0,
        eps: float = 1e-8,
        device: torch.device | str = "cpu",
    ) -> None:
        self.gamma = float(gamma)
        self.clip = float(clip)
        self.eps = float(eps)
        dev = torch.device(device)
        self.returns = torch.zeros(num_envs, dtype=torch.float64, device=dev)
        self.mean = torch.zeros((), dtype=torch.float64, device=dev)
        self.var = torch.ones((), dtype=torch.float64, device=dev)
        self.count = torch.tensor(COUNT_EPSILON, dtype=torch.float64, device=dev)

    def __call__(self, reward: Tensor, ended: Tensor, valid: Tensor) -> Tensor:
        """Scaled rewards ``[N]`` (float32) for one step.

        ``reward``: raw rewards; ``ended``: the step ended the episode (terminated or
        truncated); ``valid``: False on dummy reset rows (their reward is ignored)."""
        r = reward.to(torch.float64)
        w = valid.to(torch.float64)
        self.returns = torch.where(valid, self.gamma * self.returns + r, self.returns)
        n = w.sum()
        safe_n = n.clamp(min=1.0)
        batch_mean = (self.returns * w).sum() / safe_n
        batch_var = ((self.returns - batch_mean).square() * w).sum() / safe_n
        mean, var, count = merge_moments(self.mean, self.var, self.count, batch_mean, batch_var, n)
        # n == 0 (every row a dummy): merge_moments leaves the moments unchanged.
        self.mean, self.var, self.count = mean, var, count
        scaled = (r / torch.sqrt(self.var + self.eps)).clamp(-self.clip, self.clip)
        self.returns = torch.where(ended & valid, 0.0, self.returns)
        return torch.where(valid, scaled, 0.0).to(torch.float32)

    def state_dict(self) -> dict[str, Tensor]:
        return {
            "returns": self.returns.cpu().clone(),
            "mean": self.mean.cpu().clone(),
            "var": self.var.cpu().clone(),
            "count": self.count.cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        dev = self.returns.device
        self.returns = state["returns"].to(dev, torch.float64).clone()
        self.mean = state["mean"].to(dev, torch.float64).clone()
        self.var = state["var"].to(dev, torch.float64).clone()
        self.count = state["count"].to(dev, torch.float64).clone()
