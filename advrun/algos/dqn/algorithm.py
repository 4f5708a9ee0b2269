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
        totals = {"td_loss": 0.0, "q_values": 0.0, "action_gap": 0.0}
        grad_norms: list[float] = []
        for _ in range(steps):
            loss, q_sa, gap, grad_norm = self._gradient_step()
            totals["td_loss"] += loss
            totals["q_values"] += q_sa
            totals["action_gap"] += gap
            if grad_norm is not None:
                grad_norms.append(grad_norm)
        self.gradient_steps_done += steps
        out = {
            "losses/td_loss": totals["td_loss"] / steps,
            "losses/q_values": totals["q_values"] / steps,
            "charts/action_gap": totals["action_gap"] / steps,
        }
        if grad_norms:
            out["losses/grad_norm"] = sum(grad_norms) / len(grad_norms)
        return out

    @torch.no_grad()
    def targets(self, window: Any) -> Tensor:
        """The regression targets of a sampled window, ``[B]`` (module docstring)."""
        cfg: DQNConfig = self.config
        n, b = window.rewards.shape
        next_obs = window.next_obs.reshape(n * b, *window.next_obs.shape[2:])
        q_next = self.target(next_obs).reshape(n, b, -1)
        q_next_online = self.model(next_obs).reshape(n, b, -1) if cfg.double else None
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
                self.target(window.obs),
                q_next[0],
                window.actions,
                cfg.alpha,
                window.terminated[0],
            )
        return target

    def _gradient_step(self) -> tuple[float, float, float, float | None]:
        cfg: DQNConfig = self.config
        window = self.replay.sample(cfg.batch_size, self.n_step, self.generator)
        target = self.targets(window)
        q = self.model(window.obs)
        q_sa = q.gather(-1, window.actions.unsqueeze(-1)).squeeze(-1)
        loss = td_loss(q_sa, target, cfg.loss)
        grad_norm = optimizer_step(
            self.model, self.optimizer, loss, self.optim_config.max_grad_norm
        )
        with torch.no_grad():
            gap = action_gap(q.detach()).mean()
            stats = torch.stack([loss.detach(), q_sa.detach().mean(), gap]).tolist()
        return stats[0], stats[1], stats[2], grad_norm

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
