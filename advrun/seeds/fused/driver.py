"""The fused batch: K PPO, A2C or REINFORCE agents as one batched network, one joined
collector and one optimizer over stacked parameters, each agent still a whole
:class:`~advrun.training.trainer.Trainer` for everything around the arithmetic (its run
dir, checkpoints, TensorBoard, evaluation bookkeeping, early stopping, summary).

One round = one iteration of every running agent:

1. the learning rate and rollout length of the single run's iteration;
2. collect ``[T, K * N]`` with one batched forward per row (:mod:`.collect`), each agent
   sampling from its own torch generator (its single run's global stream);
3. estimate on the joined columns (an estimator is a pure function per column), then
   :func:`~.update.fused_ppo_epochs` (PPO) or :func:`~.update.fused_pg_step` (A2C,
   REINFORCE);
4. write the weights, the optimizer's per-agent state and the envs' carried state back
   into each agent's own objects, and evaluate the agents that are due in one batched
   loop (:mod:`.evaluate`);
5. each trainer's ``after_iterate`` (log, evaluate, early-stop, save), with its own global
   RNG state in place, as in :mod:`advrun.seeds.driver`.

An agent that completes, diverges or fails leaves the stack (its rows are dropped from
the parameters and the optimizer state); the others go on. A signal stops every agent
between rounds, each saving ``last.pt`` after its last update.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import Tensor

from advrun.advantages import EstimatorInputs
from advrun.algos.base import Iteration
from advrun.algos.on_policy import OnPolicyAlgorithm
from advrun.algos.pg import PolicyGradient
from advrun.algos.ppo import PPO
from advrun.collect.collector import EpisodeStats, Rollout, RolloutBuilder
from advrun.optim import make_optimizer
from advrun.seeds.driver import COMPLETED, Agent, attempt
from advrun.seeds.fused.collect import JoinedEnv, join, split, split_episodes
from advrun.seeds.fused.evaluate import evaluate_stacked
from advrun.seeds.fused.model import StackedActorCritic
from advrun.seeds.fused.update import (
    AgentMajor,
    fused_pg_step,
    fused_ppo_epochs,
    per_agent_normalize,
)
from advrun.seeds.lockstep import interrupt_running
from advrun.training.faults import NonFiniteEnvOutput
from advrun.training.signals import StopSignals
from advrun.training.trainer import Interrupted

__all__ = ["FusedBatch"]


def _generator(agent: Agent, device: torch.device) -> torch.Generator:
    """The agent's action-sampling stream: a generator holding the global torch state
    its single run would sample from (CPU, or its CUDA device's)."""
    if device.type == "cuda":
        gen = torch.Generator(device=device)
        states = agent.rng.get("cuda")
        # Saved once CUDA is initialised (the model is on the device by now).
        gen.set_state(states[device.index or 0] if states else torch.cuda.get_rng_state(device))
    else:
        gen = torch.Generator()
        gen.set_state(agent.rng["torch"])
    return gen


def _store_generator(agent: Agent, gen: torch.Generator, device: torch.device) -> None:
    if device.type == "cuda":
        if "cuda" in agent.rng:
            agent.rng["cuda"][device.index or 0] = gen.get_state()
    else:
        agent.rng["torch"] = gen.get_state()


def _row(value: Any, k: int) -> Any:
    """Agent ``k``'s part of an optimizer state entry: row k of a stacked tensor, a copy
    of a shared scalar tensor (Adam's ``step``), anything else as it is."""
    if not torch.is_tensor(value):
        return value
    return value[k].clone() if value.dim() > 0 else value.clone()


class FusedBatch:
    """The running agents of a fused batch, in stack order (module docstring)."""

    def __init__(self, agents: list[Agent]) -> None:
        self.agents = agents
        first = agents[0].trainer
        self.device = first.parts.device
        self.cfg = first.cfg
        self.stack = StackedActorCritic([a.trainer.algorithm.model for a in agents])  # type: ignore[misc]
        self.optimizer = self._optimizer()
        self.generators = [_generator(a, self.device) for a in agents]
        self.collector = join([a.trainer.algorithm.collector for a in agents])

    def _optimizer(self) -> torch.optim.Optimizer:
        cfg = self.cfg.optimizer
        groups = [{"params": self.stack.parameters(), "lr": cfg.lr, "lr_scale": 1.0}]
        return make_optimizer(groups, cfg)

    # -- a round ------------------------------------------------------------------
    def round(self, signals: StopSignals, profile: dict[str, float]) -> None:
        """One iteration of every running agent; raises ``Interrupted`` (from the first
        agent that saw a signal, after every running agent saved)."""
        agents = self.agents
        trainers = [a.trainer for a in agents]
        if signals.received is not None:
            interrupt_running(agents, signals)
        clock = time.perf_counter()
        lead = trainers[0]
        algorithm = lead.algorithm
        assert isinstance(algorithm, OnPolicyAlgorithm)
        progress = lead.global_step / lead.cfg.total_steps
        rows = algorithm.rows(lead.cfg.total_steps - lead.global_step)
        lr = 0.0
        for t in trainers:
            lr = t.algorithm.set_learning_rate(progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        builder, rollout, episodes = self._collect(rows)
        now = time.perf_counter()
        profile["collect"] = profile.get("collect", 0.0) + now - clock
        clock = now
        metrics = self._learn(rollout, progress)
        now = time.perf_counter()
        profile["update"] = profile.get("update", 0.0) + now - clock
        clock = now
        # Env steps each agent took this round (its N envs x the rollout's rows).
        steps = builder.steps * algorithm.collector.num_envs
        self._write_back(steps)
        joined = self.collector.env
        assert isinstance(joined, JoinedEnv)
        key = "env steps (collect)"
        profile[key] = profile.get(key, 0.0) + joined.env_seconds
        joined.env_seconds = 0.0
        clock = time.perf_counter()
        self._evaluate_if_due(steps, profile)
        profile["eval"] = profile.get("eval", 0.0) + time.perf_counter() - clock
        clock = time.perf_counter()
        stopped: Interrupted | None = None
        faults = joined.faults
        for k, agent in enumerate(agents):
            _store_generator(agent, self.generators[k], self.device)
            it = Iteration(steps, metrics[k], episodes[k])
            try:
                fault = faults.get(k)
                attempt(agent, lambda a=agent, i=it, f=fault: self._after(a, i, f, signals))
            except Interrupted as stop:
                stopped = stopped or stop
            agent.trainer.eval_results = None
        profile["log+save"] = profile.get("log+save", 0.0) + time.perf_counter() - clock
        if stopped is not None:
            still = [a for a in agents if a.running]
            if still:
                interrupt_running(still, signals)
            raise stopped
        self._drop_stopped()

    @staticmethod
    def _after(
        agent: Agent, it: Iteration, fault: BaseException | None, signals: StopSignals
    ) -> None:
        trainer = agent.trainer
        if isinstance(fault, NonFiniteEnvOutput):
            trainer._env_fault(fault, trainer.global_step + (fault.row + 1) * trainer.num_envs)
        if fault is not None:
            raise fault
        if trainer.after_iterate(it, signals):
            agent.final_return = trainer.end(signals)
            agent.status = COMPLETED

    @torch.no_grad()
    def _collect(self, rows: int) -> tuple[RolloutBuilder, Rollout, list[EpisodeStats]]:
        c, k = self.collector, len(self.agents)
        carry_r, carry_l = c.ep_return.clone(), c.ep_length.clone()
        builder = c.start(rows)
        stack = self.stack.frozen()  # the weights hold still until the update
        while not builder.full:
            obs = builder.observation()
            out, values = stack.forward(obs.view(k, -1, *obs.shape[1:]))
            action, log_prob = stack.sample(out, self.generators)
            builder.step(
                action.reshape(-1, *action.shape[2:]),
                {"log_probs": log_prob.reshape(-1), "values": values.reshape(-1)},
            )
        rollout = builder.finish()
        return builder, rollout, split_episodes(builder, rollout.valid, carry_r, carry_l, k)

    def _learn(self, rollout: Rollout, progress: float) -> list[dict[str, float]]:
        k = len(self.agents)
        algorithm = self.agents[0].trainer.algorithm
        assert isinstance(algorithm, OnPolicyAlgorithm)
        n = rollout.next_obs.shape[0] // k
        values = rollout.extras["values"]
        with torch.no_grad():
            last = self.stack.value(rollout.next_obs.view(k, n, *rollout.next_obs.shape[1:]))
        advantages, returns = algorithm.estimator(
            EstimatorInputs(
                rewards=rollout.rewards,
                values=values,
                next_values=torch.cat([values[1:], last.reshape(1, -1)]),
                terminated=rollout.terminated,
                done=rollout.done,
            )
        )
        am = AgentMajor(k)
        valid = am(rollout.valid)
        adv = am(advantages)
        if algorithm.estimator_config.normalize:
            adv = per_agent_normalize(adv, valid)
        data: dict[str, Tensor] = {
            "obs": am(rollout.obs),
            "actions": am(rollout.actions),
            "log_probs": am(rollout.extras["log_probs"]),
            "values": am(values),
            "advantages": adv,
            "returns": am(returns),
            "valid": valid,
        }
        charts: dict[str, float] = {}
        if isinstance(algorithm, PPO):
            clip = algorithm.clip_coef(progress)
            raw = fused_ppo_epochs(
                self.stack,
                self.optimizer,
                data,
                [a.trainer.algorithm.generator for a in self.agents],
                **algorithm.epoch_settings(clip),
            )
            if algorithm.config.clip_schedule != "constant":
                charts["charts/clip_coef"] = clip
        else:
            assert isinstance(algorithm, PolicyGradient)
            raw = fused_pg_step(self.stack, self.optimizer, data, **algorithm.step_settings())
        # The running observation statistics, after the update (as the single run).
        for i, agent in enumerate(self.agents):
            norm = getattr(agent.trainer.algorithm.model, "obs_norm", None)
            if norm is not None:
                norm.update(data["obs"][i][valid[i]])
        self.stack.load_buffers()
        columns = {name: value.tolist() for name, value in raw.items()}
        lr = self.optimizer.param_groups[0]["lr"]
        out = []
        for i in range(k):
            metrics = {f"losses/{name}": float(v[i]) for name, v in columns.items()}
            metrics["charts/learning_rate"] = lr
            metrics.update(charts)
            out.append(metrics)
        return out

    # -- the agents' own objects ----------------------------------------------------------
    def _write_back(self, steps_each: int) -> None:
        """Weights, optimizer state, envs' carried state and step counts into each
        agent's own objects (checkpoints, eval, export and resume read those)."""
        self.stack.write_back()
        split(self.collector, [a.trainer.algorithm.collector for a in self.agents])
        names = list(self.stack.params)
        for k, agent in enumerate(self.agents):
            algorithm = agent.trainer.algorithm
            algorithm.env_steps += steps_each
            own = dict(algorithm.model.named_parameters())
            for name in names:
                state = self.optimizer.state.get(self.stack.params[name])
                if state:
                    algorithm.optimizer.state[own[name]] = {
                        key: _row(v, k) for key, v in state.items()
                    }

    def _evaluate_if_due(self, steps: int, profile: dict[str, float]) -> None:
        """Evaluate every agent now when its ``after_iterate`` (or ``end``) will: the
        returns wait in ``trainer.eval_results`` (all agents share the step count)."""
        lead = self.agents[0].trainer
        after = lead.global_step + steps
        due = lead._due(after, lead.global_step, lead.cfg.eval.interval)
        if not (due or after >= lead.cfg.total_steps):
            return
        start = time.perf_counter()
        trainers = [a.trainer for a in self.agents]
        results = evaluate_stacked(
            self.stack,
            [t.parts.eval_env for t in trainers],
            [t.cfg.seed + 10_000 + t.eval_count for t in trainers],
            self.generators,
            lead.cfg.eval.deterministic,
            profile,
        )
        share = (time.perf_counter() - start) / len(trainers)
        for t, result in zip(trainers, results, strict=True):
            t.eval_results = result
            t.eval_time += share

    def _drop_stopped(self) -> None:
        keep = [i for i, a in enumerate(self.agents) if a.running]
        if len(keep) == len(self.agents):
            return
        self.agents = [self.agents[i] for i in keep]
        if not keep:
            return
        old = self.stack.params
        index = torch.tensor(keep, device=next(iter(old.values())).device)
        old_state = {name: self.optimizer.state.get(p) for name, p in old.items()}
        self.stack.keep(keep)
        self.optimizer = self._optimizer()
        for name, p in self.stack.params.items():
            state = old_state[name]
            if state:
                self.optimizer.state[p] = {
                    key: (v.index_select(0, index) if torch.is_tensor(v) and v.dim() > 0 else v)
                    for key, v in state.items()
                }
        self.generators = [self.generators[i] for i in keep]
        self.collector = join([a.trainer.algorithm.collector for a in self.agents])
