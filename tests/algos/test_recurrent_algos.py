"""Recurrent policies through ``advrun train`` / ``eval`` / ``resume`` for every on-policy
algorithm, and the pieces the update relies on (the state before the rollout, sequence
minibatches over envs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from advrun.algos.batch import SequenceBatch
from advrun.storage.checkpoint import load_checkpoint


@pytest.mark.parametrize(
    "extra",
    [
        ["algo=ppo", "network=lstm"],
        ["algo=ppo", "network=gru", "algo.recompute_advantages=true"],
        ["algo=ppo", "network=lstm", "advantage=vtrace"],
        ["algo=a2c", "network=lstm"],
        ["algo=reinforce", "network=lstm", "advantage=rloo", "advantage.group_size=2"],
    ],
    ids=["ppo-lstm", "ppo-gru-recompute", "ppo-lstm-vtrace", "a2c-lstm", "reinforce-rloo"],
)
def test_train_eval_resume(extra: list[str], cli, tiny, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    cli(["train", *tiny(algo__rollout_steps=16), *extra, f"hydra.run.dir={run}"])
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    # The recurrent state [num_envs, state_size] is in the checkpoint, and is not zero.
    size = 128 if "network=lstm" in extra else 64
    rnn = state["algo_state"]["rnn_state"]
    assert rnn.shape == (2, size) and rnn.abs().sum() > 0
    assert state["collector"]["starts"].shape == (2,)
    capsys.readouterr()
    cli(["eval", f"run={run}", "episodes=3"])
    assert capsys.readouterr().out.startswith("3 episodes: return ")
    cli(["train", f"resume={run}", "total_steps=512"])
    # Group rollouts (rloo) play whole episodes, so they may overshoot total_steps.
    assert load_checkpoint(run / "checkpoints" / "last.pt")["global_step"] >= 512


def test_sequence_minibatches_select_envs() -> None:
    t, n, s = 3, 4, 2
    batch = SequenceBatch(
        obs=torch.arange(t * n * 5.0).reshape(t, n, 5),
        actions=torch.zeros(t, n, dtype=torch.long),
        log_probs=torch.zeros(t, n),
        values=torch.zeros(t, n),
        advantages=torch.arange(t * n * 1.0).reshape(t, n),
        returns=torch.zeros(t, n),
        valid=torch.ones(t, n, dtype=torch.bool),
        starts=torch.zeros(t, n, dtype=torch.bool),
        state0=torch.arange(n * s * 1.0).reshape(n, s),
    )
    assert len(batch) == n  # minibatches are cut over envs
    mb = batch.index(torch.tensor([2, 0]))
    # Whole columns (every row of envs 2 and 0) and those envs' initial states.
    assert mb.advantages.tolist() == [[2.0, 0.0], [6.0, 4.0], [10.0, 8.0]]
    assert mb.state0.tolist() == [[4.0, 5.0], [0.0, 1.0]]
