"""Q-networks for Discrete actions over Box observations (the DQN family).

``obs -> [obs_norm] -> encoder | flatten -> trunk (MLP) -> head -> Q [B, A]``

The head is either one linear layer ``q_head`` (Mnih et al. 2015) or the dueling head of
Wang et al. 2016 ("Dueling Network Architectures for Deep Reinforcement Learning", ICML):
two streams on the trunk's features, ``value_stream -> V(s) [B, 1]`` and
``advantage_stream -> A(s, .) [B, A]``, combined as::

    Q(s, a) = V(s) + A(s, a) - mean_b A(s, b)

Subtracting the mean makes V and A identifiable (``mean_a Q(s, a) = V(s)`` exactly) and
is the variant the paper uses in its experiments. Simplification: each stream here is a
single linear layer on the shared trunk; the paper gives each stream its own 512-unit
hidden layer after the convolutions. Put that capacity in the shared trunk instead
(``hidden_sizes``), or extend the streams if it ever matters.
"""

from __future__ import annotations

from collections.abc import Sequence

from gymnasium import spaces
from torch import Tensor, nn

from advrun.networks.encoders import encode_observations, prepare_observations
from advrun.networks.init import HIDDEN_GAIN, VALUE_GAIN, orthogonal_init_, orthogonal_init_linears_
from advrun.networks.mlp import MLP, make_activation
from advrun.networks.normalize import RunningObsNorm


def _linear(in_dim: int, out_dim: int, orthogonal_init: bool) -> nn.Linear:
    layer = nn.Linear(in_dim, out_dim)
    if orthogonal_init:
        orthogonal_init_(layer, VALUE_GAIN)
    return layer


class QNetwork(nn.Module):
    """Action values ``Q(s, .)`` for ``num_actions`` discrete actions.

    Submodules (stable names, e.g. for ``init.freeze``):

    * ``obs_norm`` -- optional :class:`RunningObsNorm` (buffers only).
    * ``encoder`` -- optional feature extractor (e.g. :class:`NatureCNN`); ``obs_dim`` is
      then its output width.
    * ``trunk`` -- :class:`MLP` (the identity when ``hidden_sizes`` is empty).
    * ``q_head`` -- ``nn.Linear`` to ``num_actions`` when not dueling; otherwise
      ``value_stream`` (``nn.Linear`` to 1) and ``advantage_stream`` (to ``num_actions``).

    Observations of any dtype (uint8 frames included) are cast to the parameter dtype,
    as in :class:`~advrun.networks.actor_critic.ActorCritic`. With ``orthogonal_init`` the
    trunk gets gain ``sqrt(2)`` and the output layers gain 1 (zero biases).
    """

    def __init__(
        self,
        obs_dim: int,
        num_actions: int,
        *,
        hidden_sizes: Sequence[int],
        activation: str,
        dueling: bool,
        orthogonal_init: bool,
        obs_norm: RunningObsNorm | None = None,
        encoder: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if obs_dim <= 0 or num_actions <= 0:
            raise ValueError(
                f"obs_dim and num_actions must be positive, got {obs_dim}, {num_actions}"
            )
        make_activation(activation)
        self.obs_norm = obs_norm
        self.encoder = encoder
        self.obs_dim: int = int(obs_dim)
        self.num_actions: int = int(num_actions)
        self.dueling: bool = bool(dueling)
        self.trunk = MLP(self.obs_dim, [int(h) for h in hidden_sizes], activation)
        if orthogonal_init:
            orthogonal_init_linears_(self.trunk, HIDDEN_GAIN)
        features = self.trunk.out_dim
        if self.dueling:
            self.value_stream = _linear(features, 1, orthogonal_init)
            self.advantage_stream = _linear(features, self.num_actions, orthogonal_init)
        else:
            self.q_head = _linear(features, self.num_actions, orthogonal_init)

    def _out_layer(self) -> nn.Linear:
        return self.advantage_stream if self.dueling else self.q_head

    def _prep(self, obs: Tensor) -> Tensor:
        """The trunk's input (:func:`~advrun.networks.encoders.prepare_observations`)."""
        return prepare_observations(
            obs, self._out_layer().weight.dtype, self.obs_norm, self.encoder
        )

    def forward(self, obs: Tensor) -> Tensor:
        """``Q(obs, .)`` as ``[B, num_actions]``."""
        h = self.trunk(self._prep(obs))
        if not self.dueling:
            return self.q_head(h)
        value = self.value_stream(h)
        advantage = self.advantage_stream(h)
        return value + advantage - advantage.mean(dim=-1, keepdim=True)

    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """Greedy actions ``argmax_a Q(obs, a)`` as ``[B]`` int64.

        A Q-network has no stochastic policy of its own: exploration is added by the
        caller (:func:`advrun.algos.dqn.epsilon_greedy`), so ``deterministic=False`` is
        refused rather than silently ignored. Autograd stays on; wrap in ``no_grad``.
        """
        if not deterministic:
            raise ValueError(
                "QNetwork.act is greedy only; add exploration with advrun.algos.dqn.epsilon_greedy"
            )
        return self.forward(obs).argmax(dim=-1)


def build_q_network(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    *,
    kind: str = "mlp",
    hidden_sizes: Sequence[int],
    activation: str,
    dueling: bool,
    orthogonal_init: bool,
    normalize_obs: bool = False,
    obs_clip: float = 10.0,
) -> QNetwork:
    """Build a :class:`QNetwork` for ``Discrete`` actions over any observation space the
    encoders take (:mod:`advrun.networks.encoders`).

    ``kind="nature_cnn"`` puts a :class:`NatureCNN` (pixels scaled by 1/255 inside) in
    front of the trunk and needs image observations; ``"mlp"`` flattens Box
    observations and encodes the others leaf by leaf (``"multi"``).
    ``normalize_obs`` adds a :class:`RunningObsNorm` clipped to ``+-obs_clip``. Any other
    space (continuous actions included: a Q-network needs a finite argmax) raises
    ``ValueError`` naming it.
    """
    if not isinstance(action_space, spaces.Discrete):
        raise ValueError(
            f"unsupported action space {action_space!r} ({type(action_space).__name__}); "
            "a Q-network supports Discrete actions only"
        )
    if int(action_space.start) != 0:
        raise ValueError(
            f"unsupported action space {action_space!r}: Discrete with start="
            f"{int(action_space.start)}; only start=0 is supported"
        )
    encoder, obs_dim, obs_norm = encode_observations(
        kind, observation_space, normalize_obs, obs_clip
    )
    return QNetwork(
        obs_dim,
        int(action_space.n),
        hidden_sizes=hidden_sizes,
        activation=activation,
        dueling=dueling,
        orthogonal_init=orthogonal_init,
        obs_norm=obs_norm,
        encoder=encoder,
    )
