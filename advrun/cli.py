"""``advrun <command> [hydra args]``: a thin dispatcher.

It picks the subcommand from ``argv[1]``, rewrites ``sys.argv`` and calls that
command's ``@hydra.main`` task, so ``-m``/``--multirun``, ``--help``, ``--cfg`` and
every sweeper/launcher plugin behave exactly as in a plain Hydra app.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

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


# Hydra flags that print help and exit before any task runs.
HELP_FLAGS = {"--help", "-h", "--hydra-help"}
# The commands that are Hydra apps (report parses its own arguments).
HYDRA_COMMANDS = {"train", "eval", "export"}


def usage() -> str:
    lines = [f"  {name:<7} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def _experiment_alias(arg: str) -> str:
    """``+experiment=X`` (the spelling sheeprl and lightning-hydra-template users type)
    means ``experiment=X`` here: the group already has a ``null`` default, so Hydra's
    append syntax would fail with "Multiple values for experiment"."""
    if arg.startswith("+experiment="):
        return arg[1:]
    # `tuned` is an optional group picked by interpolation (conf/train.yaml); Hydra
    # refuses `tuned=null` there with a ValueError traceback, so it means `~tuned`.
    if arg in ("tuned=null", "tuned=none", "tuned=None"):
        return "~tuned"
    return arg


# Groups that take one config each, with an example name for the error's fix.
LIST_REFUSED = {"env": "cartpole", "algo": "ppo", "advantage": "gae", "tuned": "ppo_gae_pendulum"}
# An example option name for the other groups' errors, where advrun has one.
EXAMPLES = {"network": "mlp", "optimizer": "adam", "experiment": "ppo_cartpole"}


def _other_groups() -> frozenset[str]:
    """The config groups an override selects options of, besides
    :data:`LIST_REFUSED`: the shipped ``conf/``'s groups (read once, when a list value
    is first seen, so a new group is covered without a hand-kept list; Hydra's own
    groups, e.g. ``hydra/launcher``, are recognised by their ``/``)."""
    from advrun.config.paths import config_groups

    return config_groups() - set(LIST_REFUSED)


def _refuse_group_lists(args: list[str]) -> None:
    """A list for a config group, before Hydra sees it:

    * ``env/algo/advantage=[...]`` would select several configs of the group; these
      three also name the tuned file (``tuned: ${algo}_${advantage}_${env}``), where
      Hydra fails on a list with a TypeError traceback, as it does on ``tuned=[...]``
      itself. One value each (a sweep lists them with -m).
    * any other group's list must list option names: Hydra fails on any other element
      (``optimizer=[0,-1]``, ``network=[null]``, ``hydra/launcher=[[a]]``) with a
      TypeError traceback. Lists of names (``network=[mlp]``) are Hydra's to compose."""
    for arg in args:
        key, sep, value = arg.partition("=")
        group = key.lstrip("+~")
        if not (sep and value.lstrip().startswith("[")):
            continue
        if group in LIST_REFUSED:
            sys.stderr.write(
                f"advrun: Invalid config `{group}`: {arg!r} selects a list of {group} "
                f"configs; a run takes one. Fix: give one name, e.g. {group}="
                f"{LIST_REFUSED[group]}, or "
                f"sweep several with -m {group}=a,b.\n"
            )
            raise SystemExit(2)
        if "/" in group or group in _other_groups():
            from hydra.core.override_parser.overrides_parser import OverridesParser

            try:
                parsed = OverridesParser.create().parse_override(arg).value()
            except Exception:  # not an override at all: Hydra's parser names it
                continue
            if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
                continue
            example = EXAMPLES.get(group, "<an option's name>")
            sys.stderr.write(
                f"advrun: Invalid config `{group}`: {arg!r} is not a list of {group} option "
                f"names. Fix: give one name, e.g. {group}={example}, or sweep several with "
                f"-m {group}=a,b.\n"
            )
            raise SystemExit(2)


def _refuse_keyless(args: list[str]) -> None:
    """An override with nothing between its prefix and ``=`` (``~``, ``+=1``, ``=x``):
    Hydra's own message (``Could not delete ''``) names neither the argument nor a fix."""
    for arg in args:
        if arg.startswith("-") or not arg.strip():
            continue
        key = arg.partition("=")[0].lstrip("+~")
        if not key.strip():
            sys.stderr.write(
                f"advrun: Invalid override {arg!r}: it names no config key. Fix: write the "
                f"key after the prefix: key=value sets one, +key=value adds one, ~group "
                f"drops a config group (e.g. ~tuned).\n"
            )
            raise SystemExit(2)


def precheck_overrides(args: list[str]) -> None:
    """What ``advrun train`` refuses before Hydra composes anything (exit 2)."""
    _refuse_keyless(args)
    _refuse_group_lists(args)


def _print_help(name: str, args: list[str]) -> bool:
    """``advrun <command> --help`` without Hydra's slow group scan (see
    :func:`advrun.config.help.command_help`); False when Hydra must print it."""
    from advrun.config.help import command_help

    config_name = {"train": "train", "eval": "eval", "export": "export"}[name]
    text = command_help(config_name, [a for a in args if a not in ("--help", "-h")])
    if text is None:
        return False
    print(text)
    return True


def entry() -> None:
    """The ``advrun`` console script (and ``python -m advrun``): :func:`main`, then
    ``gc.freeze()`` so the interpreter's shutdown skips its final garbage collections.

    With torch imported those collections traverse ~200k objects: on the 2-core dev
    machine (2026-11-27) a process that only ran ``import torch`` takes 0.70 s to exit,
    0.16 s with ``gc.freeze()``, and a whole ``advrun train env=cartpole
    total_steps=2048`` takes 3.7 s against 5.0 s without it. By then every run file is
    closed and flushed by the code that wrote it, and ``atexit`` handlers (logging's
    flush, ``weakref.finalize`` cleanups) still run; what the freeze skips is the
    collection of reference cycles the process is about to drop anyway. Only the
    console script does this: a caller of :func:`main` in its own process (tests,
    scripts) keeps its normal garbage collection."""
    try:
        main()
    finally:
        gc.freeze()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return
    # Imported after the usage check: `advrun --help` loads nothing but this module
    # (advrun.config's package imports OmegaConf and Hydra).
    from advrun.commands import errors
    from advrun.commands.preflight import check_output_dirs
    from advrun.config.errors import ConfigError

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
    if {"-m", "--multirun"} & set(args) and {"--cfg", "-c"} & set(args):
        # Hydra refuses the pair with a traceback; say what to do instead.
        sys.stderr.write(
            "advrun: --cfg prints one composed config and cannot be combined with -m/--multirun:"
            " drop -m (and give each swept key one value), e.g. advrun train "
            "hydra/launcher=parallel --cfg hydra -p hydra.launcher\n"
        )
        raise SystemExit(errors.EXIT_BAD_INPUT)
    if name == "train" and not {"--help", "-h", "--cfg", "-c", "--info"} & set(args):
        try:
            check_output_dirs(args[1:])
        except ConfigError as err:
            sys.stderr.write(f"advrun: {err}\n")
            raise SystemExit(errors.EXIT_BAD_INPUT) from None
    if name == "train":
        args = [_experiment_alias(a) for a in args]
        precheck_overrides(args[1:])
    module_name, attr, _ = COMMANDS[name]
    if name in HYDRA_COMMANDS:
        # Hydra's help composes and prints the config but runs nothing: the component
        # schemas then come from their static index, so no torch is imported.
        from advrun.config import store

        store.help_only = bool(HELP_FLAGS & set(args[1:]))
        try:
            store.register_configs()
            if store.help_only and _print_help(name, args[1:]):
                return
            task = getattr(importlib.import_module(module_name), attr)
        finally:
            # Not sticky: a later command in this process registers the typed schemas.
            store.help_only = False
    else:
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
