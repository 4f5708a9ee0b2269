"""DQN-family target operators and losses: hand-computed numbers and identities."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from advrun.algos.dqn import (
    action_gap,
    advantage_learning,
    bootstrap_value,
    greedy_value,
    persistent_advantage_learning,
    td_loss,
)

Q_S = torch.tensor([[1.0, 4.0, 2.0]] * 3)  # V~(s) = 4 in every row
TARGET = torch.tensor([10.0, 10.0, 10.0])


def test_greedy_value() -> None:
    q = torch.tensor([[1.0, 3.0, 2.0], [-1.0, -2.0, -0.5]])
    torch.testing.assert_close(greedy_value(q), torch.tensor([3.0, -0.5]))


def test_bootstrap_plain_vs_double() -> None:
    q_target = torch.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]])
    q_online = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 9.0]])
    # DQN: max over the target row -> [5, 4].
    torch.testing.assert_close(bootstrap_value(q_target), torch.tensor([5.0, 4.0]))
    # Double DQN: the online argmax is [0, 2]; the target values them: [1, 3].
    torch.testing.assert_close(bootstrap_value(q_target, q_online), torch.tensor([1.0, 3.0]))


def test_bootstrap_any_leading_shape() -> None:
    gen = torch.Generator().manual_seed(0)
    q_target = torch.randn(3, 5, 4, generator=gen)  # an [n, B, A] window
    q_online = torch.randn(3, 5, 4, generator=gen)
    plain = bootstrap_value(q_target)
    double = bootstrap_value(q_target, q_online)
    assert plain.shape == double.shape == (3, 5)
    for k in range(3):
        torch.testing.assert_close(plain[k], bootstrap_value(q_target[k]))
        torch.testing.assert_close(double[k], bootstrap_value(q_target[k], q_online[k]))


def test_bootstrap_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        bootstrap_value(torch.zeros(2, 3), torch.zeros(2, 4))


def test_advantage_learning_hand_computed() -> None:
    actions = torch.tensor([1, 0, 2])
    # gaps V~(s) - Q~(s,a): a=1 -> 4-4 = 0; a=0 -> 4-1 = 3; a=2 -> 4-2 = 2.
    # alpha 0.5: [10 - 0, 10 - 1.5, 10 - 1] = [10, 8.5, 9].
    out = advantage_learning(TARGET, Q_S, actions, 0.5)
    torch.testing.assert_close(out, torch.tensor([10.0, 8.5, 9.0]))


def test_advantage_learning_alpha_zero_is_target() -> None:
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(6, 4, generator=gen)
    target = torch.randn(6, generator=gen)
    actions = torch.randint(4, (6,), generator=gen)
    torch.testing.assert_close(advantage_learning(target, q, actions, 0.0), target)


def test_pal_hand_computed() -> None:
    actions = torch.tensor([0, 2, 2])
    q_next = torch.tensor([[3.0, 3.0, 0.0], [5.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    not_term = torch.zeros(3, dtype=torch.bool)
    # gap_s:    a=0 -> 3; a=2 -> 2; a=2 -> 2
    # gap_next: row0 a=0: 3-3 = 0; row1 a=2: 5-1 = 4; row2 a=2: 2-1 = 1
    # min:      [0, 2, 1]  -> PAL = 10 - 0.5 * [0, 2, 1] = [10, 9, 9.5]
    out = persistent_advantage_learning(TARGET, Q_S, q_next, actions, 0.5, not_term)
    torch.testing.assert_close(out, torch.tensor([10.0, 9.0, 9.5]))
    # AL for the same rows: 10 - 0.5 * [3, 2, 2] = [8.5, 9, 9]; PAL is the larger target.
    al = advantage_learning(TARGET, Q_S, actions, 0.5)
    torch.testing.assert_close(al, torch.tensor([8.5, 9.0, 9.0]))


def test_pal_terminated_vs_truncated() -> None:
    q_s = torch.tensor([[1.0, 4.0, 2.0]] * 2)
    q_next = torch.tensor([[0.0, 6.0, 0.0]] * 2)
    actions = torch.tensor([0, 0])
    target = torch.tensor([10.0, 10.0])
    terminated = torch.tensor([False, True])
    # gap_s = 4 - 1 = 3; gap at s' for a=0 = 6 - 0 = 6.
    # Truncated (row 0): s' is real, min(3, 6) = 3 -> 10 - 0.5 * 3 = 8.5 (= T_AL).
    # Terminated (row 1): the terminal gap is 0, min(3, 0) = 0 -> 10 = max(T_AL, T) = T.
    out = persistent_advantage_learning(target, q_s, q_next, actions, 0.5, terminated)
    torch.testing.assert_close(out, torch.tensor([8.5, 10.0]))


def test_pal_between_al_and_target() -> None:
    gen = torch.Generator().manual_seed(2)
    q_s, q_next = torch.randn(64, 5, generator=gen), torch.randn(64, 5, generator=gen)
    target = torch.randn(64, generator=gen)
    actions = torch.randint(5, (64,), generator=gen)
    terminated = torch.rand(64, generator=gen) < 0.2
    pal = persistent_advantage_learning(target, q_s, q_next, actions, 0.9, terminated)
    al = advantage_learning(target, q_s, actions, 0.9)
    assert (pal >= al).all() and (pal <= target).all()
    assert (pal > al).any()  # the persistence term matters somewhere in this batch
    torch.testing.assert_close(pal[terminated], target[terminated])


def test_action_gap() -> None:
    q = torch.tensor([[1.0, 4.0, 2.0], [3.0, 3.0, 1.0], [-2.0, -5.0, -1.0]])
    # best - second best: 4-2 = 2; 3-3 = 0 (tie); -1-(-2) = 1.
    torch.testing.assert_close(action_gap(q), torch.tensor([2.0, 0.0, 1.0]))
    torch.testing.assert_close(action_gap(torch.tensor([[7.0], [1.0]])), torch.zeros(2))


def test_td_loss_hand_computed() -> None:
    q = torch.tensor([0.0, 0.0])
    target = torch.tensor([0.5, 3.0])
    # huber: 0.5 * 0.5^2 = 0.125 and |3| - 0.5 = 2.5 -> mean 1.3125
    torch.testing.assert_close(td_loss(q, target, "huber"), torch.tensor(1.3125))
    # mse: 0.5 * mean(0.25, 9) = 0.5 * 4.625 = 2.3125
    torch.testing.assert_close(td_loss(q, target, "mse"), torch.tensor(2.3125))
    # Inside |d| <= 1 both are 0.5 * mean(d^2): 0.5 * (0.25 + 0.64) / 2 = 0.2225.
    small = torch.tensor([0.5, -0.8])
    torch.testing.assert_close(td_loss(q, small, "huber"), torch.tensor(0.2225))
    torch.testing.assert_close(td_loss(q, small, "mse"), torch.tensor(0.2225))
    with pytest.raises(ValueError, match="unknown td loss"):
        td_loss(q, target, "l1")
    with pytest.raises(ValueError, match="same shape"):
        td_loss(q, target[:1])


def test_operators_do_not_detach() -> None:
    """Gradients flow through the operators when the inputs carry them, so a caller who
    forgot ``no_grad`` is not silently rescued (and can be caught by a check)."""
    q_s = torch.tensor([[1.0, 4.0, 2.0]], requires_grad=True)
    out = advantage_learning(torch.tensor([10.0]), q_s, torch.tensor([0]), 0.5)
    out.sum().backward()
    # d/dQ~ of 10 - 0.5 * (Q~[1] - Q~[0]): +0.5 at the taken action 0, -0.5 at the argmax 1.
    torch.testing.assert_close(q_s.grad, torch.tensor([[0.5, -0.5, 0.0]]))


def test_gradients_reach_only_the_online_network() -> None:
    torch.manual_seed(0)
    online, target_net = nn.Linear(4, 3), nn.Linear(4, 3)
    obs, next_obs = torch.randn(8, 4), torch.randn(8, 4)
    actions = torch.randint(3, (8,))
    rewards = torch.randn(8)
    with torch.no_grad():  # the caller's contract: target-network outputs carry no graph
        target = rewards + 0.99 * bootstrap_value(target_net(next_obs), online(next_obs))
        target = persistent_advantage_learning(
            target,
            target_net(obs),
            target_net(next_obs),
            actions,
            0.9,
            torch.zeros(8, dtype=torch.bool),
        )
    q_sa = online(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
    td_loss(q_sa, target).backward()
    assert all(p.grad is None for p in target_net.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in online.parameters())
