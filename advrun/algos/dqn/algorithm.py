"""DQN and its family: Double DQN, dueling heads, n-step targets, advantage learning.

Each iteration steps the vector env with an epsilon-greedy policy for about
``train_freq`` env steps, appends the rows to a time-major replay buffer, and (after
``learning_starts`` env steps) takes ``gradient_steps`` per ``train_freq`` env steps
collected, on minibatches of ``batch_size`` sampled windows::

    V(s_{t+k+1}) = max_a Q~(s_{t+k+1}, a)              (Double: Q~(., argmax_a Q(., a)))
    T Q(s_t, a_t) = returns[0] of the advantage estimator (td: r + gamma V(s');
                    nstep: n rewards then gamma^n V), termination vs truncation as always
    target = operator(T Q)                               (bellman | al | pal, alpha)
    loss   = huber | mse (Q(s_t, a_t) - target)

The target network ``Q~`` moves towards the online one every ``target_update_interval``
env steps by Polyak averaging with ``tau`` (1.0: a hard copy, as Mnih et al. 2015).
Evaluation is greedy. TensorBoard gets CleanRL's tags (``losses/td_loss``,
``losses/q_values``, ``charts/epsilon``) and ``charts/action_gap``: mean best-minus-second
Q of the online network on the sampled states, the quantity the AL operators widen.

Exact resume: the replay buffer, the target network, the step counters and the
generator (exploration, sampling) are in ``last.pt`` as long as the buffer holds at most
``algo.checkpoint_replay_mb`` MB; a larger one is left out and the run's summary says
``"exact_resume": false`` (the resumed run refills its buffer).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from advrun.advantages import ESTIMATORS, EstimatorInputs, bind
from advrun.algos.base import ALGORITHMS, AlgoConfig, Algorithm, Iteration, Parts
from advrun.algos.dqn.exploration import epsilon_at, epsilon_greedy
from advrun.algos.dqn.operators import OPERATORS, TD_LOSSES, action_gap, bootstrap_value, td_loss
from advrun.algos.step import optimizer_step
from advrun.config.errors import ConfigError
from advrun.replay import ReplayBuffer

if TYPE_CHECKING:
    from advrun.config.schema import TrainConfig

# Sampled observations held at once by one chunk of a phase's gradient steps.
CHUNK_BYTES = 64 * 2**20


@dataclass
class DQNConfig(AlgoConfig):
    """DQN's knobs (Stable-Baselines3's names where they exist). The defaults solve
    CartPole fast on a CPU with the env's 64 parallel envs: one gradient step per 4 env
    steps on batches of 256, a ReLU net, a 1,000-step target period."""

    name: str = "dqn"
    # Transitions the replay buffer holds.
    buffer_size: int = 50_000
    # Transitions per gradient step.
    batch_size: int = 256
    # Env steps before the first gradient step (and the buffer's minimum fill).
    learning_starts: int = 2_000
    # Env steps (transitions) between gradient phases, and gradient steps per phase
    # (Stable-Baselines3's meaning). With N parallel envs a phase comes after
    # max(1, train_freq // N) rows and takes gradient_steps * collected / train_freq
    # steps, so the ratio of gradient steps to env steps is the same for any N.
    train_freq: int = 32
    gradient_steps: int = 8
    # Env steps between target-network updates; tau 1.0 copies, < 1 is Polyak averaging.
    target_update_interval: int = 1_000
    tau: float = 1.0
    # Epsilon decays linearly from initial to final over the first fraction of training.
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.02
    exploration_fraction: float = 0.05
    # Double DQN (van Hasselt et al. 2016): the online net picks, the target net values.
    double: bool = True
    # bellman | al (advantage learning) | pal (persistent advantage learning).
    operator: str = "bellman"
    # The AL/PAL coefficient alpha in [0, 1) (Bellemare et al. 2016 use 0.9).
    alpha: float = 0.9
    # huber | mse.
    loss: str = "huber"
    # Largest replay buffer saved in last.pt for an exact resume, in MB.
    checkpoint_replay_mb: float = 512.0

    def check(self, key: str, run: TrainConfig) -> None:
        for name in ("buffer_size", "batch_size", "train_freq", "gradient_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{key}.{name}",
                    f"{getattr(self, name)} must be >= 1.",
                    f"set {key}.{name}=1 or more.",
                )
        for name in ("learning_starts", "target_update_interval"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"{key}.{name}",
                    f"{getattr(self, name)} is negative.",
                    f"set {key}.{name}=0 or more.",
                )
        if self.buffer_size < run.env.num_envs:
            raise ConfigError(
                f"{key}.buffer_size",
                f"{self.buffer_size} transitions cannot hold one row of env.num_envs="
                f"{run.env.num_envs}.",
                f"raise {key}.buffer_size or lower env.num_envs.",
            )
        for name in (
            "tau",
            "exploration_initial_eps",
            "exploration_final_eps",
            "exploration_fraction",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or (name == "tau" and value == 0.0):
                raise ConfigError(
                    f"{key}.{name}",
                    f"{value} is outside {'(0, 1]' if name == 'tau' else '[0, 1]'}.",
                    f"set {key}.{name} within it.",
                )
        if not 0.0 <= self.alpha < 1.0:
            raise ConfigError(
                f"{key}.alpha", f"{self.alpha} is outside [0, 1).", f"use {key}.alpha=0.9."
            )
        for name, registry in (("operator", OPERATORS), ("loss", TD_LOSSES)):
            if getattr(self, name) not in registry:
                raise ConfigError(
                    f"{key}.{name}",
                    f"{getattr(self, name)!r} is not a {registry.kind}.",
                    f"use one of: {', '.join(registry.names())}.",
                )
        if not ESTIMATORS.get(run.advantage.name).trait("target"):
            raise ConfigError(
                "advantage",
                f"algo=dqn regresses Q onto bootstrapped value targets, which "
                f"advantage={run.advantage.name} does not give.",
                "use advantage=td (one-step) or advantage=nstep (advantage.n steps) with algo=dqn.",
            )


@ALGORITHMS.register("dqn", config=DQNConfig, summary="DQN / Double / dueling / AL / PAL")
class DQN(Algorithm):
    """Deep Q-learning with the options above (module docstring)."""

    network = "q"

    def __init__(self, parts: Parts) -> None:
        super().__init__(parts)
        cfg: DQNConfig = self.config
        self.target = copy.deepcopy(self.model).requires_grad_(False)
        self.estimator = bind(parts.advantage)
        self.n_step = int(getattr(parts.advantage, "n", 1))
        env = self.collector.env
        self.num_actions = int(env.single_action_space.n)
        self.replay = ReplayBuffer(
            cfg.buffer_size,
            self.collector.num_envs,
            env.obs_shape,  # packed width for Dict/Tuple/Discrete observations
            env.obs_dtype,
            self.device,
        )
        self.gradient_steps_done = 0

    # -- acting ------------------------------------------------------------------------
    def epsilon(self) -> float:
        cfg = self.config
        if self.env_steps < cfg.learning_starts:
            return 1.0  # fill the buffer with a uniform policy first (as SB3 does)
        return epsilon_at(
            self.env_steps,
            start=cfg.exploration_initial_eps,
            end=cfg.exploration_final_eps,
            fraction=cfg.exploration_fraction,
            total_steps=self.total_steps,
        )

    @torch.no_grad()
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        return self.model(obs).argmax(dim=-1)

    # -- the iteration -----------------------------------------------------------------
    def iterate(self, budget: int, progress: float) -> Iteration:
        cfg: DQNConfig = self.config
        n = self.collector.num_envs
        rows = max(1, min(cfg.train_freq // n, -(-budget // n)))
        lr = self.set_learning_rate(progress)
        eps = self.epsilon()

        def policy(obs: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
            greedy = self.model(obs).argmax(dim=-1)
            return epsilon_greedy(greedy, self.num_actions, eps, self.generator), {}

        rollout = self.collector.collect(policy, rows)
        self.replay.add(
            rollout.obs,
            rollout.actions,
            rollout.rewards,
            rollout.terminated,
            rollout.done,
            rollout.valid,
            rollout.next_obs,
        )
        self._update_obs_norm(rollout.obs, rollout.valid)
        before = self.env_steps
        self.env_steps += rollout.steps
        metrics: dict[str, float] = {"charts/epsilon": eps, "charts/learning_rate": lr}
        if self.env_steps >= cfg.learning_starts and self.replay.num_sampleable(self.n_step):
            steps = max(1, round(cfg.gradient_steps * rollout.steps / cfg.train_freq))
            metrics.update(self._learn(steps))
        interval = max(1, cfg.target_update_interval)
        if self.env_steps // interval > before // interval:
            self._update_target(cfg.tau)
        return Iteration(rollout.steps, metrics, rollout.episodes)

    def _learn(self, steps: int) -> dict[str, float]:
        """``steps`` gradient steps, drawn and target-valued a chunk at a time.

        Neither the buffer nor the target network changes between the gradient steps of
        one phase, so one draw of ``k * batch_size`` i.i.d. windows cut into ``k``
        minibatches is the same sampling as ``k`` draws, and one target-network pass over
        all of them gives each step the values it would compute alone: two Python round
        trips per chunk instead of per step. The online network (the loss, and Double
        DQN's argmax) still runs per step, on the weights that step sees."""
        cfg: DQNConfig = self.config
        per_chunk = self._steps_per_chunk(steps)
        losses: list[Tensor] = []
        q_taken: list[Tensor] = []
        q_seen: list[Tensor] = []
        grad_norms: list[float] = []
        done = 0
        while done < steps:
            k = min(per_chunk, steps - done)
            window = self.replay.sample(cfg.batch_size * k, self.n_step, self.generator)
            q_next_target, q_target_s = self._target_values(window)
            for i in range(k):
                part = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
                loss, q_sa, q, grad_norm = self._gradient_step(
                    window.minibatch(part),
                    q_next_target[:, part],
                    None if q_target_s is None else q_target_s[part],
                )
                losses.append(loss)
                q_taken.append(q_sa)
                q_seen.append(q)
                if grad_norm is not None:
                    grad_norms.append(grad_norm)
            done += k
        self.gradient_steps_done += steps
        with torch.no_grad():
            gaps = torch.stack([action_gap(q).mean() for q in q_seen])
            stats = torch.stack(
                [torch.stack(losses).mean(), torch.stack(q_taken).mean(), gaps.mean()]
            ).tolist()
        out = {
            "losses/td_loss": stats[0],
            "losses/q_values": stats[1],
            "charts/action_gap": stats[2],
        }
        if grad_norms:
            out["losses/grad_norm"] = sum(grad_norms) / len(grad_norms)
        return out

    def _steps_per_chunk(self, steps: int) -> int:
        """Gradient steps drawn at once: all of the phase, up to ~64 MB of sampled
        observations (an Atari phase of many steps draws in pieces)."""
        row_bytes = math.prod(self.replay.obs_shape) * self.replay.obs_dtype.itemsize
        window_bytes = max(1, row_bytes * (self.n_step + 1) * self.config.batch_size)
        return max(1, min(steps, CHUNK_BYTES // window_bytes))

    @torch.no_grad()
    def _target_values(self, window: Any) -> tuple[Tensor, Tensor | None]:
        """The target network's ``Q~(s_{t+k+1}, .)`` as ``[n, B, A]`` and, for the AL
        operators, ``Q~(s_t, .)`` as ``[B, A]``."""
        n, b = window.rewards.shape
        next_obs = window.next_obs.reshape(n * b, *window.next_obs.shape[2:])
        q_next = self.target(next_obs).reshape(n, b, -1)
        q_s = self.target(window.obs) if self.config.operator != "bellman" else None
        return q_next, q_s

    @torch.no_grad()
    def targets(
        self, window: Any, q_next: Tensor | None = None, q_target_s: Tensor | None = None
    ) -> Tensor:
        """The regression targets of a sampled window, ``[B]`` (module docstring);
        ``q_next``/``q_target_s`` are the target network's values when already known
        (:meth:`_target_values`)."""
        cfg: DQNConfig = self.config
        if q_next is None:
            q_next, q_target_s = self._target_values(window)
        n, b = window.rewards.shape
        if cfg.double:
            next_obs = window.next_obs.reshape(n * b, *window.next_obs.shape[2:])
            q_next_online = self.model(next_obs).reshape(n, b, -1)
        else:
            q_next_online = None
        v_next = bootstrap_value(q_next, q_next_online)
        _, returns = self.estimator(
            EstimatorInputs(
                rewards=window.rewards,
                values=torch.zeros_like(v_next),
                next_values=v_next,
                terminated=window.terminated,
                done=window.done,
            )
        )
        target = returns[0]
        if cfg.operator != "bellman":
            target = OPERATORS[cfg.operator](
                target,
                q_target_s,
                q_next[0],
                window.actions,
                cfg.alpha,
                window.terminated[0],
            )
        return target

    def _gradient_step(
        self, window: Any, q_next: Tensor, q_target_s: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor, float | None]:
        """One step on one minibatch; returns the detached loss, Q(s, a) and Q(s, .)
        (the phase averages them once) and the gradient norm."""
        cfg: DQNConfig = self.config
        target = self.targets(window, q_next, q_target_s)
        q = self.model(window.obs)
        q_sa = q.gather(-1, window.actions.unsqueeze(-1)).squeeze(-1)
        loss = td_loss(q_sa, target, cfg.loss)
        grad_norm = optimizer_step(
            self.model, self.optimizer, loss, self.optim_config.max_grad_norm
        )
        return loss.detach(), q_sa.detach(), q.detach(), grad_norm

    @torch.no_grad()
    def _update_target(self, tau: float) -> None:
        if tau >= 1.0:
            self.target.load_state_dict(self.model.state_dict())
            return
        for t, o in zip(
            self.target.state_dict().values(), self.model.state_dict().values(), strict=True
        ):
            if t.is_floating_point():
                t.mul_(1.0 - tau).add_(o, alpha=tau)
            else:
                t.copy_(o)

    def _update_obs_norm(self, obs: Tensor, valid: Tensor) -> None:
        norm = getattr(self.model, "obs_norm", None)
        if norm is None:
            return
        t, n = valid.shape
        norm.update(obs.reshape(t * n, *obs.shape[2:])[valid.reshape(-1)])

    # -- checkpoint --------------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "target": self.target.state_dict(),
            "gradient_steps": self.gradient_steps_done,
        }
        if self.replay.nbytes <= self.config.checkpoint_replay_mb * 2**20:
            state["replay"] = self.replay.state_dict()
        return state

    def load_extra_state(self, state: dict[str, Any]) -> bool:
        self.target.load_state_dict(state["target"])
        self.gradient_steps_done = int(state.get("gradient_steps", 0))
        if "replay" not in state:
            return False
        self.replay.load_state_dict(state["replay"])
        return True
