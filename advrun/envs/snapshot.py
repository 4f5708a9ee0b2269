"""Save and restore the full state of a vector env, for bit-exact resume.

A checkpoint must load with ``torch.load(weights_only=True)``, so env objects cannot
be pickled. Instead every layer (vector env, each sub-env and its wrappers) is walked
and its plain attributes are encoded as tensors, numbers and containers: physics
``state`` arrays, step counters (``TimeLimit._elapsed_steps``), autoreset flags and
``numpy.random.Generator`` states. Restoring writes them back in place.

That covers envs whose state lives in Python attributes (all of classic control,
CartPole's native vector env). Envs holding state in foreign objects (Box2D worlds,
MuJoCo data, ALE) are reported as not snapshotable; the trainer then resets them on
resume and says the resumed run is not bit-identical.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import gymnasium as gym
import numpy as np
import torch

# Attributes that are configuration or plumbing, never episode state.
_SKIP = {
    "spec",
    "metadata",
    "_saved_kwargs",
    "env_fns",
    "envs",
    "env",
    "render_mode",
    "_cached_spec",
    "_metadata",
    "_action_space",
    "_observation_space",
}


class NotSnapshotable(Exception):
    """The env keeps state this module cannot encode."""


def _encode(value: Any) -> Any:
    # numpy first: np.float64 subclasses float but would pickle as a numpy global.
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind in "SU":  # bytes / str arrays (FrozenLake's map): as lists
            return {"__nd_list__": arr.tolist(), "dtype": arr.dtype.str}
        stored = arr.astype(np.int64) if arr.dtype.kind == "u" else arr
        return {
            "__nd__": torch.from_numpy(np.array(stored, copy=True)),
            "dtype": arr.dtype.str,
            "scalar": isinstance(value, np.generic),
        }
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.random.Generator):
        return {"__rng__": value.bit_generator.state}
    if isinstance(value, (list, tuple)):
        return {"__seq__": [_encode(v) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v) for k, v in value.items()}}
    raise NotSnapshotable(type(value).__name__)


def _decode(value: Any, current: Any = None) -> Any:
    if not isinstance(value, dict):
        return value
    if "__nd_list__" in value:
        return np.array(value["__nd_list__"], dtype=np.dtype(value["dtype"]))
    if "__nd__" in value:
        arr = value["__nd__"].numpy().astype(np.dtype(value["dtype"]))
        return arr[()] if value["scalar"] else arr
    if "__rng__" in value:
        rng = current if isinstance(current, np.random.Generator) else np.random.default_rng()
        rng.bit_generator.state = value["__rng__"]
        return rng
    if "__seq__" in value:
        items = [_decode(v) for v in value["__seq__"]]
        return tuple(items) if value["tuple"] else items
    return {k: _decode(v) for k, v in value["__dict__"].items()}


def _benign(value: Any) -> bool:
    """Objects that hold no episode state (spaces, enums, methods, render handles)."""
    return (
        value is None
        or callable(value)
        or isinstance(value, (gym.Space, Enum))
        or type(value).__module__.startswith(("pygame", "gymnasium.envs.registration"))
    )


def _layer_state(obj: Any, strict: bool) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, value in vars(obj).items():
        if name in _SKIP:
            continue
        try:
            state[name] = _encode(value)
        except NotSnapshotable:
            if strict and not _benign(value):
                raise NotSnapshotable(
                    f"{type(obj).__name__}.{name}: {type(value).__name__}"
                ) from None
    return state


def _layers(env: gym.Env) -> list[Any]:
    chain = [env]
    while hasattr(chain[-1], "env"):
        chain.append(chain[-1].env)
    return chain


def snapshot(envs: gym.vector.VectorEnv) -> dict[str, Any] | None:
    """The env's state as weights-only-safe containers, or None if not snapshotable."""
    try:
        state: dict[str, Any] = {"vector": _layer_state(envs, strict=True)}
        if isinstance(envs, gym.vector.SyncVectorEnv):
            state["subenvs"] = [
                # Wrappers hold only counters and flags; the unwrapped env must be complete.
                [_layer_state(layer, strict=layer is env.unwrapped) for layer in _layers(env)]
                for env in envs.envs
            ]
        elif not hasattr(envs, "state"):
            return None  # async or unknown vector env: state lives in other processes
        return state
    except NotSnapshotable:
        return None


def _apply(obj: Any, state: dict[str, Any]) -> None:
    for name, value in state.items():
        setattr(obj, name, _decode(value, getattr(obj, name, None)))


def restore(envs: gym.vector.VectorEnv, state: dict[str, Any]) -> None:
    """Write a :func:`snapshot` back into ``envs`` (built from the same config)."""
    _apply(envs, state["vector"])
    for env, layers in zip(getattr(envs, "envs", []), state.get("subenvs", []), strict=True):
        for layer, layer_state in zip(_layers(env), layers, strict=True):
            _apply(layer, layer_state)
