"""scripts/bench_sb3.py: the RL Zoo PPO table translates as the zoo does, every benchmarked
env composes to the env and target the script compares against, and the summary's
medians treat an unsolved trial as never reaching the target. No SB3 needed."""

from __future__ import annotations

import math

import pytest
from script_loader import load_script

from advrun.config import to_train_config

bench = load_script("bench_sb3")


def test_zoo_linear_schedules_become_callables() -> None:
    zoo = bench.zoo_ppo(bench.ZOO_PPO["CartPole-v1"])
    assert (zoo.n_envs, zoo.budget, zoo.normalize) == (8, 100_000, False)
    # lin_0.001 at progress_remaining 1 (start), 0.5 and 0 (end): 1e-3, 5e-4, 0
    lr = zoo.kwargs["learning_rate"]
    assert [lr(1.0), lr(0.5), lr(0.0)] == pytest.approx([1e-3, 5e-4, 0.0])
    # lin_0.2 at a quarter of the budget left: 0.25 * 0.2 = 0.05
    assert zoo.kwargs["clip_range"](0.25) == pytest.approx(0.05)
    assert zoo.kwargs["n_steps"] == 32 and zoo.kwargs["n_epochs"] == 20


def test_zoo_env_keys_leave_the_ppo_kwargs() -> None:
    acrobot = bench.zoo_ppo(bench.ZOO_PPO["Acrobot-v1"])
    assert (acrobot.n_envs, acrobot.budget, acrobot.normalize) == (16, 1_000_000, True)
    assert not {"n_envs", "n_timesteps", "normalize"} & set(acrobot.kwargs)
    pendulum = bench.zoo_ppo(bench.ZOO_PPO["Pendulum-v1"])
    assert (pendulum.n_envs, pendulum.budget, pendulum.normalize) == (4, 100_000, False)
    # constants stay constants (not schedules)
    assert pendulum.kwargs["learning_rate"] == 1e-3
    assert pendulum.kwargs["use_sde"] is True and pendulum.kwargs["sde_sample_freq"] == 4
    lunar = bench.zoo_ppo(bench.ZOO_PPO["LunarLander-v3"])
    assert lunar.kwargs["batch_size"] == 64 and lunar.kwargs["gamma"] == 0.999
    # the table is not modified by the translation
    assert bench.ZOO_PPO["Acrobot-v1"]["normalize"] is True


@pytest.mark.parametrize("env", sorted(bench.ENVS))
def test_advrun_side_composes_to_the_same_env_and_target(compose_train, env: str) -> None:
    spec = bench.ENVS[env]
    assert spec.env_id in bench.ZOO_PPO
    cfg = to_train_config(compose_train(list(spec.advrun)))
    assert cfg.env.id == spec.env_id
    assert cfg.env.target_return == spec.target


def test_trial_order_alternates_the_library_by_seed() -> None:
    order = bench.trial_order([1, 2, 3], ("solve", "sps"))
    got = [(t.lib, t.seed, t.mode) for t in order]
    assert got[:4] == [
        ("advrun", 1, "solve"),
        ("sb3", 1, "solve"),
        ("advrun", 1, "sps"),
        ("sb3", 1, "sps"),
    ]
    assert got[4:6] == [("sb3", 2, "solve"), ("advrun", 2, "solve")]
    assert got[8:9] == [("advrun", 3, "solve")]
    assert len(order) == 12


def _rows(times: list[float], solved: list[bool]) -> list[dict]:
    pairs = zip(times, solved, strict=True)
    return [{"train_time_s": t, "steps": 1000 * t, "solved": s} for t, s in pairs]


def test_env_table_ratio_counts_unsolved_as_infinite() -> None:
    results = {
        "advrun": _rows([3.0, 1.0, 2.0], [True, True, True]),
        "sb3": _rows([6.0, 20.0, 9.0], [True, False, True]),
    }
    assert bench.solve_times(results["sb3"]) == [6.0, math.inf, 9.0]
    lines = bench.env_table("pendulum", [1, 2, 3], results, [])
    text = "\n".join(lines)
    # medians: advrun (1, 2, 3) -> 2.00; sb3 (6, 9, inf) -> 9.00; 9 / 2 = 4.50
    assert "| time to target, s (median) | 2.00 | 9.00 | **4.50x** |" in text
    assert "| solved | 3/3 | 2/3 | |" in text
    # steps medians: advrun (1000, 2000, 3000) -> 2,000; sb3 (6000, 9000, 20000) -> 9,000
    assert "| env-steps to target (median) | 2,000 | 9,000 | |" in text
    assert "20.0 (unsolved)" in text


def test_several_envs_run_as_one_pool_with_their_own_seed_counts(monkeypatch, capsys) -> None:
    """``--env acrobot lunarlander --env-seeds lunarlander=1`` runs acrobot on both seeds
    and lunarlander on the first only, in one pool, and prints one table per env."""
    calls: list[tuple[str, str, int, int]] = []

    def fake_worker(lib, seed, mode, eval_every, sps_steps, algo, extra, env, threads):
        calls.append((env, lib, seed, eval_every))
        # advrun 2 s, sb3 8 s on every trial: a 4.00x ratio in each table
        return {"train_time_s": 2.0 if lib == "advrun" else 8.0, "steps": 100, "solved": True}

    monkeypatch.setattr(bench, "run_worker", fake_worker)
    argv = ["bench_sb3.py", "--env", "acrobot", "lunarlander", "--seeds", "1", "2"]
    monkeypatch.setattr("sys.argv", [*argv, "--env-seeds", "lunarlander=1"])
    assert bench.main() == 0
    # acrobot: 2 seeds x 2 libs at its 8192-step eval; lunarlander: 1 seed x 2 at 16384
    assert sorted(calls) == sorted(
        [("acrobot", lib, s, 8192) for lib in ("advrun", "sb3") for s in (1, 2)]
        + [("lunarlander", lib, 1, 16384) for lib in ("advrun", "sb3")]
    )
    out = capsys.readouterr().out
    assert "Acrobot-v1 (target -100)" in out and "LunarLander-v3 (target 200)" in out
    assert out.count("**4.00x**") == 2
    assert "| solved | 2/2 | 2/2 | |" in out and "| solved | 1/1 | 1/1 | |" in out


def test_cartpole_does_not_join_a_pool_of_envs(monkeypatch) -> None:
    monkeypatch.setattr("sys.argv", ["bench_sb3.py", "--env", "cartpole", "acrobot"])
    with pytest.raises(SystemExit) as exit_info:
        bench.main()
    assert exit_info.value.code == 2
