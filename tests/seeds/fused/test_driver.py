"""The fused batch end to end: ``seeds_mode=auto`` picks it for a supported config and
falls back to the exact loop otherwise; a forced ``fused`` that cannot run exits 2
naming ``seeds_mode``; a member does not depend on its companions; an agent whose env
fails stops alone. (tests/seeds/test_driver.py runs the shared checks, member vs single
run, divergence, resume and signals, in every mode.)"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from cli_exit import exit_code
from seeds.identity import member_vs_single, summary

from advrun.collect.joint import JointStep
from advrun.seeds.fused.collect import JoinedEnv

RUN = {"total_steps": 512, "env__num_envs": 4, "eval__interval": 256}


def _batch(cli, tiny, batch_dir: Path, seeds: str, *extra: str, **changes: object) -> int:
    argv = [
        "train",
        *tiny(**{**RUN, **changes}),
        f"seeds=[{seeds}]",
        "seeds_workers=1",  # the fused batch in this process (tests/seeds/test_workers.py)
        *extra,
        f"hydra.run.dir={batch_dir}",
    ]
    return exit_code(cli, argv)


def _mode(batch_dir: Path) -> str:
    return json.loads((batch_dir / "batch.json").read_text())["mode"]


def test_auto_picks_fused_where_supported_and_exact_elsewhere(cli, tiny, tmp_path: Path) -> None:
    assert _batch(cli, tiny, tmp_path / "a", "1,2") == 0
    assert _mode(tmp_path / "a") == "fused"
    # target_kl (an early epoch stop per agent) is not supported yet: the exact loop.
    assert _batch(cli, tiny, tmp_path / "b", "1,2", "algo.target_kl=0.02") == 0
    assert _mode(tmp_path / "b") == "exact"
    assert _batch(cli, tiny, tmp_path / "c", "1,2", "seeds_mode=exact") == 0
    assert _mode(tmp_path / "c") == "exact"
    # The member's own record reads like a single run's (no seeds_mode override).
    overrides = (tmp_path / "c" / "seed_1" / ".hydra" / "overrides.yaml").read_text()
    assert "seeds_mode" not in overrides and "seed=1" in overrides


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["algo.recompute_advantages=true"], "algo.recompute_advantages"),
        (["algo.target_kl=0.02"], "algo.target_kl"),
        (["advantage=vtrace"], "advantage=vtrace"),
    ],
)
def test_forced_fused_refuses_what_it_cannot_train(
    cli, tiny, tmp_path: Path, capsys, extra: list[str], named: str
) -> None:
    code = _batch(cli, tiny, tmp_path / "b", "1,2", "seeds_mode=fused", *extra)
    err = capsys.readouterr().err
    assert code == 2
    assert "seeds_mode" in err and named in err and "seeds_mode=exact" in err
    assert not (tmp_path / "b" / "seed_1").exists()


@pytest.mark.parametrize(
    "algo",
    [
        # A2C with its preset's RMSprop and n-step returns, unnormalised advantages
        ["algo=a2c", "optimizer=rmsprop", "advantage=nstep", "advantage.normalize=false"],
        # REINFORCE: Monte-Carlo returns against a learned baseline
        ["algo=reinforce", "advantage=mc"],
    ],
    ids=["a2c", "reinforce"],
)
def test_one_step_algorithms_train_fused_as_their_single_runs(
    cli, tiny, tmp_path: Path, algo: list[str]
) -> None:
    """A2C and REINFORCE take one full-batch step per rollout (update.fused_pg_step):
    each member equals its seed's single run within float noise, checkpoints (weights,
    optimizer state), summary and TensorBoard series, approx_kl included."""
    assert _batch(cli, tiny, tmp_path / "b", "1,2", "seeds_mode=fused", *algo) == 0
    assert _mode(tmp_path / "b") == "fused"
    for seed in (1, 2):
        single = tmp_path / f"single_{seed}"
        argv = ["train", *tiny(**RUN), f"seed={seed}", *algo, f"hydra.run.dir={single}"]
        assert exit_code(cli, argv) == 0
        assert member_vs_single(tmp_path / "b" / f"seed_{seed}", single, 1e-4) == []
    other = member_vs_single(tmp_path / "b" / "seed_1", tmp_path / "single_2", 1e-4)
    assert other != []  # the comparison can tell two seeds apart


def test_bad_mode_is_refused(cli, tiny, tmp_path: Path, capsys) -> None:
    assert _batch(cli, tiny, tmp_path / "b", "1,2", "seeds_mode=fast") == 2
    assert "seeds_mode" in capsys.readouterr().err


def test_a_member_does_not_depend_on_its_companions(cli, tiny, tmp_path: Path) -> None:
    """Seed 2 trained with seeds 1 and 3 equals seed 2 trained alone in a fused batch
    (within float noise: slices of batched kernels at other batch sizes may take other
    vectorised paths, ~1e-8 after an update)."""
    assert _batch(cli, tiny, tmp_path / "three", "1,2,3", "seeds_mode=fused") == 0
    assert _batch(cli, tiny, tmp_path / "one", "2", "seeds_mode=fused") == 0
    assert member_vs_single(tmp_path / "three" / "seed_2", tmp_path / "one" / "seed_2", 1e-4) == []
    assert member_vs_single(tmp_path / "three" / "seed_1", tmp_path / "one" / "seed_2", 1e-4) != []


@pytest.mark.parametrize("joint", [True, False], ids=["joint-step", "agent-by-agent"])
def test_an_agent_whose_env_fails_stops_alone(
    cli, tiny, tmp_path: Path, monkeypatch, capsys, joint: bool
) -> None:
    """Seed 2's CartPole goes NaN on the batch's 40th step: seed 2 stops there
    (diverged, naming the env's output), seeds 1 and 3 train to the end, whether the
    agents' envs step as one (advrun.collect.joint) or one by one."""
    if not joint:
        monkeypatch.setattr(JointStep, "build", classmethod(lambda cls, adapters: None))
    original = JoinedEnv.__init__
    joined = []

    def poisoned(self, parts) -> None:
        original(self, parts)
        joined.append(self)
        assert (self.joint is not None) == joint
        if len(joined) > 1:  # re-joined without seed 2: nothing more to poison
            return
        step, calls = self.step, [0]

        def step_nan(actions):
            calls[0] += 1
            if calls[0] == 40:
                parts[1].envs.state[:, 3] = math.nan  # seed 2's fourth env
            return step(actions)

        self.step = step_nan

    monkeypatch.setattr(JoinedEnv, "__init__", poisoned)
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "1,2,3", "seeds_mode=fused") == 3
    assert "seed 2 diverged" in capsys.readouterr().err
    bad = summary(batch_dir / "seed_2")
    assert bad["status"] == "diverged" and "observation[0]" in bad["reason"]
    assert bad["steps"] == 128  # its first update; the round with the NaN never counted
    for seed in (1, 3):
        assert summary(batch_dir / f"seed_{seed}")["status"] == "completed"
        assert summary(batch_dir / f"seed_{seed}")["steps"] == 512


def test_a_fused_member_resumes_and_evaluates_as_a_single_run(cli, tiny, tmp_path: Path) -> None:
    """The member's last.pt holds its own weights, optimizer moments (its rows of the
    stacked state), envs and generators, in the single run's format."""
    batch_dir = tmp_path / "b"
    assert _batch(cli, tiny, batch_dir, "1,2", "seeds_mode=fused") == 0
    member = batch_dir / "seed_2"
    assert exit_code(cli, ["train", f"resume={member}", "total_steps=768"]) == 0
    data = summary(member)
    assert (data["status"], data["steps"], data["seed"], data["exact_resume"]) == (
        "completed",
        768,
        2,
        True,
    )
    assert exit_code(cli, ["eval", f"run={member}", "episodes=2"]) == 0


def test_reward_scaling_and_obs_normalisation_stay_per_agent(cli, tiny, tmp_path: Path) -> None:
    """Each agent's own reward scaler and observation statistics, as in its single run
    (Pendulum: Box actions, the tuned file's settings)."""
    pendulum = {"env.normalize_reward": "true", "network.normalize_obs": "true"}
    args = [f"{k}={v}" for k, v in pendulum.items()]
    single = tmp_path / "single"
    assert (
        exit_code(
            cli,
            [
                "train",
                *tiny(**RUN),
                "env=pendulum",
                "~tuned",
                *args,
                "seed=2",
                f"hydra.run.dir={single}",
            ],
        )
        == 0
    )
    batch_dir = tmp_path / "b"
    assert (
        _batch(cli, tiny, batch_dir, "1,2", "env=pendulum", "~tuned", "seeds_mode=fused", *args)
        == 0
    )
    assert _mode(batch_dir) == "fused"
    assert member_vs_single(batch_dir / "seed_2", single, 1e-4) == []


@pytest.mark.parametrize(("extra", "threads"), [([], 1), (["torch_threads=2"], 2)])
def test_fused_batch_trains_on_torch_threads_threads(
    cli, tiny, tmp_path: Path, monkeypatch, extra: list[str], threads: int
) -> None:
    """The batch runs on ``torch_threads`` intra-op threads (default 1), as a single run
    does: it never raises the count by itself, since extra threads slow a batch down
    whenever another process uses a core (advrun.seeds.command._log_fused_threads)."""
    import torch

    from advrun.seeds import driver

    seen: list[int] = []
    run_agents = driver.run_agents

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(torch.get_num_threads())
        return run_agents(*args, **kwargs)

    monkeypatch.setattr(driver, "run_agents", spy)
    before = torch.get_num_threads()
    try:
        assert _batch(cli, tiny, tmp_path / "b", "1,2,3", *extra) == 0
    finally:
        torch.set_num_threads(before)
    assert _mode(tmp_path / "b") == "fused"
    assert seen == [threads]
