"""The training loop: collect → estimate advantages → update → log → evaluate → save.

Reads top to bottom like a single-file script, but every step calls a tested
component. Everything the run writes goes under ``run_dir``::

    run_dir/events.out.tfevents.*    TensorBoard scalars + HParams
    run_dir/checkpoints/last.pt      latest state (atomic)
    run_dir/checkpoints/best.pt      best eval return so far (atomic)
    run_dir/summary.json             final/best eval return, steps, wall time, SPS
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import OmegaConf

from advrun.advantages import normalize
from advrun.algos import UPDATES, Batch
from advrun.config.schema import TrainConfig
from advrun.optim import lr_at, set_lr
from advrun.training.atomic import atomic_write_json
from advrun.training.builders import build_envs, build_estimator, build_model, build_optimizer
from advrun.training.checkpoint import rng_state, save_checkpoint
from advrun.training.device import resolve_device, seed_everything
from advrun.training.early_stop import EarlyStopper
from advrun.training.evaluate import evaluate
from advrun.training.progress import Progress
from advrun.training.rollout import Rollout, RolloutCollector
from advrun.training.tb import TensorBoardLogger

log = logging.getLogger(__name__)


def config_container(cfg: TrainConfig) -> dict[str, Any]:
    """The config as plain dicts/lists/str/numbers (what checkpoints store)."""
    out = OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True, enum_to_str=True)
    assert isinstance(out, dict)
    return out


def flat_hparams(container: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in container.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_hparams(value, f"{name}."))
        elif value is None:
            flat[name] = "null"
        elif isinstance(value, (list, tuple)):
            flat[name] = str(list(value))
        else:
            flat[name] = value
    return flat


def to_batch(rollout: Rollout, advantages: torch.Tensor, returns: torch.Tensor) -> Batch:
    """Flatten ``[T, N]`` to ``[B]`` keeping only real (non-dummy) transitions."""
    mask = rollout.valid.reshape(-1)
    t, n = rollout.values.shape

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(t * n, *x.shape[2:])[mask]

    return Batch(
        obs=flat(rollout.obs),
        actions=flat(rollout.actions),
        log_probs=flat(rollout.log_probs),
        values=flat(rollout.values),
        advantages=flat(advantages),
        returns=flat(returns),
    )


class Trainer:
    def __init__(self, cfg: TrainConfig, run_dir: str | Path) -> None:
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        torch.set_num_threads(cfg.torch_threads)
        seed_everything(cfg.seed)
        self.device = resolve_device(str(getattr(cfg.device, "value", cfg.device)))
        self.container = config_container(cfg)

        self.envs = build_envs(cfg.env)
        self.eval_envs = build_envs(cfg.env, num_envs=cfg.eval.episodes)
        self.model = build_model(
            cfg.network, self.envs.single_observation_space, self.envs.single_action_space
        ).to(self.device)
        self.optimizer = build_optimizer(cfg.optimizer, self.model)
        self.estimator = build_estimator(cfg.advantage)
        self.update_fn = UPDATES[str(getattr(cfg.algo.name, "value", cfg.algo.name))]
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.collector = RolloutCollector(self.envs, self.device, seed=cfg.seed)
        self.stopper = EarlyStopper(
            cfg.early_stop.target_return, cfg.early_stop.patience, cfg.early_stop.min_delta
        )
        self.tb = TensorBoardLogger(str(self.run_dir))

        self.batch_steps = cfg.algo.rollout_steps * self.envs.num_envs
        self.num_updates = max(1, math.ceil(cfg.total_steps / self.batch_steps))
        self.global_step = 0
        self.best_return = -math.inf
        self.best_step = 0
        self.last_eval: tuple[float, float] | None = None
        self.eval_count = 0
        self.eval_time = 0.0

    # -- pieces of one iteration -------------------------------------------------
    def _learn(self, rollout: Rollout) -> dict[str, float]:
        adv_cfg = self.cfg.advantage
        advantages, returns = self.estimator(
            rollout.rewards,
            rollout.values,
            rollout.next_values,
            rollout.terminated,
            rollout.done,
        )
        batch = to_batch(rollout, advantages, returns)
        if adv_cfg.normalize and len(batch) > 1:
            batch.advantages = normalize(batch.advantages)
        max_norm = self.cfg.optimizer.max_grad_norm
        return self.update_fn(
            self.model, self.optimizer, batch, self.cfg.algo, max_norm, self.generator
        )

    def _evaluate(self) -> tuple[float, float]:
        start = time.perf_counter()
        returns = evaluate(
            self.model,
            self.eval_envs,
            seed=self.cfg.seed + 10_000 + self.eval_count,
            device=self.device,
            deterministic=self.cfg.eval.deterministic,
        )
        self.eval_count += 1
        mean, std = float(returns.mean()), float(returns.std())
        self.tb.scalars(
            {"eval/episodic_return": mean, "eval/episodic_return_std": std}, self.global_step
        )
        self.last_eval = (mean, std)
        if math.isfinite(mean) and mean > self.best_return:
            self.best_return, self.best_step = mean, self.global_step
            self._save("best.pt")
        self.eval_time += time.perf_counter() - start
        log.info("step %d eval return %.2f ± %.2f", self.global_step, mean, std)
        return mean, std

    def _save(self, name: str) -> None:
        save_checkpoint(
            self.ckpt_dir / name,
            {
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "global_step": self.global_step,
                "best_return": self.best_return,
                "best_step": self.best_step,
                "rng": rng_state(),
                "config": self.container,
            },
        )

    @staticmethod
    def _due(step: int, prev: int, interval: int) -> bool:
        return interval > 0 and step // interval > prev // interval

    # -- the loop --------------------------------------------------------------
    def run(self) -> float:
        cfg = self.cfg
        start = time.perf_counter()
        progress = Progress(self.num_updates * self.batch_steps, enabled=cfg.progress)
        recent: deque[float] = deque(maxlen=20)
        stop_reason = "total_steps"
        for update in range(self.num_updates):
            lr = lr_at(
                update / self.num_updates,
                base_lr=cfg.optimizer.lr,
                schedule=str(getattr(cfg.optimizer.schedule, "value", cfg.optimizer.schedule)),
                min_lr_ratio=cfg.optimizer.min_lr_ratio,
            )
            set_lr(self.optimizer, lr)
            rollout, episodes = self.collector.collect(self.model, cfg.algo.rollout_steps)
            metrics = self._learn(rollout)
            prev_step, self.global_step = self.global_step, self.global_step + self.batch_steps
            recent.extend(episodes.returns)

            train_time = time.perf_counter() - start - self.eval_time
            sps = self.global_step / max(train_time, 1e-9)
            if update % cfg.log_interval == 0 or update == self.num_updates - 1:
                scalars = {f"losses/{k}": v for k, v in metrics.items() if k != "updates"}
                scalars.update({"charts/SPS": sps, "charts/learning_rate": lr})
                if episodes.returns:
                    scalars["charts/episodic_return"] = float(np.mean(episodes.returns))
                    scalars["charts/episodic_length"] = float(np.mean(episodes.lengths))
                self.tb.scalars(scalars, self.global_step)
            progress.update(self.global_step, sps, float(np.mean(recent)) if recent else None)

            if self._due(self.global_step, prev_step, cfg.eval.interval):
                mean, _ = self._evaluate()
                if self.stopper.should_stop(mean):
                    stop_reason = self.stopper.reason
                    break
            if self._due(self.global_step, prev_step, cfg.checkpoint_interval):
                self._save("last.pt")
        progress.close()

        if self.last_eval is None or (
            stop_reason == "total_steps"
            and not self._due(
                self.global_step, self.global_step - self.batch_steps, cfg.eval.interval
            )
        ):
            self._evaluate()
        self._save("last.pt")
        wall = time.perf_counter() - start
        return self._finish(stop_reason, wall)

    def _finish(self, stop_reason: str, wall: float) -> float:
        assert self.last_eval is not None
        final_mean, final_std = self.last_eval
        train_time = max(wall - self.eval_time, 1e-9)
        summary = {
            "status": "completed",
            "stop_reason": stop_reason,
            "final_eval_return": final_mean,
            "final_eval_return_std": final_std,
            "best_eval_return": self.best_return,
            "best_step": self.best_step,
            "steps": self.global_step,
            "wall_time_s": wall,
            "train_time_s": train_time,
            "sps": self.global_step / train_time,
            "env_id": self.cfg.env.id,
            "seed": self.cfg.seed,
        }
        atomic_write_json(self.run_dir / "summary.json", summary)
        self.tb.hparams(
            flat_hparams(self.container),
            {"hparams/final_eval_return": final_mean, "hparams/best_eval_return": self.best_return},
        )
        self.close()
        log.info("done: %s", summary)
        return final_mean

    def close(self) -> None:
        self.tb.close()
        self.envs.close()
        self.eval_envs.close()
