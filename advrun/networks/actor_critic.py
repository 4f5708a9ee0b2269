"""Actor-critic for Box observations and Discrete / Box action spaces.

Observations pass through ``_prep``: cast to the parameter dtype, optional running
normalisation (:class:`~advrun.networks.normalize.RunningObsNorm`), then either an
encoder (the Nature CNN for image stacks) or a flatten, and into the MLP trunks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.encoders import make_encoder
from advrun.networks.heads import (
    categorical_log_prob_entropy,
    categorical_sample,
    gaussian_entropy,
    gaussian_log_prob,
    gaussian_sample,
    make_policy_head,
    make_value_head,
)
from advrun.networks.init import HIDDEN_GAIN, orthogonal_init_linears_
from advrun.networks.mlp import MLP, make_activation
from advrun.networks.normalize import RunningObsNorm

SUPPORTED_OBSERVATION_SPACES: tuple[str, ...] = ("Box",)
SUPPORTED_ACTION_SPACES: tuple[str, ...] = ("Discrete", "Box")


class ActorCritic(nn.Module):
    """Policy and value function over a flat observation vector.

    Submodules (stable names, e.g. for freezing):

    * ``trunk`` when ``shared`` -- one MLP feeding both heads; otherwise ``actor_trunk``
      and ``critic_trunk`` (and no ``trunk``). Without a critic (``critic=False``, for the
      critic-free group baselines) there is no ``critic_trunk`` and no ``value_head``, and
      every value is 0.
    * ``policy_head`` -- ``nn.Linear`` giving logits (discrete) or the Gaussian mean.
    * ``value_head`` -- ``nn.Linear`` giving ``V(s)``.
    * ``log_std`` -- ``nn.Parameter [action_dim]``, state-independent (continuous only).
    * ``obs_norm`` -- optional :class:`RunningObsNorm` (buffers only, no parameters).
    * ``encoder`` -- optional feature extractor shared by both trunks (e.g.
      :class:`~advrun.networks.cnn.NatureCNN`); ``obs_dim`` is then its output width.

    Observations of any dtype are cast to the parameters' dtype; extra trailing
    observation dims (``[B, *obs_shape]``) are flattened. Continuous actions are flat
    ``[B, action_dim]`` and unclipped -- the env layer clips and reshapes.
    ``act`` does not disable autograd; wrap rollouts in ``torch.no_grad()`` (or
    ``torch.inference_mode()``).
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        *,
        is_continuous: bool,
        hidden_sizes: Sequence[int],
        activation: str,
        shared: bool,
        orthogonal_init: bool,
        log_std_init: float = 0.0,
        obs_norm: RunningObsNorm | None = None,
        encoder: nn.Module | None = None,
        critic: bool = True,
    ) -> None:
        super().__init__()
        self.obs_norm = obs_norm
        self.encoder = encoder
        if obs_dim <= 0 or action_dim <= 0:
            raise ValueError(
                f"obs_dim and action_dim must be positive, got {obs_dim}, {action_dim}"
            )
        make_activation(activation)  # validate even when hidden_sizes is empty
        self.obs_dim: int = int(obs_dim)
        self.action_dim: int = int(action_dim)
        self.is_continuous: bool = bool(is_continuous)
        self.shared: bool = bool(shared)
        self.has_critic: bool = bool(critic)

        sizes = [int(h) for h in hidden_sizes]
        if self.shared:
            self.trunk = MLP(self.obs_dim, sizes, activation)
            actor_out = critic_out = self.trunk.out_dim
        else:
            self.actor_trunk = MLP(self.obs_dim, sizes, activation)
            actor_out = critic_out = self.actor_trunk.out_dim
            if self.has_critic:
                self.critic_trunk = MLP(self.obs_dim, sizes, activation)
                critic_out = self.critic_trunk.out_dim
        if orthogonal_init:
            for trunk in self._trunks():
                orthogonal_init_linears_(trunk, HIDDEN_GAIN)

        self.policy_head = make_policy_head(actor_out, self.action_dim, orthogonal_init)
        if self.has_critic:
            self.value_head = make_value_head(critic_out, orthogonal_init)
        if self.is_continuous:
            self.log_std = nn.Parameter(torch.full((self.action_dim,), float(log_std_init)))

    def _trunks(self) -> list[nn.Module]:
        if self.shared:
            return [self.trunk]
        return [self.actor_trunk, self.critic_trunk] if self.has_critic else [self.actor_trunk]

    # --- internals ---------------------------------------------------------------------

    def _prep(self, obs: Tensor) -> Tensor:
        """Cast to the parameter dtype (uint8 frames included), normalise when enabled,
        then encode -- or flatten ``[B, *shape]`` to ``[B, obs_dim]`` when needed."""
        dtype = self.policy_head.weight.dtype
        if obs.dtype != dtype:
            obs = obs.to(dtype)
        if self.obs_norm is not None:
            obs = self.obs_norm(obs)
        if self.encoder is not None:
            return self.encoder(obs)
        if obs.dim() > 2:
            obs = obs.flatten(1)
        return obs

    def _value_of(self, features: Tensor) -> Tensor:
        if not self.has_critic:
            return features.new_zeros(features.shape[0])
        return self.value_head(features).squeeze(-1)

    # --- public API --------------------------------------------------------------------

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """``(policy output [B, action_dim], value [B])``: logits, or the Gaussian mean."""
        x = self._prep(obs)
        if self.shared:
            h = self.trunk(x)
            return self.policy_head(h), self._value_of(h)
        ha = self.actor_trunk(x)
        hc = self.critic_trunk(x) if self.has_critic else ha
        return self.policy_head(ha), self._value_of(hc)

    def act(self, obs: Tensor, deterministic: bool = False) -> tuple[Tensor, Tensor, Tensor]:
        """Pick actions for ``obs [B, obs_dim]``.

        Returns ``(action, log_prob [B], value [B])``; ``action`` is ``[B]`` int64 for
        discrete spaces and ``[B, action_dim]`` float for continuous ones. With
        ``deterministic`` the action is the argmax of the logits / the Gaussian mean and
        ``log_prob`` is that action's log-probability.
        """
        out, value = self.forward(obs)
        if self.is_continuous:
            action, log_prob = gaussian_sample(out, self.log_std, deterministic)
        else:
            action, log_prob = categorical_sample(out, deterministic)
        return action, log_prob, value

    def value(self, obs: Tensor) -> Tensor:
        """State values ``V(obs)`` as ``[B]`` (runs only the critic path when separate;
        zeros without a critic)."""
        if not self.has_critic:
            return torch.zeros(obs.shape[0], device=obs.device)
        obs = self._prep(obs)
        h = self.trunk(obs) if self.shared else self.critic_trunk(obs)
        return self.value_head(h).squeeze(-1)

    def evaluate_actions(self, obs: Tensor, actions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(log_prob [B], entropy [B], value [B])`` of given ``actions``, with gradients.

        Discrete ``actions`` may be ``[B]`` or ``[B, 1]`` of any integer/float dtype;
        continuous ones ``[B, action_dim]`` (or ``[B, *action_shape]``, flattened).
        """
        out, value = self.forward(obs)
        if self.is_continuous:
            if actions.dtype != out.dtype:
                actions = actions.to(out.dtype)
            actions = actions.reshape(out.shape)
            log_prob = gaussian_log_prob(out, self.log_std, actions)
            entropy = gaussian_entropy(self.log_std, out.shape[0])
        else:
            log_prob, entropy = categorical_log_prob_entropy(out, actions)
        return log_prob, entropy, value


def _space_dims(
    observation_space: spaces.Space, action_space: spaces.Space
) -> tuple[int, int, bool]:
    """``(obs_dim, action_dim, is_continuous)``, or ``ValueError`` for unsupported spaces."""
    if not isinstance(observation_space, spaces.Box):
        raise ValueError(
            f"unsupported observation space {observation_space!r} "
            f"({type(observation_space).__name__}); supported: "
            f"{', '.join(SUPPORTED_OBSERVATION_SPACES)}"
        )
    obs_dim = math.prod(observation_space.shape)
    if obs_dim <= 0:
        raise ValueError(f"observation space {observation_space!r} has no dimensions")

    if isinstance(action_space, spaces.Discrete):
        if int(action_space.start) != 0:
            raise ValueError(
                f"unsupported action space {action_space!r}: Discrete with start="
                f"{int(action_space.start)}; only start=0 is supported"
            )
        return obs_dim, int(action_space.n), False
    if isinstance(action_space, spaces.Box):
        action_dim = math.prod(action_space.shape)
        if action_dim <= 0:
            raise ValueError(f"action space {action_space!r} has no dimensions")
        return obs_dim, action_dim, True
    raise ValueError(
        f"unsupported action space {action_space!r} ({type(action_space).__name__}); "
        f"supported: {', '.join(SUPPORTED_ACTION_SPACES)}"
    )


def build_actor_critic(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    *,
    hidden_sizes: Sequence[int],
    activation: str,
    shared: bool,
    orthogonal_init: bool,
    log_std_init: float,
    kind: str = "mlp",
    normalize_obs: bool = False,
    obs_clip: float = 10.0,
    critic: bool = True,
) -> ActorCritic:
    """Build an :class:`ActorCritic` for the given gymnasium spaces.

    ``kind="nature_cnn"`` puts a shared :class:`NatureCNN` in front of the trunks; it
    needs ``[C, H, W]`` image observations (e.g. 4 stacked 84x84 Atari frames).
    ``normalize_obs`` adds a :class:`RunningObsNorm` clipped to ``+-obs_clip``.

    Box observations are flattened (``obs_dim = prod(shape)``). ``Discrete(n)`` actions
    get a categorical head over ``n`` logits; ``Box`` actions a diagonal Gaussian head
    with ``prod(shape)`` means and a learnable state-independent ``log_std`` initialised
    to ``log_std_init``. Anything else raises ``ValueError`` naming the space.
    """
    obs_dim, action_dim, is_continuous = _space_dims(observation_space, action_space)
    encoder, obs_dim = make_encoder(kind, tuple(observation_space.shape or ()))
    obs_norm = (
        RunningObsNorm(tuple(observation_space.shape or ()), clip=obs_clip)
        if normalize_obs
        else None
    )
    return ActorCritic(
        obs_dim,
        action_dim,
        is_continuous=is_continuous,
        hidden_sizes=hidden_sizes,
        activation=activation,
        shared=shared,
        orthogonal_init=orthogonal_init,
        log_std_init=log_std_init,
        obs_norm=obs_norm,
        encoder=encoder,
        critic=critic,
    )
