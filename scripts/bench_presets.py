#!/usr/bin/env python
"""Train the experiment presets over several seeds and compare with RL Baselines3 Zoo.

Runs the installed ``advrun`` console script once per (preset, seed), then writes
``docs/results.md`` (final eval returns next to the zoo's published PPO numbers) and
one learning-curve PNG per preset under ``docs/results/``::

    python scripts/bench_presets.py --preset ppo_cartpole --preset ppo_acrobot --seeds 1 2 3
    python scripts/bench_presets.py --preset ppo_pong --seeds 1 --budget 50000   # shortened
    python scripts/bench_presets.py --report-only          # re-render from outputs/bench

Runs land in ``<out>/<preset>/seed<k>/`` (a finished run is not repeated) and each
preset's ``<out>/<preset>/meta.json`` records the budget used, so ``--report-only``
re-renders the table from everything benchmarked so far. A run shorter than the
preset's own ``total_steps`` is labelled *shortened* in the table. Before each run
the script waits while ``/tmp/advrun_quiet.lock`` exists (shared-machine etiquette).
Needs matplotlib (``pip install 'advrun[report]'``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUIET_LOCK = Path("/tmp/advrun_quiet.lock")

ZOO_REPO = "https://github.com/DLR-RM/rl-baselines3-zoo"
ZOO_BENCHMARK = f"{ZOO_REPO}/blob/0088472b8cb622732bdbc4aa3d0d0abde86c67ed/benchmark.md"
ZOO_HYPERPARAMS = f"{ZOO_REPO}/blob/00128b5d46d497b772f3bd891ae9f520919e8971/hyperparams/ppo.yml"


@dataclass(frozen=True)
class Zoo:
    """One row of the zoo's benchmark.md (algo ppo): a single trained agent."""

    env_id: str
    mean: float
    std: float
    timesteps: str


@dataclass(frozen=True)
class Preset:
    env_id: str
    algo: str
    budget: int  # the preset's own total_steps
    zoo: Zoo | None
    curve: str  # PNG name under docs/results/


PRESETS: dict[str, Preset] = {
    "ppo_cartpole": Preset(
        "CartPole-v1", "ppo", 200_000, Zoo("CartPole-v1", 500.0, 0.0, "100k"), "cartpole"
    ),
    "ppo_acrobot": Preset(
        "Acrobot-v1", "ppo", 500_000, Zoo("Acrobot-v1", -73.506, 18.201, "1M"), "acrobot"
    ),
    "ppo_mountaincar": Preset(
        "MountainCar-v0",
        "ppo",
        1_000_000,
        Zoo("MountainCar-v0", -110.423, 19.473, "1M"),
        "mountaincar",
    ),
    "ppo_pendulum": Preset(
        "Pendulum-v1", "ppo", 500_000, Zoo("Pendulum-v1", -172.225, 104.159, "100k"), "pendulum"
    ),
    "ppo_lunarlander": Preset(
        "LunarLander-v3",
        "ppo",
        1_000_000,
        Zoo("LunarLander-v2", 242.119, 31.823, "1M"),
        "lunarlander",
    ),
    "ppo_lunarlander_continuous": Preset(
        "LunarLander-v3 (continuous)",
        "ppo",
        1_000_000,
        Zoo("LunarLanderContinuous-v2", 270.863, 32.072, "1M"),
        "lunarlander_continuous",
    ),
    "ppo_halfcheetah": Preset(
        "HalfCheetah-v5",
        "ppo",
        1_000_000,
        Zoo("HalfCheetah-v3", 5819.099, 663.530, "1M"),
        "halfcheetah",
    ),
    "ppo_hopper": Preset(
        "Hopper-v5", "ppo", 1_000_000, Zoo("Hopper-v3", 2410.435, 10.026, "1M"), "hopper"
    ),
    "ppo_walker2d": Preset(
        "Walker2d-v5", "ppo", 1_000_000, Zoo("Walker2d-v3", 3478.798, 821.708, "1M"), "walker2d"
    ),
    "ppo_pong": Preset(
        "ALE/Pong-v5", "ppo", 10_000_000, Zoo("PongNoFrameskip-v4", 20.989, 0.105, "10M"), "pong"
    ),
    "ppo_breakout": Preset(
        "ALE/Breakout-v5",
        "ppo",
        10_000_000,
        Zoo("BreakoutNoFrameskip-v4", 398.033, 33.328, "10M"),
        "breakout",
    ),
}


def advrun_executable() -> str:
    local = Path(sys.executable).with_name("advrun")
    return str(local) if local.exists() else (shutil.which("advrun") or "advrun")


def wait_for_quiet(poll_s: float = 30.0) -> None:
    while QUIET_LOCK.exists():
        print(f"  {QUIET_LOCK} exists; waiting {poll_s:.0f}s", flush=True)
        time.sleep(poll_s)


def run_one(preset: str, seed: int, budget: int | None, run_dir: Path, extra: list[str]) -> dict:
    """Train one seed (skipped when ``run_dir`` already holds a completed run)."""
    summary_file = run_dir / "summary.json"
    if summary_file.exists():
        summary = json.loads(summary_file.read_text())
        if summary.get("status") == "completed":
            return summary
        shutil.rmtree(run_dir)
    wait_for_quiet()
    cmd = [
        advrun_executable(),
        "train",
        f"experiment={preset}",
        f"seed={seed}",
        "progress=false",
        f"hydra.run.dir={run_dir}",
        *([f"total_steps={budget}"] if budget else []),
        *extra,
    ]
    print("  " + " ".join(cmd[1:]), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(summary_file.read_text())


def eval_curve(run_dir: Path, tag: str = "eval/episodic_return") -> tuple[list[int], list[float]]:
    """One scalar series (default: the eval return) from a run's TensorBoard events."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    if tag not in acc.Tags().get("scalars", []):
        return [], []
    events = acc.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def plot_curves(
    name: str, preset: Preset, runs: dict[int, Path], path: Path, shortened: bool = False
) -> None:
    """Eval return per seed; the zoo's number as a line (in the title for shortened runs,
    where a line far above would flatten the curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for seed, run_dir in sorted(runs.items()):
        steps, values = eval_curve(run_dir)
        if steps:
            ax.plot(steps, values, marker="o", markersize=3, linewidth=1.2, label=f"seed {seed}")
        if len(steps) < 3:  # a shortened run with too few evals: show training episodes too
            steps, values = eval_curve(run_dir, "charts/episodic_return")
            if preset.env_id.startswith("ALE/"):
                label = f"seed {seed} training episodes (clipped, end at a lost life)"
            else:
                label = f"seed {seed} training episodes"
            ax.plot(steps, values, linewidth=0.8, alpha=0.7, label=label)
    title = f"{name}: {preset.env_id}"
    if preset.zoo is not None and shortened:
        title += f"\n(shortened; zoo PPO {preset.zoo.env_id} @ {preset.zoo.timesteps}: "
        title += f"{preset.zoo.mean:g})"
    elif preset.zoo is not None:
        ax.axhline(
            preset.zoo.mean,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"zoo PPO {preset.zoo.env_id} @ {preset.zoo.timesteps}",
        )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("env steps")
    ax.set_ylabel("eval return")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(x: float) -> str:
    return f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}"


def _steps(n: float) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def report(out: Path, docs: Path) -> str:
    """Render ``docs/results.md`` and the PNGs from every benchmarked preset."""
    rows, commands = [], []
    for name, preset in PRESETS.items():
        meta_file = out / name / "meta.json"
        if not meta_file.exists():
            continue
        meta = json.loads(meta_file.read_text())
        runs = {
            int(d.name.removeprefix("seed")): d
            for d in sorted((out / name).glob("seed*"))
            if (d / "summary.json").exists()
        }
        summaries = [json.loads((d / "summary.json").read_text()) for d in runs.values()]
        summaries = [s for s in summaries if s.get("status") == "completed"]
        if not summaries:
            continue
        finals = [s["final_eval_return"] for s in summaries]
        mean = statistics.fmean(finals)
        std = statistics.pstdev(finals) if len(finals) > 1 else 0.0
        steps = statistics.fmean(s["steps"] for s in summaries)
        wall = statistics.fmean(s["wall_time_s"] for s in summaries)
        budget = meta["budget"]
        notes = []
        if budget < preset.budget:
            full = _steps(preset.budget)
            notes.append(f"**shortened** ({_steps(budget)} of the preset's {full})")
        early = sum(s["stop_reason"] == "target_return" for s in summaries)
        if early:
            notes.append(f"{early}/{len(summaries)} stopped at the env's target")
        notes.append(f"{wall:.0f} s/seed" if wall < 120 else f"{wall / 60:.1f} min/seed")
        if meta.get("note"):
            notes.append(meta["note"])
        if meta.get("command"):
            commands.append(f"    {meta['command']}")
        zoo = preset.zoo
        zoo_cell = (
            f"{_fmt(zoo.mean)} ± {_fmt(zoo.std)} ({zoo.env_id}, {zoo.timesteps})"
            if zoo
            else "not found"
        )
        png = docs / "results" / f"{preset.curve}.png"
        plot_curves(name, preset, runs, png, shortened=budget < preset.budget)
        rows.append(
            f"| `{name}` | {preset.env_id} | {preset.algo} | {_steps(budget)} "
            f"(mean {_steps(steps)} run) | {len(summaries)} | {_fmt(mean)} ± {_fmt(std)} "
            f"| {zoo_cell} | {'; '.join(notes)} | [curve](results/{png.name}) |"
        )
    text = "\n".join(
        [
            "# Preset results",
            "",
            "Generated by `python scripts/bench_presets.py` (see its docstring for the exact",
            "commands); every number and curve below comes from runs of that script on a",
            "2-core CPU machine. *Final eval return*: the last evaluation of each seed",
            "(deterministic policy over `eval.episodes` episodes, stochastic for Atari), then",
            "mean ± std **across seeds**. Runs stop early once the env's target return is",
            "reached (`early_stop.target_return`), so the final return is then the first one",
            "at or above the target.",
            "",
            "*Zoo*: RL Baselines3 Zoo's published PPO result for the same task from",
            f"[benchmark.md]({ZOO_BENCHMARK}) — one trained agent, mean ± std over its eval",
            "episodes, with the budget it was trained for; the zoo used older env versions",
            "(LunarLander-v2, MuJoCo v3, `*NoFrameskip-v4`). Preset hyperparameters follow",
            f"[hyperparams/ppo.yml]({ZOO_HYPERPARAMS}) (each preset file cites its entry).",
            "",
            "| preset | env | algo | budget | seeds | final eval return | zoo published "
            "(env, budget) | notes | curve |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Reproduce (runs that already finished under `outputs/bench/` are reused):",
            "",
            *dict.fromkeys(commands),
            "",
        ]
    )
    (docs / "results.md").write_text(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", choices=sorted(PRESETS), default=[])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget", type=int, help="override total_steps (shortened run)")
    parser.add_argument("--note", default="", help="free text for the table's notes column")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("overrides", nargs="*", help="extra advrun overrides for every run")
    args = parser.parse_args()

    if not args.report_only:
        for name in args.preset:
            budget = args.budget or PRESETS[name].budget
            (args.out / name).mkdir(parents=True, exist_ok=True)
            command = "python scripts/bench_presets.py " + shlex.join(sys.argv[1:])
            meta = {"budget": budget, "seeds": args.seeds, "note": args.note, "command": command}
            (args.out / name / "meta.json").write_text(json.dumps(meta, indent=2))
            for seed in args.seeds:
                start = time.perf_counter()
                run_dir = args.out / name / f"seed{seed}"
                s = run_one(name, seed, args.budget, run_dir, args.overrides)
                print(
                    f"{name} seed {seed}: final {s['final_eval_return']:.1f} after "
                    f"{s['steps']} steps ({time.perf_counter() - start:.0f}s)",
                    flush=True,
                )
    print(report(args.out, args.docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
