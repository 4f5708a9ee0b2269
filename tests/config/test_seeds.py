"""``seeds=[...]``: the lists and combinations a batch refuses, each naming its key."""

from __future__ import annotations

import pytest

from advrun.config import ConfigError, to_train_config
from advrun.config.seeds import check_seeds


@pytest.mark.parametrize(
    ("overrides", "overridden", "key", "words"),
    [
        (["seeds=[]"], [], "seeds", "empty"),
        (["seeds=[4,2,4]"], [], "seeds", "repeats [4]"),
        (["seeds=[1,-5]"], [], "seeds", "[-5] outside"),
        (["seeds=[1,2]", "seed=7"], ["seed"], "seed", "both given"),
        (["seeds=[1,2]", "resume=somewhere"], [], "resume", "resumes one run"),
        (["seeds=[1,2]", "algo=dqn", "advantage=nstep"], [], "algo", "algo=dqn"),
        (["seeds=[1,2]", "network=gru"], [], "network.recurrent", "gru"),
        (["seeds=[1,2]", "algo=reinforce", "advantage=rloo"], [], "advantage", "rloo"),
        (["seeds=[1,2]", "seeds_workers=0"], [], "seeds_workers", "0 is not auto"),
        (["seeds=[1,2]", "seeds_workers=many"], [], "seeds_workers", "'many' is not auto"),
        (["seeds=[1,2]", "seeds_workers=2", "device=cuda"], [], "seeds_workers", "device=cuda"),
    ],
)
def test_refused(compose_train, overrides, overridden, key, words) -> None:
    cfg = to_train_config(compose_train(overrides))
    with pytest.raises(ConfigError) as err:
        check_seeds(cfg, overridden)
    assert err.value.key == key
    assert words in str(err.value)


def test_multirun_refused(compose_train) -> None:
    cfg = to_train_config(compose_train(["seeds=[1,2]"]))
    with pytest.raises(ConfigError, match="multirun"):
        check_seeds(cfg, [], multirun=True)


def test_accepted(compose_train) -> None:
    accepted = (
        ["seeds=[3,1,2]"],
        ["seeds=[1]", "algo=a2c"],
        [],
        ["seed=5"],
        ["seeds=[1,2]", "seeds_workers=1", "device=cuda"],
        ["seeds=[1,2]", "seeds_workers=3"],
    )
    for overrides in accepted:
        check_seeds(
            to_train_config(compose_train(overrides)), ["seed"] if "seed=5" in overrides else []
        )
