"""Wire typed config sections to the components' plain-keyword constructors.

This is the only place that knows both the config schema and the component APIs:
networks, optimizers and estimators never see a config object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gymnasium as gym
import torch

from advrun.advantages import get_estimator
from advrun.config.containers import enum_value
from advrun.config.errors import ConfigError
from advrun.config.schema import AdvantageConfig, EnvConfig, NetworkConfig, OptimizerConfig
from advrun.envs import make_vec_env
from advrun.envs.torch_envs import make_torch_vec_env
from advrun.networks import ActorCritic, build_actor_critic
from advrun.optim import make_optimizer, param_groups


def build_envs(
    env: EnvConfig,
    num_envs: int | None = None,
    device: torch.device | None = None,
    *,
    training: bool = True,
) -> gym.vector.VectorEnv:
    """Gymnasium vector envs (numpy, on the host) or, with ``env.backend=torch``, the
    torch-native batched envs on ``device``. ``training=False`` builds evaluation envs
    (for ``env.preprocess=atari``: raw scores, whole games) and skips ``env.check``."""
    if env.backend == "torch":
        return make_torch_vec_env(
            env.id,
            num_envs or env.num_envs,
            device=device or "cpu",
            max_episode_steps=env.max_episode_steps,
            **dict(env.kwargs),
        )
    return make_vec_env(
        env.id,
        num_envs or env.num_envs,
        vectorization=env.vectorization,
        kwargs=dict(env.kwargs),
        max_episode_steps=env.max_episode_steps,
        preprocess=env.preprocess,
        training=training,
        make=env.make,
        wrappers=list(env.wrappers),
        # Once per run: the training envs; eval envs are the same env.
        check=env.check and training,
    )


def build_model(
    net: NetworkConfig, observation_space: gym.Space, action_space: gym.Space
) -> ActorCritic:
    try:
        return build_actor_critic(
            observation_space,
            action_space,
            hidden_sizes=list(net.hidden_sizes),
            activation=enum_value(net.activation),
            shared=net.shared,
            orthogonal_init=net.orthogonal_init,
            log_std_init=net.log_std_init,
            kind=enum_value(net.kind),
            normalize_obs=net.normalize_obs,
            obs_clip=net.obs_clip,
        )
    except ValueError as err:
        kind = enum_value(net.kind)
        raise ConfigError(
            "network.kind" if kind != "mlp" else "env.id",
            f"the {kind} actor-critic cannot handle this env's spaces ({err}).",
            "use network=nature_cnn only with image envs (e.g. env=atari_pong), and "
            "network=mlp with Box observations; actions must be Discrete or Box.",
        ) from None


def build_optimizer(
    opt: OptimizerConfig,
    model: torch.nn.Module,
    *,
    loaded: Sequence[str] = (),
    lr_scale: float = 1.0,
) -> torch.optim.Optimizer:
    """Optimizer over the trainable parameters; ``loaded`` (names from
    ``init.checkpoint``) learn at ``lr * lr_scale`` (:func:`advrun.optim.param_groups`)."""
    return make_optimizer(
        param_groups(model, loaded, lr=opt.lr, lr_scale=lr_scale),
        name=enum_value(opt.name),
        lr=opt.lr,
        weight_decay=opt.weight_decay,
        eps=opt.eps,
        betas=list(opt.betas),
        momentum=opt.momentum,
        alpha=opt.alpha,
    )


def build_estimator(adv: AdvantageConfig) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    return get_estimator(enum_value(adv.name), gamma=adv.gamma, lam=adv.lam, n=adv.n)
