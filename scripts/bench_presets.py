#!/usr/bin/env python
"""Train the experiment presets over several seeds and compare with RL Baselines3 Zoo.

Runs the installed ``advrun`` console script once per (preset, seed), then writes
``docs/results.md`` (final eval returns next to the zoo's published PPO numbers, with
the median over seeds against each preset's target) and one learning-curve PNG per
preset under ``docs/results/``::

    python scripts/bench_presets.py --preset ppo_cartpole --preset ppo_acrobot --seeds 1 2 3
    python scripts/bench_presets.py --preset ppo_halfcheetah --seeds 1 2 3 --jobs 2
    python scripts/bench_presets.py --preset ppo_pong --seeds 1 --budget 50000   # shortened
    python scripts/bench_presets.py --report-only          # re-render from docs/results/data

A record already in ``docs/results/data/`` is replaced only by a run at least as large
(as many seeds or more, the same budget or more); a smaller run (a quick check) is
reported and left out of the docs unless ``--force`` is given.

Runs land in ``<out>/<preset>/seed<k>/`` (a finished run is not repeated while
``.hydra/config.yaml`` still matches what the preset composes to). After the
runs, each preset's seeds are harvested into ``docs/results/data/<preset>.json``: the
command, budget, machine, package versions and commit, and per seed the run's
``summary.json`` plus its eval curve read from the TensorBoard events. The table and
PNGs are rendered from those files only, so ``--report-only`` reproduces the docs from
what is committed. ``--jobs N`` trains N runs at once (one torch thread each; on a
2-core machine use 2). Before each run the script waits while
``/tmp/advrun_quiet.lock`` exists (shared-machine etiquette).
Needs matplotlib (``pip install 'advrun[report]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUIET_LOCK = Path("/tmp/advrun_quiet.lock")
_HYDRA_LOCK = threading.Lock()

ZOO_REPO = "https://github.com/DLR-RM/rl-baselines3-zoo"
ZOO_BENCHMARK = f"{ZOO_REPO}/blob/0088472b8cb622732bdbc4aa3d0d0abde86c67ed/benchmark.md"
ZOO_HYPERPARAMS = f"{ZOO_REPO}/blob/00128b5d46d497b772f3bd891ae9f520919e8971/hyperparams/ppo.yml"
ZOO_DQN_COMMIT = "019107eb14187e85dd4cc72076390376662609b4"
ZOO_DQN_HYPERPARAMS = f"{ZOO_REPO}/blob/{ZOO_DQN_COMMIT}/hyperparams/dqn.yml"
VERSIONED = ("advrun", "torch", "gymnasium", "mujoco", "ale-py", "box2d")
TRAINING_POINTS = 200  # training-episode curve kept per seed (evenly thinned)
DQN_LUNARLANDER_BUDGET = 400_000  # conf/experiment/dqn_lunarlander.yaml's total_steps


@dataclass(frozen=True)
class Zoo:
    """One row of the zoo's benchmark.md (``algo`` ppo or dqn): a single trained agent."""

    env_id: str
    mean: float
    std: float
    timesteps: str
    algo: str = "ppo"


@dataclass(frozen=True)
class Preset:
    env_id: str
    algo: str
    budget: int  # the preset's own total_steps
    zoo: Zoo | None
    curve: str  # PNG name under docs/results/
    # The median final eval return a full-budget run should reach: issue 6's bar where
    # it sets one, else the env's solved threshold; None where neither exists.
    target: float | None = None


PRESETS: dict[str, Preset] = {
    "ppo_cartpole": Preset(
        "CartPole-v1", "ppo", 200_000, Zoo("CartPole-v1", 500.0, 0.0, "100k"), "cartpole", 475.0
    ),
    "ppo_acrobot": Preset(
        "Acrobot-v1", "ppo", 500_000, Zoo("Acrobot-v1", -73.506, 18.201, "1M"), "acrobot", -100.0
    ),
    "ppo_mountaincar": Preset(
        "MountainCar-v0",
        "ppo",
        1_000_000,
        Zoo("MountainCar-v0", -110.423, 19.473, "1M"),
        "mountaincar",
        -110.0,
    ),
    "ppo_pendulum": Preset(
        "Pendulum-v1",
        "ppo",
        500_000,
        Zoo("Pendulum-v1", -172.225, 104.159, "100k"),
        "pendulum",
        -250.0,
    ),
    "ppo_lunarlander": Preset(
        "LunarLander-v3",
        "ppo",
        1_000_000,
        Zoo("LunarLander-v2", 242.119, 31.823, "1M"),
        "lunarlander",
        200.0,
    ),
    "ppo_lunarlander_continuous": Preset(
        "LunarLander-v3 (continuous)",
        "ppo",
        1_000_000,
        Zoo("LunarLanderContinuous-v2", 270.863, 32.072, "1M"),
        "lunarlander_continuous",
        200.0,
    ),
    # Velocities hidden (MaskObservation) with an LSTM; no zoo row for this exact setup
    # (the zoo's recurrent agents are sb3-contrib's RecurrentPPO on CartPoleNoVel-v1).
    "ppo_cartpole_pomdp": Preset("CartPole-v1", "ppo", 100_000, None, "cartpole_pomdp", 475.0),
    "ppo_halfcheetah": Preset(
        "HalfCheetah-v5",
        "ppo",
        1_000_000,
        Zoo("HalfCheetah-v3", 5819.099, 663.530, "1M"),
        "halfcheetah",
        1500.0,
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
    # DQN: the zoo's published DQN agents. It has no dueling or AL entry, so the
    # dueling + AL presets sit beside the plain-DQN number of the same task.
    "dqn_cartpole": Preset(
        "CartPole-v1",
        "dqn",
        200_000,
        Zoo("CartPole-v1", 500.0, 0.0, "50k", "dqn"),
        "dqn_cartpole",
        475.0,
    ),
    "dqn_cartpole_dueling_al": Preset(
        "CartPole-v1",
        "dqn",
        200_000,
        Zoo("CartPole-v1", 500.0, 0.0, "50k", "dqn"),
        "dqn_cartpole_dueling_al",
        475.0,
    ),
    "dqn_lunarlander": Preset(
        "LunarLander-v3",
        "dqn",
        DQN_LUNARLANDER_BUDGET,
        Zoo("LunarLander-v2", 154.382, 79.241, "100k", "dqn"),
        "dqn_lunarlander",
        200.0,
    ),
    "dqn_lunarlander_dueling_al": Preset(
        "LunarLander-v3",
        "dqn",
        DQN_LUNARLANDER_BUDGET,
        Zoo("LunarLander-v2", 154.382, 79.241, "100k", "dqn"),
        "dqn_lunarlander_dueling_al",
        200.0,
    ),
    "dqn_pong": Preset(
        "ALE/Pong-v5",
        "dqn",
        10_000_000,
        Zoo("PongNoFrameskip-v4", 20.602, 0.613, "10M", "dqn"),
        "dqn_pong",
    ),
    "dqn_breakout": Preset(
        "ALE/Breakout-v5",
        "dqn",
        10_000_000,
        Zoo("BreakoutNoFrameskip-v4", 358.327, 61.981, "10M", "dqn"),
        "dqn_breakout",
    ),
}


# -- running ---------------------------------------------------------------------------
def advrun_executable() -> str:
    local = Path(sys.executable).with_name("advrun")
    return str(local) if local.exists() else (shutil.which("advrun") or "advrun")


def wait_for_quiet(poll_s: float = 30.0) -> None:
    while QUIET_LOCK.exists():
        print(f"  {QUIET_LOCK} exists; waiting {poll_s:.0f}s", flush=True)
        time.sleep(poll_s)


def config_drift(run_dir: Path, overrides: list[str]) -> str | None:
    """The first top-level config key where the run's stored ``.hydra/config.yaml``
    differs from what ``overrides`` compose to now (None when they agree), so a
    finished run is reused only while its preset and the defaults are unchanged.
    Both sides are read through today's schema, so a field added since the run (with
    a default that keeps the old behaviour) is not a difference."""
    import hydra
    import yaml
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from advrun.config import conf_dir, register_configs
    from advrun.config.stored import stored_config

    def typed(cfg: object) -> dict:
        container = cfg if isinstance(cfg, dict) else OmegaConf.to_container(cfg)
        return OmegaConf.to_container(stored_config(container), enum_to_str=True)

    stored_file = run_dir / ".hydra" / "config.yaml"
    if not stored_file.exists():
        return ".hydra/config.yaml missing"
    stored = typed(yaml.safe_load(stored_file.read_text()))
    with _HYDRA_LOCK:  # Hydra's global state; --jobs runs this from several threads
        register_configs()
        GlobalHydra.instance().clear()
        try:
            with hydra.initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
                now = typed(hydra.compose("train", overrides=overrides))
        finally:
            GlobalHydra.instance().clear()
    return next((k for k in sorted(set(now) | set(stored)) if now.get(k) != stored.get(k)), None)


def run_one(preset: str, seed: int, budget: int | None, run_dir: Path, extra: list[str]) -> dict:
    """Train one seed (skipped when ``run_dir`` already holds a completed run of the
    same config)."""
    overrides = [
        f"experiment={preset}",
        f"seed={seed}",
        "progress=false",
        *([f"total_steps={budget}"] if budget else []),
        *extra,
    ]
    summary_file = run_dir / "summary.json"
    if summary_file.exists():
        summary = json.loads(summary_file.read_text())
        status = summary.get("status")
        drift = config_drift(run_dir, overrides) if status == "completed" else None
        if status == "completed" and drift is None:
            return summary
        why = f"config key {drift!r} changed" if drift else f"status {status}"
        print(f"  {run_dir}: {why}; training it again", flush=True)
        shutil.rmtree(run_dir)
    elif run_dir.exists():
        shutil.rmtree(run_dir)
    wait_for_quiet()
    cmd = [advrun_executable(), "train", *overrides, f"hydra.run.dir={run_dir}"]
    print("  " + " ".join(cmd[1:]), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(summary_file.read_text())


# -- harvesting: outputs/bench -> docs/results/data ------------------------------------
def scalar_series(run_dir: Path, *tags: str) -> dict[str, list[tuple[int, float]]]:
    """``(step, value)`` series of ``tags`` from a run's TensorBoard events, read once
    with TensorBoard's reader (a missing tag gives an empty series)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    present = set(acc.Tags().get("scalars", []))
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)] if tag in present else [] for tag in tags
    }


def _thin(points: list, keep: int) -> list:
    if len(points) <= keep:
        return points
    return [points[round(i * (len(points) - 1) / (keep - 1))] for i in range(keep)]


def machine() -> dict:
    """Where the numbers came from: host, cores, package versions, commit."""
    versions = {}
    for name in VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit,
    }


def harvest(out: Path, name: str, meta: dict) -> dict | None:
    """Collect a preset's completed seeds under ``out`` into one JSON-able record."""
    seeds = {}
    for run_dir in sorted((out / name).glob("seed*")):
        summary_file = run_dir / "summary.json"
        if not summary_file.exists():
            continue
        summary = json.loads(summary_file.read_text())
        if summary.get("status") != "completed":
            continue
        series = scalar_series(run_dir, "eval/episodic_return", "charts/episodic_return")
        seeds[run_dir.name.removeprefix("seed")] = {
            "summary": summary,
            "eval": series["eval/episodic_return"],
            "training": _thin(series["charts/episodic_return"], TRAINING_POINTS),
            "finished": dt.datetime.fromtimestamp(summary_file.stat().st_mtime, dt.UTC)
            .isoformat(timespec="minutes")
            .replace("+00:00", "Z"),
        }
    if not seeds:
        return None
    return {"preset": name, **meta, "seeds": seeds}


# -- rendering: docs/results/data -> docs/results.md + PNGs ---------------------------
def plot_curves(name: str, preset: Preset, record: dict, path: Path) -> None:
    """Eval return per seed; the zoo's number and the target as lines (the zoo's in the
    title for shortened runs, where a line far above would flatten the curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advrun.sweeps.plot import save_figure

    shortened = record["budget"] < preset.budget
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for seed, data in sorted(record["seeds"].items(), key=lambda kv: int(kv[0])):
        if data["eval"]:
            steps, values = zip(*data["eval"], strict=True)
            ax.plot(steps, values, marker="o", markersize=3, linewidth=1.2, label=f"seed {seed}")
        if len(data["eval"]) < 3 and data["training"]:  # too few evals: training episodes
            steps, values = zip(*data["training"], strict=True)
            label = f"seed {seed} training episodes"
            if preset.env_id.startswith("ALE/"):
                label += " (clipped, end at a lost life)"
            ax.plot(steps, values, linewidth=0.8, alpha=0.7, label=label)
    title = f"{name}: {preset.env_id}"
    if preset.zoo is not None and shortened:
        title += f"\n(shortened; zoo {preset.zoo.algo.upper()} {preset.zoo.env_id} "
        title += f"@ {preset.zoo.timesteps}: "
        title += f"{preset.zoo.mean:g})"
    elif preset.zoo is not None:
        ax.axhline(
            preset.zoo.mean,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"zoo {preset.zoo.algo.upper()} {preset.zoo.env_id} @ {preset.zoo.timesteps}",
        )
    if preset.target is not None and not shortened:
        ax.axhline(preset.target, color="tab:red", linestyle=":", linewidth=1, label="target")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("env steps")
    ax.set_ylabel("eval return")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def _fmt(x: float) -> str:
    return f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}"


def _steps(n: float) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def table_row(name: str, preset: Preset, record: dict) -> str:
    summaries = [d["summary"] for d in record["seeds"].values()]
    finals = [s["final_eval_return"] for s in summaries]
    median = statistics.median(finals)
    mean = statistics.fmean(finals)
    std = statistics.pstdev(finals) if len(finals) > 1 else 0.0
    steps = statistics.fmean(s["steps"] for s in summaries)
    wall = statistics.median(s["wall_time_s"] for s in summaries)
    budget = record["budget"]
    shortened = budget < preset.budget
    if preset.target is None:
        target = "—"
    else:
        met = sum(f >= preset.target for f in finals)
        verdict = "**met**" if median >= preset.target and not shortened else "not met"
        target = f"{_fmt(preset.target)}: {verdict} ({met}/{len(finals)} seeds)"
    notes = []
    if shortened:
        notes.append(f"**shortened** ({_steps(budget)} of the preset's {_steps(preset.budget)})")
    early = sum(s["stop_reason"] == "target_return" for s in summaries)
    if early:
        notes.append(f"{early}/{len(summaries)} stopped at the env's target")
    notes.append(f"{_duration(wall)}/seed (median wall, {record.get('jobs', 1)} at a time)")
    if record.get("note"):
        notes.append(record["note"])
    zoo = preset.zoo
    algo = "" if zoo is None or zoo.algo == "ppo" else f"{zoo.algo.upper()} "
    zoo_cell = (
        f"{_fmt(zoo.mean)} ± {_fmt(zoo.std)} ({algo}{zoo.env_id}, {zoo.timesteps})"
        if zoo
        else "not found"
    )
    return (
        f"| `{name}` | {preset.env_id} | {_steps(budget)} (mean {_steps(steps)} run) "
        f"| {len(finals)} | **{_fmt(median)}** | {_fmt(mean)} ± {_fmt(std)} | {target} "
        f"| {zoo_cell} | {'; '.join(notes)} "
        f"| [curve](results/{preset.curve}.png) |"
    )


def _provenance(records: list[dict]) -> list[str]:
    lines = []
    for record in records:
        m = record.get("machine", {})
        versions = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
        dates = sorted(d["finished"][:10] for d in record["seeds"].values())
        when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        lines.append(
            f"- `{record['preset']}`: {when}, {m.get('cores', '?')} cores "
            f"({m.get('cpu', '?')}), Python {m.get('python', '?')}, {versions}, "
            f"harvested at commit {m.get('commit') or '?'}"
        )
    return lines


DQN_NOTES = [
    "- DQN presets run Double DQN (the zoo: plain DQN) with a Huber loss on the env's",
    "  parallel envs (CartPole 64, LunarLander 16, Atari 8) instead of the zoo's single",
    "  env; the zoo has no dueling or AL entry, so `*_dueling_al` rows sit beside the",
    "  zoo's plain-DQN number. CartPole uses advrun's own faster DQN defaults (the zoo's",
    "  gradient-to-env-step ratio, 1/4); LunarLander the zoo's entry with a quarter of its",
    "  gradient steps on 4x the batch and a longer budget that stops at 200; Atari a",
    "  100k-transition replay buffer (stacked uint8 frames, 2.8 GB) instead of 1M. Each",
    "  preset file lists its departures. DQN's evaluation is greedy, Atari included.",
]


def report(data_dir: Path, docs: Path) -> str:
    """Render ``docs/results.md`` and the PNGs from the harvested records."""
    rows, commands, records = [], [], []
    for name, preset in PRESETS.items():
        record_file = data_dir / f"{name}.json"
        if not record_file.exists():
            continue
        record = json.loads(record_file.read_text())
        records.append(record)
        plot_curves(name, preset, record, docs / "results" / f"{preset.curve}.png")
        rows.append(table_row(name, preset, record))
        if record.get("command"):
            commands.append(f"    {record['command']}")
    text = "\n".join(
        [
            "# Preset results",
            "",
            "Generated by `python scripts/bench_presets.py` (commands below); every number",
            "and curve comes from runs of that script on the machine listed under",
            "*Provenance*, and is re-rendered from the per-seed records it keeps in",
            "[results/data/](results/data/) (`--report-only`). *Final eval return*: the last",
            "evaluation of each seed (deterministic policy over `eval.episodes` episodes,",
            "stochastic for Atari); the **median** over seeds is what the target is judged",
            "on, mean ± std is across seeds. Runs stop early once the env's solved",
            "threshold is reached (`early_stop.target_return`), so the final return is then",
            "the first eval at or above it. *Target*: the bar issue 6 sets (Acrobot −100,",
            "LunarLander 200, Pendulum −250, HalfCheetah 1,500 within the preset's budget),",
            "else the env's solved threshold.",
            "",
            "*Zoo*: RL Baselines3 Zoo's published result for the same task and algorithm",
            f"(PPO, or DQN where the cell says so) from [benchmark.md]({ZOO_BENCHMARK}) — one",
            "trained agent, mean ± std over its eval episodes, with the budget it was trained",
            "for; the zoo used older env versions (LunarLander-v2, MuJoCo v3,",
            "`*NoFrameskip-v4`). Preset hyperparameters follow",
            f"[hyperparams/ppo.yml]({ZOO_HYPERPARAMS}) and",
            f"[hyperparams/dqn.yml]({ZOO_DQN_HYPERPARAMS}) (each preset file cites its entry).",
            "",
            "Where advrun's presets differ from the zoo's entries, and why:",
            "",
            "- `value_coef` is twice the zoo's `vf_coef`: advrun's value loss is ½·MSE",
            "  (CleanRL's convention), SB3's is MSE, so this gives the same loss.",
            "- Advantages are standardised over the whole rollout batch, SB3 does it per",
            "  minibatch.",
            "- Pendulum: the zoo explores with gSDE, which advrun does not implement; the",
            "  preset uses Gaussian noise and a different rollout shape (see its file).",
            "  CartPole and Acrobot use advrun's own faster settings (see their files).",
            "- Budgets: the zoo trained Pendulum for 100k and CartPole for 100k steps;",
            "  these presets allow more but stop at the solved threshold.",
            "- Atari runs on ale-py's `ALE/<Game>-v5` with `repeat_action_probability=0`",
            "  and the zoo's AtariWrapper pipeline rebuilt natively (the zoo: `NoFrameskip-v4`).",
            "- Hopper: `gamma` 0.99 and `gae_lambda` 0.95 instead of the zoo's 0.999 / 0.99.",
            "  With the zoo's values every seed learns to balance in place within ~20k steps",
            "  (return ≈ the healthy bonus × 1,000 steps) and stays there: advrun 3/3 seeds",
            "  to 1M (median 985); SB3 2.9.2 itself on Hopper-v5 with the same values never",
            "  hopped either (2 seeds), nor did the zoo's 5 Hopper-v3 seeds in zoo issue #376;",
            "  the zoo's published agent hopped only near the end of its run. At 300k steps",
            "  gamma 0.99 alone hops and `gae_lambda` 0.95 alone still stands: the discount",
            "  is the cause.",
            "- Acrobot: GAE's λ is left at its default 0.95 (the zoo: 0.94) so that the",
            "  preset composes with every estimator (docs/estimators.md); measured with 0.94",
            "  on 2026-11-25 the median was −91.0.",
            *DQN_NOTES,
            "",
            "| preset | env | budget | seeds | median final eval | mean ± std | target "
            "| zoo published (env, budget) | notes | curve |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Reproduce (runs that already finished under `outputs/bench/` are reused):",
            "",
            *dict.fromkeys(commands),
            "",
            "Provenance (when each preset's seeds finished, where, with what):",
            "",
            *_provenance(records),
            "",
        ]
    )
    (docs / "results.md").write_text(text)
    return text


def smaller_than_committed(old: dict | None, new: dict) -> str | None:
    """Why ``new`` must not replace the committed record ``old`` (None: it may).

    A record is smaller when it has fewer seeds or a smaller budget: a quick check
    (``--seeds 1 --budget 20000``) must not silently overwrite a 3-seed, full-budget
    result and its table row and PNG."""
    if old is None:
        return None
    old_seeds, new_seeds = len(old.get("seeds", {})), len(new.get("seeds", {}))
    old_budget, new_budget = old.get("budget") or 0, new.get("budget") or 0
    if new_seeds < old_seeds or new_budget < old_budget:
        return (
            f"this run has {new_seeds} seed(s) at {new_budget:,} steps, the committed "
            f"record {old_seeds} seed(s) at {old_budget:,}"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--preset",
        action="append",
        choices=sorted(PRESETS),
        default=[],
        help="preset to train (repeat the flag for several); required unless --report-only",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds per preset")
    parser.add_argument(
        "--budget", type=int, help="override total_steps (shortened run; default: the preset's)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs trained at the same time")
    parser.add_argument("--note", default="", help="free text for the table's notes column")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench", help="run dirs")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="docs folder written")
    parser.add_argument(
        "--report-only", action="store_true", help="re-render the docs from the records only"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a committed record even with a smaller run (fewer seeds or budget)",
    )
    parser.add_argument("overrides", nargs="*", help="extra advrun overrides for every run")
    args = parser.parse_args(argv)
    data_dir = args.docs / "results" / "data"
    if not args.report_only and not args.preset:
        parser.error(
            "name the presets to train with --preset (e.g. --preset ppo_cartpole "
            "--seeds 1 2 3), or re-render the docs from the committed records with "
            "--report-only"
        )

    if not args.report_only:
        command = "python scripts/bench_presets.py " + shlex.join(
            sys.argv[1:] if argv is None else argv
        )
        jobs = [(name, seed) for name in args.preset for seed in args.seeds]

        def train(job: tuple[str, int]) -> None:
            name, seed = job
            start = time.perf_counter()
            run_dir = args.out / name / f"seed{seed}"
            s = run_one(name, seed, args.budget, run_dir, args.overrides)
            print(
                f"{name} seed {seed}: final {s['final_eval_return']:.1f} after "
                f"{s['steps']} steps ({time.perf_counter() - start:.0f}s)",
                flush=True,
            )

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(train, jobs))  # re-raises the first failure
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in args.preset:
            meta = {
                "budget": args.budget or PRESETS[name].budget,
                "note": args.note,
                "command": command,
                "jobs": min(max(1, args.jobs), len(jobs)),
                "machine": machine(),
            }
            record = harvest(args.out, name, meta)
            if record is None:
                continue
            path = data_dir / f"{name}.json"
            old = json.loads(path.read_text()) if path.exists() else None
            why = smaller_than_committed(old, record)
            if why and not args.force:
                print(
                    f"{name}: kept {path} ({why}); the docs are not changed for it. "
                    "--force replaces it.",
                    flush=True,
                )
                continue
            path.write_text(json.dumps(record, indent=1) + "\n")
    print(report(data_dir, args.docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
