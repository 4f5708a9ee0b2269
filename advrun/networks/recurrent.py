"""Recurrent actor-critic (``network.recurrent=lstm|gru``) for partially observed envs.

``obs -> [obs_norm] -> encoder | flatten -> LSTM/GRU cell -> ActorCritic trunks and heads``

One recurrent cell is shared by the policy and the value function (as in CleanRL's
``ppo_atari_lstm``); the :class:`~advrun.networks.actor_critic.ActorCritic` after it
(``core``) takes the cell's output ``h`` as its observation, so every action space and
both trunk layouts work as without recurrence.

**State.** One tensor per env, ``[N, state_size]``: ``h`` for a GRU, ``[h | c]`` for an
LSTM (``state_size = 2 * hidden``). A single tensor is what the collector, checkpoints
and the exported graph carry (one ``state`` input, one ``state_next`` output).

**Episode starts.** ``starts [N]`` is True where ``obs`` is the first observation of an
episode; the state of those envs is zeroed before the step (Hausknecht & Stone 2015's
"bootstrapped sequential updates" start every episode from a zero state). With
gymnasium's NEXT_STEP autoreset the first observation comes one row after the dummy
reset row, which is what the collector marks (:attr:`Collector.starts`).

**Sequences.** :meth:`evaluate_sequence` replays ``[T, N]`` rows from the state the
rollout started with, zeroing at the same starts, so PPO's first epoch sees the
log-probabilities the rollout recorded (up to float rounding), and gradients flow
through the whole segment (truncated BPTT over one rollout).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.actor_critic import ActorCritic, build_actor_critic
from advrun.networks.encoders import encode_observations

CELLS: tuple[str, ...] = ("lstm", "gru")


class RecurrentActorCritic(nn.Module):
    """A recurrent cell in front of an :class:`ActorCritic` (module docstring)."""

    recurrent = True

    def __init__(
        self,
        core: ActorCritic,
        in_dim: int,
        *,
        cell: str = "lstm",
        hidden: int = 64,
        obs_norm: nn.Module | None = None,
        encoder: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown recurrent cell {cell!r}; expected one of {CELLS}")
        if core.obs_dim != hidden:
            raise ValueError(f"the core takes {core.obs_dim} inputs, the cell gives {hidden}")
        self.cell_kind = cell
        self.hidden = int(hidden)
        self.in_dim = int(in_dim)
        self.obs_norm = obs_norm
        self.encoder = encoder
        self.cell: nn.Module = (nn.LSTMCell if cell == "lstm" else nn.GRUCell)(in_dim, hidden)
        for name, param in self.cell.named_parameters():
            if "bias" in name:
                nn.init.zeros_(param)
            else:
                nn.init.orthogonal_(param, 1.0)
        self.core = core
        self.state_size = 2 * hidden if cell == "lstm" else hidden

    # -- what the on-policy code reads off an actor-critic --------------------------
    @property
    def has_critic(self) -> bool:
        return self.core.has_critic

    @property
    def is_continuous(self) -> bool:
        return self.core.is_continuous

    @property
    def action_kind(self) -> str:
        return self.core.action_kind

    @property
    def log_std(self) -> Any:
        return self.core.log_std

    def initial_state(self, n: int, device: torch.device | str | None = None) -> Tensor:
        """Zero state for ``n`` envs, ``[n, state_size]``."""
        weight = next(self.cell.parameters())
        return torch.zeros(n, self.state_size, dtype=weight.dtype, device=device or weight.device)

    # -- one step ---------------------------------------------------------------------
    def features(self, obs: Tensor) -> Tensor:
        """``[B, in_dim]`` cell inputs: cast, normalise, encode or flatten."""
        if getattr(self.encoder, "raw_input", False):
            return self.encoder(obs, self.obs_norm)  # type: ignore[misc]
        dtype = next(self.cell.parameters()).dtype
        x = obs.to(dtype) if obs.dtype != dtype else obs
        if self.obs_norm is not None:
            x = self.obs_norm(x)
        if self.encoder is not None:
            return self.encoder(x)
        return x.reshape(x.shape[0], self.in_dim)

    def cell_step(self, x: Tensor, state: Tensor, starts: Tensor) -> tuple[Tensor, Tensor]:
        """``(h, next state)`` from inputs ``x [B, in_dim]``; the state of envs with
        ``starts`` is zeroed first."""
        return self.advance(x, state * (~starts).to(state.dtype).unsqueeze(-1))

    def advance(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """``(h, next state)``: one cell step from ``state`` (no reset)."""
        if self.cell_kind == "lstm":
            h, c = self.cell(x, (state[:, : self.hidden], state[:, self.hidden :]))
            return h, torch.cat([h, c], dim=-1)
        h = self.cell(x, state)
        return h, h

    def step(self, obs: Tensor, state: Tensor, starts: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(head output, value [B], next state)`` for one row of observations."""
        h, state = self.cell_step(self.features(obs), state, starts)
        out, value = self.core(h)
        return out, value, state

    def act(
        self, obs: Tensor, state: Tensor, starts: Tensor, deterministic: bool = False
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(action, log_prob, value, next state)``, as :meth:`ActorCritic.act`."""
        out, value, state = self.step(obs, state, starts)
        action, log_prob = self.core.sample(out, deterministic)
        return action, log_prob, value, state

    def value_step(self, obs: Tensor, state: Tensor, starts: Tensor) -> Tensor:
        """``V(obs)`` given the state before it (the bootstrap after a rollout)."""
        return self.step(obs, state, starts)[1]

    # -- a rollout's rows ---------------------------------------------------------------
    def evaluate_sequence(
        self, obs: Tensor, actions: Tensor, starts: Tensor, state: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Replay ``obs [T, N, ...]`` from ``state [N, S]``: ``(log_prob [T, N],
        entropy [T, N], values [T, N], state after the last row)``."""
        t_len, n = starts.shape
        x = self.features(obs.reshape(t_len * n, *obs.shape[2:])).reshape(t_len, n, -1)
        hs = []
        for t in range(t_len):
            h, state = self.cell_step(x[t], state, starts[t])
            hs.append(h)
        out, values = self.core(torch.cat(hs))
        flat_actions = actions.reshape(t_len * n, *actions.shape[2:])
        log_prob, entropy = self.core.log_prob_entropy(out, flat_actions)
        shape = (t_len, n)
        return log_prob.reshape(shape), entropy.reshape(shape), values.reshape(shape), state


def build_recurrent_actor_critic(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    *,
    cell: str,
    hidden: int,
    kind: str = "mlp",
    normalize_obs: bool = False,
    obs_clip: float = 10.0,
    **core: Any,
) -> RecurrentActorCritic:
    """The encoder (and normaliser) for ``observation_space``, a ``cell`` of ``hidden``
    units, and an :class:`ActorCritic` over ``hidden`` inputs built with ``core``
    (``hidden_sizes``, ``activation``, ``shared``, ``orthogonal_init``, ...)."""
    encoder, in_dim, obs_norm = encode_observations(
        kind, observation_space, normalize_obs, obs_clip
    )
    features = spaces.Box(-1.0, 1.0, (int(hidden),), dtype=np.float32)
    head = build_actor_critic(features, action_space, **core)
    return RecurrentActorCritic(
        head, in_dim, cell=cell, hidden=hidden, obs_norm=obs_norm, encoder=encoder
    )
