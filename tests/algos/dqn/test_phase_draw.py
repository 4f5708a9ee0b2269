"""DQN draws a phase's minibatches at once and values them with one target-network
pass (advrun/algos/dqn/algorithm.py, ``DQN._learn``): each step must still get exactly
the targets it would compute alone (up to float rounding), and a phase too large for
memory draws in pieces."""

from __future__ import annotations

import pytest
import torch

from advrun.algos.dqn import algorithm as dqn_module
from advrun.config import to_train_config
from advrun.training.builders import build_run


def _filled(compose_train, *overrides: str):
    """A DQN on 4 CartPole envs with 64 rows of random transitions in its buffer."""
    cfg = to_train_config(
        compose_train(["algo=dqn", "env.num_envs=4", "algo.batch_size=8", *overrides])
    )
    algo = build_run(cfg, "/tmp/unused").algorithm
    g = torch.Generator().manual_seed(0)
    t, n = 64, 4
    algo.replay.add(
        torch.randn(t, n, 4, generator=g),
        torch.randint(2, (t, n), generator=g),
        torch.rand(t, n, generator=g),
        torch.rand(t, n, generator=g) < 0.1,
        torch.rand(t, n, generator=g) < 0.2,
        torch.ones(t, n, dtype=torch.bool),
        torch.randn(n, 4, generator=g),
    )
    # a target network that differs from the online one, so Double DQN's argmax matters
    with torch.no_grad():
        for p in algo.target.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    return algo


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # Double DQN, plain Bellman target
        ["algo.double=false", "algo.operator=al"],
        ["algo.operator=pal", "advantage=nstep", "advantage.n=3"],
    ],
)
def test_each_step_of_a_joint_draw_gets_its_own_targets(compose_train, overrides) -> None:
    algo = _filled(compose_train, *overrides)
    k, b = 5, algo.config.batch_size
    window = algo.replay.sample(k * b, algo.n_step, torch.Generator().manual_seed(1))
    q_next, q_s = algo._target_values(window)
    for i in range(k):
        part = slice(i * b, (i + 1) * b)
        alone = window.minibatch(part)
        assert alone.obs.shape[0] == b and alone.rewards.shape == (algo.n_step, b)
        assert torch.equal(alone.next_obs, window.next_obs[:, part])
        joint = algo.targets(alone, q_next[:, part], None if q_s is None else q_s[part])
        # The same rows through the same nets, sliced before or after the forward: equal
        # up to the GEMM's rounding, which may differ with the row count (bit-equal on an
        # AVX2 host; 1-3 float32 ulps on an AVX-512 one, 2026-11-28). Another step's
        # rows would give targets O(0.1) away.
        torch.testing.assert_close(joint, algo.targets(alone), rtol=1e-6, atol=1e-6)


def test_a_phase_draws_once_unless_it_would_not_fit(compose_train, monkeypatch) -> None:
    algo = _filled(compose_train)
    draws: list[int] = []
    sample = algo.replay.sample

    def counting(batch_size, n, generator):
        draws.append(batch_size)
        return sample(batch_size, n, generator)

    monkeypatch.setattr(algo.replay, "sample", counting)
    algo._learn(6)
    assert draws == [6 * 8]  # one draw of 6 minibatches of 8
    # a window here is 2 observations of 4 float32 = 32 bytes; 8 windows per step
    # = 256 bytes, so a 600-byte cap fits 2 steps per draw: 6 steps = 3 draws of 16
    monkeypatch.setattr(dqn_module, "CHUNK_BYTES", 600)
    draws.clear()
    before = algo.gradient_steps_done
    metrics = algo._learn(6)
    assert draws == [16, 16, 16]
    assert algo.gradient_steps_done == before + 6
    assert set(metrics) >= {"losses/td_loss", "losses/q_values", "charts/action_gap"}
