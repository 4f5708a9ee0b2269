"""A tiny ``advrun train`` for every algorithm × estimator pair the registries allow,
and exit 2 naming both for every pair they refuse; a continuous-action run, the
shared-trunk network with every optimizer, and a GPU-device run when one exists.

The pairs come from the registries, so a new estimator or algorithm is covered without
editing this file. Each run must leave the full set of artifacts behind with a finite
eval return.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from advrun.advantages import ESTIMATORS
from advrun.algos import ALGORITHMS
from advrun.optim import OPTIMIZERS as OPTIMIZER_REGISTRY

ALGOS = tuple(ALGORITHMS.names())
ADVANTAGES = tuple(ESTIMATORS.names())
OPTIMIZERS = tuple(OPTIMIZER_REGISTRY.names())
TOTAL_STEPS = 256
# Which pairs run: value-based algorithms need bootstrapped targets; A2C needs a critic.
REFUSED = {
    (algo, adv)
    for algo in ALGOS
    for adv in ADVANTAGES
    if (ALGORITHMS[algo].network == "q" and not ESTIMATORS.get(adv).trait("target"))
    or (algo == "a2c" and not ESTIMATORS.get(adv).trait("needs_critic", True))
}
PAIRS = list(itertools.product(ALGOS, ADVANTAGES))


def _extra(algo: str, advantage: str) -> dict[str, object]:
    """Tiny-run settings a pair needs: groups of 2 for the 2 envs, a short DQN warm-up."""
    extra: dict[str, object] = {}
    if ESTIMATORS.get(advantage).trait("grouped"):
        extra["advantage__group_size"] = 2
    if algo == "dqn":
        extra |= {"algo__rollout_steps": None, "algo__learning_starts": 64, "algo__batch_size": 16}
    return extra


def check_run_dir(run_dir: Path, total_steps: int = TOTAL_STEPS) -> dict:
    summary_path = run_dir / "summary.json"
    assert summary_path.is_file(), sorted(p.name for p in run_dir.iterdir())
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "completed"
    assert math.isfinite(summary["final_eval_return"])
    assert summary["steps"] >= total_steps
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    assert (run_dir / "checkpoints" / "best.pt").is_file()
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    return summary


@pytest.mark.parametrize(("algo", "advantage"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_algo_advantage_pair(train_run, tmp_path: Path, capsys, algo: str, advantage: str) -> None:
    if (algo, advantage) in REFUSED:
        with pytest.raises(SystemExit) as info:
            train_run(tmp_path / "run", algo=algo, advantage=advantage, **_extra(algo, advantage))
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("advrun: Invalid config `advantage`")
        assert f"algo={algo}" in err and f"advantage={advantage}" in err
        assert not (tmp_path / "run").exists()
        return
    run_dir = train_run(tmp_path / "run", algo=algo, advantage=advantage, **_extra(algo, advantage))
    summary = check_run_dir(run_dir)
    assert summary["env_id"] == "CartPole-v1"
    saved = (run_dir / ".hydra" / "config.yaml").read_text()
    assert f"name: {algo}" in saved and f"name: {advantage}" in saved


def test_refused_pairs_are_the_expected_ones() -> None:
    dqn_refused = {a for algo, a in REFUSED if algo == "dqn"}
    assert {"gae", "grpo", "mc", "rloo", "vtrace"} <= dqn_refused
    assert not {"td", "nstep"} & dqn_refused
    assert {a for algo, a in REFUSED if algo == "a2c"} == {"grpo", "rloo"}
    assert not {p for p in REFUSED if p[0] in ("ppo", "reinforce")}
