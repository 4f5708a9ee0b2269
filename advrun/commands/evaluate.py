"""``advrun eval``: load a checkpoint (weights only), play N episodes, write a report.

``eval.json``/``eval.md`` (named ``<checkpoint stem>.eval.json``/``.eval.md``) go
beside the checkpoint; ``baseline=`` plays a second policy on the same episode seeds
and reports the paired difference; ``video=true`` records the first episodes.
Episodes are played on gymnasium's envs (also for runs trained with
``env.backend=torch``, whose envs are the same dynamics).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from omegaconf import DictConfig

from advrun.commands.errors import clean_errors
from advrun.config import ConfigError, conf_dir, register_configs
from advrun.config.containers import enum_value
from advrun.config.schema import EvalCommandConfig
from advrun.config.validate import to_object

# numpy, torch, gymnasium and the evaluation modules are imported where they are used:
# `advrun eval --help` composes and prints the config only and must not pay for them.
if TYPE_CHECKING:
    import numpy as np
    import torch

    from advrun.evaluation.episodes import Episodes
    from advrun.evaluation.loading import TrainedPolicy

register_configs()


def checkpoint_path(run: str | None, checkpoint: str | None, which: str) -> Path:
    """``checkpoint`` wins; else ``<run>/checkpoints/<which>.pt`` (falling back to last)."""
    if checkpoint:
        return Path(checkpoint)
    if not run:
        raise ConfigError(
            "run",
            "neither run nor checkpoint was given.",
            "pass run=<run dir> or checkpoint=<file.pt>.",
        )
    if which not in ("best", "last"):
        raise ConfigError(
            "which", f"{which!r} is not best or last.", "use which=best or which=last."
        )
    ckpt_dir = Path(run) / "checkpoints"
    path = ckpt_dir / f"{which}.pt"
    if not path.exists() and which == "best" and (ckpt_dir / "last.pt").exists():
        path = ckpt_dir / "last.pt"
    return path


def baseline_path(baseline: str, which: str) -> Path:
    """A run dir (its ``checkpoints/<which>.pt``) or a checkpoint file."""
    path = Path(baseline)
    return checkpoint_path(str(path), None, which) if path.is_dir() else path


@dataclass
class Evaluation:
    policy: TrainedPolicy
    episodes: Episodes
    baseline: TrainedPolicy | None = None
    baseline_episodes: Episodes | None = None
    videos: list[Path] = field(default_factory=list)


def _check(c: EvalCommandConfig) -> None:
    if c.episodes < 1:
        raise ConfigError("episodes", f"{c.episodes} must be >= 1.", "use episodes=20.")
    if c.num_envs is not None and c.num_envs < 1:
        raise ConfigError("num_envs", f"{c.num_envs} must be >= 1.", "use num_envs=null.")
    if c.video_episodes < 1:
        raise ConfigError("video_episodes", f"{c.video_episodes} must be >= 1.", "use 1.")
    if c.bootstrap_reps < 1:
        raise ConfigError("bootstrap_reps", f"{c.bootstrap_reps} must be >= 1.", "use 2000.")


def _same_env(a: TrainedPolicy, b: TrainedPolicy) -> None:
    """A paired comparison needs the same env (id, kwargs, preprocessing, time limit)."""
    fields = ("id", "kwargs", "preprocess", "max_episode_steps")
    ea, eb = a.config.env, b.config.env
    diff = [f for f in fields if getattr(ea, f) != getattr(eb, f)]
    if diff:
        raise ConfigError(
            "baseline",
            f"{b.checkpoint} was trained on another env ("
            + ", ".join(f"env.{f}: {getattr(eb, f)!r} vs {getattr(ea, f)!r}" for f in diff)
            + ").",
            "compare checkpoints of the same env.",
        )


def _play(
    trained: TrainedPolicy,
    c: EvalCommandConfig,
    device: torch.device,
    label: str,
    recorder_episodes: int = 0,
) -> tuple[Episodes, list[list[np.ndarray]], float]:
    """Play ``c.episodes`` episodes; returns the episodes and, when recording, the
    frames of the first ``recorder_episodes`` (and the video fps)."""
    import numpy as np

    from advrun.evaluation.episodes import Episodes, play_episodes
    from advrun.evaluation.progress import EvalProgress
    from advrun.training.builders import build_envs

    # Recording needs sync envs (see advrun.evaluation.video); with video=true the
    # baseline plays on sync envs too, so both see the same episode seeds.
    vectorization = "sync" if c.video else trained.config.env.vectorization
    env_cfg = dataclasses.replace(
        trained.config.env, backend="gymnasium", vectorization=vectorization
    )
    n = c.num_envs or c.episodes
    frames: list[list[np.ndarray]] = []
    fps = 0.0
    if recorder_episodes:
        from advrun.evaluation.video import EpisodeRecorder, make_recording_envs, video_fps

        recorder = EpisodeRecorder(make_recording_envs(env_cfg, n), recorder_episodes)
        envs: Any = recorder
        fps = video_fps(recorder, env_cfg)
    else:
        envs = build_envs(env_cfg, num_envs=n, device=device, training=False)
    progress = EvalProgress(c.episodes, label=label, enabled=c.progress)
    try:
        if recorder_episodes:
            # Record only the first round's episodes: play it alone, then the rest.
            first = play_episodes(
                trained.model,
                envs,
                episodes=min(n, c.episodes),
                seed=c.seed,
                device=device,
                deterministic=c.deterministic,
            )
            frames = recorder.frames
            recorder.enabled = False
            if c.episodes > n:
                rest = play_episodes(
                    trained.model,
                    envs,
                    episodes=c.episodes - n,
                    seed=c.seed + n,
                    device=device,
                    deterministic=c.deterministic,
                    progress=progress,
                )
                first = Episodes(
                    np.concatenate([first.returns, rest.returns]),
                    np.concatenate([first.lengths, rest.lengths]),
                    first.reset_seeds + rest.reset_seeds,
                    n,
                )
            return first, frames, fps
        episodes = play_episodes(
            trained.model,
            envs,
            episodes=c.episodes,
            seed=c.seed,
            device=device,
            deterministic=c.deterministic,
            progress=progress,
        )
        return episodes, frames, fps
    finally:
        envs.close()


def run_evaluation(c: EvalCommandConfig) -> Evaluation:
    """Play the checkpoint (and the baseline, on the same seeds); record videos."""
    from advrun.evaluation.loading import load_trained_policy
    from advrun.training.device import resolve_device

    _check(c)
    device = resolve_device(enum_value(c.device))
    trained = load_trained_policy(
        checkpoint_path(c.run, c.checkpoint, c.which), device, trust_env_code=c.trust_env_code
    )
    base = None
    if c.baseline:
        base = load_trained_policy(
            baseline_path(c.baseline, c.which), device, trust_env_code=c.trust_env_code
        )
        _same_env(trained, base)
    episodes, frames, fps = _play(trained, c, device, "eval", c.video_episodes if c.video else 0)
    out = Evaluation(trained, episodes)
    if frames:
        from torch.utils.tensorboard import SummaryWriter

        from advrun.evaluation.video import save_videos

        writer = SummaryWriter(log_dir=str(trained.run_dir))
        try:
            out.videos = save_videos(
                frames, trained.run_dir, trained.step or 0, fps=fps, writer=writer
            )
        finally:
            writer.close()
    if base is not None:
        out.baseline = base
        out.baseline_episodes, _, _ = _play(base, c, device, "baseline")
    return out


def evaluate_checkpoint(c: EvalCommandConfig) -> np.ndarray:
    """The per-episode returns of ``advrun eval`` with these settings."""
    return run_evaluation(c).episodes.returns


def build_report(ev: Evaluation, c: EvalCommandConfig) -> dict[str, Any]:
    """The JSON report (see :mod:`advrun.evaluation.report`)."""
    from advrun.evaluation.report import paired_difference, summarize

    target = ev.policy.config.env.target_return
    report: dict[str, Any] = {
        "checkpoint": str(ev.policy.checkpoint),
        "checkpoint_step": ev.policy.step,
        "run_dir": str(ev.policy.run_dir),
        "env_id": ev.policy.config.env.id,
        "evaluation": {
            "episodes": c.episodes,
            "deterministic": c.deterministic,
            "seed": c.seed,
            "num_envs": ev.episodes.num_envs,
            "reset_seeds": ev.episodes.reset_seeds,
            "seeding": (
                "round r resets the vector env with seed + r * num_envs; sub-env i of "
                "a round plays that round's episode i (gymnasium's vector reset seeds "
                "sub-env i with seed + i, or draws all from one generator for native "
                "vector envs)"
            ),
            "bootstrap_reps": c.bootstrap_reps,
            "confidence": 0.95,
        },
        "returns": summarize(ev.episodes, target=target, reps=c.bootstrap_reps),
        "videos": [str(p) for p in ev.videos],
    }
    if ev.baseline is not None and ev.baseline_episodes is not None:
        report["baseline"] = {
            "checkpoint": str(ev.baseline.checkpoint),
            "checkpoint_step": ev.baseline.step,
            "returns": summarize(ev.baseline_episodes, target=target, reps=c.bootstrap_reps),
        }
        report["paired_difference"] = paired_difference(
            ev.episodes, ev.baseline_episodes, reps=c.bootstrap_reps
        )
    return report


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="eval")
def evaluate(cfg: DictConfig) -> float:
    import torch

    from advrun.evaluation.report import write_report

    with clean_errors():
        c = to_object(cfg)
        assert isinstance(c, EvalCommandConfig)
        torch.set_num_threads(1)
        ev = run_evaluation(c)
        returns = ev.episodes.returns
        mean, std = float(returns.mean()), float(returns.std())
        print(
            f"{len(returns)} episodes: return {mean:.2f} ± {std:.2f} "
            f"(min {returns.min():.2f}, max {returns.max():.2f})"
        )
        if c.report:
            report = build_report(ev, c)
            s = report["returns"]
            print(f"IQM {s['iqm']:.2f} [{s['iqm_ci'][0]:.2f}, {s['iqm_ci'][1]:.2f}]")
            if "paired_difference" in report:
                d = report["paired_difference"]
                print(
                    f"vs baseline: mean difference {d['mean']:.2f} "
                    f"[{d['mean_ci'][0]:.2f}, {d['mean_ci'][1]:.2f}]"
                )
            json_path, md_path = write_report(report, ev.policy.checkpoint)
            print(f"report: {json_path} {md_path}")
        for path in ev.videos:
            print(f"video: {path}")
        return mean
    raise AssertionError("unreachable")
