"""Typed configuration schema.

Every YAML file under ``conf/`` is merged into a dataclass, so OmegaConf rejects unknown
keys and wrong types at composition time. The sections with a choice of component --
``algo``, ``advantage``, ``optimizer`` -- are typed by the chosen component's own config
dataclass, which the component registers (:mod:`advrun.registry`); each shipped YAML
extends it (``defaults: [/schema/<group>/<name>@_here_]``). Range checks that a type
cannot express (``0 <= gamma <= 1``, ``lr > 0``...) live with the component
(``check``) and in :mod:`advrun.config.validate`
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
    # Copies of the env stepped together (one policy call serves them all).
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
    """The model's trunk and encoder. The algorithm picks the family (an actor-critic,
    whose policy head follows the action space, or a Q-network)."""

    # mlp: flat observations into MLP trunks. nature_cnn: a shared Nature-DQN CNN
    # encoder (image [C, H, W] observations, uint8 pixels scaled by 1/255) before them.
    # auto: nature_cnn for image envs (env.preprocess=atari), mlp otherwise; the run's
    # stored config records what it chose.
    kind: str = "auto"
    # Widths of the MLP trunk's hidden layers ([] for none after a CNN encoder).
    hidden_sizes: list[int] = field(default_factory=lambda: [64, 64])
    # Nonlinearity of the trunks: tanh | relu | elu | gelu | silu (advrun.networks).
    activation: str = "tanh"
    # One trunk feeding both heads, or separate actor and critic trunks.
    shared: bool = False
    # Orthogonal weights (gain sqrt(2) in trunks, 0.01 policy head, 1 value head) and
    # zero biases, as in CleanRL / SB3 PPO.
    orthogonal_init: bool = True
    # Initial log standard deviation of the diagonal Gaussian (continuous actions).
    log_std_init: float = 0.0
    # Normalise observations with running mean/var (stored in checkpoints) and clip
    # the result to +-obs_clip.
    normalize_obs: bool = False
    obs_clip: float = 10.0
    # Q-networks only (algo=dqn): the dueling head Q = V + A - mean_a A (Wang et al. 2016).
    dueling: bool = False
    # A recurrent cell (lstm or gru) between the encoder and the trunks, for partially
    # observed envs (network=lstm); its hidden state is carried through rollouts, reset
    # at episode starts and saved in checkpoints. null: feed-forward. PPO/A2C/REINFORCE.
    recurrent: str | None = None
    # Width of the recurrent cell's hidden state (LSTM: h and c each this wide).
    recurrent_size: int = 64


@dataclass
class EarlyStopConfig:
    """Stop when the eval return reaches ``target_return`` or has not improved by
    ``min_delta`` for ``patience`` evaluations (null disables either test)."""

    # Stop once an eval return reaches this (train.yaml: the env's target_return).
    target_return: float | None = None
    # Stop after this many evaluations without an improvement of more than min_delta.
    patience: int | None = None
    min_delta: float = 0.0


@dataclass
class EvalConfig:
    # Evaluate every ``interval`` env steps (0 evaluates only at the end).
    interval: int = 10_000
    # Episodes per evaluation (one per eval sub-env, played at once).
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
    # Typed by the chosen estimator / optimizer / algorithm's registered config.
    advantage: Any = MISSING
    optimizer: Any = MISSING
    algo: Any = MISSING
    eval: EvalConfig = field(default_factory=EvalConfig)
    early_stop: EarlyStopConfig = field(default_factory=EarlyStopConfig)
    init: InitConfig = field(default_factory=InitConfig)
    # A run directory to continue from its checkpoints/last.pt (its stored config wins;
    # only total_steps and logging/eval cadence may change).
    resume: str | None = None
    # Seeds torch, numpy and the envs (eval envs use seed + 10,000 + k).
    seed: int = 1
    # Train one independent agent per seed in one process (advrun.seeds), each in its
    # own run dir under this run's dir; null: one run with ``seed``.
    seeds: list[int] | None = None
    # How a batch of seeds trains: fused (one batched network, one optimizer over stacked
    # parameters, one joined collector: fast; each member independent of the others but
    # not bit-identical to its single run), exact (each agent's own iteration in turn:
    # bit-identical to the single runs) or auto (fused where advrun.seeds.fused supports
    # the config, else exact).
    seeds_mode: str = "auto"
    # Processes a batch of seeds is spread over, each training its share as a batch of
    # its own (advrun.seeds.workers): auto (one per usable core / torch_threads; 1 with
    # device=cuda) or a number. 1: every seed in this one process.
    seeds_workers: Any = "auto"
    # auto | cpu | cuda: where the learner (and env.backend=torch envs) run; auto picks cuda
    # when available for image observations or >= 1024 torch-backend envs, else cpu (a
    # small MLP over host envs or a few torch envs is faster there).
    device: Device = Device.auto
    # Env steps to train for (summed over the envs); the last rollout is cut to fit.
    total_steps: int = 200_000
    # Save ``checkpoints/last.pt`` every this many env steps (0: only at the end).
    checkpoint_interval: int = 50_000
    # Torch intra-op threads; tiny MLPs run fastest on one.
    torch_threads: int = 1
    # torch.compile the policy step and the update's forward (advrun.networks.compiled):
    # null/false (off), default, reduce-overhead (CUDA graphs) or
    # max-autotune-no-cudagraphs. Pays a compile at the start; see docs/benchmarks.md.
    compile: str | None = None
    # Log training scalars every this many updates.
    log_interval: int = 1
    # A progress bar on a terminal (steps, ETA, latest eval return); log lines only when
    # stderr is not a terminal.
    progress: bool = True
    # Names the run dir (<time>_<name>_<tag>; train.yaml: the env id, "/" becomes "-").
    name: str = "run"
    # The conf/tuned/<algo>_<advantage>_<env>.yaml this run's defaults picked (that file sets it),
    # so ``advrun train --cfg job env=X`` shows it; null when there was none.
    tuned: str | None = None


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
    # Build the env even when the checkpoint's config names user code (env.id=module:Id,
    # env.make, env.wrappers): importing it runs that code (advrun.envs.trust).
    trust_env_code: bool = False


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
    # See EvalCommandConfig.trust_env_code.
    trust_env_code: bool = False
