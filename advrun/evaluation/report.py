"""The evaluation report: ``<checkpoint stem>.eval.json`` and a readable ``.eval.md``.

Statistics of the per-episode returns: mean, std, median, min/max, the interquartile
mean (IQM) with a 95% percentile-bootstrap CI (Agarwal et al. 2021, via
:mod:`advrun.sweeps.stats`), the success rate against the env's target return, and
episode lengths. With a baseline evaluated on the same episode seeds, the paired
difference ``d_i = candidate_i - baseline_i``: its mean and IQM, each with a bootstrap
CI that resamples episodes (pairs), so the CI reflects the per-episode differences
rather than two independent spreads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from advrun.evaluation.episodes import Episodes
from advrun.storage.atomic import atomic_write, atomic_write_json
from advrun.sweeps.stats import iqm, stratified_bootstrap_ci

CONFIDENCE = 0.95
BOOTSTRAP_REPS = 2000
BOOTSTRAP_SEED = 0


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x))


def bootstrap(
    values: np.ndarray, statistic: Any, reps: int, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float]:
    """``(point, low, high)``: percentile bootstrap over the entries of ``values``."""
    return stratified_bootstrap_ci([values], statistic, reps=reps, confidence=CONFIDENCE, seed=seed)


def summarize(
    episodes: Episodes, *, target: float | None, reps: int = BOOTSTRAP_REPS
) -> dict[str, Any]:
    """Return and length statistics of one policy's episodes."""
    r, n = episodes.returns, episodes.lengths
    point, low, high = bootstrap(r, iqm, reps)
    out: dict[str, Any] = {
        "episodes": len(r),
        "mean": _mean(r),
        "std": float(np.std(r)),
        "median": float(np.median(r)),
        "iqm": point,
        "iqm_ci": [low, high],
        "min": float(np.min(r)),
        "max": float(np.max(r)),
        "target_return": target,
        "success_rate": None if target is None else float(np.mean(r >= target)),
        "length_mean": float(np.mean(n)),
        "length_min": int(np.min(n)),
        "length_max": int(np.max(n)),
        "returns": r.tolist(),
        "lengths": n.tolist(),
    }
    return out


def paired_difference(
    candidate: Episodes, baseline: Episodes, *, reps: int = BOOTSTRAP_REPS
) -> dict[str, Any]:
    """Mean and IQM of ``candidate - baseline`` per episode, with bootstrap CIs."""
    d = candidate.returns - baseline.returns
    mean, mean_lo, mean_hi = bootstrap(d, _mean, reps)
    mid, iqm_lo, iqm_hi = bootstrap(d, iqm, reps)
    return {
        "mean": mean,
        "mean_ci": [mean_lo, mean_hi],
        "iqm": mid,
        "iqm_ci": [iqm_lo, iqm_hi],
        "wins": int(np.sum(d > 0)),
        "ties": int(np.sum(d == 0)),
        "losses": int(np.sum(d < 0)),
        "ci_excludes_zero": bool(mean_lo > 0 or mean_hi < 0),
        "differences": d.tolist(),
    }


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}" if abs(x) < 1e6 else f"{x:.3g}"


def _ci(point: float, ci: list[float]) -> str:
    return f"{_fmt(point)} [{_fmt(ci[0])}, {_fmt(ci[1])}]"


def _stats_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("mean ± std", f"{_fmt(s['mean'])} ± {_fmt(s['std'])}"),
        ("median", _fmt(s["median"])),
        (f"IQM [{CONFIDENCE:.0%} CI]", _ci(s["iqm"], s["iqm_ci"])),
        ("min / max", f"{_fmt(s['min'])} / {_fmt(s['max'])}"),
    ]
    if s["success_rate"] is not None:
        wins = round(s["success_rate"] * s["episodes"])
        rows.append(
            (
                f"success (return ≥ {_fmt(s['target_return'])})",
                f"{wins}/{s['episodes']} ({s['success_rate']:.0%})",
            )
        )
    rows.append(
        (
            "episode length mean [min, max]",
            f"{s['length_mean']:.1f} [{s['length_min']}, {s['length_max']}]",
        )
    )
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables (what ``.eval.md`` holds)."""
    ev = report["evaluation"]
    lines = [
        f"# Evaluation of `{report['checkpoint']}`",
        "",
        f"{report['env_id']} · checkpoint step {report['checkpoint_step']} · "
        f"{ev['episodes']} episodes · {'deterministic' if ev['deterministic'] else 'stochastic'}"
        f" policy · reset seeds {ev['reset_seeds']} ({ev['num_envs']} envs per round) · "
        f"bootstrap {ev['bootstrap_reps']} resamples",
        "",
        "| return | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in _stats_rows(report["returns"])),
    ]
    base = report.get("baseline")
    if base:
        diff = report["paired_difference"]
        lines += [
            "",
            f"## Against the baseline `{base['checkpoint']}` (same episode seeds)",
            "",
            "| return | this | baseline |",
            "|---|---|---|",
            *(
                f"| {k} | {v} | {b} |"
                for (k, v), (_, b) in zip(
                    _stats_rows(report["returns"]), _stats_rows(base["returns"]), strict=False
                )
            ),
            "",
            f"Paired difference (this − baseline, per episode), {CONFIDENCE:.0%} bootstrap CI:",
            "",
            "| difference | value |",
            "|---|---|",
            f"| mean | {_ci(diff['mean'], diff['mean_ci'])} |",
            f"| IQM | {_ci(diff['iqm'], diff['iqm_ci'])} |",
            f"| better / equal / worse episodes | {diff['wins']} / {diff['ties']} / "
            f"{diff['losses']} |",
            "",
            "The CI of the mean difference "
            + ("excludes 0." if diff["ci_excludes_zero"] else "includes 0."),
        ]
    if report.get("videos"):
        lines += ["", "Videos: " + ", ".join(f"`{v}`" for v in report["videos"])]
    return "\n".join(lines) + "\n"


def report_paths(checkpoint: str | Path) -> tuple[Path, Path]:
    """``<dir>/<stem>.eval.json`` and ``.eval.md`` beside the checkpoint (so ``best``
    and ``last`` keep separate reports)."""
    path = Path(checkpoint)
    return path.with_name(f"{path.stem}.eval.json"), path.with_name(f"{path.stem}.eval.md")


def write_report(report: dict[str, Any], checkpoint: str | Path) -> tuple[Path, Path]:
    json_path, md_path = report_paths(checkpoint)
    atomic_write_json(json_path, report)
    text = render_markdown(report).encode()
    atomic_write(md_path, lambda fh: fh.write(text))
    return json_path, md_path
