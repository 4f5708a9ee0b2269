"""On-policy policy gradients (REINFORCE, A2C, PPO): collect a rollout with the current
policy, turn it into advantages with the estimator, update, forget the rollout.

What the family shares lives here: the rollout (the policy records log-probabilities
and values as it acts), the estimator call (``next_values`` are the next row's values,
with V of the observation after the segment for the last row, which is V(final
observation) on a truncation), the flat batch of valid rows, advantage standardisation,
the running observation statistics, the critic-free group rollouts, and the metrics.
Each algorithm supplies :meth:`OnPolicyAlgorithm.update`.

**Group rollouts** (``advantage=grpo|rloo``, no critic): every rollout starts from a
reset in which the ``group_size`` envs of a group share one seed (identical start
states; seeds drawn from the algorithm's generator, so a resume is exact), each env
plays one episode, and the rollout ends once every env has finished it. Its cap is the
env's time limit (or ``algo.rollout_steps`` rows when that is longer, or when the env
has no limit), so with a time limit every episode is complete: truncation at the limit
ends it like any other end. Rows after an env's episode ended are invalid. Without a
limit, an episode cut by the cap counts only the rewards inside the segment (there is
no critic to bootstrap from).

**Recurrent policies** (``network.recurrent``): the algorithm carries the policy's state
``[N, S]`` from step to step and rollout to rollout, zeroed where the collector marks an
episode start; the state before each rollout is kept with it, and the update replays
whole env sequences from it (:class:`~advrun.algos.batch.SequenceBatch`; minibatches
are cut over envs). The state is part of the checkpoint, so a resume is exact.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from advrun.advantages import ESTIMATORS, EstimatorInputs, bind, first_episode_mask, normalize
from advrun.algos.base import AlgoConfig, Algorithm, Iteration, Parts
from advrun.algos.batch import Batch, SequenceBatch
from advrun.collect.collector import Rollout
from advrun.config.errors import ConfigError
from advrun.networks.direct import direct_act
from advrun.training.evaluate import model_policy

if TYPE_CHECKING:
    from advrun.config.schema import TrainConfig


def _at_least(value: int, minimum: int, key: str) -> None:
    if value < minimum:
        raise ConfigError(key, f"{value} must be >= {minimum}.", f"set {key}={minimum} or more.")


@dataclass
class OnPolicyConfig(AlgoConfig):
    """What every on-policy algorithm takes."""

    # Rows per rollout (each row steps every env once).
    rollout_steps: int = 32
    # Weight of the value loss, which is 0.5 * MSE (CleanRL's convention; SB3's is MSE,
    # so SB3's vf_coef x 2 gives the same loss).
    value_coef: float = 0.5
    # Weight of the entropy bonus (exploration); 0 disables it.
    entropy_coef: float = 0.0
    # Clip the value update around the old prediction (PPO's value clipping); null disables.
    value_clip: float | None = None

    def check(self, key: str, run: TrainConfig) -> None:
        _at_least(self.rollout_steps, 1, f"{key}.rollout_steps")
        for name in ("value_coef", "entropy_coef"):
            value = getattr(self, name)
            if value < 0:
                raise ConfigError(
                    f"{key}.{name}", f"{value} is negative.", f"use {key}.{name}=0 or more."
                )
        if self.value_clip is not None and not self.value_clip > 0:
            raise ConfigError(
                f"{key}.value_clip",
                f"{self.value_clip} must be > 0.",
                f"set a positive value, e.g. {key}.value_clip=0.2 (or null to disable).",
            )
        estimator = ESTIMATORS.get(run.advantage.name)
        if estimator.trait("grouped"):
            k = run.advantage.group_size
            if run.env.num_envs % k:
                raise ConfigError(
                    "advantage.group_size",
                    f"group_size={k} does not divide env.num_envs={run.env.num_envs}; envs "
                    "are grouped contiguously, so every group needs all its members.",
                    f"set env.num_envs to a multiple of {k} (e.g. "
                    f"{k * max(1, run.env.num_envs // k)}) or change advantage.group_size.",
                )
            if run.env.backend != "gymnasium" or run.env.vectorization == "native":
                raise ConfigError(
                    "advantage",
                    f"{run.advantage.name} needs identical start states per group, which "
                    "advrun arranges by seeding each env's reset (a native vector env and "
                    "the torch backend take one seed for all).",
                    "use env.backend=gymnasium with env.vectorization=auto|sync|async.",
                )


class OnPolicyAlgorithm(Algorithm):
    """The shared on-policy iteration (module docstring)."""

    network = "actor_critic"

    def __init__(self, parts: Parts) -> None:
        super().__init__(parts)
        self.estimator = bind(parts.advantage)
        entry = ESTIMATORS.get(parts.advantage.name)
        self.off_policy_estimator = bool(entry.trait("off_policy"))
        self.grouped = bool(entry.trait("grouped"))
        self.has_critic = bool(getattr(self.model, "has_critic", True))
        self.recurrent = bool(getattr(self.model, "recurrent", False))
        # The recurrent policy's state before the next step (None: feed-forward).
        self.rnn_state: Tensor | None = (
            self.model.initial_state(self.collector.num_envs, self.device)
            if self.recurrent
            else None
        )
        # The feed-forward policy call while collecting (set per rollout by _collect).
        self._act: Callable[[Tensor], tuple[Tensor, Tensor, Tensor]] = self.model.act

    # -- collecting --------------------------------------------------------------------
    def _policy(self, obs: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        if self.recurrent:
            action, log_prob, value, self.rnn_state = self.model.act(
                obs, self.rnn_state, self.collector.starts
            )
        else:
            action, log_prob, value = self._act(obs)
        return action, {"log_probs": log_prob, "values": value}

    def _collect(self, rows: int) -> Rollout:
        state0 = self.rnn_state.clone() if self.rnn_state is not None else None
        # act()'s kernels without module dispatch where that is the same computation
        # (advrun.networks.direct: ~40% of a CartPole row's policy call); rebuilt per
        # rollout so a model swapped in between (resume, init) is followed.
        self._act = direct_act(self.model) or self.model.act
        rollout = self._collect_rows(rows)
        rollout.state0 = state0
        return rollout

    def _collect_rows(self, rows: int) -> Rollout:
        if not self.grouped:
            return self.collector.collect(self._policy, rows)
        rows = max(self.config.rollout_steps, self.collector.env.max_episode_steps or 0)
        k = self.estimator_config.group_size
        groups = self.collector.num_envs // k
        seeds = torch.randint(0, 2**31 - 1, (groups,), generator=self.generator)
        self.collector.restart(seeds.repeat_interleave(k).tolist())
        return self.collector.collect(self._policy, rows, until_all_done=True)

    @torch.no_grad()
    def _next_values(self, rollout: Rollout, values: Tensor, last: Tensor | None = None) -> Tensor:
        """``values`` shifted by one row, with ``last`` (default: V of ``next_obs`` --
        for a recurrent policy from the state the rollout ended in) after the end."""
        if last is None and self.recurrent:
            last = self.model.value_step(rollout.next_obs, self.rnn_state, rollout.next_starts)
        elif last is None:
            last = self.model.value(rollout.next_obs)
        return torch.cat([values[1:], last.unsqueeze(0)])

    # -- estimating --------------------------------------------------------------------
    def estimate(
        self,
        rollout: Rollout,
        values: Tensor,
        log_rhos: Tensor | None = None,
        last_values: Tensor | None = None,
    ) -> Batch | SequenceBatch:
        """Advantages and returns of ``rollout`` (with ``values`` as V) as a flat batch
        of the valid rows, standardised when ``advantage.normalize``. The batch keeps
        the values recorded while collecting (PPO's value clipping is around those)."""
        advantages, returns = self.estimator(
            EstimatorInputs(
                rewards=rollout.rewards,
                values=values,
                next_values=self._next_values(rollout, values, last_values),
                terminated=rollout.terminated,
                done=rollout.done,
                log_rhos=log_rhos,
            )
        )
        valid = rollout.valid
        if self.grouped:
            valid = valid & first_episode_mask(rollout.terminated, rollout.done)
        if self.recurrent:
            if self.estimator_config.normalize and int(valid.sum()) > 1:
                advantages = normalize(advantages, valid)
            return to_sequence_batch(rollout, valid, advantages, returns)
        batch = to_batch(rollout, valid, advantages, returns)
        if self.estimator_config.normalize and len(batch) > 1:
            batch.advantages = normalize(batch.advantages)
        return batch

    @torch.no_grad()
    def reestimate(self, rollout: Rollout) -> Batch | SequenceBatch:
        """The batch again, with the *current* policy and critic: fresh values, and for
        an off-policy estimator the importance ratios of the current policy against the
        one that collected the rollout (PPO re-runs this per epoch)."""
        t, n = rollout.valid.shape
        if self.recurrent:
            assert rollout.starts is not None and rollout.state0 is not None
            log_prob, _, values, state = self.model.evaluate_sequence(
                rollout.obs, rollout.actions, rollout.starts, rollout.state0
            )
            last = self.model.value_step(rollout.next_obs, state, rollout.next_starts)
            log_rhos = log_prob - rollout.extras["log_probs"] if self.off_policy_estimator else None
            return self.estimate(rollout, values, log_rhos, last)
        flat_obs = rollout.obs.reshape(t * n, *rollout.obs.shape[2:])
        flat_actions = rollout.actions.reshape(t * n, *rollout.actions.shape[2:])
        log_prob, _, values = self.model.evaluate_actions(flat_obs, flat_actions)
        log_rhos = None
        if self.off_policy_estimator:
            log_rhos = log_prob.reshape(t, n) - rollout.extras["log_probs"]
        return self.estimate(rollout, values.reshape(t, n), log_rhos)

    # -- the iteration -----------------------------------------------------------------
    def iterate(self, budget: int, progress: float) -> Iteration:
        rows = self.rows(budget)
        lr = self.set_learning_rate(progress)
        rollout = self._collect(rows)
        return self.learn(rollout, progress, lr)

    def rows(self, budget: int) -> int:
        """Rows of the next rollout: ``rollout_steps``, cut to fit ``budget`` env steps."""
        return max(1, min(self.config.rollout_steps, -(-budget // self.collector.num_envs)))

    def learn(self, rollout: Rollout, progress: float, lr: float) -> Iteration:
        """The second half of :meth:`iterate`: estimate, update and report on a rollout
        collected with the current policy (``lr``: the rate set for this iteration)."""
        batch = self.estimate(rollout, rollout.extras["values"])
        metrics = self.update(rollout, batch, progress)
        self._update_obs_norm(rollout)
        self.env_steps += rollout.steps
        out = {
            f"{'charts' if k in self.charts else 'losses'}/{k}": v
            for k, v in metrics.items()
            if k != "updates"
        }
        out["charts/learning_rate"] = lr
        if not self.has_critic:
            out.pop("losses/value_loss", None)
        return Iteration(rollout.steps, out, rollout.episodes)

    # Metric names that are schedule values (charts/), not losses.
    charts: frozenset[str] = frozenset({"clip_coef"})

    @abstractmethod
    def update(
        self, rollout: Rollout, batch: Batch | SequenceBatch, progress: float
    ) -> dict[str, float]:
        """Learn from ``batch`` (the rollout's valid rows); returns scalar metrics."""

    def _update_obs_norm(self, rollout: Rollout) -> None:
        """Merge this iteration's real observations into the running obs statistics.

        Runs after the update, so acting and learning within one iteration see the
        same normalisation (PPO's first ratio is exactly 1); dummy reset rows are
        left out. The stats are model buffers: checkpoints and eval carry them."""
        norm = getattr(self.model, "obs_norm", None)
        if norm is None:
            return
        t, n = rollout.valid.shape
        obs = rollout.obs.reshape(t * n, *rollout.obs.shape[2:])
        norm.update(obs[rollout.valid.reshape(-1)])

    @torch.no_grad()
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        if self.recurrent:
            raise TypeError("a recurrent policy acts with its state: use eval_policy()")
        return model_policy(self.model, deterministic)(obs)

    def eval_policy(self, deterministic: bool = True) -> Callable[[Tensor], Tensor]:
        """A fresh evaluation policy, picked once per evaluation rather than per step
        (:func:`advrun.training.evaluate.model_policy`): the actor alone, or for a
        recurrent model one that carries its own state from a zero start."""
        return model_policy(self.model, deterministic)

    # -- checkpoint ----------------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        state = super().extra_state()
        if self.rnn_state is not None:
            state["rnn_state"] = self.rnn_state.cpu().clone()
        return state

    def load_extra_state(self, state: dict[str, Any]) -> bool:
        exact = super().load_extra_state(state)
        if self.rnn_state is None:
            return exact
        if "rnn_state" not in state:
            return False
        self.rnn_state = state["rnn_state"].to(self.device, self.rnn_state.dtype)
        return exact


def to_sequence_batch(
    rollout: Rollout, valid: Tensor, advantages: Tensor, returns: Tensor
) -> SequenceBatch:
    """The rollout kept ``[T, N]``, with its starts and initial state."""
    assert rollout.starts is not None and rollout.state0 is not None
    return SequenceBatch(
        obs=rollout.obs,
        actions=rollout.actions,
        log_probs=rollout.extras["log_probs"],
        values=rollout.extras["values"],
        advantages=advantages,
        returns=returns,
        valid=valid,
        starts=rollout.starts,
        state0=rollout.state0,
    )


def to_batch(rollout: Rollout, valid: Tensor, advantages: Tensor, returns: Tensor) -> Batch:
    """Flatten time and env dims, keeping only the ``valid`` rows."""
    mask = valid.reshape(-1)
    t, n = valid.shape

    def flat(x: Tensor) -> Tensor:
        return x.reshape(t * n, *x.shape[2:])[mask]

    return Batch(
        obs=flat(rollout.obs),
        actions=flat(rollout.actions),
        log_probs=flat(rollout.extras["log_probs"]),
        values=flat(rollout.extras["values"]),
        advantages=flat(advantages),
        returns=flat(returns),
    )
