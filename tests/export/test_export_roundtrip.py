"""``advrun export``: the ONNX and TorchScript files reproduce the checkpoint's policy.

Each file is run (onnxruntime / torch.jit.load) on 10,000 random observations and
compared with ``ActorCritic.act(deterministic=True)`` from the checkpoint: actions and
distribution parameters within 1e-5; a discrete argmax may only differ on a near-tie.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.config.containers import config_container
from advrun.config.schema import TrainConfig
from advrun.config.validate import to_object
from advrun.export import ActorCriticPolicy, GreedyQPolicy
from advrun.networks import build_actor_critic
from advrun.storage.checkpoint import save_checkpoint

from .conftest import TOL


def _assert_close(diffs: dict[str, dict[str, float]]) -> None:
    for fmt, d in diffs.items():
        assert d["head"] < TOL and d["log_std"] < TOL and d["action"] < TOL, (fmt, d)
        assert d["mismatch"] == 0, (fmt, d)


def test_mlp_discrete_with_obs_norm(train_run, export_and_compare, tmp_path: Path) -> None:
    # normalize_obs: the running mean/var buffers must be baked into the graph.
    run = train_run(tmp_path / "run", network__normalize_obs="true", total_steps=512)
    ckpt = run / "checkpoints" / "last.pt"
    norm_mean = torch.load(ckpt, weights_only=True)["model"]["obs_norm.mean"]
    assert norm_mean.abs().sum() > 0  # the statistics moved, so a missing norm would show
    _assert_close(export_and_compare(ckpt, tmp_path / "out"))


def test_mlp_continuous_pendulum(train_run, export_and_compare, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", env="pendulum", network__normalize_obs="true")
    ckpt = run / "checkpoints" / "last.pt"
    # Make the clip matter: a large bias pushes some means beyond Pendulum's [-2, 2].
    data = torch.load(ckpt, weights_only=True)
    data["model"]["policy_head.bias"] += 2.0  # the mean is ~2 +- small: about half clip
    data["model"]["log_std"] += 0.3
    save_checkpoint(ckpt, {k: v for k, v in data.items() if k != "format_version"})
    _assert_close(export_and_compare(ckpt, tmp_path / "out"))


def test_nature_cnn_from_a_checkpoint_like_dict(
    compose_train, export_and_compare, tmp_path: Path
) -> None:
    pytest.importorskip("ale_py")
    cfg = to_object(compose_train(["env=atari_pong", "network=nature_cnn"]))
    assert isinstance(cfg, TrainConfig)
    frames = spaces.Box(0, 255, (4, 84, 84), dtype=np.uint8)
    torch.manual_seed(0)
    model = build_actor_critic(
        frames,
        spaces.Discrete(6),
        kind="nature_cnn",
        hidden_sizes=[],
        activation="relu",
        shared=True,
        orthogonal_init=False,  # torch's default init: logits far from uniform
        log_std_init=0.0,
    )
    ckpt = tmp_path / "cnn.pt"
    save_checkpoint(
        ckpt, {"model": model.state_dict(), "config": config_container(cfg), "global_step": 7}
    )
    # 2,000 random frames (each 28,224 pixels) rather than the MLPs' 10,000: three CNN
    # passes over 10,000 frames took ~30 s of this test's ~45 s on 2 cores.
    _assert_close(export_and_compare(ckpt, tmp_path / "out", n=2_000))
    meta = json.loads((tmp_path / "out" / "p.onnx.json").read_text())
    assert meta["inputs"] == [{"name": "obs", "shape": ["batch", 4, 84, 84], "dtype": "uint8"}]
    assert meta["checkpoint_step"] == 7


def test_metadata_and_default_output_path(cli, train_run, tmp_path: Path, capsys) -> None:
    trained_run = train_run(tmp_path / "run")
    cli(["export", f"run={trained_run}", "which=last", "check_observations=50"])
    out = trained_run / "export" / "last.onnx"
    assert out.is_file() and str(out) in capsys.readouterr().out
    meta = json.loads((trained_run / "export" / "last.onnx.json").read_text())
    assert meta["env_id"] == "CartPole-v1"
    assert meta["action_space"] == {"type": "Discrete", "n": 2, "start": 0}
    assert meta["observation_space"]["type"] == "Box"
    assert meta["observation_space"]["shape"] == [4]
    assert meta["outputs"] == [{"name": "action", "shape": ["batch"], "dtype": "int64"}]
    assert meta["checkpoint_step"] == 256  # tiny run: total_steps=256
    assert meta["run_dir"] == str(trained_run.resolve())
    assert meta["torch_version"] == torch.__version__
    assert meta["bytes"] == out.stat().st_size
    assert meta["check"] == {"observations": 50.0, "action_mismatches": 0.0}


@pytest.mark.parametrize(
    ("args", "key"),
    [(["format=tflite"], "`format`"), (["outputs=probs"], "`outputs`"), ([], "`run`")],
)
def test_bad_export_arguments_exit_2(
    cli, trained_run: Path, capsys, args: list[str], key: str
) -> None:
    run = [f"run={trained_run}"] if args else []
    with pytest.raises(SystemExit) as info:
        cli(["export", *run, *args])
    assert info.value.code == 2
    assert key in capsys.readouterr().err


def test_batch_axis_is_dynamic(cli, trained_run: Path, tmp_path: Path) -> None:
    from advrun.export import run_exported

    out = tmp_path / "p.onnx"
    cli(["export", f"run={trained_run}", f"out={out}", "check_observations=0"])
    for batch in (1, 3, 257):
        (action,) = run_exported(out, "onnx", np.zeros((batch, 4), dtype=np.float32))
        assert action.shape == (batch,)


def test_greedy_q_policy_is_argmax_of_q() -> None:
    # Q-values for two observations, hand-set through a linear layer with zero weights:
    # Q = bias = [0.5, 2.0, -1.0] for every row -> action 1.
    q = torch.nn.Linear(3, 3)
    torch.nn.init.zeros_(q.weight)
    with torch.no_grad():
        q.bias.copy_(torch.tensor([0.5, 2.0, -1.0]))
    policy = GreedyQPolicy(q, spaces.Box(-1, 1, (3,)), outputs="dist")
    action, values = policy(torch.zeros(2, 3))
    assert action.tolist() == [1, 1]
    assert policy.output_names == ("action", "q_values")
    torch.testing.assert_close(values, torch.tensor([[0.5, 2.0, -1.0]] * 2))


def test_continuous_action_is_clipped_per_dimension() -> None:
    # Box low [-1, -2], high [1, 2]; a mean of [3, -3] clips to [1, -2].
    act = spaces.Box(np.array([-1.0, -2.0]), np.array([1.0, 2.0]), dtype=np.float32)
    model = build_actor_critic(
        spaces.Box(-1, 1, (2,)),
        act,
        hidden_sizes=[],
        activation="tanh",
        shared=True,
        orthogonal_init=False,
        log_std_init=0.0,
    )
    with torch.no_grad():
        model.policy_head.weight.zero_()
        model.policy_head.bias.copy_(torch.tensor([3.0, -3.0]))
    policy = ActorCriticPolicy(model, spaces.Box(-1, 1, (2,)), act, outputs="dist")
    action, mean, log_std = policy(torch.zeros(1, 2))
    assert action.tolist() == [[1.0, -2.0]]
    assert mean.tolist() == [[3.0, -3.0]] and log_std.tolist() == [[0.0, 0.0]]
