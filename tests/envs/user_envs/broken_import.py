"""A user env module that fails while being imported (for advrun's error messages)."""

from __future__ import annotations

import gymnasium as gym

CELLS = 0
STEP_SIZE = 1 / CELLS  # ZeroDivisionError while importing

gym.register("NeverRegistered-v0", entry_point="broken_import:Nothing")
