"""The training loop every run shares: iterate the algorithm -> log -> evaluate ->
save, from the first step to the last write, with signals, faults and the summary.

What is specific to one RL family (collecting, estimating, updating, its schedules and
metrics) is the :class:`~advrun.algos.Algorithm`'s; this loop only asks it to
``iterate`` within the remaining step budget, to ``act`` for evaluation, and for its
``state_dict``. Everything the run writes goes under ``run_dir``::

    run_dir/events.out.tfevents.*    TensorBoard scalars + HParams
    run_dir/checkpoints/last.pt      latest state (atomic), enough to resume exactly
    run_dir/checkpoints/best.pt      best eval return so far (atomic)
    run_dir/summary.json             status, final/best eval return, steps, wall time, SPS
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from advrun.algos import Iteration
from advrun.config.containers import config_container, flat_hparams
from advrun.config.schema import TrainConfig
from advrun.storage.atomic import atomic_write_json, remove_stale_temps
from advrun.storage.checkpoint import rng_state, save_checkpoint, set_rng_state
from advrun.storage.tb import TensorBoardLogger
from advrun.training.builders import build_run
from advrun.training.early_stop import EarlyStopper
from advrun.training.evaluate import evaluate
from advrun.training.faults import (
    NonFiniteEnvOutput,
    RunFailed,
    TrainingDiverged,
    explain,
    first_non_finite,
    non_finite,
)
from advrun.training.progress import Progress
from advrun.training.signals import StopSignals

log = logging.getLogger(__name__)

__all__ = ["Interrupted", "Trainer"]

T = TypeVar("T")

# Metrics of the HParams tab, written at the run's final step.
HPARAM_METRICS = ("hparams/final_eval_return", "hparams/best_eval_return")


class Interrupted(Exception):
    """SIGINT/SIGTERM/SIGHUP arrived. ``exit_code`` is 128 + signal; ``saved`` says
    whether ``last.pt`` holds the state at the stop (False after a second Ctrl-C, which
    stops at once: ``last.pt`` is then the previous checkpoint)."""

    def __init__(self, signum: int, saved: bool = True) -> None:
        self.exit_code = 128 + signum
        self.saved = saved
        super().__init__(f"interrupted by signal {signum}")


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        run_dir: str | Path,
        resume_state: dict[str, Any] | None = None,
        config_changes: dict[str, list[Any]] | None = None,
        container: dict[str, Any] | None = None,
    ) -> None:
        """``container``: ``config_container(cfg)`` where the caller has it already (a
        batch of seeds derives its members' from the first: advrun.seeds.driver)."""
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.container = config_container(cfg) if container is None else container
        self.parts = build_run(cfg, str(self.run_dir))
        self.algorithm = self.parts.algorithm
        self.stopper = EarlyStopper(
            cfg.early_stop.target_return, cfg.early_stop.patience, cfg.early_stop.min_delta
        )
        self.num_envs = self.algorithm.collector.num_envs
        self.update = 0
        self.global_step = 0
        self.best_return = -math.inf
        self.best_step = 0
        self.last_eval: tuple[float, float] | None = None
        self.last_eval_step: int | None = None
        self.eval_count = 0
        self.eval_time = 0.0
        # Returns (or the env's fault) of the next evaluation, computed elsewhere: a fused
        # batch of seeds evaluates its agents together (advrun.seeds.fused.evaluate).
        self.eval_results: np.ndarray | BaseException | None = None
        self.elapsed_before = 0.0  # wall time of earlier sessions of a resumed run
        self.exact_resume = True
        self.completed = False
        self.stop_reason = ""
        # What resumes changed ({"step", "changes": {key: [old, new]}} per resume).
        self.config_history: list[dict[str, Any]] = []
        self._progress: Progress | None = None  # while run() is in its loop
        self._start = time.perf_counter()
        try:
            if resume_state is not None:
                self._load_state(resume_state)
                if config_changes:
                    self.config_history.append(
                        {"step": self.global_step, "changes": dict(config_changes)}
                    )
            # purge_step hides any points an interrupted session logged after last.pt,
            # so a resumed curve has neither duplicates nor gaps.
            self.tb = TensorBoardLogger(
                str(self.run_dir), purge_step=self.global_step + 1 if resume_state else None
            )
        except BaseException:
            self.parts.close()
            raise
        if resume_state is None:
            # Declared once per run (a resumed run already has them): the HParams tab
            # then shows one session per run, whatever the number of resumes.
            self.tb.hparams_start(flat_hparams(self.container), HPARAM_METRICS)

    # -- state ---------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {
            **self.algorithm.state_dict(),
            "update": self.update,
            "global_step": self.global_step,
            "best_return": self.best_return,
            "best_step": self.best_step,
            "last_eval": list(self.last_eval) if self.last_eval else None,
            "last_eval_step": self.last_eval_step,
            "eval_count": self.eval_count,
            "eval_time": self.eval_time,
            "elapsed": self._elapsed(),
            "stopper": self.stopper.state_dict(),
            "rng": rng_state(),
            "completed": self.completed,
            "stop_reason": self.stop_reason,
            "config_history": self.config_history,
            "config": self.container,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.exact_resume = self.algorithm.load_state_dict(state)
        self.update = state["update"]
        self.global_step = state["global_step"]
        self.best_return = state["best_return"]
        self.best_step = state["best_step"]
        self.last_eval = tuple(state["last_eval"]) if state["last_eval"] else None
        # Checkpoints from before last_eval_step existed evaluated on the eval grid.
        self.last_eval_step = state.get("last_eval_step")
        self.eval_count = state["eval_count"]
        self.eval_time = state["eval_time"]
        self.elapsed_before = state["elapsed"]
        self.stopper.load_state_dict(state["stopper"])
        set_rng_state(state["rng"])
        self.config_history = list(state.get("config_history", []))
        # A completed run that is resumed has had its total_steps raised: it goes on.
        self.completed = False
        if not self.exact_resume:
            log.warning(
                "%s keeps state advrun cannot checkpoint (the env's own state, or a replay "
                "buffer over the size cap); the resumed run is not bit-identical to an "
                "uninterrupted one.",
                self.cfg.env.id,
            )

    def _save(self, name: str) -> None:
        """Write a checkpoint, but only if every tensor in it is finite: a NaN that got
        past the per-update checks (an optimizer moment, a normaliser statistic) must
        never replace the last good file."""
        state = self._state()
        bad = first_non_finite(state)
        if bad is not None:
            self._diverged(f"{bad} (in the state about to be saved as {name})")
        self.tb.flush()  # the points up to this step are on disk before last.pt says so
        # We hold the run-dir lock, so any temp file here is a leftover of a killed save.
        remove_stale_temps(self.ckpt_dir)
        save_checkpoint(self.ckpt_dir / name, state)

    # -- faults ----------------------------------------------------------------------
    def _last_good(self) -> str:
        last = self.ckpt_dir / "last.pt"
        return f"{last}" if last.exists() else "none (no checkpoint was written yet)"

    def _diverged(self, what: str) -> None:
        """Record the divergence and raise :class:`TrainingDiverged` with a fix that works:
        a resume may lower ``optimizer.lr`` or set ``optimizer.max_grad_norm``."""
        self._write_summary("diverged", reason=f"{what} is not finite")
        lr = self.cfg.optimizer.lr
        if (self.ckpt_dir / "last.pt").exists():
            fix = (
                f"continue from the last good checkpoint with a lower learning rate: "
                f"advrun train resume={self.run_dir} optimizer.lr={lr / 10:g} (a resume may "
                f"also set optimizer.max_grad_norm), or check the env's rewards."
            )
        else:
            fix = "start again with a lower optimizer.lr or set optimizer.max_grad_norm."
        raise TrainingDiverged(
            f"training diverged at step {self.global_step} (update {self.update}): {what} is "
            f"not finite. Nothing was saved from this step. Last good checkpoint: "
            f"{self._last_good()}. Fix: {fix}"
        )

    def _check_finite(self, metrics: dict[str, float]) -> None:
        bad = non_finite(metrics, self.algorithm.model)
        if bad is not None:
            self._diverged(bad)

    def _env_fault(self, err: NonFiniteEnvOutput, at_step: int) -> None:
        self._write_summary("diverged", reason=f"env returned non-finite {err.key}")
        raise TrainingDiverged(
            f"the env {self.cfg.env.id} returned a non-finite {err.key} ({err.value}) in "
            f"sub-env {err.env_index} at env step {at_step}. advrun stopped before it reached "
            f"the observation statistics, the loss or a checkpoint. Last good checkpoint: "
            f"{self._last_good()}. Fix: make the env return finite numbers (clip or guard "
            f"the value in the env or a wrapper), then resume with: advrun train "
            f"resume={self.run_dir}"
        ) from None

    # -- evaluation and logging ------------------------------------------------------
    def _evaluate(self) -> float:
        start = time.perf_counter()
        policy = self.algorithm.eval_policy(self.cfg.eval.deterministic)
        progress, episodes = self._progress, self.parts.eval_env.num_envs
        if progress is not None:
            progress.eval_started(episodes)
        try:
            returns = self._eval_returns(policy, episodes)
        except NonFiniteEnvOutput as err:
            self._env_fault(err, self.global_step)
        if self.parts.videos is not None:
            self.parts.videos.save(self.global_step, self.tb.writer)
        self.eval_count += 1
        mean, std = float(returns.mean()), float(returns.std())
        self.tb.scalars(
            {"eval/episodic_return": mean, "eval/episodic_return_std": std}, self.global_step
        )
        self.last_eval = (mean, std)
        self.last_eval_step = self.global_step
        if math.isfinite(mean) and mean > self.best_return:
            self.best_return, self.best_step = mean, self.global_step
            self._save("best.pt")
        self.eval_time += time.perf_counter() - start
        log.info("step %d eval return %.2f ± %.2f", self.global_step, mean, std)
        if progress is not None:
            progress.eval_finished(mean)
        return mean

    def _eval_returns(self, policy: Callable[[Any], Any], episodes: int) -> np.ndarray:
        """One return per eval episode: :attr:`eval_results` when a batch computed them,
        else played here."""
        ready, self.eval_results = self.eval_results, None
        if isinstance(ready, BaseException):
            raise ready
        if ready is not None:
            return ready
        progress = self._progress
        return evaluate(
            policy,
            self.parts.eval_env,
            seed=self.cfg.seed + 10_000 + self.eval_count,
            module=self.algorithm.model,
            on_episode=None if progress is None else lambda d: progress.eval_episodes(d, episodes),
        )

    @staticmethod
    def _due(step: int, prev: int, interval: int) -> bool:
        return interval > 0 and step // interval > prev // interval

    def _log(self, it: Iteration, sps: float) -> None:
        scalars = dict(it.metrics)
        scalars["charts/SPS"] = sps
        if it.episodes.returns:
            scalars["charts/episodic_return"] = float(np.mean(it.episodes.returns))
            scalars["charts/episodic_length"] = float(np.mean(it.episodes.lengths))
        self.tb.scalars(scalars, self.global_step)

    # -- the loop --------------------------------------------------------------
    def run(self, signals: StopSignals | None = None) -> float:
        """Train to ``total_steps`` (or an early stop), evaluate, save, summarise.

        ``signals`` is the handler the caller installed before building this trainer
        (so a signal during set-up is seen too); without one, the trainer installs its
        own. Raises :class:`Interrupted`, :class:`TrainingDiverged` or
        :class:`RunFailed` (each after recording it in ``summary.json``)."""
        self._start = time.perf_counter()
        own = signals is None
        stop = StopSignals().__enter__() if own else signals
        assert stop is not None
        try:
            return self.guarded(lambda: self._run(stop))
        finally:
            if own:
                stop.__exit__(None, None, None)
            self.close()

    def guarded(self, work: Callable[[], T]) -> T:
        """Run ``work`` (the whole run, or one stage of it) and turn what escapes it into
        this run's record: a second Ctrl-C becomes :class:`Interrupted` (not saved), any
        other error :class:`RunFailed`, each after writing ``summary.json``.
        :class:`Interrupted` and :class:`TrainingDiverged` pass through (they wrote it)."""
        try:
            return work()
        except KeyboardInterrupt:  # a second Ctrl-C: stop now, without saving
            self._write_summary(
                "interrupted",
                reason="a second Ctrl-C stopped the run at once; last.pt is the previous "
                "checkpoint",
            )
            raise Interrupted(2, saved=False) from None
        except (Interrupted, TrainingDiverged):
            raise
        except Exception as err:
            cause, fix = explain(
                err, env_id=self.cfg.env.id, step=self.global_step, run_dir=str(self.run_dir)
            )
            fix = f"{fix} Last good checkpoint: {self._last_good()}."
            try:
                self._write_summary("failed", reason=cause, error_type=type(err).__name__)
            except Exception as summary_err:  # the disk that broke the run may refuse this too
                log.error("could not write summary.json: %s", summary_err)
            raise RunFailed(cause, fix, self.global_step) from err

    def _run(self, signals: StopSignals) -> float:
        self.begin()
        try:
            done = self.global_step >= self.cfg.total_steps
            while not done:
                done = self.iteration(signals)
        except BaseException:
            self._close_progress()
            raise
        return self.end(signals)

    # The loop in three stages, so that advrun.seeds can run many trainers in lockstep:
    # begin(), iteration() until it returns True, end().
    def begin(self, *, progress: bool = True) -> None:
        """Start the loop: the progress display (``progress=False`` hides it even when
        ``cfg.progress`` asks for it) and the recent-returns window."""
        cfg = self.cfg
        self._progress = Progress(
            cfg.total_steps, enabled=cfg.progress and progress, initial=self.global_step
        )
        self._recent: deque[float] = deque(maxlen=20)
        self._stop_reason = "total_steps"

    def iteration(self, signals: StopSignals) -> bool:
        """One iterate -> log -> evaluate -> save step; True when training is over
        (``total_steps`` reached or the early stopper fired)."""
        it = self.iterate(signals)
        return self.after_iterate(it, signals)

    def iterate(self, signals: StopSignals) -> Iteration:
        """Ask the algorithm for one iteration within the remaining budget."""
        cfg = self.cfg
        self._stop_if_asked(signals)  # e.g. a signal while the envs were built
        try:
            return self.algorithm.iterate(
                cfg.total_steps - self.global_step, self.global_step / cfg.total_steps
            )
        except NonFiniteEnvOutput as err:
            self._env_fault(err, self.global_step + (err.row + 1) * self.num_envs)
            raise AssertionError("unreachable") from None

    def after_iterate(self, it: Iteration, signals: StopSignals) -> bool:
        """Count, check, log, evaluate and save after ``it``; True when training is over."""
        cfg = self.cfg
        progress = self._progress
        assert progress is not None
        prev_step = self.global_step
        self.global_step += it.steps
        self.update += 1
        self._check_finite(it.metrics)
        self._recent.extend(it.episodes.returns)

        sps = self._train_sps()
        last = self.global_step >= cfg.total_steps
        if self.update % cfg.log_interval == 0 or last:
            self._log(it, sps)
        recent = self._recent
        progress.update(self.global_step, sps, float(np.mean(recent)) if recent else None)

        evaluate_now = self._due(self.global_step, prev_step, cfg.eval.interval)
        if evaluate_now and self.stopper.should_stop(self._evaluate()):
            self._stop_reason = self.stopper.reason
            return True
        if self._due(self.global_step, prev_step, cfg.checkpoint_interval):
            self._save("last.pt")
        if not last:
            self._stop_if_asked(signals)
        return last

    def end(self, signals: StopSignals) -> float:
        """Training is over: the final evaluation (unless this step was just evaluated),
        ``last.pt``, ``summary.json`` and the HParams record. From here on a signal no
        longer stops the run: the final evaluation and save finish, and the run ends
        completed."""
        try:
            if self.last_eval_step != self.global_step:
                self._evaluate()
        finally:
            self._close_progress()
        stop_reason = self._stop_reason
        self.completed, self.stop_reason = True, stop_reason
        self._save("last.pt")
        if signals.received is not None:
            log.warning(
                "signal %d arrived after training had finished; the run was completed and saved.",
                signals.received,
            )
        return self._finish(stop_reason)

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    def _stop_if_asked(self, signals: StopSignals) -> None:
        if signals.received is None:
            return
        self._save("last.pt")
        self._write_summary("interrupted", reason=f"signal {signals.received}")
        raise Interrupted(signals.received)

    def _elapsed(self) -> float:
        return self.elapsed_before + (time.perf_counter() - self._start)

    def _train_sps(self) -> float:
        return self.global_step / max(self._elapsed() - self.eval_time, 1e-9)

    def _write_summary(
        self, status: str, stop_reason: str = "", reason: str = "", error_type: str = ""
    ) -> dict[str, Any]:
        wall = self._elapsed()
        train_time = max(wall - self.eval_time, 1e-9)
        final = self.last_eval or (math.nan, math.nan)
        summary = {
            "status": status,
            "stop_reason": stop_reason or status,
            "final_eval_return": final[0],
            "final_eval_return_std": final[1],
            "best_eval_return": self.best_return if math.isfinite(self.best_return) else None,
            "best_step": self.best_step,
            "steps": self.global_step,
            "wall_time_s": wall,
            "train_time_s": train_time,
            "sps": self.global_step / train_time,
            "env_id": self.cfg.env.id,
            "seed": self.cfg.seed,
            "exact_resume": self.exact_resume,
        }
        if reason:
            summary["reason"] = reason
        if error_type:
            summary["error_type"] = error_type
        if status != "completed" and (self.ckpt_dir / "last.pt").exists():
            summary["resume"] = f"advrun train resume={self.run_dir}"
        if self.config_history:
            summary["config_history"] = self.config_history
        atomic_write_json(self.run_dir / "summary.json", summary)
        return summary

    def _finish(self, stop_reason: str) -> float:
        assert self.last_eval is not None
        self._write_summary("completed", stop_reason)
        self.tb.hparams_end(
            {
                "hparams/final_eval_return": self.last_eval[0],
                "hparams/best_eval_return": self.best_return,
            },
            self.global_step,
        )
        # The one-line summary is logged by the command (advrun.commands.run_end).
        return self.last_eval[0]

    def close(self) -> None:
        for closable in (self.tb, self.parts):
            try:
                closable.close()
            except Exception as err:  # closing must not hide the fault that got us here
                log.debug("closing %s failed: %s", type(closable).__name__, err)
