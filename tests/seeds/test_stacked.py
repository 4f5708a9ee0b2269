"""The batched forward of K models equals each model's own forward: bitwise for the
policy logits (4+ rows on CPU), within float noise for the value head (Linear(64, 1):
the batched bmm and the module's addmm round differently; advrun.seeds.lockstep)."""

from __future__ import annotations

import torch
from seeds.agents import seeded_models

from advrun.seeds.stacked import StackedModels


def test_stacked_forward_matches_each_model(compose_train) -> None:
    torch.set_num_threads(1)
    models = seeded_models(compose_train, 5, ["network.normalize_obs=true"])
    for k, model in enumerate(models):  # distinct observation statistics per agent
        model.obs_norm.update(torch.randn(50, 4) * (k + 1) + k)
    stack = StackedModels(models)
    obs = torch.randn(5, 16, 4)
    out, values = stack.forward(obs)
    assert out.shape == (5, 16, 2) and values.shape == (5, 16)
    with torch.no_grad():
        for k, model in enumerate(models):
            logits, value = model(obs[k])
            assert torch.equal(out[k], logits)
            torch.testing.assert_close(values[k], value, rtol=1e-6, atol=1e-6)
    # A subset of the agents (those still collecting) by index.
    index = torch.tensor([3, 0])
    sub_out, _ = stack.forward(obs[index], index)
    with torch.no_grad():
        assert torch.equal(sub_out[0], models[3](obs[3])[0])


def test_restack_follows_the_models(compose_train) -> None:
    models = seeded_models(compose_train, 2)
    stack = StackedModels(models)
    with torch.no_grad():
        for p in models[1].parameters():
            p.add_(1.0)
    obs = torch.randn(2, 8, 4)
    stale, _ = stack.forward(obs)
    stack.restack()
    fresh, _ = stack.forward(obs)
    with torch.no_grad():
        assert not torch.equal(stale[1], models[1](obs[1])[0])
        assert torch.equal(fresh[1], models[1](obs[1])[0])
        assert torch.equal(fresh[0], stale[0])
