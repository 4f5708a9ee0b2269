"""Bad user input through the real console script: exit 2, one clean message, no work.

The cases live in ``scripts/bad_inputs.py`` (which prints them as a table). Running all
of them as subprocesses takes about 45 s on two cores, so this test runs a
representative subset — one per kind of failure — and the script keeps the full list
(``python scripts/bad_inputs.py``). Cases run two at a time in one module fixture.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bad_inputs", Path(__file__).resolve().parents[2] / "scripts" / "bad_inputs.py"
)
assert _spec and _spec.loader
bad_inputs = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bad_inputs", bad_inputs)  # dataclasses look their module up
_spec.loader.exec_module(bad_inputs)

SUBSET = [
    "unknown_env_id",  # env factory, with suggestions
    "missing_dependency",  # optional extra (simulated)
    "unknown_group_option",  # Hydra composition error
    "wrong_type",  # Hydra composition error
    "unknown_key_appended",  # +key: advrun's own unknown-key check
    "gamma_above_1",  # range check
    "compile_unknown_mode",  # a mode string torch.compile does not have
    "minibatch_larger_than_batch",  # cross-field check
    "a2c_grpo",  # algorithm needs V, estimator trains no critic
    "dqn_gae",  # value-based algorithm, estimator gives no bootstrapped target
    "dqn_grpo",  # both at once
    "group_size_not_dividing",  # group estimator vs env.num_envs
    "seeds_dqn",  # a batch of seeds: what it does not support yet
    "seeds_duplicate",  # a batch of seeds: a list it cannot train
    "checkpoint_other_shape",  # warm start
    "truncated_checkpoint",  # eval: corrupt file
    "malicious_checkpoint",  # eval: pickle payload must not run
    "unwritable_output_dir",  # preflight before Hydra touches the disk
    "resume_change_gamma",  # resume rules
    "dangling_symlink_run_dir",  # preflight: a symlink to nowhere
    "resume_live_run",  # one writer per run dir
    "resume_completed",  # nothing to do, nothing changed (exit 0)
    "custom_module_import_error",  # user env module: its own error, file:line
    "make_returns_no_env",  # env.make factory
    "check_dtype",  # env check: observation
    "check_old_step",  # env check: gym < 0.26 step API
]
# Runtime faults: the run started, then met a broken env / a real EFBIG.
RUNTIME = ["env_raises", "env_inf_observation", "file_too_large"]
BY_NAME = {c.name: c for c in bad_inputs.CASES}
# A valid tiny run through the same machinery: proves "work started?" can say yes.
CONTROL = bad_inputs.Case(
    "control_valid_run", "a valid tiny run", ["train", "device=cpu"], expect=0
)
# The README's example env through the console script, its module on PYTHONPATH as a
# user's would be: the env cases above fail for their bug, not for the mechanism.
CONTROL_CUSTOM = bad_inputs.Case(
    "control_custom_env",
    "a valid tiny run of a module:EnvId env",
    ["train", "device=cpu", "env=gym", "env.id=corridor:Corridor-v0"],
    env_vars=bad_inputs.WITH_USER_ENVS,
    expect=0,
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    ctx = bad_inputs.prepare(tmp_path_factory.mktemp("bad_inputs"))
    cases = [BY_NAME[name] for name in SUBSET + RUNTIME] + [CONTROL, CONTROL_CUSTOM]
    done = bad_inputs.run_cases(cases, ctx, jobs=min(4, os.cpu_count() or 1))
    yield {r.case.name: r for r in done}


def test_subset_names_exist() -> None:
    assert set(SUBSET) <= set(BY_NAME)
    assert len({c.name for c in bad_inputs.CASES}) == len(bad_inputs.CASES)


@pytest.mark.parametrize("name", SUBSET)
def test_bad_input_exits_2_before_any_work(name: str, results: dict[str, object]) -> None:
    r = results[name]
    case = r.case
    assert r.code == case.expect, r.stderr
    assert not r.work_started, "a tfevents file or checkpoint was written"
    assert not r.marker_created, "the crafted checkpoint's payload ran"
    assert "Traceback" not in r.stderr, r.stderr
    if case.hydra_message:
        assert any(m in r.stderr for m in case.mentions), r.stderr
    else:
        assert r.stderr.startswith("advrun: "), r.stderr
    for mention in case.mentions:
        assert mention in r.stderr, (mention, r.stderr)
    assert r.ok, r.problems


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_fault_exits_with_one_paragraph_and_records_it(
    name: str, results: dict[str, object]
) -> None:
    r = results[name]
    assert r.case.runtime and r.code == r.case.expect in (1, 3), r.stderr
    assert r.work_started
    assert r.ok, r.problems


# Every refused combination in the script, whether or not SUBSET runs it.
COMBINATIONS = ["a2c_grpo", "a2c_rloo", "dqn_gae", "dqn_vtrace", "dqn_grpo"]


def test_refused_combinations_are_the_registries_refusals() -> None:
    """The script's combination rows are pairs the smoke-pairs test expects refused, and
    each names both options (so its message must name both to pass)."""
    spec = importlib.util.spec_from_file_location(
        "smoke_pairs", Path(__file__).with_name("test_smoke_pairs.py")
    )
    assert spec and spec.loader
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    for name in COMBINATIONS:
        args = dict(a.split("=", 1) for a in BY_NAME[name].args[1:] if "=" in a)
        algo, advantage = args["algo"], args["advantage"]
        assert (algo, advantage) in smoke.REFUSED, name
        assert set(BY_NAME[name].mentions) == {f"algo={algo}", f"advantage={advantage}"}


def test_bad_input_leaves_no_directory(results: dict[str, object]) -> None:
    for name in SUBSET:
        assert results[name].left_behind == [], (name, results[name].left_behind)


@pytest.mark.parametrize("name", [CONTROL.name, CONTROL_CUSTOM.name])
def test_control_run_is_seen_as_work(name: str, results: dict[str, object]) -> None:
    r = results[name]
    assert r.code == 0, r.stderr
    assert r.work_started and r.ok


def test_table_lists_every_result(results: dict[str, object]) -> None:
    text = bad_inputs.table(list(results.values()))
    lines = text.splitlines()
    assert lines[0].startswith(
        "| input | command | exit code | work started? | dir left? | message |"
    )
    assert len(lines) == 2 + len(results)
    assert all(line.count(" | ") >= 5 for line in lines[2:])
