"""The stacked network is each agent's own: its forward, log-probabilities and entropy
equal each module's within float noise, agent k's gradient of ``sum_k L_k`` equals the
gradient of its own loss, and clipping scales each agent on its own norm."""

from __future__ import annotations

import pytest
import torch
from seeds.agents import seeded_models

from advrun.seeds.fused.model import StackedActorCritic, clip_per_agent, unsupported

CLOSE = {"rtol": 1e-5, "atol": 1e-6}


CASES = {
    "discrete": ("CartPole-v1", ["network.normalize_obs=true"]),
    "continuous-shared": ("Pendulum-v1", ["network.shared=true", "network.log_std_init=-0.5"]),
    "relu-3-layers": ("Acrobot-v1", ["network.activation=relu", "network.hidden_sizes=[16,8,4]"]),
}


@pytest.fixture(params=sorted(CASES))
def models(request, compose_train) -> list[torch.nn.Module]:
    env_id, overrides = CASES[request.param]
    models = seeded_models(compose_train, 3, overrides, env_id)
    for k, model in enumerate(models):
        with torch.no_grad():  # distinct log-stds and observation statistics per agent
            if getattr(model, "log_std", None) is not None:
                model.log_std.add_(0.1 * k)
        if model.obs_norm is not None:
            model.obs_norm.update(torch.randn(50, model.obs_dim) * (k + 1) + k)
    return models


def _obs_actions(model: torch.nn.Module, k: int, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    obs = torch.randn(k, rows, model.obs_dim)
    if model.is_continuous:
        return obs, torch.randn(k, rows, model.action_dim)
    return obs, torch.randint(0, model.action_dim, (k, rows))


def test_forward_and_log_probs_match_each_module(models) -> None:
    stack = StackedActorCritic(models)
    obs, actions = _obs_actions(models[0], len(models), 16)
    with torch.no_grad():
        out, values = stack.forward(obs)
        log_prob, entropy = stack.log_prob_entropy(out, actions)
        for k, model in enumerate(models):
            own_lp, own_ent, own_v = model.evaluate_actions(obs[k], actions[k])
            torch.testing.assert_close(values[k], own_v, **CLOSE)
            torch.testing.assert_close(log_prob[k], own_lp, **CLOSE)
            torch.testing.assert_close(entropy[k], own_ent, **CLOSE)
            torch.testing.assert_close(stack.value(obs)[k], model.value(obs[k]), **CLOSE)
            torch.testing.assert_close(stack.policy(obs)[k], model(obs[k])[0], **CLOSE)


def test_each_agent_gets_its_own_gradient(models) -> None:
    stack = StackedActorCritic(models)
    obs, actions = _obs_actions(models[0], len(models), 32)
    out, values = stack.forward(obs)
    log_prob, entropy = stack.log_prob_entropy(out, actions)
    # A different loss weight per agent: a slice that leaked into another agent's
    # gradient would show up.
    scale = torch.tensor([1.0, 2.0, 3.0])
    loss = (scale * (log_prob.mean(1) + values.square().mean(1) - 0.1 * entropy.mean(1))).sum()
    loss.backward()
    for k, model in enumerate(models):
        lp, ent, v = model.evaluate_actions(obs[k], actions[k])
        (scale[k] * (lp.mean() + v.square().mean() - 0.1 * ent.mean())).backward()
        for name, p in model.named_parameters():
            torch.testing.assert_close(stack.params[name].grad[k], p.grad, **CLOSE)


def test_clipping_is_per_agent(models) -> None:
    stack = StackedActorCritic(models)
    for p in stack.parameters():
        p.grad = torch.randn_like(p) * torch.tensor([0.001, 1.0, 100.0]).view(
            -1, *([1] * (p.dim() - 1))
        )
    own = []  # each agent's gradient on tensors of its own, for torch's clipping
    for k in range(3):
        tensors = [torch.zeros_like(p[k]) for p in stack.parameters()]
        for t, p in zip(tensors, stack.parameters(), strict=True):
            t.grad = p.grad[k].clone()
        own.append(tensors)
    norms = clip_per_agent(stack.parameters(), 0.5)
    for k in range(3):
        expected = torch.nn.utils.clip_grad_norm_(own[k], 0.5)
        torch.testing.assert_close(norms[k], expected)
        for p, t in zip(stack.parameters(), own[k], strict=True):
            torch.testing.assert_close(p.grad[k], t.grad)
    assert norms[0] < 0.5 < norms[1]  # agent 0 was left alone, the others scaled


def test_write_back_and_keep(models) -> None:
    stack = StackedActorCritic(models)
    with torch.no_grad():
        for p in stack.parameters():
            p.add_(1.0)
    stack.write_back()
    name, p = next(iter(models[2].named_parameters()))
    assert torch.equal(p, stack.params[name][2])
    stack.keep([2, 0])
    assert stack.k == 2 and stack.models == [models[2], models[0]]
    assert torch.equal(stack.params[name][0], p)


def test_sampling_draws_from_each_agents_generator(models) -> None:
    """Agent k's draws depend on its generator only: the same with any companions."""
    stack = StackedActorCritic(models)
    obs, _ = _obs_actions(models[0], 3, 8)
    with torch.no_grad():
        out, _ = stack.forward(obs)
        gens = [torch.Generator().manual_seed(s) for s in (5, 6, 7)]
        action, log_prob = stack.sample(out, gens)
        alone = stack.subset([1])
        action1, log_prob1 = alone.sample(
            alone.forward(obs[1:2])[0], [torch.Generator().manual_seed(6)]
        )
    torch.testing.assert_close(action[1], action1[0], **CLOSE)
    torch.testing.assert_close(log_prob[1], log_prob1[0], **CLOSE)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("actions", [2, 5])
def test_a_draw_is_torch_multinomials_bit_for_bit(actions: int, device: str) -> None:
    """The batch's categorical draw equals ``torch.multinomial(p, 1, generator=g)`` per
    agent, and leaves each generator where multinomial leaves it, from flat to peaked
    probabilities (a torch that drew otherwise would fail here, not drift silently)."""
    from advrun.seeds.fused.model import _one_draw_each

    for trial in range(200):
        logits = torch.randn(3, 16, actions, generator=torch.Generator().manual_seed(trial))
        probs = torch.softmax(logits * (trial % 7), dim=-1).to(device)
        ours = [torch.Generator(device).manual_seed(1000 + trial * 3 + k) for k in range(3)]
        theirs = [torch.Generator(device).manual_seed(1000 + trial * 3 + k) for k in range(3)]
        got = _one_draw_each(probs, ours)
        want = torch.stack(
            [torch.multinomial(probs[k], 1, generator=g).squeeze(-1) for k, g in enumerate(theirs)]
        )
        assert torch.equal(got, want), trial
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a.get_state(), b.get_state())


def test_frozen_copy_computes_the_same_network(models) -> None:
    """``frozen()`` only lays the weights out once (contiguous ``W^T``): the same
    forward, value and policy, for the whole stack and for a subset; the stack itself
    keeps computing from its live parameters."""
    stack = StackedActorCritic(models)
    obs, _ = _obs_actions(models[0], len(models), 16)
    with torch.no_grad():
        frozen = stack.frozen()
        for a, b in zip(frozen.forward(obs), stack.forward(obs), strict=True):
            torch.testing.assert_close(a, b, **CLOSE)
        torch.testing.assert_close(frozen.value(obs), stack.value(obs), **CLOSE)
        sub = stack.subset([2, 0]).frozen()
        torch.testing.assert_close(sub.policy(obs[[2, 0]]), stack.policy(obs)[[2, 0]], **CLOSE)
        for p in stack.parameters():
            p.add_(1.0)
        assert not torch.allclose(stack.policy(obs), frozen.policy(obs))
    assert not stack._ready and frozen._ready


def test_actions_take_a_single_runs_mode(models) -> None:
    """Deterministic actions are each module's ``deterministic_action`` of its own
    output (the logits' argmax, the Gaussian mean); otherwise :meth:`sample`'s draw."""
    stack = StackedActorCritic(models)
    obs, _ = _obs_actions(models[0], len(models), 32)
    with torch.no_grad():
        out = stack.policy(obs)
        gens = [torch.Generator().manual_seed(s) for s in (1, 2, 3)]
        greedy = stack.actions(out, gens, deterministic=True)
        for k, model in enumerate(models):
            torch.testing.assert_close(greedy[k], model.deterministic_action(out[k]))
        drawn = stack.actions(out, [torch.Generator().manual_seed(s) for s in (1, 2, 3)], False)
        torch.testing.assert_close(drawn, stack.sample(out, gens)[0])


def test_unsupported_networks_are_named(compose_train) -> None:
    (recurrent,) = seeded_models(compose_train, 1, ["network=gru"])
    assert "RecurrentActorCritic" in (unsupported(recurrent) or "")
    (frozen,) = seeded_models(compose_train, 1)
    frozen.actor_trunk.fc0.weight.requires_grad_(False)
    assert "frozen" in (unsupported(frozen) or "")
    (multi,) = seeded_models(compose_train, 1)
    multi.action_kind = "multi_binary"
    assert "multi_binary" in (unsupported(multi) or "")
