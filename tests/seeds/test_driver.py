"""K agents in one process are K independent single runs: each member's checkpoints
(weights, optimizer moments, generator and RNG states), summary and TensorBoard series
equal those of ``advrun train seed=<i>`` bit for bit on CPU; an agent that diverges
stops alone; the batch dir reads back like a sweep."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from pathlib import Path

import pytest
from cli_exit import exit_code
from seeds.hooks import before_after_iterate
from seeds.identity import member_vs_single, single_runs, summary

from advrun.sweeps.members import find_members, varying_overrides
from advrun.training.trainer import Trainer

SEEDS = (1, 2, 3)
# 4 envs x 32 rows = 128 steps per update: 4 updates in 512 steps, evaluated at 256 and
# at the end (512), so best.pt, the early stopper and eval RNG use are all exercised.
RUN = {"total_steps": 512, "env__num_envs": 4, "eval__interval": 256}


@pytest.fixture(scope="module")
def singles(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return single_runs(tmp_path_factory.mktemp("singles"), SEEDS, RUN)


@pytest.fixture(params=["exact", "lockstep", "fused"])
def mode(request, monkeypatch) -> str:
    """``exact``: ``seeds_mode=exact`` (per-agent iterations); ``lockstep``: the same
    with the batched collection forward (its CUDA default) forced on; ``fused``:
    ``seeds_mode=fused`` (one batched network, advrun.seeds.fused)."""
    monkeypatch.setenv("ADVRUN_SEEDS_LOCKSTEP", "1" if request.param == "lockstep" else "0")
    monkeypatch.setattr(sys.modules[__name__], "MODE", request.param)
    return request.param


MODE = "exact"

# Lockstep members equal their single runs within float noise: the batched value head
# differs from the module's by ~1e-9 (advrun.seeds.lockstep), which 4 updates grow to
# ~1e-7 in the weights; actions and episodes are the same. Fused members likewise
# (batched kernels and weighted sums round differently: ~1e-8 after 10 CartPole
# updates, advrun.seeds.fused).
RTOL = {"exact": 0.0, "lockstep": 1e-4, "fused": 1e-4}


def _batch(cli, tiny, batch_dir: Path, **changes: object) -> int:
    seeds = ",".join(str(s) for s in SEEDS)
    how = "fused" if MODE == "fused" else "exact"
    argv = [
        "train",
        *tiny(**{**RUN, **changes}),
        f"seeds=[{seeds}]",
        f"seeds_mode={how}",
        # The driver itself, in this process (tests/seeds/test_workers.py spreads a batch
        # over worker processes).
        "seeds_workers=1",
        f"hydra.run.dir={batch_dir}",
    ]
    return exit_code(cli, argv)


def test_members_equal_single_runs(cli, tiny, tmp_path: Path, singles, mode) -> None:
    batch_dir = tmp_path / "batch"
    assert _batch(cli, tiny, batch_dir) == 0
    for seed in SEEDS:
        assert member_vs_single(batch_dir / f"seed_{seed}", singles[seed], RTOL[mode]) == []
    # The members are not all the same run: their weights differ.
    assert member_vs_single(batch_dir / "seed_1", singles[2]) != []
    record = json.loads((batch_dir / "batch.json").read_text())
    assert [(m["seed"], m["status"]) for m in record["members"]] == [
        (1, "completed"),
        (2, "completed"),
        (3, "completed"),
    ]
    # advrun report finds the three members (not the batch dir) as a sweep over seed.
    members = find_members(batch_dir)
    assert [m.path.name for m in members] == ["seed_1", "seed_2", "seed_3"]
    assert varying_overrides(members) == [["seed=1"], ["seed=2"], ["seed=3"]]
    assert all(m.status == "completed" for m in members)


def test_a_diverged_agent_stops_alone(
    cli, tiny, tmp_path: Path, singles, monkeypatch, capsys, mode
):
    """Seed 2 reports a NaN loss at its second update: it stops there (summary
    diverged), seeds 1 and 3 are still their single runs, and the exit status is 3
    with a paragraph naming seed 2 and its dir."""

    def poison(trainer, it, signals):
        if trainer.cfg.seed == 2 and trainer.update == 1:
            it.metrics["losses/policy_loss"] = math.nan

    before_after_iterate(monkeypatch, poison)
    batch_dir = tmp_path / "batch"
    assert _batch(cli, tiny, batch_dir) == 3
    err = capsys.readouterr().err
    assert "seed 2 diverged" in err and str(batch_dir / "seed_2") in err
    assert summary(batch_dir / "seed_2")["status"] == "diverged"
    assert summary(batch_dir / "seed_2")["steps"] == 256  # its second update: 2 x 128
    for seed in (1, 3):
        assert member_vs_single(batch_dir / f"seed_{seed}", singles[seed], RTOL[mode]) == []


def test_a_member_resumes_as_a_single_run(cli, tiny, tmp_path: Path) -> None:
    batch_dir = tmp_path / "batch"
    assert _batch(cli, tiny, batch_dir) == 0
    member = batch_dir / "seed_2"
    assert exit_code(cli, ["train", f"resume={member}", "total_steps=768"]) == 0
    data = summary(member)
    assert (data["status"], data["steps"], data["seed"]) == ("completed", 768, 2)


def test_a_signal_stops_every_agent_resumably(cli, tiny, tmp_path: Path, monkeypatch, mode):
    """SIGTERM after seed 2's first update: every member saves last.pt and says
    interrupted (exit 143), and each resumes to the end as a single run."""

    def signal_once(trainer, it, signals):
        if trainer.cfg.seed == 2 and trainer.update == 0:
            os.kill(os.getpid(), signal.SIGTERM)

    original = before_after_iterate(monkeypatch, signal_once)
    batch_dir = tmp_path / "batch"
    assert _batch(cli, tiny, batch_dir) == 143
    monkeypatch.setattr(Trainer, "after_iterate", original)
    for seed in SEEDS:
        member = batch_dir / f"seed_{seed}"
        assert summary(member)["status"] == "interrupted"
        assert (member / "checkpoints" / "last.pt").is_file()
    # exact: seed 1 had done its first update, seed 2 saw the signal in its first, seed
    # 3 had not started the round: each saved where it stood. lockstep: all three had
    # collected their first rollout, so each learns from it before it saves.
    # fused: one update served all three, so each logs and saves it, then stops.
    expected = {"exact": [128, 128, 0], "lockstep": [128, 128, 128], "fused": [128, 128, 128]}[mode]
    assert [summary(batch_dir / f"seed_{s}")["steps"] for s in SEEDS] == expected
    assert exit_code(cli, ["train", f"resume={batch_dir / 'seed_3'}"]) == 0
    assert summary(batch_dir / "seed_3")["steps"] == 512


TORCH_ENVS = {**RUN, "env__backend": "torch", "total_steps": 256}


@pytest.fixture(scope="module")
def torch_single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import _run_cli, tiny_args

    run_dir = tmp_path_factory.mktemp("torch_single") / "2"
    _run_cli(["train", *tiny_args(**TORCH_ENVS), "seed=2", f"hydra.run.dir={run_dir}"])
    return run_dir


def _two_seeds(cli, tiny, batch_dir: Path, how: str, run: dict[str, object]) -> int:
    """``advrun train seeds=[1,2] seeds_mode=<how>`` with the tiny overrides ``run``."""
    argv = ["train", *tiny(**run), "seeds=[1,2]", f"seeds_mode={how}", "seeds_workers=1"]
    argv.append(f"hydra.run.dir={batch_dir}")
    return exit_code(cli, argv)


def test_torch_env_backend(cli, tiny, tmp_path: Path, torch_single: Path, mode) -> None:
    """The torch-native envs (env.backend=torch) batch the same way."""
    how = "fused" if mode == "fused" else "exact"
    assert _two_seeds(cli, tiny, tmp_path / "b", how, TORCH_ENVS) == 0
    assert member_vs_single(tmp_path / "b" / "seed_2", torch_single, RTOL[mode]) == []


# On a GPU the batch runs its members' models (and torch-native envs) on the device.
# Members match single runs on the same device within the batched kernels' float noise.
CUDA_RUN = {**TORCH_ENVS, "device": "cuda"}
# gymnasium's CartPoles on the host with the models on the GPU: the batch's lean
# evaluation loop steps them in numpy and runs the torch forward on the GPU.
CUDA_GYM_RUN = {"device": "cuda"}


@pytest.mark.gpu
@pytest.mark.parametrize("envs", ["torch", "gymnasium"])
@pytest.mark.parametrize("how", ["exact", "fused"])
def test_cuda_batch_members_match_cuda_single_runs(
    cli, tiny, tmp_path: Path, how: str, envs: str
) -> None:
    """``seeds=[1,2] device=cuda`` (torch-native or gymnasium envs): each member equals
    the single CUDA run of its seed (exact mode batches the policy step across agents
    on CUDA)."""
    run = CUDA_RUN if envs == "torch" else CUDA_GYM_RUN
    single = tmp_path / "single_2"
    assert exit_code(cli, ["train", *tiny(**run), "seed=2", f"hydra.run.dir={single}"]) == 0
    assert _two_seeds(cli, tiny, tmp_path / "b", how, run) == 0
    assert json.loads((tmp_path / "b" / "batch.json").read_text())["mode"] == how
    assert member_vs_single(tmp_path / "b" / "seed_2", single, 1e-4) == []
    assert member_vs_single(tmp_path / "b" / "seed_1", single, 1e-4) != []
