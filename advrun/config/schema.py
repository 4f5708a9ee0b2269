"""Typed configuration schema.

Every YAML file under ``conf/`` is merged into one of these dataclasses, so OmegaConf
rejects unknown keys and wrong types at composition time. Range checks that a type
cannot express (``0 <= gamma <= 1``, ``lr > 0``...) live in :mod:`advrun.config.validate`
and run before any work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import MISSING


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class AdvantageName(str, Enum):
    mc = "mc"
    td = "td"
    nstep = "nstep"
    gae = "gae"


class AlgoName(str, Enum):
    reinforce = "reinforce"
    a2c = "a2c"
    ppo = "ppo"


class OptimizerName(str, Enum):
    adam = "adam"
    adamw = "adamw"
    sgd = "sgd"
    rmsprop = "rmsprop"


class Schedule(str, Enum):
    constant = "constant"
    linear = "linear"
    cosine = "cosine"


class NetworkKind(str, Enum):
    mlp = "mlp"
    nature_cnn = "nature_cnn"


class Activation(str, Enum):
    tanh = "tanh"
    relu = "relu"
    elu = "elu"
    gelu = "gelu"
    silu = "silu"


@dataclass
class EnvConfig:
    """A gymnasium environment, batched into ``num_envs`` copies."""

    # A registered id, or gymnasium's ``module:EnvId`` (``module`` is imported first so
    # its ``gymnasium.register`` runs). With ``make`` set it only names the run.
    id: str = MISSING
    # ``pkg.module:callable`` returning a gymnasium.Env, called with ``kwargs``.
    make: str | None = None
    # Wrappers applied to every sub-env in order: ``{_target_: pkg.module.Wrapper, ...}``.
    wrappers: list[Any] = field(default_factory=list)
    # Play one sub-env for a reset and a few random steps before training and stop on
    # an API violation (obs outside its space, bad reward, old 4-tuple step...).
    check: bool = True
    num_envs: int = 8
    # auto | native | sync | async. ``auto`` uses gymnasium's native vector env when the
    # id has one (CartPole: numpy, millions of steps/s) and ``sync`` otherwise.
    vectorization: str = "auto"
    # gymnasium | torch. ``torch`` runs advrun's torch-native batched versions of
    # CartPole, Acrobot, MountainCar and Pendulum on the training device (GPU rollouts).
    backend: str = "gymnasium"
    # Extra keyword arguments for ``gymnasium.make`` (e.g. ``continuous: true``).
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Override the registered TimeLimit; null keeps the env's own.
    max_episode_steps: int | None = None
    # The return that counts as solved; early stopping uses it by default.
    target_return: float | None = None
    # null | atari. ``atari``: 84x84 grayscale, frame skip 4 (max-pooled), 30 no-op
    # starts, 4 stacked uint8 frames; training envs also clip rewards to their sign and
    # end episodes on life loss, eval envs play whole games with raw scores.
    preprocess: str | None = None
    # VecNormalize-style reward scaling: divide rewards by the running std of the
    # discounted return (gamma = advantage.gamma) and clip to +-reward_clip.
    # Episode statistics and eval returns stay in raw reward units.
    normalize_reward: bool = False
    reward_clip: float = 10.0


@dataclass
class NetworkConfig:
    """Actor-critic. The policy head is chosen from the action space."""

    # mlp: flat observations into MLP trunks. nature_cnn: a shared Nature-DQN CNN
    # encoder (image [C, H, W] observations, uint8 pixels scaled by 1/255) before them.
    kind: NetworkKind = NetworkKind.mlp
    hidden_sizes: list[int] = field(default_factory=lambda: [64, 64])
    activation: Activation = Activation.tanh
    # One trunk feeding both heads, or separate actor and critic trunks.
    shared: bool = False
    orthogonal_init: bool = True
    # Initial log standard deviation of the diagonal Gaussian (continuous actions).
    log_std_init: float = 0.0
    # Normalise observations with running mean/var (stored in checkpoints) and clip
    # the result to +-obs_clip.
    normalize_obs: bool = False
    obs_clip: float = 10.0


@dataclass
class AdvantageConfig:
    """Which estimator turns a rollout into advantages and value targets."""

    name: AdvantageName = AdvantageName.gae
    gamma: float = 0.99
    # GAE's lambda (ignored by the other estimators).
    lam: float = 0.95
    # n-step horizon (only for ``nstep``).
    n: int = 5
    # Standardise advantages to zero mean and unit variance per batch.
    normalize: bool = True


@dataclass
class OptimizerConfig:
    name: OptimizerName = OptimizerName.adam
    lr: float = 3e-4
    weight_decay: float = 0.0
    eps: float = 1e-5
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    momentum: float = 0.0
    alpha: float = 0.99
    schedule: Schedule = Schedule.constant
    # Cosine/linear schedules decay to ``lr * min_lr_ratio``.
    min_lr_ratio: float = 0.0
    # Clip the global gradient norm; null disables clipping.
    max_grad_norm: float | None = 0.5


@dataclass
class AlgoConfig:
    """Update rule. ``reinforce`` and ``a2c`` take one gradient step per rollout;
    ``ppo`` takes ``epochs`` passes of ``minibatches`` clipped steps."""

    name: AlgoName = AlgoName.ppo
    rollout_steps: int = 128
    epochs: int = 4
    minibatches: int = 4
    clip_coef: float = 0.2
    # Anneal clip_coef over training (linear: down to 0 at the end, as SB3's
    # ``lin_0.1``); constant keeps it fixed.
    clip_schedule: Schedule = Schedule.constant
    # Clip the value update around the old prediction (PPO); null disables.
    value_clip: float | None = None
    # Weight of the value loss, which is 0.5 * MSE (CleanRL's convention; SB3's is MSE,
    # so SB3's vf_coef x 2 gives the same loss).
    value_coef: float = 0.5
    entropy_coef: float = 0.0
    # Stop the epoch loop early when the approximate KL exceeds this; null disables.
    target_kl: float | None = None


@dataclass
class EarlyStopConfig:
    """Stop when the eval return reaches ``target_return`` or has not improved by
    ``min_delta`` for ``patience`` evaluations (null disables either test)."""

    target_return: float | None = None
    patience: int | None = None
    min_delta: float = 0.0


@dataclass
class EvalConfig:
    # Evaluate every ``interval`` env steps (0 evaluates only at the end).
    interval: int = 10_000
    episodes: int = 20
    # Deterministic policy: argmax / Gaussian mean.
    deterministic: bool = True
    # Record the first video_episodes episodes of each evaluation as mp4 under
    # <run dir>/videos/ and as TensorBoard GIFs (advrun.evaluation.video; video extra).
    video: bool = False
    video_episodes: int = 1


@dataclass
class InitConfig:
    """Start from a trained checkpoint's weights (not its optimizer or counters)."""

    # Path to a checkpoint (e.g. <run>/checkpoints/best.pt); null trains from scratch.
    checkpoint: str | None = None
    # Parameter-name prefixes to freeze, e.g. [actor_trunk] or [trunk, value_head].
    freeze: list[str] = field(default_factory=list)
    # Module prefixes to load from the checkpoint, e.g. [actor_trunk, critic_trunk,
    # value_head] to keep the trunks and start a new action head; [] loads everything
    # (and then every shape must match).
    load: list[str] = field(default_factory=list)
    # Learning-rate factor for the loaded parameters (the new ones use optimizer.lr):
    # < 1 lets a transferred trunk learn slower than the new head.
    lr_scale: float = 1.0


@dataclass
class TrainConfig:
    env: EnvConfig = MISSING
    network: NetworkConfig = MISSING
    advantage: AdvantageConfig = MISSING
    optimizer: OptimizerConfig = MISSING
    algo: AlgoConfig = MISSING
    eval: EvalConfig = field(default_factory=EvalConfig)
    early_stop: EarlyStopConfig = field(default_factory=EarlyStopConfig)
    init: InitConfig = field(default_factory=InitConfig)
    # A run directory to continue from its checkpoints/last.pt (its stored config wins;
    # only total_steps and logging/eval cadence may change).
    resume: str | None = None
    seed: int = 1
    device: Device = Device.auto
    total_steps: int = 200_000
    # Save ``checkpoints/last.pt`` every this many env steps (0: only at the end).
    checkpoint_interval: int = 50_000
    # Torch intra-op threads; tiny MLPs run fastest on one.
    torch_threads: int = 1
    # Log training scalars every this many updates.
    log_interval: int = 1
    progress: bool = True
    name: str = "run"


@dataclass
class EvalCommandConfig:
    """``advrun eval``: play a trained policy."""

    run: str | None = None
    checkpoint: str | None = None
    which: str = "best"
    episodes: int = 20
    deterministic: bool = True
    seed: int = 12345
    device: Device = Device.cpu
    num_envs: int | None = None
    # A run dir or checkpoint to compare with on the same episode seeds (paired).
    baseline: str | None = None
    # Record the first video_episodes episodes as mp4 under <run dir>/videos/ and as
    # TensorBoard GIFs (needs the video extra).
    video: bool = False
    video_episodes: int = 1
    # Write <checkpoint stem>.eval.json and .eval.md beside the checkpoint.
    report: bool = True
    bootstrap_reps: int = 2000
    # An episode counter on stderr (only on a terminal).
    progress: bool = True


@dataclass
class ExportCommandConfig:
    """``advrun export``: write a checkpoint's policy as ONNX or TorchScript."""

    run: str | None = None
    checkpoint: str | None = None
    which: str = "best"
    # onnx | torchscript
    format: str = "onnx"
    # action: the deterministic action only; dist: also the distribution's parameters
    # (logits, or the Gaussian mean and log_std).
    outputs: str = "action"
    # Output file; null writes <run dir>/export/<checkpoint stem>.onnx (or .torchscript.pt).
    out: str | None = None
    # Random observations the written file is run on and compared with torch (0: skip).
    check_observations: int = 1000
