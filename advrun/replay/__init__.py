"""Experience replay for off-policy (value-based) algorithms."""

from advrun.replay.buffer import ReplayBuffer, Window, storage_dtype

__all__ = ["ReplayBuffer", "Window", "storage_dtype"]
