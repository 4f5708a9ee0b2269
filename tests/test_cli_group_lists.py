"""`advrun train <group>=[...]` for the groups that take one config is refused with
exit 2 before Hydra composes (Hydra itself fails on ``tuned=[0,-1]`` with a TypeError
traceback, found by tests/config/test_fuzz_overrides.py); so is an override with no key."""

from __future__ import annotations

import pytest

from advrun.cli import LIST_REFUSED, _refuse_group_lists, main, precheck_overrides


@pytest.mark.parametrize("group", sorted(LIST_REFUSED))
def test_a_list_for_a_one_config_group_exits_2_naming_it(
    group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _refuse_group_lists(["seed=1", f"{group}=[0,-1]"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"advrun: Invalid config `{group}`:")
    assert f"Fix: give one name, e.g. {group}={LIST_REFUSED[group]}" in err


def test_single_values_and_other_lists_pass() -> None:
    _refuse_group_lists(
        ["env=cartpole", "tuned=ppo_gae_pendulum", "seeds=[1,2]", "network.hidden_sizes=[8]"]
    )


@pytest.mark.parametrize("arg", ["~", "+=3", "++=1", "=x", "~=a"])
def test_an_override_with_no_key_exits_2_before_hydra(
    arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the override fuzz test: Hydra's own message for ``~`` is ``Could not
    delete ''``, which names neither the argument nor a fix."""
    with pytest.raises(SystemExit) as exit_:
        main(["train", "seed=2", arg])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"advrun: Invalid override {arg!r}: it names no config key.")
    assert "Fix:" in err


def test_keys_flags_and_values_pass_the_precheck() -> None:
    precheck_overrides(["~tuned", "+extra=1", "seed=3", "-m", "--cfg", "job", "hydra.run.dir=x"])


@pytest.mark.parametrize(
    "arg", ["optimizer=[0,-1]", "network=[null]", "experiment=[1.5]", "hydra/launcher=[[a]]"]
)
def test_a_group_list_of_non_names_exits_2_naming_the_group(
    arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the override fuzz test: Hydra's TypeError traceback on such a list."""
    group = arg.partition("=")[0]
    with pytest.raises(SystemExit) as exit_:
        precheck_overrides(["seed=1", arg])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"advrun: Invalid config `{group}`: {arg!r} is not a list of")
    assert "Fix: give one name" in err


def test_a_group_list_of_names_is_left_to_hydra() -> None:
    precheck_overrides(["network=[mlp]", "optimizer=[adam, sgd]", "hydra/launcher=[basic]"])


def test_every_shipped_config_group_is_checked() -> None:
    """The groups come from conf/'s folders, so a group added there is covered (each
    folder is either a one-config group or one whose lists must be option names)."""
    from advrun.cli import _other_groups
    from advrun.config.paths import config_groups

    assert {"network", "optimizer", "experiment"} <= _other_groups()
    assert _other_groups() | set(LIST_REFUSED) == config_groups()
    assert not _other_groups() & set(LIST_REFUSED)
