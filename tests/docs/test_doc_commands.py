"""The shell commands in README.md and docs/*.md work as written (issue 16).

Default run (seconds): every command has a rule (run, compose, help, script or a marked
skip with its reason), every placeholder is one the check can fill, and every
``advrun train`` command composes. ``pytest -m slow`` (run by ``.ci/run``) executes every
command with a small budget (scripts/check_docs.py says how).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from ray_lock import ray_alone
from script_loader import load_script

check = load_script("check_docs")
COMMANDS = check.documented_commands()
TRAIN = [
    c
    for c in COMMANDS
    if c.mode in ("run", "compose") and c.text.startswith("advrun train") and "--help" not in c.text
]


def test_the_docs_have_commands() -> None:
    docs = {c.doc for c in COMMANDS}
    assert {"README.md", "docs/sweeps.md", "docs/deploy.md", "docs/results.md"} <= docs
    assert len(TRAIN) >= 15


def test_every_command_has_a_rule() -> None:
    assert check.problems(COMMANDS) == []


@pytest.mark.parametrize("command", TRAIN, ids=[c.where for c in TRAIN])
def test_train_command_composes(cli, command, capsys) -> None:
    args = check.compose_args(command.text, check.dummy_fill)
    try:
        cli(args)
    except SystemExit as exit_:
        err = capsys.readouterr().err
        pytest.fail(f"{command.where}: `{command.text}` does not compose ({exit_.code}):\n{err}")


# -- the extractor ---------------------------------------------------------------------
DOC = """# Title

```bash
advrun train env=acrobot \\
  advantage=nstep   # a comment
pip install x
```

    python scripts/solve_rates.py --case cartpole

<!-- doccheck: compose: needs a cluster -->
```console
$ advrun train -m seed=1,2 'hydra.launcher.setup=["a # b"]'
some output line
```

<!-- doccheck: skip "synopsis": not a command -->
```sh
advrun eval run=<run dir> synopsis
frobnicate --all
```

```python
print("not shell")
```
"""


def test_extract_blocks_prompts_continuations_and_directives(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    got = [(c.line, c.mode, c.text) for c in check.extract(doc, tmp_path)]
    assert got == [
        (4, "run", "advrun train env=acrobot advantage=nstep"),
        (6, "skip", "pip install x"),
        (9, "help", "python scripts/solve_rates.py --case cartpole"),
        (13, "compose", "advrun train -m seed=1,2 'hydra.launcher.setup=[\"a # b\"]'"),
        (19, "skip", "advrun eval run=<run dir> synopsis"),
        (20, "", "frobnicate --all"),
    ]
    problems = check.problems(check.extract(doc, tmp_path))
    assert len(problems) == 1 and "no rule for 'frobnicate'" in problems[0]


def test_budget_goes_after_the_advrun_part() -> None:
    budget = " ".join(check.BUDGET)
    assert check.with_budget("advrun train -m seed=1,2; echo $?") == (
        f"advrun train -m seed=1,2 {budget}; echo $?"
    )
    assert check.with_budget("advrun train resume=x") == "advrun train resume=x"
    assert "hydra.sweeper.n_trials=2" in check.with_budget(
        "advrun train -m hydra/sweeper=ppo_search"
    )


def test_compose_drops_multirun_and_keeps_first_values() -> None:
    args = check.compose_args(
        "advrun train -m hydra/launcher=slurm hydra.launcher.partition=<p> seed=1,2,3; echo",
        check.dummy_fill,
    )
    assert args == [
        "train",
        "hydra/launcher=slurm",
        "hydra.launcher.partition=debug",
        "seed=1",
        "--cfg",
        "job",
    ]


def test_a_broken_command_fails_the_check(cli, tmp_path: Path, capsys) -> None:
    """What CI sees when a documented command breaks: a renamed key does not compose."""
    doc = tmp_path / "doc.md"
    doc.write_text("```bash\nadvrun train env=acrobot advantage=nstep advantage.nn=8\n```\n")
    (command,) = check.extract(doc, tmp_path)
    with pytest.raises(SystemExit) as info:
        cli(check.compose_args(command.text, check.dummy_fill))
    assert info.value.code != 0
    assert "advantage.nn" in capsys.readouterr().err


# -- every command, run ----------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    return check.Workspace(tmp_path_factory.mktemp("doccheck"))


# Marked skips (with their reason in the doc; test_every_command_has_a_rule checks it)
# are left out rather than reported as skipped tests.
RUNNABLE = [c for c in COMMANDS if c.mode != "skip"]


@pytest.mark.slow
@pytest.mark.parametrize("command", RUNNABLE, ids=[c.where for c in RUNNABLE])
def test_documented_command_runs(command, workspace) -> None:
    # A documented Ray sweep starts a local instance: none of another test alongside.
    uses_ray = "hydra/launcher=ray" in command.text
    with ray_alone() if uses_ray else contextlib.nullcontext():
        code, tail = check.run_command(command, workspace)
    assert code == 0, f"{command.where} ({command.mode}): {command.text}\n{tail}"


def test_optional_parts_of_a_synopsis_are_dropped() -> None:
    text = (
        "advrun report --from-records a.json [more.json ...] --split-by env.id [--seeds] "
        "[--where algo.epochs=10] 'init.freeze=[actor_trunk]'"
    )
    assert check.drop_optional(text) == (
        "advrun report --from-records a.json --split-by env.id 'init.freeze=[actor_trunk]'"
    )
