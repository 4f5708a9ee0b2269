"""``advrun <command> [hydra args]``: a thin dispatcher.

It picks the subcommand from ``argv[1]``, rewrites ``sys.argv`` and calls that
command's ``@hydra.main`` task, so ``-m``/``--multirun``, ``--help``, ``--cfg`` and
every sweeper/launcher plugin behave exactly as in a plain Hydra app.
"""

from __future__ import annotations

import importlib
import os
import sys

from advrun.commands import errors
from advrun.commands.preflight import check_output_dirs
from advrun.config.errors import ConfigError

COMMANDS = {
    "train": ("advrun.commands.train", "train", "train a policy: advrun train env=cartpole"),
    "eval": (
        "advrun.commands.evaluate",
        "evaluate",
        "play a trained policy: advrun eval run=<run dir> [episodes=20]",
    ),
    "export": (
        "advrun.commands.export",
        "export",
        "write a policy file: advrun export run=<run dir> format=onnx|torchscript",
    ),
    "report": (
        "advrun.commands.report",
        "report",
        "compare a sweep's members: advrun report <sweep dir> [--group-by advantage]; "
        "render docs from records: advrun report --from-records F.json --markdown OUT.md",
    ),
}

USAGE = """usage: advrun <command> [key=value ...] [hydra flags]

Config-driven experiment runner for advantage-based RL (REINFORCE, A2C, PPO).

commands:
{commands}

examples:
  advrun train env=cartpole
  advrun train -m advantage=gae,nstep,mc seed=1,2,3
  advrun train experiment=ppo_pendulum   # (or +experiment=ppo_pendulum)
  advrun eval run=outputs/runs/<date>/<run> episodes=20
  advrun export run=outputs/runs/<date>/<run> format=onnx
  advrun report outputs/multirun/<date>/<sweep> --group-by advantage
  advrun train --help        # Hydra's config groups and options

options:
  --verbose   after a runtime fault's one-paragraph message, print its traceback
              (HYDRA_FULL_ERROR=1 does the same)
"""


def usage() -> str:
    lines = [f"  {name:<7} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def _experiment_alias(arg: str) -> str:
    """``+experiment=X`` (the spelling sheeprl and lightning-hydra-template users type)
    means ``experiment=X`` here: the group already has a ``null`` default, so Hydra's
    append syntax would fail with "Multiple values for experiment"."""
    return arg[1:] if arg.startswith("+experiment=") else arg


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return
    # --verbose is ours, not Hydra's: runtime faults then show their traceback.
    errors.verbose = "--verbose" in args or os.environ.get("HYDRA_FULL_ERROR") == "1"
    args = [a for a in args if a != "--verbose"]
    if not args:
        print(usage())
        return
    name = args[0]
    if name not in COMMANDS:
        sys.stderr.write(f"advrun: unknown command {name!r}.\n\n{usage()}")
        raise SystemExit(2)
    if name == "train" and not {"--help", "-h", "--cfg", "-c", "--info"} & set(args):
        try:
            check_output_dirs(args[1:])
        except ConfigError as err:
            sys.stderr.write(f"advrun: {err}\n")
            raise SystemExit(errors.EXIT_BAD_INPUT) from None
    if name == "train":
        args = [_experiment_alias(a) for a in args]
    module_name, attr, _ = COMMANDS[name]
    task = getattr(importlib.import_module(module_name), attr)
    saved_argv = sys.argv
    sys.argv = [f"advrun-{name}", *args[1:]]
    errors.job_started = False
    try:
        task()
    except SystemExit as exit_:
        if exit_.code == 1 and not errors.job_started:
            raise SystemExit(errors.EXIT_BAD_INPUT) from None
        raise
    finally:
        sys.argv = saved_argv
