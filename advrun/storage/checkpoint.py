"""Checkpoints: plain containers of tensors and numbers, loadable with
``torch.load(weights_only=True)`` (no pickled code), written atomically."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from advrun.storage.atomic import atomic_write

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that is missing, truncated, unsafe or not advrun's."""


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch RNG states as weights-only-safe containers."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": _python_state_to_plain(random.getstate()),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": pos,
            "has_gauss": has_gauss,
            "cached_gaussian": cached,
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _python_state_to_plain(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state(
        (
            n["kind"],
            n["keys"].numpy().astype(np.uint32),
            n["pos"],
            n["has_gauss"],
            n["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Atomically write ``payload`` (plus the format version) to ``path``.

    Serialised in memory first: torch's zip writer turns an ``OSError`` from the file
    (disk full, file too large) into ``RuntimeError: [enforce fail at
    inline_container.cc] unexpected pos``, which hides the cause. Writing the finished
    bytes ourselves keeps the ``OSError`` and its errno for the fault message."""
    data = {"format_version": FORMAT_VERSION, **payload}
    buffer = io.BytesIO()
    torch.save(data, buffer)
    view = buffer.getbuffer()
    atomic_write(path, lambda fh: fh.write(view))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load with ``weights_only=True``: a file that needs arbitrary unpickling is refused."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} does not exist. Fix: pass an existing file, e.g. "
            f"checkpoint=<run dir>/checkpoints/best.pt, or run=<run dir>."
        )
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises UnpicklingError / RuntimeError variants
        raise CheckpointError(
            f"checkpoint {path} could not be loaded safely ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''}). It is truncated, corrupt, "
            f"or contains objects other than tensors and plain containers, which advrun "
            f"refuses to unpickle."
        ) from None
    if not isinstance(data, dict) or "model" not in data or "config" not in data:
        raise CheckpointError(f"checkpoint {path} is not an advrun checkpoint (no model/config).")
    return data
