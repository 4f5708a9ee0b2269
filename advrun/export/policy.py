"""Inference-only policy modules: raw observations in, env actions out.

Each wrapper is a plain ``nn.Module`` whose ``forward`` is what the exported graph
computes, and says its input and output names, so ONNX and TorchScript export share
one code path. Adding a policy family means adding a wrapper here:

* :class:`ActorCriticPolicy` -- advrun's actor-critic. Observation normalisation and
  the CNN's pixel scaling are inside the model, so the graph takes raw observations.
  Deterministic actions: ``argmax(logits)`` (Discrete) or the Gaussian mean clipped to
  the Box bounds per dimension (as :class:`advrun.collect.actions.EnvActions` does on
  the way to the env). ``outputs="dist"`` adds the distribution's parameters (logits,
  or the unclipped mean and ``log_std``) so a caller can sample.
* :class:`GreedyQPolicy` -- a value-based network ``Q(s, .)`` acting greedily,
  ``a = argmax_a Q(s, a)``; ``outputs="dist"`` adds the Q-values.

* :class:`RecurrentPolicy` -- a recurrent actor-critic: its state is an explicit
  input and output (``input_names=("obs", "state")``, ``output_names=(..., "state_next")``,
  ``state [B, state_size]``: ``[h | c]`` for an LSTM, ``h`` for a GRU). The caller
  starts each episode from zeros and feeds ``state_next`` back with the next
  observation.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks import ActorCritic, QNetwork
from advrun.networks.recurrent import RecurrentActorCritic

OUTPUTS: tuple[str, ...] = ("action", "dist")
"""``action``: actions only; ``dist``: actions plus the distribution's parameters."""


def input_dtype(space: spaces.Space) -> torch.dtype:
    """Graph input dtype: integer pixels stay uint8 (4x smaller to feed), everything
    else is float32 (the network computes in float32 either way)."""
    dtype = np.dtype(getattr(space, "dtype", np.float32) or np.float32)
    return torch.uint8 if dtype == np.uint8 else torch.float32


class ExportablePolicy(nn.Module):
    """Base: names, example inputs and the observation dtype of an exportable policy."""

    input_names: tuple[str, ...] = ("obs",)
    output_names: tuple[str, ...] = ("action",)

    def __init__(self, observation_space: spaces.Space) -> None:
        super().__init__()
        self.obs_shape: tuple[int, ...] = tuple(observation_space.shape or ())
        self.obs_dtype = input_dtype(observation_space)

    def example_inputs(self, batch: int = 2) -> tuple[Tensor, ...]:
        """Inputs used to trace the graph (batch >= 2 so the batch axis stays symbolic)."""
        if self.obs_dtype == torch.uint8:
            return (torch.randint(0, 256, (batch, *self.obs_shape), dtype=torch.uint8),)
        return (torch.randn(batch, *self.obs_shape),)


class ActorCriticPolicy(ExportablePolicy):
    """``obs [B, *obs_shape]`` -> ``action`` (+ logits, or mean and log_std)."""

    def __init__(
        self,
        model: ActorCritic,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        outputs: str = "action",
    ) -> None:
        super().__init__(observation_space)
        if outputs not in OUTPUTS:
            raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs!r}")
        self.model = model
        self.continuous = isinstance(action_space, spaces.Box)
        self.with_dist = outputs == "dist"
        if self.continuous:
            self.action_shape: tuple[int, ...] = tuple(action_space.shape)
            self.register_buffer("low", torch.as_tensor(action_space.low, dtype=torch.float32))
            self.register_buffer("high", torch.as_tensor(action_space.high, dtype=torch.float32))
            dist_names: tuple[str, ...] = ("mean", "log_std")
        else:
            dist_names = ("logits",)
        self.output_names = ("action", *dist_names) if self.with_dist else ("action",)

    def _actor(self, obs: Tensor) -> Tensor:
        """Policy-head output only: the critic path is not part of the exported graph."""
        x = self.model._prep(obs)
        trunk = self.model.trunk if self.model.shared else self.model.actor_trunk
        return self.model.policy_head(trunk(x))

    def forward(self, obs: Tensor) -> Tensor | tuple[Tensor, ...]:
        out = self._actor(obs)
        if self.model.action_kind in ("multi_discrete", "multi_binary"):
            # Per-dimension argmax / z > 0; env offsets (MultiDiscrete.start) are the
            # caller's, as in the metadata notes.
            action = self.model.deterministic_action(out)
            return (action, out) if self.with_dist else action
        if not self.continuous:
            action = out.argmax(dim=-1)
            return (action, out) if self.with_dist else action
        action = torch.minimum(torch.maximum(out, self.low.reshape(-1)), self.high.reshape(-1))
        action = action.reshape(-1, *self.action_shape)
        if not self.with_dist:
            return action
        return action, out, self.model.log_std.expand_as(out)


class GreedyQPolicy(ExportablePolicy):
    """``a = argmax_a Q(s, a)`` for a network ``q_net: obs [B, ...] -> Q [B, n]``.

    ``q_net`` receives the raw observation cast to float32 and owns any
    normalisation, as the actor-critic does."""

    def __init__(
        self, q_net: nn.Module, observation_space: spaces.Space, outputs: str = "action"
    ) -> None:
        super().__init__(observation_space)
        if outputs not in OUTPUTS:
            raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs!r}")
        self.q_net = q_net
        self.with_dist = outputs == "dist"
        self.output_names = ("action", "q_values") if self.with_dist else ("action",)

    def forward(self, obs: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        q = self.q_net(obs.to(torch.float32))
        action = q.argmax(dim=-1)
        return (action, q) if self.with_dist else action


class RecurrentPolicy(ExportablePolicy):
    """``(obs [B, ...], state [B, S]) -> (action, [dist...], state_next)``: one step of
    a :class:`RecurrentActorCritic`; the head is :class:`ActorCriticPolicy`'s."""

    input_names = ("obs", "state")

    def __init__(
        self,
        model: RecurrentActorCritic,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        outputs: str = "action",
    ) -> None:
        super().__init__(observation_space)
        self.model = model
        self.state_size = int(model.state_size)
        features = spaces.Box(-1.0, 1.0, (model.hidden,), dtype=np.float32)
        self.head = ActorCriticPolicy(model.core, features, action_space, outputs)
        self.output_names = (*self.head.output_names, "state_next")

    def zero_state(self, batch: int) -> Tensor:
        return torch.zeros(batch, self.state_size)

    def example_inputs(self, batch: int = 2) -> tuple[Tensor, ...]:
        (obs,) = super().example_inputs(batch)
        return obs, torch.randn(batch, self.state_size)

    def forward(self, obs: Tensor, state: Tensor) -> tuple[Tensor, ...]:
        h, state_next = self.model.advance(self.model.features(obs), state)
        out = self.head(h)
        outs = out if isinstance(out, tuple) else (out,)
        return (*outs, state_next)


def policy_for(
    model: nn.Module,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    outputs: str = "action",
) -> ExportablePolicy:
    """The wrapper for ``model``'s family (in eval mode, on the CPU)."""
    model = model.to("cpu").eval()
    if not isinstance(observation_space, spaces.Box):
        from advrun.config.errors import ConfigError

        raise ConfigError(
            "checkpoint",
            f"export takes Box observations; this policy's are {observation_space} "
            "(advrun feeds them to the network packed, a layout an exported graph's user "
            "would have to reproduce).",
            "export a policy trained on a Box observation space (flatten the env's "
            "observation with gymnasium.wrappers.FlattenObservation in env.wrappers).",
        )
    if isinstance(model, RecurrentActorCritic):
        policy: ExportablePolicy = RecurrentPolicy(model, observation_space, action_space, outputs)
    elif isinstance(model, ActorCritic):
        policy = ActorCriticPolicy(model, observation_space, action_space, outputs)
    elif isinstance(model, QNetwork):
        policy = GreedyQPolicy(model, observation_space, outputs)
    else:
        raise TypeError(
            f"no export wrapper for {type(model).__name__}; add one in advrun/export/policy.py"
        )
    return policy.eval()
