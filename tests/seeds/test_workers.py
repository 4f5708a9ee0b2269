"""A batch spread over worker processes (``seeds_workers``): the same members as in one
process, a record of who trained what, local failures, and signals that reach every
worker once (relayed by the parent; and from the kernel when the parent is killed)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_exit import exit_code
from seeds.hooks import before_after_iterate
from seeds.identity import member_vs_single, single_runs, summary

from advrun.seeds import workers
from advrun.seeds.workers import shares, worker_count
from advrun.training.trainer import Trainer

SEEDS = (1, 2, 3)
RUN = {"total_steps": 512, "env__num_envs": 4, "eval__interval": 256}


def test_shares_deal_the_seeds_in_order() -> None:
    assert shares([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert shares([7, 8], 3) == [[7], [8]]  # never an empty worker
    assert shares([4], 1) == [[4]]


def test_worker_count(monkeypatch) -> None:
    monkeypatch.setattr(workers, "usable_cores", lambda: 8)
    assert worker_count("auto", 64, 1, on_cuda=False) == 8
    assert worker_count("auto", 3, 1, on_cuda=False) == 3  # at most one per seed
    assert worker_count("auto", 64, 4, on_cuda=False) == 2  # cores / torch_threads
    assert worker_count("auto", 64, 16, on_cuda=False) == 1
    assert worker_count("auto", 64, 1, on_cuda=True) == 1  # one process drives a GPU
    assert worker_count(5, 64, 1, on_cuda=False) == 5
    assert worker_count(5, 2, 1, on_cuda=False) == 2


def _batch(cli, tiny, batch_dir: Path, *extra: str, seeds: tuple[int, ...] = SEEDS) -> int:
    listed = ",".join(map(str, seeds))
    argv = ["train", *tiny(**RUN), f"seeds=[{listed}]", *extra, f"hydra.run.dir={batch_dir}"]
    return exit_code(cli, argv)


@pytest.fixture(scope="module")
def singles(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return single_runs(tmp_path_factory.mktemp("singles"), SEEDS, RUN)


@pytest.mark.parametrize(("mode", "rtol"), [("exact", 0.0), ("fused", 1e-4)])
def test_members_equal_single_runs_across_workers(
    cli, tiny, tmp_path: Path, singles, mode: str, rtol: float
) -> None:
    """Two workers ([1, 3] and [2]): exact members equal their single runs bit for bit,
    fused ones within the batched kernels' float noise (as in one process)."""
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, f"seeds_mode={mode}", "seeds_workers=2") == 0
    record = json.loads((batch_dir / "batch.json").read_text())
    assert [w["seeds"] for w in record["workers"]] == [[1, 3], [2]]
    assert all(w["mode"] == mode for w in record["workers"])
    assert record["mode"] == mode
    assert [(m["seed"], m["status"]) for m in record["members"]] == [
        (1, "completed"),
        (2, "completed"),
        (3, "completed"),
    ]
    # The batch's phase seconds are the workers' summed.
    evals = sum(w["profile"]["eval"] for w in record["workers"])
    assert record["profile"]["eval"] == pytest.approx(evals)
    for seed in SEEDS:
        assert member_vs_single(batch_dir / f"seed_{seed}", singles[seed], rtol) == []
    # Each worker ran in its own process: its members' event files name another pid.
    events = [next((batch_dir / f"seed_{s}").glob("events.out.tfevents.*")) for s in SEEDS]
    pids = {event.name.split(".")[-2] for event in events}  # ...<host>.<pid>.<n>
    assert len(pids) == 2 and str(os.getpid()) not in pids


def test_one_worker_trains_in_this_process(cli, tiny, tmp_path: Path) -> None:
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "seeds_workers=1", seeds=(1, 2)) == 0
    assert "workers" not in json.loads((batch_dir / "batch.json").read_text())
    event = next((batch_dir / "seed_2").glob("events.out.tfevents.*"))
    assert event.name.split(".")[-2] == str(os.getpid())


def test_a_killed_worker_loses_only_its_members(
    cli, tiny, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Seed 2's worker dies by SIGKILL at its second update (no report): seeds 1 and 3
    complete in the other worker; batch.json marks seed 2 failed with the signal, and
    the exit status is 1 with a paragraph naming seed 2."""

    def kill(trainer, it, signals):
        if trainer.cfg.seed == 2 and trainer.update == 1:
            os.kill(os.getpid(), signal.SIGKILL)

    before_after_iterate(monkeypatch, kill)
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "seeds_workers=2") == 1
    err = capsys.readouterr().err
    assert "seed 2 failed" in err and str(batch_dir / "seed_2") in err
    members = {m["seed"]: m for m in json.loads((batch_dir / "batch.json").read_text())["members"]}
    assert members[2]["status"] == "failed" and "killed by signal 9" in members[2]["reason"]
    assert members[1]["status"] == members[3]["status"] == "completed"
    assert summary(batch_dir / "seed_3")["steps"] == 512


def test_bad_input_found_in_the_workers_exits_2_once(
    cli, tiny, tmp_path: Path, monkeypatch, capsys
) -> None:
    """A refusal that only the built network shows (advrun.seeds.command._fused) comes
    from every worker before any trains: one paragraph, exit 2, no member dir left."""
    from advrun.config.seeds import fused_refused
    from advrun.seeds import command

    def refuse(*args: object) -> bool:
        raise fused_refused("this network")

    monkeypatch.setattr(command, "_fused", refuse)
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "seeds_workers=2") == 2
    err = capsys.readouterr().err
    assert err.count("seeds_mode=fused does not support this network") == 1
    assert not (batch_dir / "seed_1").exists() and not (batch_dir / "seed_2").exists()


def test_a_signal_to_the_parent_stops_every_worker(cli, tiny, tmp_path: Path, monkeypatch):
    """SIGTERM to the batch's process after seed 2's first update: the parent relays it,
    so both workers' members save last.pt and say interrupted (exit 143), and each
    resumes to the end as a single run. Seed 1 waits (in its worker) for the signal to
    arrive, so the relay, not the timing, is what stops it."""
    parent = os.getpid()

    def signal_parent(trainer, it, signals):
        if trainer.cfg.seed == 2 and trainer.update == 0:
            os.kill(parent, signal.SIGTERM)
        if trainer.cfg.seed == 1 and trainer.update == 0:
            deadline = time.monotonic() + 30
            while signals.received is None and time.monotonic() < deadline:
                time.sleep(0.01)

    original = before_after_iterate(monkeypatch, signal_parent)
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "seeds_workers=2") == 143
    monkeypatch.setattr(Trainer, "after_iterate", original)
    for seed in SEEDS:
        member = batch_dir / f"seed_{seed}"
        assert summary(member)["status"] == "interrupted"
        assert (member / "checkpoints" / "last.pt").is_file()
    # Seed 1's worker stops after its first update, or before it if the relay came first.
    assert summary(batch_dir / "seed_1")["steps"] in (0, 128)
    assert exit_code(cli, ["train", f"resume={batch_dir / 'seed_1'}"]) == 0
    assert summary(batch_dir / "seed_1")["steps"] == 512


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_parent_stops_the_workers(tmp_path: Path, tiny) -> None:
    """SIGKILL the batch command (the installed console script) mid-training: its two
    workers get SIGTERM from the kernel, each member saves last.pt and says
    interrupted, and no worker trains on as an orphan."""
    batch_dir = tmp_path / "b"
    args = tiny(total_steps=400_000, env__num_envs=4, eval__interval=100_000)
    argv = ["advrun", "train", *args, "seeds=[1,2]", "seeds_workers=2"]
    proc = subprocess.Popen(
        [*argv, f"hydra.run.dir={batch_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            kids = _children(proc.pid)
            started = all(list((batch_dir / f"seed_{s}").glob("events.*")) for s in (1, 2))
            if len(kids) == 2 and started:
                break
            time.sleep(0.05)
        assert len(kids) == 2, "the workers did not start"
        time.sleep(0.5)  # into the training rounds
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 30
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(k) for k in kids), "a worker outlived its parent"
    finally:  # nothing left behind, whatever failed above
        for pid in [proc.pid, *kids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for seed in (1, 2):
        data = summary(batch_dir / f"seed_{seed}")
        assert data["status"] == "interrupted"
        assert data["steps"] < 400_000
        assert (batch_dir / f"seed_{seed}" / "checkpoints" / "last.pt").is_file()
