"""Videos of evaluation episodes: mp4 files under ``<run dir>/videos/`` and animated
GIFs in TensorBoard (the Images tab plays them), headless.

The recorder is a gymnasium vector-env wrapper, so whatever plays the evaluation (the
trainer's :func:`advrun.training.evaluate.evaluate`, ``advrun eval``) is unchanged: at
each ``reset`` it starts keeping the frames of sub-envs ``0..K-1`` and stops each at
the end of its first episode -- the first K of the evaluation's episodes (one episode
per sub-env), terminal frame included (NEXT_STEP autoreset renders the final state
before the reset step).

Rendering needs ``render_mode="rgb_array"`` at env creation (:func:`make_recording_envs`):
classic control and Box2D draw with pygame into an off-screen surface; MuJoCo needs an
off-screen OpenGL context, which ``MUJOCO_GL=egl`` gives without a display (osmesa
failed here); without ``DISPLAY`` both it and ``SDL_VIDEODRIVER=dummy`` (pygame's
display init otherwise complains about XDG_RUNTIME_DIR) are set unless already set.
Recording envs are always ``vectorization=sync`` (see :func:`make_recording_envs`), so
with ``video`` on, an evaluation's episodes can differ from the native vector env's
(same dynamics, other per-sub-env seeding).

TensorBoard's ``SummaryWriter.add_video`` is not used: in torch 2.13 it imports
``moviepy.editor``, which moviepy 2 removed, and then silently writes nothing. The GIF
is written with Pillow and logged as the same ``Summary.Image`` add_video would log.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from advrun.config.errors import ConfigError
from advrun.config.schema import EnvConfig

GIF_MAX_SIDE = 256
"""TensorBoard GIFs are downscaled so their longer side is at most this many pixels."""
GIF_MAX_FRAMES = 250
"""...and keep at most this many frames (every k-th), so event files stay small."""
DEFAULT_FPS = 30.0
ATARI_HZ = 60.0
"""The Atari 2600's (NTSC) frame rate; ale-py's metadata says 30."""


def _require_video_packages() -> None:
    try:
        import imageio_ffmpeg  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as err:
        raise ConfigError(
            "video",
            f"recording videos needs an optional package that is not installed ({err}).",
            "pip install 'advrun[video]'.",
        ) from None


def make_recording_envs(env: EnvConfig, num_envs: int) -> gym.vector.VectorEnv:
    """Evaluation envs like ``build_envs(env, num_envs, training=False)`` that render
    ``rgb_array`` frames: gymnasium backend, ``sync`` vectorization. Sync renders only
    the recorded sub-envs (a native vector env renders all of them: CartPole's 20 eval
    envs took 33 s instead of 10 s for 500 steps here) and ale-py's native Atari vector
    env cannot render at all."""
    from advrun.training.builders import build_envs

    _require_video_packages()
    if "DISPLAY" not in os.environ:  # headless: off-screen GL and SDL without a window
        os.environ.setdefault("MUJOCO_GL", "egl")
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    cfg = dataclasses.replace(
        env,
        backend="gymnasium",
        vectorization="sync",
        kwargs={**dict(env.kwargs), "render_mode": "rgb_array"},
    )
    return build_envs(cfg, num_envs=num_envs, training=False)


def video_fps(envs: gym.vector.VectorEnv, env: EnvConfig) -> float:
    """Frames per second at which one env step is one video frame: the env's
    ``render_fps``, or 60 Hz / 4 under the Atari preprocessing (4 emulator frames a step),
    so videos play in real time."""
    from advrun.envs.factory import ATARI_FRAME_SKIP

    if env.preprocess == "atari":
        return ATARI_HZ / ATARI_FRAME_SKIP
    return float(envs.metadata.get("render_fps") or DEFAULT_FPS)


class EpisodeRecorder(gym.vector.VectorWrapper):
    """Keeps the frames of the first episode of sub-envs ``0..episodes-1`` after each
    ``reset``; :attr:`frames` holds them (one list of ``[H, W, 3]`` uint8 per episode).
    ``enabled = False`` makes it a pass-through."""

    def __init__(self, env: gym.vector.VectorEnv, episodes: int) -> None:
        super().__init__(env)
        if env.render_mode != "rgb_array":
            raise ValueError(
                f"EpisodeRecorder needs render_mode='rgb_array', got {env.render_mode!r}"
            )
        self.episodes = max(0, min(int(episodes), env.num_envs))
        self.enabled = True
        self.frames: list[list[np.ndarray]] = []
        self._active = np.zeros(self.episodes, dtype=bool)

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None) -> Any:
        out = self.env.reset(seed=seed, options=options)
        self.frames = [[] for _ in range(self.episodes)] if self.enabled else []
        self._active[:] = self.enabled
        self._capture()
        return out

    def step(self, actions: Any) -> Any:
        obs, reward, terminated, truncated, info = self.env.step(actions)
        if self._active.any():
            self._capture()
            ended = np.logical_or(np.asarray(terminated), np.asarray(truncated))
            self._active &= ~ended[: self.episodes]
        return obs, reward, terminated, truncated, info

    def _capture(self) -> None:
        if not self._active.any():
            return
        subs = getattr(self.env, "envs", None)
        if subs is not None:  # Sync: render only the recorded sub-envs
            frames = [subs[i].render() if self._active[i] else None for i in range(self.episodes)]
        else:
            frames = list(self.env.render())[: self.episodes]
        for i in np.flatnonzero(self._active):
            self.frames[i].append(np.asarray(frames[i], dtype=np.uint8))


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad to even height and width (H.264 with yuv420p needs both even)."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_mp4(frames: list[np.ndarray], path: Path, fps: float) -> Path:
    """H.264 mp4 through imageio-ffmpeg's bundled ffmpeg."""
    import imageio_ffmpeg

    first = _even(frames[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (first.shape[1], first.shape[0]),
        fps=fps,
        codec="libx264",
        macro_block_size=1,
        quality=7,
    )
    writer.send(None)
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(_even(frame[..., :3])))
    finally:
        writer.close()
    return path


def gif_bytes(frames: list[np.ndarray], fps: float) -> tuple[bytes, int, int]:
    """``(GIF, height, width)``: frames downscaled to :data:`GIF_MAX_SIDE` and thinned
    to at most :data:`GIF_MAX_FRAMES` (each shown for correspondingly longer)."""
    from PIL import Image

    stride = max(1, math.ceil(len(frames) / GIF_MAX_FRAMES))
    images = [Image.fromarray(f[..., :3]) for f in frames[::stride]]
    scale = min(1.0, GIF_MAX_SIDE / max(images[0].size))
    size = (max(1, round(images[0].width * scale)), max(1, round(images[0].height * scale)))
    images = [im.resize(size, Image.Resampling.BILINEAR) for im in images]
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(1000 * stride / fps)),
        loop=0,
    )
    return buf.getvalue(), size[1], size[0]


def log_gif(writer: Any, tag: str, frames: list[np.ndarray], fps: float, step: int) -> None:
    """Log an animated GIF to a ``SummaryWriter`` as TensorBoard's image summary (what
    ``add_video`` logs when moviepy works)."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    data, height, width = gif_bytes(frames, fps)
    image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=data)
    summary = Summary(value=[Summary.Value(tag=tag, image=image)])
    writer._get_file_writer().add_summary(summary, global_step=step)


def video_name(step: int, episode: int) -> str:
    """``eval-step000012800-episode0.mp4``: the run's step, zero-padded so names sort."""
    return f"eval-step{step:09d}-episode{episode}.mp4"


def save_videos(
    episodes: list[list[np.ndarray]],
    run_dir: str | Path,
    step: int,
    *,
    fps: float,
    writer: Any | None = None,
) -> list[Path]:
    """Write each episode's frames to ``<run_dir>/videos/<video_name>`` and, with a
    ``writer``, to TensorBoard as ``eval/video_episode<i>`` at ``step``."""
    paths: list[Path] = []
    for i, frames in enumerate(episodes):
        if not frames:
            continue
        paths.append(write_mp4(frames, Path(run_dir) / "videos" / video_name(step, i), fps))
        if writer is not None:
            log_gif(writer, f"eval/video_episode{i}", frames, fps, step)
    if writer is not None:
        writer.flush()
    return paths


class EvalVideos:
    """Trainer glue: recording eval envs, and the videos saved after each evaluation.

    ``envs`` replaces the trainer's eval envs (same episodes, plus rendering);
    :meth:`save` writes the K episodes of the evaluation that just ran."""

    def __init__(self, env: EnvConfig, num_envs: int, episodes: int, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.envs = EpisodeRecorder(make_recording_envs(env, num_envs), episodes)
        self.fps = video_fps(self.envs, env)

    def save(self, step: int, writer: Any | None = None) -> list[Path]:
        return save_videos(self.envs.frames, self.run_dir, step, fps=self.fps, writer=writer)
