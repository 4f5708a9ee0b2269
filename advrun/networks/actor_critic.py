"""Actor-critic for every observation space :mod:`advrun.networks.encoders` encodes and
Discrete / Box / MultiDiscrete / MultiBinary action spaces.

Observations pass through ``_prep``: cast to the parameter dtype, optional running
normalisation (:class:`~advrun.networks.normalize.RunningObsNorm`), then either an
encoder (the Nature CNN for image stacks) or a flatten, and into the MLP trunks. An
encoder with ``raw_input`` (the per-leaf ``multi`` encoder for Dict/Tuple/Discrete
observations) takes the stored observation as it is and does its own casting.

The policy head follows the action space (``action_kind``): ``discrete`` (one
categorical), ``continuous`` (diagonal Gaussian, unclipped; the env edge clips),
``multi_discrete`` (a categorical per dimension, log-probabilities summed) and
``multi_binary`` (independent Bernoullis); the maths is in :mod:`advrun.networks.heads`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.encoders import encode_observations, prepare_observations
from advrun.networks.heads import (
    bernoulli_log_prob_entropy,
    bernoulli_sample,
    categorical_log_prob_entropy,
    categorical_sample,
    gaussian_entropy,
    gaussian_log_prob,
    gaussian_sample,
    make_policy_head,
    make_value_head,
    multi_categorical_log_prob_entropy,
    multi_categorical_sample,
)
from advrun.networks.init import HIDDEN_GAIN, orthogonal_init_linears_
from advrun.networks.mlp import MLP, make_activation
from advrun.networks.normalize import RunningObsNorm

SUPPORTED_OBSERVATION_SPACES: tuple[str, ...] = (
    "Box",
    "Discrete",
    "MultiDiscrete",
    "MultiBinary",
    "Dict",
    "Tuple",
)
SUPPORTED_ACTION_SPACES: tuple[str, ...] = ("Discrete", "Box", "MultiDiscrete", "MultiBinary")
ACTION_KINDS: tuple[str, ...] = ("discrete", "continuous", "multi_discrete", "multi_binary")


class ActorCritic(nn.Module):
    """Policy and value function over a flat observation vector.

    Submodules (stable names, e.g. for freezing):

    * ``trunk`` when ``shared`` -- one MLP feeding both heads; otherwise ``actor_trunk``
      and ``critic_trunk`` (and no ``trunk``). Without a critic (``critic=False``, for the
      critic-free group baselines) there is no ``critic_trunk`` and no ``value_head``, and
      every value is 0.
    * ``policy_head`` -- ``nn.Linear`` giving logits (discrete: ``n``; multi_discrete:
      ``sum(nvec)``; multi_binary: one per bit) or the Gaussian mean.
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
        action_kind: str | None = None,
        nvec: Sequence[int] = (),
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
        kind = action_kind or ("continuous" if is_continuous else "discrete")
        if kind not in ACTION_KINDS or (kind == "continuous") != self.is_continuous:
            raise ValueError(f"action_kind {kind!r} with is_continuous={is_continuous}")
        self.action_kind: str = kind
        self.nvec: list[int] = [int(n) for n in nvec]
        if kind == "multi_discrete" and sum(self.nvec) != self.action_dim:
            raise ValueError(f"nvec {self.nvec} does not sum to action_dim {self.action_dim}")
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
        """The trunks' input (:func:`~advrun.networks.encoders.prepare_observations`)."""
        return prepare_observations(obs, self.policy_head.weight.dtype, self.obs_norm, self.encoder)

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
        action, log_prob = self.sample(out, deterministic)
        return action, log_prob, value

    def policy_action(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """Actions only, for evaluation and deployment: the actor path alone (a separate
        critic is not run, no log-probability is formed), so a greedy step costs about
        half of :meth:`act`. Same actions as ``act(obs, deterministic)[0]``."""
        x = self._prep(obs)
        out = self.policy_head(self.trunk(x) if self.shared else self.actor_trunk(x))
        if deterministic:
            return self.deterministic_action(out)
        return self.sample(out)[0]

    def sample(self, out: Tensor, deterministic: bool = False) -> tuple[Tensor, Tensor]:
        """``(action, log_prob [B])`` from the policy head's output ``out``: ``[B]`` int64
        (discrete), ``[B, d]`` int64 (multi_discrete), ``[B, n]`` float 0/1
        (multi_binary) or ``[B, action_dim]`` float (continuous)."""
        if self.action_kind == "continuous":
            return gaussian_sample(out, self.log_std, deterministic)
        if self.action_kind == "multi_discrete":
            return multi_categorical_sample(out, self.nvec, deterministic)
        if self.action_kind == "multi_binary":
            return bernoulli_sample(out, deterministic)
        return categorical_sample(out, deterministic)

    def log_prob_entropy(self, out: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
        """``(log_prob [B], entropy [B])`` of ``actions`` under the head's output ``out``."""
        if self.action_kind == "continuous":
            if actions.dtype != out.dtype:
                actions = actions.to(out.dtype)
            actions = actions.reshape(out.shape)
            log_prob = gaussian_log_prob(out, self.log_std, actions)
            return log_prob, gaussian_entropy(self.log_std, out.shape[0])
        if self.action_kind == "multi_discrete":
            return multi_categorical_log_prob_entropy(out, self.nvec, actions)
        if self.action_kind == "multi_binary":
            return bernoulli_log_prob_entropy(out, actions)
        return categorical_log_prob_entropy(out, actions)

    def deterministic_action(self, out: Tensor) -> Tensor:
        """The mode of the policy from the head's output (export uses this)."""
        if self.action_kind == "continuous":
            return out
        if self.action_kind == "multi_binary":
            return (out > 0).to(out.dtype)
        if self.action_kind == "multi_discrete":
            parts = torch.split(out, self.nvec, dim=-1)
            return torch.stack([p.argmax(dim=-1) for p in parts], dim=-1)
        return out.argmax(dim=-1)

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
        log_prob, entropy = self.log_prob_entropy(out, actions)
        return log_prob, entropy, value


def action_head(action_space: spaces.Space) -> tuple[str, int, list[int]]:
    """``(action_kind, policy-head width, nvec)`` for ``action_space``, or ``ValueError``
    naming an unsupported space."""
    if isinstance(action_space, spaces.Discrete):
        if int(action_space.start) != 0:
            raise ValueError(
                f"unsupported action space {action_space!r}: Discrete with start="
                f"{int(action_space.start)}; only start=0 is supported"
            )
        return "discrete", int(action_space.n), []
    if isinstance(action_space, spaces.Box):
        action_dim = math.prod(action_space.shape)
        if action_dim <= 0:
            raise ValueError(f"action space {action_space!r} has no dimensions")
        return "continuous", action_dim, []
    if isinstance(action_space, spaces.MultiDiscrete):
        nvec = [int(n) for n in action_space.nvec.reshape(-1)]
        if not nvec:
            raise ValueError(f"action space {action_space!r} has no dimensions")
        return "multi_discrete", sum(nvec), nvec
    if isinstance(action_space, spaces.MultiBinary):
        width = math.prod(action_space.shape)
        if width <= 0:
            raise ValueError(f"action space {action_space!r} has no dimensions")
        return "multi_binary", width, []
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
    needs image observations (e.g. 4 stacked 84x84 Atari frames). ``kind="multi"`` (and
    ``"mlp"`` on any non-Box space) encodes each leaf of a Dict / Tuple / Discrete
    observation (:mod:`advrun.networks.multi_input`). ``normalize_obs`` adds a
    :class:`RunningObsNorm` clipped to ``+-obs_clip``.

    Box observations are flattened (``obs_dim = prod(shape)``). ``Discrete(n)`` actions
    get a categorical head over ``n`` logits; ``Box`` actions a diagonal Gaussian head
    with ``prod(shape)`` means and a learnable state-independent ``log_std`` initialised
    to ``log_std_init``; ``MultiDiscrete(nvec)`` a categorical per dimension;
    ``MultiBinary(n)`` ``n`` Bernoulli logits. Anything else raises ``ValueError``
    naming the space.
    """
    action_kind, action_dim, nvec = action_head(action_space)
    encoder, obs_dim, obs_norm = encode_observations(
        kind, observation_space, normalize_obs, obs_clip
    )
    return ActorCritic(
        obs_dim,
        action_dim,
        is_continuous=action_kind == "continuous",
        action_kind=action_kind,
        nvec=nvec,
        hidden_sizes=hidden_sizes,
        activation=activation,
        shared=shared,
        orthogonal_init=orthogonal_init,
        log_std_init=log_std_init,
        obs_norm=obs_norm,
        encoder=encoder,
        critic=critic,
    )
