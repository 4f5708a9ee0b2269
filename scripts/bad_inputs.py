#!/usr/bin/env python
"""Run the installed ``advrun`` console script on bad inputs and tabulate what users see.

Every case must stop before any work with one ``advrun: ...`` paragraph (or Hydra's own
message for composition errors) on stderr and exit status 2:

    python scripts/bad_inputs.py                 # all cases, a Markdown table on stdout
    python scripts/bad_inputs.py --case unknown_env_id --case truncated_checkpoint

"work started?" is yes when the case left a new TensorBoard event file or checkpoint
anywhere under its temporary directory; "dir left?" names any directory a bad-input case
created (a run that never started must leave none). The second part of the table holds
runtime faults: a run that started and then met a broken env, a full disk or NaN/inf.
Those exit 1 (fault) or 3 (non-finite numbers) with one ``advrun:`` paragraph that names
the cause, the fix and the resume command, and ``summary.json`` saying so. Exit status 1
when any case exits with another status than expected, starts work or leaves a directory
where it must not, or runs the crafted checkpoint's payload.
tests/commands/test_bad_inputs.py imports this file and runs the same cases.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Where the user env modules live: the README's example and the broken ones. Cases put
# them on PYTHONPATH, as a user does with their own module.
EXAMPLES = REPO / "docs" / "examples"
USER_ENVS = REPO / "tests" / "envs" / "user_envs"
WITH_USER_ENVS = {"PYTHONPATH": f"{USER_ENVS}{os.pathsep}{EXAMPLES}"}


# The cue envs (tests/envs/user_envs/cue_envs.py) with a given action space.
def cue_env(act: str) -> list[str]:
    return ["env=custom", "env.make=cue_envs:make", f"+env.kwargs.act={act}"]


# Overrides for a run that takes well under a second (the same as tests/conftest.py).
TINY = [
    "total_steps=256",
    "env.num_envs=2",
    "algo.rollout_steps=32",
    "eval.episodes=2",
    "eval.interval=0",
    "checkpoint_interval=0",
    "env.max_episode_steps=50",
    "progress=false",
]
EXIT_BAD_INPUT = 2
MESSAGE_CHARS = 300
HYDRA_HINT = "Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace."

# A missing optional dependency cannot be produced here (box2d is installed), so this
# child process makes gymnasium.make_vec raise what gymnasium raises without Box2D and
# then calls the same entry point as the console script.
SIMULATE_MISSING_BOX2D = """
import sys
import gymnasium
from gymnasium.error import DependencyNotInstalled

def make_vec(*args, **kwargs):
    raise DependencyNotInstalled("Box2D is not installed, run `pip install gymnasium[box2d]`")

gymnasium.make_vec = make_vec
from advrun.cli import main
sys.argv = ["advrun", *sys.argv[1:]]
main()
"""


# Runtime faults: this child registers an env that misbehaves after ``after`` steps of
# one sub-env (``env.kwargs.mode`` picks how) and then runs the console script's entry
# point. With ``--fsize=<bytes>`` it first caps the file size (RLIMIT_FSIZE), so the
# kernel answers a large write with EFBIG: a real fault, not a simulated one.
FAULTY_ENV = """
import math, resource, sys
import gymnasium as gym
import numpy as np

class Faulty(gym.Env):
    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, mode="raise", after=200):
        self.mode, self.after, self.steps = mode, after, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(3, np.float32), {}

    def step(self, action):
        self.steps += 1
        obs, reward = np.zeros(3, np.float32), 1.0
        if self.steps > self.after:
            if self.mode == "raise":
                raise RuntimeError("sensor 3 disconnected")
            if self.mode == "shape":
                obs = np.zeros(5, np.float32)
            if self.mode == "inf_obs":
                obs[1] = np.inf
            if self.mode == "nan_reward":
                reward = math.nan
            if self.mode == "huge_reward":
                reward = 1e38
        return obs, reward, False, False, {}

gym.register("advrun-faults/Faulty-v0", entry_point=Faulty, max_episode_steps=20)
args = [a for a in sys.argv[1:] if not a.startswith("--fsize=")]
for a in sys.argv[1:]:
    if a.startswith("--fsize="):
        limit = int(a.split("=", 1)[1])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from advrun.cli import main
sys.argv = ["advrun", *args]
main()
"""
FAULTY = [
    "env=gym",
    "env.id=advrun-faults/Faulty-v0",
    "env.vectorization=sync",
    "total_steps=4096",
    "checkpoint_interval=128",
]

# As root, chmod cannot make a directory unwritable; this child makes os.access answer
# for the resumed run dir as it would on a read-only mount, then runs the entry point.
SIMULATE_READ_ONLY_RESUME = """
import os, sys
from pathlib import Path
target = Path([a for a in sys.argv if a.startswith("resume=")][0].split("=", 1)[1])
real = os.access
os.access = lambda p, mode: False if Path(p) == target and mode & os.W_OK else real(p, mode)
from advrun.cli import main
sys.argv = ["advrun", *sys.argv[1:]]
main()
"""


@dataclass
class Case:
    """One bad input. ``args`` follow ``advrun``; ``{name}`` placeholders are filled from
    :class:`Context` (``{trained}``, ``{last}``, ``{truncated}``, ``{evil}``, ``{file}``,
    ``{empty}``) and ``{dir}`` (this case's own directory)."""

    name: str
    label: str
    args: list[str]
    # Add ``hydra.run.dir={dir}/run`` (a train run that would otherwise write work).
    run_dir: bool = True
    tiny: bool = True
    # Run through ``python -c <code>`` instead of the console script; ``shown`` is how
    # the table names that program.
    simulated: str | None = None
    shown: str = "python -c <patch make_vec; advrun.cli.main()>"
    # What stderr must mention besides the ``advrun:`` prefix (a key or a word).
    mentions: tuple[str, ...] = ()
    expect: int = EXIT_BAD_INPUT
    # Hydra prints composition errors itself (they name the key, not "advrun:").
    hydra_message: bool = False
    needs_training: bool = False
    # This script holds the (copied) trained run's lock while the case runs: a live
    # writer, as a concurrent run would be.
    hold_lock: bool = False
    # The case must not change any file of the trained run it points at.
    unchanged: bool = False
    # The summary.json status a runtime fault must leave (in ``{dir}/run``).
    status: str | None = None

    @property
    def runtime(self) -> bool:
        return self.status is not None

    # Extra environment variables for the child process (e.g. PYTHONPATH).
    env_vars: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    tmp: Path
    dangling: Path
    trained: Path
    last: Path
    truncated: Path
    evil: Path
    marker: Path
    file: Path
    empty: Path


@dataclass
class Result:
    case: Case
    command: str
    code: int
    stderr: str
    work_started: bool
    marker_created: bool
    left_behind: list[str]
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


CASES: list[Case] = [
    Case(
        "unknown_env_id",
        "unknown env id",
        ["train", "env=gym", "env.id=CartPol-v1"],
        mentions=("env.id", "CartPole-v1"),
    ),
    Case(
        "missing_dependency",
        "missing optional dependency (simulated)",
        # ~tuned: the tuned LunarLander settings' 256 minibatches do not fit the tiny
        # rollout the harness adds, and that config error would come first.
        ["train", "env=lunarlander", "~tuned"],
        simulated=SIMULATE_MISSING_BOX2D,
        mentions=("env.id", "advrun[box2d]"),
    ),
    Case(
        "unknown_group_option",
        "unknown config group option",
        ["train", "env=nosuch"],
        hydra_message=True,
        mentions=("env/nosuch",),
    ),
    Case(
        "wrong_type",
        "wrong type",
        ["train", "advantage.gamma=abc"],
        hydra_message=True,
        mentions=("advantage.gamma",),
    ),
    Case(
        "unknown_key",
        "unknown key",
        ["train", "advantage.gama=0.9"],
        hydra_message=True,
        mentions=("advantage.gama",),
    ),
    Case(
        "unknown_key_appended",
        "unknown key (appended with +)",
        ["train", "+advantage.foo=1"],
        mentions=("advantage.foo",),
    ),
    Case(
        "gamma_above_1",
        "out of range: γ > 1",
        ["train", "advantage.gamma=1.5"],
        mentions=("advantage.gamma",),
    ),
    Case(
        "compile_unknown_mode",
        "unknown torch.compile mode",
        ["train", "compile=fast"],
        mentions=("compile", "reduce-overhead"),
    ),
    Case(
        "lam_negative",
        "out of range: λ < 0",
        ["train", "advantage.lam=-0.1"],
        mentions=("advantage.lam",),
    ),
    Case(
        "lr_zero", "out of range: lr = 0", ["train", "optimizer.lr=0"], mentions=("optimizer.lr",)
    ),
    Case("n_zero", "out of range: n = 0", ["train", "advantage.n=0"], mentions=("advantage.n",)),
    Case(
        "num_envs_zero",
        "out of range: num_envs = 0",
        ["train", "env.num_envs=0"],
        mentions=("env.num_envs",),
    ),
    Case(
        "gamma_nan",
        "non-finite number: γ = nan",
        ["train", "advantage.gamma=nan"],
        mentions=("advantage.gamma",),
    ),
    Case(
        "minibatch_larger_than_batch",
        "incompatible: more minibatches than transitions",
        ["train", "algo.minibatches=4096", "env.num_envs=2", "algo.rollout_steps=8"],
        mentions=("algo.minibatches",),
    ),
    # Estimator x algorithm combinations the registries refuse (their traits: a critic-free
    # group baseline needs an algorithm without V; DQN needs bootstrapped targets), and a
    # group size that does not divide the envs. The message names both options.
    Case(
        "a2c_grpo",
        "incompatible: a2c (needs V) + grpo (no critic)",
        ["train", "algo=a2c", "advantage=grpo", "advantage.group_size=2"],
        mentions=("algo=a2c", "advantage=grpo"),
    ),
    Case(
        "a2c_rloo",
        "incompatible: a2c (needs V) + rloo (no critic)",
        ["train", "algo=a2c", "advantage=rloo", "advantage.group_size=2"],
        mentions=("algo=a2c", "advantage=rloo"),
    ),
    # DQN has no rollout_steps, so these skip the tiny overrides (refused before any work).
    Case(
        "dqn_gae",
        "incompatible: dqn (bootstrapped Q targets) + gae",
        ["train", "algo=dqn", "advantage=gae", "total_steps=256", "progress=false"],
        tiny=False,
        mentions=("algo=dqn", "advantage=gae"),
    ),
    Case(
        "dqn_vtrace",
        "incompatible: dqn + vtrace",
        ["train", "algo=dqn", "advantage=vtrace", "total_steps=256", "progress=false"],
        tiny=False,
        mentions=("algo=dqn", "advantage=vtrace"),
    ),
    Case(
        "dqn_grpo",
        "incompatible: dqn (needs Q targets) + grpo (no critic)",
        ["train", "algo=dqn", "advantage=grpo", "total_steps=256", "progress=false"],
        tiny=False,
        mentions=("algo=dqn", "advantage=grpo"),
    ),
    # Many seeds in one process (seeds=[...]): what a batch does not support yet, and
    # lists it cannot train, are refused before any member dir is made.
    Case(
        "seeds_dqn",
        "seeds with algo=dqn (not supported yet)",
        ["train", "algo=dqn", "seeds=[1,2]", "total_steps=256", "progress=false"],
        tiny=False,
        mentions=("`algo`", "seeds"),
    ),
    Case(
        "seeds_recurrent",
        "seeds with a recurrent network (not supported yet)",
        ["train", "network=lstm", "seeds=[1,2]"],
        mentions=("`network.recurrent`", "seeds"),
    ),
    Case(
        "seeds_grpo",
        "seeds with a group estimator (not supported yet)",
        ["train", "algo=reinforce", "advantage=grpo", "advantage.group_size=2", "seeds=[1,2]"],
        mentions=("`advantage`", "seeds"),
    ),
    Case(
        "seeds_with_seed",
        "seed and seeds together",
        ["train", "seed=3", "seeds=[1,2]"],
        mentions=("`seed`", "seeds"),
    ),
    Case(
        "seeds_duplicate",
        "a seed listed twice in seeds",
        ["train", "seeds=[1,2,1]"],
        mentions=("`seeds`", "[1]"),
    ),
    Case(
        "seeds_empty",
        "an empty seeds list",
        ["train", "seeds=[]"],
        mentions=("`seeds`", "empty"),
    ),
    Case(
        "group_size_not_dividing",
        "incompatible: advantage.group_size 3 with env.num_envs 4",
        ["train", "advantage=rloo", "advantage.group_size=3", "env.num_envs=4"],
        mentions=("advantage.group_size", "env.num_envs"),
    ),
    Case(
        "checkpoint_other_shape",
        "init.checkpoint from another network shape",
        ["train", "init.checkpoint={last}", "network.hidden_sizes=[32]"],
        mentions=("init.checkpoint",),
        needs_training=True,
    ),
    Case(
        "eval_missing_checkpoint",
        "eval of a missing checkpoint",
        ["eval", "checkpoint=/nonexistent.pt"],
        run_dir=False,
        tiny=False,
        mentions=("/nonexistent.pt",),
    ),
    Case(
        "truncated_checkpoint",
        "eval of a truncated checkpoint",
        ["eval", "checkpoint={truncated}"],
        run_dir=False,
        tiny=False,
        mentions=("truncated",),
        needs_training=True,
    ),
    Case(
        "malicious_checkpoint",
        "eval of a checkpoint crafted to run code on load",
        ["eval", "checkpoint={evil}"],
        run_dir=False,
        tiny=False,
        mentions=("refuses to unpickle",),
    ),
    Case(
        "unwritable_output_dir",
        "unwritable output dir (under a regular file)",
        ["train", "hydra.run.dir={file}/run"],
        run_dir=False,
        mentions=("hydra.run.dir",),
    ),
    Case(
        "resume_change_gamma",
        "resume changing a non-resumable key",
        ["train", "resume={trained}", "advantage.gamma=0.5"],
        run_dir=False,
        tiny=False,
        mentions=("advantage.gamma",),
        needs_training=True,
    ),
    Case(
        "resume_without_checkpoint",
        "resume of a dir without checkpoints",
        ["train", "resume={empty}"],
        run_dir=False,
        tiny=False,
        mentions=("last.pt",),
    ),
    Case(
        "cuda_without_gpu",
        "device=cuda without a GPU" + ("" if not _cuda_available() else " (GPU present: runs)"),
        ["train", "device=cuda"],
        mentions=("device",) if not _cuda_available() else (),
        expect=EXIT_BAD_INPUT if not _cuda_available() else 0,
    ),
    Case(
        "freeze_unknown_layer",
        "init.freeze names no layer",
        ["train", "init.freeze=[nosuchlayer]"],
        mentions=("init.freeze",),
    ),
    Case(
        "total_steps_below_num_envs",
        "total_steps below one step of the vector env",
        ["train", "env.num_envs=100000", "total_steps=20000"],
        mentions=("total_steps", "overshoot"),
    ),
    Case(
        "dangling_symlink_run_dir",
        "hydra.run.dir is a dangling symlink",
        ["train", "hydra.run.dir={dangling}"],
        run_dir=False,
        mentions=("hydra.run.dir", "does not exist"),
    ),
    Case(
        "resume_live_run",
        "resume of a run another process is writing",
        ["train", "resume={trained}"],
        run_dir=False,
        tiny=False,
        hold_lock=True,
        unchanged=True,
        mentions=("resume", "in use by another advrun process", "pid "),
        needs_training=True,
    ),
    Case(
        "resume_read_only",
        "resume of a read-only run dir (simulated)",
        ["train", "resume={trained}"],
        run_dir=False,
        tiny=False,
        simulated=SIMULATE_READ_ONLY_RESUME,
        shown="python -c <os.access says read-only; advrun.cli.main()>",
        unchanged=True,
        mentions=("resume", "not writable"),
        needs_training=True,
    ),
    Case(
        "resume_completed",
        "resume of a completed run (nothing to do)",
        ["train", "resume={trained}"],
        run_dir=False,
        tiny=False,
        unchanged=True,
        mentions=("is complete", "nothing to do", "total_steps="),
        expect=0,
        needs_training=True,
    ),
    # -- the user's own env (README: "Your own environment") ---------------------------
    Case(
        "custom_module_import_error",
        "env module that fails to import (module:EnvId)",
        ["train", "env=gym", "env.id=broken_import:NeverRegistered-v0"],
        env_vars=WITH_USER_ENVS,
        mentions=("env.id", "ZeroDivisionError: division by zero", "broken_import.py:8"),
    ),
    Case(
        "custom_module_not_on_path",
        "env module not on PYTHONPATH",
        ["train", "env=gym", "env.id=corridor:Corridor-v0"],
        mentions=("env.id", "no module named 'corridor'", "PYTHONPATH"),
    ),
    Case(
        "custom_id_not_registered",
        "module:EnvId whose module does not register EnvId",
        ["train", "env=gym", "env.id=corridor:Coridor-v0"],
        env_vars=WITH_USER_ENVS,
        mentions=("env.id", "corridor:Corridor-v0"),
    ),
    Case(
        "make_import_error",
        "env.make whose module fails to import",
        ["train", "env=custom", "env.make=broken_import:make"],
        env_vars=WITH_USER_ENVS,
        mentions=("env.make", "ZeroDivisionError", "broken_import.py:8"),
    ),
    Case(
        "make_not_an_import_path",
        "env.make without :callable",
        ["train", "env=custom", "env.make=corridor"],
        mentions=("env.make", "pkg.module:callable"),
    ),
    Case(
        "make_returns_no_env",
        "env.make returning something else than an env",
        ["train", "env=custom", "env.make=broken_envs:make_not_an_env"],
        env_vars=WITH_USER_ENVS,
        mentions=("env.make", "not a gymnasium.Env"),
    ),
    Case(
        "wrapper_import_error",
        "env.wrappers entry whose module fails to import",
        ["train", "env.wrappers=[{{_target_:broken_import.Wrapper}}]"],  # {{ }}: str.format
        env_vars=WITH_USER_ENVS,
        mentions=("env.wrappers[0]", "ZeroDivisionError", "broken_import.py:8"),
    ),
    Case(
        "wrapper_without_target",
        "env.wrappers entry without _target_",
        ["train", "env.wrappers=[{{min_reward:0}}]"],
        mentions=("env.wrappers[0]", "_target_"),
    ),
    *[
        Case(
            f"check_{bug}",
            f"env check: {label}",
            ["train", "env=gym", f"env.id=broken_envs:Broken-{bug.replace('_', '')}-v0"],
            env_vars=WITH_USER_ENVS,
            mentions=("env.id", check, where),
        )
        for bug, label, check, where in (
            ("dtype", "float64 obs for a float32 space", "observation in", "first reset"),
            ("shape", "obs of the wrong shape", "observation in", "first reset"),
            ("out_of_bounds", "obs outside its Box", "observation in", "step 3"),
            ("nan_reward", "NaN reward", "reward is a finite scalar", "step 3"),
            ("array_reward", "reward of shape (1,)", "reward is a finite scalar", "step 3"),
            ("old_step", "old 4-tuple step", "4-tuple", "step 1"),
            ("old_reset", "reset returning obs only", "reset returns (obs, info)", "reset"),
        )
    ],
    Case(
        "check_via_make",
        "env check on an env.make factory (4-tuple step)",
        ["train", "env=custom", "env.make=broken_envs:make_walker", "+env.kwargs.bug=old_step"],
        env_vars=WITH_USER_ENVS,
        mentions=("env.make", "4-tuple", "step 1"),
    ),
    # -- spaces and recurrent policies: refused space x algo combos ----------------------
    *[
        Case(
            f"dqn_{act}_actions",
            f"algo=dqn on {space} actions",
            [
                "train",
                "algo=dqn",
                *env,
                "total_steps=256",
                "eval.interval=0",
                "checkpoint_interval=0",
                "progress=false",
            ],
            tiny=False,
            env_vars=WITH_USER_ENVS,
            mentions=("`algo`", "algo=dqn", space),
        )
        for act, space, env in (
            ("box", "Box", ["env=pendulum"]),
            ("multi_discrete", "MultiDiscrete", cue_env("multi_discrete")),
            ("multi_binary", "MultiBinary", cue_env("multi_binary")),
        )
    ],
    Case(
        "lstm_with_dqn",
        "network=lstm with algo=dqn",
        ["train", "algo=dqn", "network=lstm", "total_steps=256", "progress=false"],
        tiny=False,
        mentions=("network.recurrent", "algo=dqn", "algo=ppo|a2c|reinforce"),
    ),
    Case(
        "lstm_minibatches_over_envs",
        "network=lstm with more minibatches than envs",
        ["train", "network=lstm", "algo.minibatches=4"],
        mentions=("algo.minibatches", "whole env sequences", "env.num_envs=2"),
    ),
    Case(
        "unknown_recurrent_cell",
        "network.recurrent=rnn",
        ["train", "network=lstm", "network.recurrent=rnn"],
        mentions=("network.recurrent", "lstm, gru"),
    ),
    # -- runtime faults: the run started, then this happened ---------------------------
    Case(
        "env_raises",
        "runtime: the env raises mid-run",
        ["train", *FAULTY],
        simulated=FAULTY_ENV,
        shown="python -c <register a faulty env; advrun.cli.main()>",
        mentions=("raised RuntimeError: sensor 3 disconnected", "resume=", "Last good"),
        expect=1,
        status="failed",
    ),
    Case(
        "env_wrong_shape",
        "runtime: an observation of the wrong shape",
        ["train", *FAULTY, "+env.kwargs.mode=shape"],
        simulated=FAULTY_ENV,
        shown="python -c <register a faulty env; advrun.cli.main()>",
        mentions=("shape", "resume=", "Last good"),
        expect=1,
        status="failed",
    ),
    Case(
        "env_inf_observation",
        "runtime: inf in an observation (obs normalisation on)",
        ["train", *FAULTY, "+env.kwargs.mode=inf_obs", "network.normalize_obs=true"],
        simulated=FAULTY_ENV,
        shown="python -c <register a faulty env; advrun.cli.main()>",
        mentions=("non-finite observation[1]", "at env step", "resume=", "Last good"),
        expect=3,
        status="diverged",
    ),
    Case(
        "env_nan_reward",
        "runtime: NaN reward",
        ["train", *FAULTY, "+env.kwargs.mode=nan_reward"],
        simulated=FAULTY_ENV,
        shown="python -c <register a faulty env; advrun.cli.main()>",
        mentions=("non-finite reward", "resume=", "Last good"),
        expect=3,
        status="diverged",
    ),
    Case(
        "loss_overflow",
        "runtime: the loss overflows (reward 1e38)",
        ["train", *FAULTY, "+env.kwargs.mode=huge_reward"],
        simulated=FAULTY_ENV,
        shown="python -c <register a faulty env; advrun.cli.main()>",
        mentions=("training diverged at step", "optimizer.lr=", "Last good"),
        expect=3,
        status="diverged",
    ),
    Case(
        "file_too_large",
        "runtime: a checkpoint write fails with EFBIG (real RLIMIT_FSIZE)",
        [
            "train",
            "--fsize=524288",
            "network.hidden_sizes=[512,512]",
            "total_steps=1024",
            "checkpoint_interval=256",
        ],
        simulated=FAULTY_ENV,
        shown="python -c <cap file size at 512 KiB; advrun.cli.main()>",
        mentions=("EFBIG", "resume="),
        expect=1,
        status="failed",
    ),
]


def advrun_executable() -> str:
    local = Path(sys.executable).with_name("advrun")
    return str(local) if local.exists() else (shutil.which("advrun") or "advrun")


def _write_evil_checkpoint(path: Path, marker: Path) -> None:
    """A real torch zip checkpoint whose ``model`` entry runs ``touch marker`` when
    unpickled by a loader that allows arbitrary globals."""
    import pickle

    import torch

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, (f"touch {marker}",)

    torch.save({"format_version": 1, "model": Evil(), "config": {}}, path, pickle_module=pickle)


def prepare(tmp: Path, *, train: bool = True) -> Context:
    """Files the cases need. ``train`` runs one tiny real training run (a few seconds)."""
    tmp.mkdir(parents=True, exist_ok=True)
    trained = tmp / "trained"
    last = trained / "checkpoints" / "last.pt"
    truncated = tmp / "truncated.pt"
    if train and not last.is_file():
        subprocess.run(
            [advrun_executable(), "train", *TINY, "device=cpu", f"hydra.run.dir={trained}"],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        data = last.read_bytes()
        truncated.write_bytes(data[: len(data) // 2])
    marker = tmp / "MARKER"
    evil = tmp / "evil.pt"
    _write_evil_checkpoint(evil, marker)
    regular = tmp / "a_regular_file"
    regular.write_text("not a directory\n")
    empty = tmp / "empty_run"
    empty.mkdir(exist_ok=True)
    dangling = tmp / "dangling"
    if not dangling.is_symlink():
        dangling.symlink_to(tmp / "nowhere" / "run")
    return Context(tmp, dangling, trained, last, truncated, evil, marker, regular, empty)


def _dirs(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()}


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _work_files(root: Path) -> set[Path]:
    return {
        p for p in root.rglob("*") if p.name.startswith("events.out.tfevents") or p.suffix == ".pt"
    }


def build_argv(case: Case, ctx: Context, case_dir: Path) -> tuple[list[str], list[str]]:
    """The full argv after ``advrun`` and the case's own arguments (for display).

    Each case works in its own directory: a case that resumes ``{trained}`` gets a copy
    of the trained run, so cases can run in parallel and "work started?" only has to
    look at the case's directory."""
    values = {k: str(v) for k, v in vars(ctx).items()} | {"dir": str(case_dir)}
    if any("{trained}" in a for a in case.args):
        own = case_dir / "trained"
        if not own.exists():
            shutil.copytree(ctx.trained, own)
        values["trained"] = str(own)
    if any("{empty}" in a for a in case.args):
        (case_dir / "empty_run").mkdir(exist_ok=True)
        values["empty"] = str(case_dir / "empty_run")
    own_args = [a.format(**values) for a in case.args[1:]]
    keys = {a.split("=")[0] for a in own_args}
    tiny = [a for a in TINY if a.split("=")[0] not in keys] if case.tiny else []
    run_dir = [f"hydra.run.dir={case_dir / 'run'}"] if case.run_dir else []
    return [case.args[0], *tiny, *own_args, *run_dir], [case.args[0], *own_args, *run_dir]


def display(case: Case, ctx: Context, shown: list[str]) -> str:
    """The command with the tiny overrides folded to ``<tiny>`` and temp paths shortened."""
    shown = list(shown)
    if case.tiny:
        shown.insert(1, "<tiny>")
    text = " ".join(shown).replace(str(ctx.tmp / "cases" / case.name), "<dir>")
    text = text.replace(str(ctx.tmp), "<tmp>")
    prog = case.shown if case.simulated else "advrun"
    env = " ".join(f"{k}={v}" for k, v in case.env_vars.items()).replace(str(REPO), "<repo>")
    return f"{env + ' ' if env else ''}{prog} {text}"


def run_case(case: Case, ctx: Context, timeout: float = 300) -> Result:
    case_dir = ctx.tmp / "cases" / case.name
    case_dir.mkdir(parents=True, exist_ok=True)
    args, shown = build_argv(case, ctx, case_dir)
    if case.simulated:
        argv = [sys.executable, "-c", case.simulated, *args]
    else:
        argv = [advrun_executable(), *args]
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"} | case.env_vars
    trained = case_dir / "trained"
    before, dirs_before = _work_files(case_dir), _dirs(case_dir)
    contents = _contents(trained) if case.unchanged else {}
    lock = None
    if case.hold_lock:
        from advrun.storage.lock import RunDirLock

        lock = RunDirLock(trained).acquire()
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv, cwd=case_dir, capture_output=True, text=True, timeout=timeout, env=env
        )
    finally:
        if lock is not None:
            lock.release()
    seconds = time.perf_counter() - start
    result = Result(
        case,
        display(case, ctx, shown),
        proc.returncode,
        proc.stderr,
        bool(_work_files(case_dir) - before),
        ctx.marker.exists(),
        sorted(str(p.relative_to(case_dir)) for p in _dirs(case_dir) - dirs_before),
        seconds,
    )
    if case.unchanged and _contents(trained) != contents:
        result.problems.append("changed the trained run's files")
    if case.runtime:
        _judge_runtime(result, case_dir / "run")
    else:
        _judge(result)
    return result


def run_cases(cases: list[Case], ctx: Context, jobs: int = 1) -> list[Result]:
    """Run ``cases`` (``jobs`` subprocesses at a time); results in the order given."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda c: run_case(c, ctx), cases))


def _judge(r: Result) -> None:
    case, err = r.case, r.stderr
    if r.code != case.expect:
        r.problems.append(f"exit {r.code}, expected {case.expect}")
    if r.marker_created:
        r.problems.append("the crafted checkpoint's payload ran")
    if (case.expect == EXIT_BAD_INPUT or case.unchanged) and r.left_behind:
        r.problems.append(f"left {', '.join(r.left_behind)} behind")
    missing = [m for m in case.mentions if m not in err]
    if missing:
        r.problems.append(f"stderr does not mention {', '.join(missing)}")
    if case.expect == EXIT_BAD_INPUT:
        if r.work_started:
            r.problems.append("work started (tfevents or checkpoint written)")
        if "Traceback" in err:
            r.problems.append("traceback on stderr")
        if not case.hydra_message and not err.startswith("advrun: "):
            r.problems.append("stderr does not start with 'advrun: '")


def _judge_runtime(r: Result, run_dir: Path) -> None:
    """A runtime fault: the expected exit code, one clean paragraph naming the cause
    and the way on, and summary.json recording it."""
    case, err = r.case, r.stderr
    if r.code != case.expect:
        r.problems.append(f"exit {r.code}, expected {case.expect}")
    if "Traceback" in err:
        r.problems.append("traceback on stderr")
    if not err.startswith("advrun: "):
        r.problems.append("stderr does not start with 'advrun: '")
    missing = [m for m in case.mentions if m not in err]
    if missing:
        r.problems.append(f"stderr does not mention {', '.join(missing)}")
    try:
        status = json.loads((run_dir / "summary.json").read_text()).get("status")
    except (OSError, ValueError):
        status = None
    if status != case.status:
        r.problems.append(f"summary.json status {status!r}, expected {case.status!r}")


def message(stderr: str) -> str:
    text = " ".join(stderr.split())
    text = text.replace(HYDRA_HINT, "")
    return text.strip()[:MESSAGE_CHARS]


def table(results: list[Result]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| input | command | exit code | work started? | dir left? | message |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        code = str(r.code) if r.ok else f"{r.code} ✗ ({'; '.join(r.problems)})"
        left = "run (fault recorded)" if r.case.runtime else ("yes" if r.left_behind else "no")
        lines.append(
            f"| {cell(r.case.label)} | `{cell(r.command)}` | {cell(code)} | "
            f"{'yes' if r.work_started else 'no'} | {left} | {cell(message(r.stderr))} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="cases run at once (default: cores)"
    )
    opts = parser.parse_args(argv)
    cases = [c for c in CASES if not opts.case or c.name in opts.case]
    tmp = Path(tempfile.mkdtemp(prefix="advrun-bad-inputs-"))
    try:
        ctx = prepare(tmp, train=any(c.needs_training for c in cases))
        start = time.perf_counter()
        results = run_cases(cases, ctx, opts.jobs)
        wall = time.perf_counter() - start
    finally:
        if not opts.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(table(results))
    bad = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(bad)}/{len(results)} cases as expected ({wall:.0f} s).")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
