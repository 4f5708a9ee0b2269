"""Every supported space through the real ``advrun train`` path (``env.make`` on the cue
envs of ``tests/envs/user_envs/cue_envs.py``), and the refused space x algo combos."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from advrun.collect.actions import EnvActions
from advrun.storage.checkpoint import load_checkpoint

pytestmark = pytest.mark.usefixtures("user_envs_on_path")


def cue(obs: str, act: str, *extra: str) -> list[str]:
    return [
        "env=custom",
        "env.make=cue_envs:make",
        f"+env.kwargs.obs={obs}",
        f"+env.kwargs.act={act}",
        *extra,
    ]


# (obs, act, algo, extra overrides): every obs kind, every action kind, every algorithm
# that takes it; normalize_obs on a Dict (per vector leaf) and a channel-first image.
COMBOS = [
    ("dict", "discrete", "ppo", ["network.normalize_obs=true"]),
    ("dict", "multi_discrete", "ppo", ["+env.kwargs.channels_first=true"]),
    ("tuple", "multi_discrete", "a2c", []),
    ("discrete", "multi_binary", "reinforce", ["+env.kwargs.obs_start=3"]),
    ("box", "multi_binary", "ppo", []),
    ("dict", "discrete", "dqn", ["algo.learning_starts=64"]),
    ("discrete", "discrete", "dqn", ["algo.learning_starts=64"]),
]


@pytest.mark.parametrize(("obs", "act", "algo", "extra"), COMBOS)
def test_train_each_space(
    obs: str, act: str, algo: str, extra: list[str], cli, tiny, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    args = tiny(algo__rollout_steps=None) if algo == "dqn" else tiny()
    cli(["train", f"algo={algo}", *args, *cue(obs, act, *extra), f"hydra.run.dir={run}"])
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["global_step"] == 256
    assert list(run.glob("events.out.tfevents.*"))
    if "network.normalize_obs=true" in extra:
        # Only the float vector leaf has running statistics; they moved off 0.
        keys = [k for k in state["model"] if k.startswith("obs_norm.")]
        assert sorted(keys) == [f"obs_norm.norms.cue.{s}" for s in ("count", "mean", "var")]
        assert state["model"]["obs_norm.norms.cue.mean"].abs().sum() > 0


def test_eval_and_resume_a_dict_run(cli, tiny, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    cli(["train", *tiny(), *cue("dict", "multi_binary"), f"hydra.run.dir={run}"])
    capsys.readouterr()
    # The cue env is test code named by env.make: eval needs the user's trust.
    cli(["eval", f"run={run}", "episodes=2", "trust_env_code=true"])
    assert capsys.readouterr().out.startswith("2 episodes: return ")
    cli(["train", f"resume={run}", "total_steps=512"])
    assert load_checkpoint(run / "checkpoints" / "last.pt")["global_step"] == 512


@pytest.mark.parametrize("act", ["multi_discrete", "multi_binary"])
def test_dqn_refuses_non_discrete_actions_with_exit_2(
    act: str, cli, tiny, tmp_path: Path, capsys
) -> None:
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as info:
        args = tiny(algo__rollout_steps=None)
        cli(["train", "algo=dqn", *args, *cue("box", act), f"hydra.run.dir={run}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    space = {"multi_discrete": "MultiDiscrete", "multi_binary": "MultiBinary"}[act]
    assert "`algo`" in err and "algo=dqn" in err and space in err
    assert not list(run.rglob("*.pt")) and not list(run.rglob("events.out.tfevents.*"))


def test_multi_actions_reach_the_env_in_its_dtype_shape_and_start() -> None:
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * 2)
    envs.single_action_space = gym.spaces.MultiDiscrete([3, 2], start=[1, -1])
    to_env = EnvActions(envs, torch.device("cpu"), native=False)
    out = to_env(torch.tensor([[0, 1], [2, 0]]))
    # Indices from 0 plus start [1, -1]: [[1, 0], [3, -1]], in the space's int64.
    assert out.tolist() == [[1, 0], [3, -1]] and out.dtype == np.int64
    envs.single_action_space = gym.spaces.MultiBinary(3)
    to_env = EnvActions(envs, torch.device("cpu"), native=False)
    out = to_env(torch.tensor([[1.0, 0.0, 1.0]]))
    assert out.tolist() == [[1, 0, 1]] and out.dtype == np.int8
    envs.close()
