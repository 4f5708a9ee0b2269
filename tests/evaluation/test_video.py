"""Eval videos: mp4 files whose frames show the env, GIFs TensorBoard lists, headless."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from advrun.collect.adapters import adapt
from advrun.config.schema import EnvConfig
from advrun.evaluation.episodes import EpisodeTracker
from advrun.evaluation.video import EpisodeRecorder, EvalVideos, make_recording_envs
from advrun.networks import build_actor_critic
from advrun.training.evaluate import evaluate

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

POLE = np.array([202, 152, 101])  # CartPole's pole colour (gymnasium's renderer)


def read_mp4(path: Path) -> tuple[list[np.ndarray], dict]:
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in frames], meta


def shows_cartpole(frame: np.ndarray) -> bool:
    """White background, a black cart and the brown pole (H.264 blurs colours a bit)."""
    white = np.all(frame > 230, axis=-1).mean()
    black = np.all(frame < 40, axis=-1).sum()
    pole = np.all(np.abs(frame.astype(int) - POLE) < 30, axis=-1).sum()
    return white > 0.8 and black > 500 and pole > 200


def _model(envs) -> torch.nn.Module:
    return build_actor_critic(
        envs.single_observation_space,
        envs.single_action_space,
        hidden_sizes=[16],
        activation="tanh",
        shared=True,
        orthogonal_init=True,
        log_std_init=0.0,
    )


CPU = torch.device("cpu")


def _greedy(model):
    return lambda obs: model.act(obs, deterministic=True)[0]


def test_recorder_keeps_the_first_k_episodes_with_their_terminal_frame() -> None:
    envs = EpisodeTracker(EpisodeRecorder(make_recording_envs(EnvConfig(id="CartPole-v1"), 4), 2))
    model = _model(envs)
    returns = evaluate(_greedy(model), adapt(envs, CPU), seed=0, module=model)
    frames = envs.env.frames
    assert len(frames) == 2  # sub-envs 0 and 1 of 4
    # reset frame + one per step up to and including the terminal step:
    assert [len(f) for f in frames] == [int(n) + 1 for n in envs.lengths[:2]]
    assert [len(f) for f in frames] == [int(r) + 1 for r in returns[:2]]  # +1 per step
    assert all(shows_cartpole(f[0]) for f in frames)
    envs.close()


def test_eval_command_writes_mp4_and_tensorboard_gif(cli, train_run, tmp_path: Path) -> None:
    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import (
        IMAGES,
        EventAccumulator,
    )

    run = train_run(tmp_path / "run")
    cli(["eval", f"run={run}", "episodes=3", "video=true", "video_episodes=2"])
    videos = sorted((run / "videos").glob("*.mp4"))
    # the checkpoint's step (256) in the name, one file per recorded episode
    assert [v.name for v in videos] == [
        "eval-step000000256-episode0.mp4",
        "eval-step000000256-episode1.mp4",
    ]
    frames, meta = read_mp4(videos[0])
    assert meta["fps"] == 50.0  # CartPole's render_fps
    assert len(frames) > 5 and all(shows_cartpole(f) for f in frames)
    report = (run / "checkpoints" / "best.eval.json").read_text()
    assert str(videos[0]) in report

    acc = EventAccumulator(str(run), size_guidance={IMAGES: 0}).Reload()
    assert {"eval/video_episode0", "eval/video_episode1"} <= set(acc.Tags()["images"])
    (event,) = acc.Images("eval/video_episode0")
    assert event.step == 256
    gif = Image.open(io.BytesIO(event.encoded_image_string))
    assert gif.format == "GIF"
    # Pillow merges identical consecutive frames and adds up their durations, so the
    # animation lasts one 20 ms frame (50 fps) per recorded frame.
    total = 0
    for i in range(gif.n_frames):
        gif.seek(i)
        total += gif.info["duration"]
    assert total == 20 * len(frames)
    assert (gif.width, gif.height) == (event.width, event.height) == (256, 171)


def test_trainer_glue_saves_each_evaluation_with_its_step(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    videos = EvalVideos(EnvConfig(id="CartPole-v1"), num_envs=3, episodes=1, run_dir=tmp_path)
    model = _model(videos.envs)
    writer = SummaryWriter(str(tmp_path))
    for step in (100, 200):
        evaluate(_greedy(model), adapt(videos.envs, CPU), seed=step, module=model)
        (path,) = videos.save(step, writer)
        assert path == tmp_path / "videos" / f"eval-step{step:09d}-episode0.mp4"
    writer.close()
    videos.envs.close()


@pytest.mark.parametrize(
    ("env_id", "module", "preprocess"),
    [
        ("LunarLander-v3", "Box2D", None),
        ("HalfCheetah-v5", "mujoco", None),
        ("ALE/Pong-v5", "ale_py", "atari"),
    ],
)
def test_headless_rendering_of_optional_envs(env_id: str, module: str, preprocess) -> None:
    pytest.importorskip(module)
    cfg = EnvConfig(id=env_id, preprocess=preprocess, max_episode_steps=8)
    envs = EpisodeRecorder(make_recording_envs(cfg, 1), 1)
    envs.reset(seed=0)
    for _ in range(3):
        envs.step(envs.action_space.sample())
    frame = envs.frames[0][-1]
    envs.close()
    assert frame.ndim == 3 and frame.shape[2] == 3
    # not blank: many distinct colours and a real spread of intensities
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 4 and frame.std() > 20
