"""`advrun train <group>=[...]` for the groups that take one config is refused with
exit 2 before Hydra composes (Hydra itself fails on ``tuned=[0,-1]`` with a TypeError
traceback, found by tests/config/test_fuzz_overrides.py)."""

from __future__ import annotations

import pytest

from advrun.cli import LIST_REFUSED, _refuse_group_lists


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
