"""The recurrent actor-critic: state layout, resets at episode starts, and a sequence
replay that matches step-by-step acting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.networks.recurrent import RecurrentActorCritic, build_recurrent_actor_critic

OBS = spaces.Box(-1.0, 1.0, (2,), np.float32)


def make(cell: str, action: spaces.Space | None = None) -> RecurrentActorCritic:
    torch.manual_seed(0)
    return build_recurrent_actor_critic(
        OBS,
        action or spaces.Discrete(3),
        cell=cell,
        hidden=8,
        hidden_sizes=[16],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
    )


@pytest.mark.parametrize(("cell", "size"), [("lstm", 16), ("gru", 8)])
def test_state_is_one_tensor_per_env(cell: str, size: int) -> None:
    # LSTM: [h | c], 2 x 8; GRU: h, 8.
    net = make(cell)
    assert net.initial_state(5).shape == (5, size)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_start_zeroes_the_state(cell: str) -> None:
    net = make(cell)
    obs = torch.randn(2, 2)
    state = torch.randn(2, net.state_size)
    zero = net.initial_state(2)
    starts = torch.tensor([True, False])
    out, _, nxt = net.step(obs, state, starts)
    out0, _, nxt0 = net.step(obs, zero, torch.tensor([False, False]))
    # Env 0 started: as if from a zero state; env 1 kept its state (so it differs).
    assert torch.equal(out[0], out0[0]) and torch.equal(nxt[0], nxt0[0])
    assert not torch.allclose(out[1], out0[1])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("action", [spaces.Discrete(3), spaces.Box(-1, 1, (2,))])
def test_sequence_replay_matches_acting_step_by_step(cell: str, action: spaces.Space) -> None:
    net = make(cell, action)
    t_len, n = 7, 3
    obs = torch.randn(t_len, n, 2)
    starts = torch.zeros(t_len, n, dtype=torch.bool)
    starts[0, :] = True
    starts[3, 1] = True  # env 1 starts a new episode at row 3
    state0 = torch.randn(n, net.state_size)
    state = state0
    actions, log_probs, values = [], [], []
    with torch.no_grad():
        for t in range(t_len):
            a, lp, v, state = net.act(obs[t], state, starts[t])
            actions.append(a)
            log_probs.append(lp)
            values.append(v)
        lp_seq, ent, v_seq, last = net.evaluate_sequence(obs, torch.stack(actions), starts, state0)
    assert torch.allclose(lp_seq, torch.stack(log_probs), atol=1e-6)
    assert torch.allclose(v_seq, torch.stack(values), atol=1e-6)
    assert torch.allclose(last, state, atol=1e-6) and ent.shape == (t_len, n)


def test_gradients_flow_through_the_whole_segment() -> None:
    # Truncated BPTT over the rollout: the first row's input affects the last row's loss.
    net = make("lstm")
    obs = torch.randn(5, 2, 2, requires_grad=True)
    starts = torch.zeros(5, 2, dtype=torch.bool)
    actions = torch.zeros(5, 2, dtype=torch.long)
    log_prob, _, _, _ = net.evaluate_sequence(obs, actions, starts, net.initial_state(2))
    log_prob[-1].sum().backward()
    assert obs.grad is not None and obs.grad[0].abs().sum() > 0
    # ...but not across an episode start: zeroing the state cuts the dependency.
    obs.grad = None
    starts[2] = True
    log_prob, _, _, _ = net.evaluate_sequence(obs, actions, starts, net.initial_state(2))
    log_prob[-1].sum().backward()
    assert obs.grad[0].abs().sum() == 0 and obs.grad[2].abs().sum() > 0
