"""The ``advrun report`` figure: eval-return curves per group (mean and 95% bootstrap
band across seeds) and the IQM of final eval returns per group with stratified
bootstrap CIs. Needs matplotlib (``pip install "advrun[report]"``); Agg backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advrun.sweeps.stats import mean_band


@dataclass
class Group:
    label: str
    curves: list[tuple[np.ndarray, np.ndarray]]  # (steps, values) per member
    iqm: tuple[float, float, float]  # point, low, high
    runs: int


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


def plot_report(groups: list[Group], group_by: str, title: str, out: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = report_figure(groups, group_by, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


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
            label = f"{group.label} (n={len(curves)})"
            if len(grid) < 3:  # too few points for a line and a band
                ax_curve.errorbar(
                    grid,
                    mean,
                    yerr=[mean - low, high - mean],
                    fmt="o-",
                    color=color,
                    capsize=5,
                    ms=7,
                    label=label,
                )
            else:
                ax_curve.plot(grid, mean, color=color, lw=2, label=label)
                ax_curve.fill_between(grid, low, high, color=color, alpha=0.2, lw=0)
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
