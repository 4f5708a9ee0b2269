"""Config becomes objects in one place: :func:`build_run` turns a validated
:class:`~advrun.config.schema.TrainConfig` into the run's parts -- envs behind their
adapters, the model of the family the algorithm needs, the optimizer, the collector and
the algorithm itself -- and hands them to the Trainer. Nothing else reads the config to
build components; networks never see a config object they do not own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium as gym
import torch
from torch import nn

from advrun.advantages import ESTIMATORS
from advrun.algos import ALGORITHMS, Algorithm, Parts
from advrun.collect.adapters import EnvAdapter, adapt
from advrun.collect.collector import Collector
from advrun.collect.reward_scale import RewardScaler
from advrun.config.containers import enum_value
from advrun.config.errors import ConfigError
from advrun.config.schema import EnvConfig, TrainConfig
from advrun.envs import make_vec_env
from advrun.envs.torch_envs import make_torch_vec_env
from advrun.networks import NETWORKS
from advrun.optim import OptimizerConfig, make_optimizer, param_groups
from advrun.training.device import auto_learner_device, resolve_device, seed_everything
from advrun.training.warm_start import freeze, load_weights


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
    cfg: TrainConfig, observation_space: gym.Space, action_space: gym.Space
) -> nn.Module:
    """The network family the algorithm needs (:data:`advrun.networks.NETWORKS`), from
    ``network.*`` and the env's spaces; without a critic for critic-free estimators."""
    family = ALGORITHMS[cfg.algo.name].network
    critic = bool(ESTIMATORS.get(cfg.advantage.name).trait("needs_critic", True))
    try:
        return NETWORKS[family](observation_space, action_space, cfg.network, critic=critic)
    except ValueError as err:
        kind = enum_value(cfg.network.kind)
        key = "network.kind" if kind != "mlp" else "env.id"
        if "action space" in str(err):
            key = "algo"
        raise ConfigError(
            key,
            f"algo={cfg.algo.name} builds a {family} network, which cannot handle "
            f"{cfg.env.id}'s spaces with network.kind={kind} ({err}).",
            "algo=dqn needs Discrete actions; algo=ppo|a2c|reinforce take Discrete, Box, "
            "MultiDiscrete and MultiBinary actions. Observations may be Box, Discrete, "
            "MultiDiscrete, MultiBinary, or Dict/Tuple of those (network=mlp); "
            "network=nature_cnn needs image observations (e.g. env=atari_pong).",
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
    return make_optimizer(param_groups(model, loaded, lr=opt.lr, lr_scale=lr_scale), opt)


@dataclass
class RunParts:
    """A run's components, built from its config."""

    algorithm: Algorithm
    eval_env: EnvAdapter
    device: torch.device
    # Recorder of evaluation videos (eval.video), whose envs eval_env wraps.
    videos: object | None = None

    def close(self) -> None:
        self.algorithm.collector.env.close()
        self.eval_env.close()


def build_run(cfg: TrainConfig, run_dir: str) -> RunParts:
    """Everything :class:`~advrun.training.trainer.Trainer` runs, in the order that
    keeps a fixed seed reproducible (the model's initialisation draws from torch's
    global generator after seeding)."""
    torch.set_num_threads(cfg.torch_threads)
    seed_everything(cfg.seed)
    device = resolve_device(enum_value(cfg.device))
    env_cfg = cfg.env
    if ESTIMATORS.get(cfg.advantage.name).trait("grouped") and env_cfg.vectorization == "auto":
        # Identical starts per group need a seed per env, which only the per-env
        # (sync) path takes; CartPole's native vector env accepts one int seed.
        env_cfg = dataclasses.replace(env_cfg, vectorization="sync")
    auto = enum_value(cfg.device) == "auto"
    if auto and env_cfg.backend == "torch":  # the envs are built on the learner's device
        device = auto_learner_device("torch", None, env_cfg.num_envs)
    envs = build_envs(env_cfg, device=device)
    if auto and env_cfg.backend != "torch":
        device = auto_learner_device(env_cfg.backend, envs.single_observation_space, envs.num_envs)
    env = adapt(envs, device)
    try:
        videos = None
        if cfg.eval.video:
            from advrun.evaluation.video import EvalVideos

            videos = EvalVideos(cfg.env, cfg.eval.episodes, cfg.eval.video_episodes, run_dir)
            eval_envs = videos.envs
        else:
            eval_envs = build_envs(
                cfg.env, num_envs=cfg.eval.episodes, device=device, training=False
            )
        eval_env = adapt(eval_envs, device)
        model = build_model(cfg, env.single_observation_space, env.single_action_space)
        loaded = (
            load_weights(model, cfg.init.checkpoint, parts=list(cfg.init.load))
            if cfg.init.checkpoint
            else []
        )
        freeze(model, list(cfg.init.freeze))
        model.to(device)
        if cfg.compile:
            from advrun.networks.compiled import compile_policy

            compile_policy(model, cfg.compile)
        optimizer = build_optimizer(cfg.optimizer, model, loaded=loaded, lr_scale=cfg.init.lr_scale)
        scaler = (
            RewardScaler(
                env.num_envs,
                gamma=cfg.advantage.gamma,
                clip=cfg.env.reward_clip,
                device=env.data_device,
            )
            if cfg.env.normalize_reward
            else None
        )
        collector = Collector(env, device, seed=cfg.seed, reward_scaler=scaler)
        algorithm = ALGORITHMS[cfg.algo.name](
            Parts(
                model=model,
                optimizer=optimizer,
                collector=collector,
                algo=cfg.algo,
                advantage=cfg.advantage,
                optim=cfg.optimizer,
                device=device,
                seed=cfg.seed,
                total_steps=cfg.total_steps,
            )
        )
    except BaseException:
        env.close()
        raise
    return RunParts(algorithm, eval_env, device, videos)
