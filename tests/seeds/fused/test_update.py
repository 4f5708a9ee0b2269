"""Each agent's minibatches in a fused update are those of its single run: the same
permutation of its valid rows from its own generator, cut into the same pieces."""

from __future__ import annotations

import torch

from advrun.seeds.fused.update import AgentMajor, _minibatches, per_agent_normalize


def test_minibatches_are_each_agents_single_run_cuts() -> None:
    valid = torch.ones(3, 40, dtype=torch.bool)
    valid[1, ::7] = False  # agent 1 has 34 valid rows, agent 2 has 35
    valid[2, ::8] = False
    rows = [torch.nonzero(v).squeeze(1) for v in valid]
    index, weight = _minibatches(rows, [torch.Generator().manual_seed(s) for s in (1, 2, 3)], 4)
    for k, seed in enumerate((1, 2, 3)):
        # What advrun.algos.ppo.ppo_epochs draws: randperm over the compacted valid rows.
        size = len(rows[k])
        perm = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
        mb = size // 4
        expected = [rows[k][perm[s : s + mb]] for s in range(0, size - mb + 1, mb)]
        for j, part in enumerate(expected):
            width = int(weight[j, k].sum())
            assert width == len(part)
            assert torch.equal(index[j, k, :width], part)
        assert weight[len(expected) :, k].sum() == 0  # no extra steps for this agent
    assert index.shape[0] == 4 and index.shape[2] == 10  # agent 0: 4 of 10


def test_agent_major_keeps_each_agents_flat_order() -> None:
    t, k, n = 3, 2, 4
    x = torch.arange(t * k * n).reshape(t, k * n)
    y = AgentMajor(k)(x)
    for a in range(k):
        assert torch.equal(y[a], x[:, a * n : (a + 1) * n].reshape(-1))


def test_per_agent_normalize_matches_the_single_run() -> None:
    from advrun.advantages import normalize

    adv = torch.randn(3, 50) * torch.tensor([[1.0], [10.0], [0.1]]) + 5
    valid = torch.rand(3, 50) > 0.2
    out = per_agent_normalize(adv, valid)
    for k in range(3):
        torch.testing.assert_close(
            out[k][valid[k]], normalize(adv[k][valid[k]]), rtol=1e-4, atol=1e-5
        )
        assert torch.all(out[k][~valid[k]] == 0)
