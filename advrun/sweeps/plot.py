"""The ``advrun report`` figure: eval-return curves per group (mean and 95% bootstrap
band across seeds) and the IQM of final eval returns per group with stratified
bootstrap CIs. Needs matplotlib (``pip install "advrun[report]"``); Agg backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advrun.sweeps.stats import iqm_band, mean_band


@dataclass
class Group:
    label: str
    curves: list[tuple[np.ndarray, np.ndarray]]  # (steps, values) per member
    iqm: tuple[float, float, float]  # point, low, high
    runs: int


def save_figure(fig: Any, out: Path, dpi: int = 110, **savefig: Any) -> Path:
    """Write ``fig`` to ``out`` (making its folder) and close it (pyplot keeps every
    open figure alive otherwise)."""
    import matplotlib.pyplot as plt

    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, **savefig)
    plt.close(fig)
    return out


def common_grid(curves: list[tuple[np.ndarray, np.ndarray]], points: int = 100) -> np.ndarray:
    """Steps every curve covers: from the latest first eval to the earliest last eval.
    Identical eval schedules give their own steps back."""
    starts = [s[0] for s, _ in curves]
    ends = [s[-1] for s, _ in curves]
    first = curves[0][0]
    if all(len(s) == len(first) and np.array_equal(s, first) for s, _ in curves):
        return first
    lo, hi = max(starts), min(ends)
    if hi <= lo:
        return np.array([hi])
    return np.linspace(lo, hi, points)


def draw_band(
    ax: Any,
    grid: np.ndarray,
    center: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    color: Any,
    label: str,
) -> None:
    """A curve with its band. A one-point curve (every member evaluated once) gets a
    marker and an error bar: a line and a fill of one point draw nothing."""
    if len(grid) < 2:
        ax.errorbar(
            grid,
            center,
            yerr=[center - low, high - center],
            fmt="o",
            color=color,
            capsize=5,
            ms=7,
            label=label,
        )
        return
    ax.plot(grid, center, color=color, lw=2, label=label)
    ax.fill_between(grid, low, high, color=color, alpha=0.2, lw=0)


def union_grid(curves: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Every step at which some curve was evaluated. Curves of different lengths (runs
    stopped early at the target) are held at their last value beyond their end, which
    is what ``np.interp`` does outside a curve's range."""
    return np.unique(np.concatenate([s for s, _ in curves]))


def plot_iqm_curves(
    groups: list[tuple[str, list[tuple[np.ndarray, np.ndarray]]]],
    group_by: str,
    title: str,
    out: Path,
    *,
    target: float | None = None,
    reps: int = 1000,
) -> Path:
    """Sample efficiency of one split: per group, the IQM over seeds of the eval return
    at each env step with a 95% bootstrap band (:func:`iqm_band`, fixed seed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    colors = plt.get_cmap("tab10").colors
    for i, (label, curves) in enumerate(groups):
        curves = [(s, v) for s, v in curves if len(s)]
        if not curves:
            continue
        grid = union_grid(curves)
        values = [np.interp(grid, s, v) for s, v in curves]
        center, low, high = iqm_band(values, reps=reps)
        color = colors[i % len(colors)]
        draw_band(ax, grid, center, low, high, color, f"{label} (n={len(curves)})")
    if target is not None:
        ax.axhline(target, color="0.4", ls="--", lw=1, label=f"target {target:g}")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("eval episodic return (IQM over seeds)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(title=group_by, loc="best", fontsize=8)
    fig.tight_layout()
    # No software/date metadata: re-rendering the same records gives the same bytes.
    return save_figure(fig, out, dpi=100, metadata={"Software": None})


def plot_report(groups: list[Group], group_by: str, title: str, out: Path) -> Path:
    return save_figure(report_figure(groups, group_by, title), out)


def report_figure(groups: list[Group], group_by: str, title: str):  # -> matplotlib Figure
    """The two panels. Curves of one or two evaluations per member (a sweep with
    ``eval.interval=0`` evaluates once, at the end) are drawn with markers and error
    bars: a line through one point draws nothing, and the panel used to come out empty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_curve, ax_iqm) = plt.subplots(
        1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]}
    )
    colors = plt.get_cmap("tab10").colors
    for i, group in enumerate(groups):
        color = colors[i % len(colors)]
        curves = [(s, v) for s, v in group.curves if len(s)]
        if curves:
            grid = common_grid(curves)
            values = [np.interp(grid, s, v) for s, v in curves]
            mean, low, high = mean_band(values)
            draw_band(ax_curve, grid, mean, low, high, color, f"{group.label} (n={len(curves)})")
        point, lo, hi = group.iqm
        if np.isfinite(point):
            ax_iqm.errorbar(
                [point],
                [i],
                xerr=[[point - lo], [hi - point]],
                fmt="o",
                color=color,
                capsize=5,
                ms=7,
            )
    ax_curve.set_xlabel("environment steps")
    ax_curve.set_ylabel("eval episodic return")
    ax_curve.set_title(f"Eval return by {group_by}: mean and 95% bootstrap CI across seeds")
    ax_curve.grid(alpha=0.3)
    if any(g.curves for g in groups):
        ax_curve.legend(title=group_by, loc="best", fontsize=9)
    ax_iqm.set_yticks(range(len(groups)), [f"{g.label}\n(n={g.runs})" for g in groups])
    ax_iqm.set_ylim(-0.5, len(groups) - 0.5)
    ax_iqm.invert_yaxis()
    ax_iqm.set_xlabel("final eval return (IQM)")
    ax_iqm.set_ylabel(group_by)
    ax_iqm.set_title("IQM of final eval return, 95% stratified bootstrap CI")
    ax_iqm.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
