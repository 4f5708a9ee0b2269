"""Export a checkpoint's policy: the model file plus a metadata JSON beside it.

``<out>`` holds the graph, ``<out>.json`` says what it is: the env, the observation
and action spaces, the graph's inputs and outputs, the advrun and torch versions, the
run and the checkpoint (and its step), and how closely the written file reproduces
the torch policy on random observations (``check``).
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import advrun
from advrun.config.containers import enum_value
from advrun.evaluation.loading import TrainedPolicy, load_trained_policy
from advrun.export.formats import (
    FORMATS,
    SUFFIXES,
    export_onnx,
    export_torchscript,
    run_exported,
    run_policy,
)
from advrun.export.policy import ExportablePolicy, policy_for
from advrun.export.spaces import describe_space, random_observations
from advrun.storage.atomic import atomic_write_json

CHECK_OBSERVATIONS = 1000
"""Random observations the written file is checked on after export."""


@dataclass
class ExportResult:
    path: Path
    metadata_path: Path
    seconds: float
    bytes: int
    check: dict[str, float]


def default_out(checkpoint: Path, fmt: str) -> Path:
    """``<run>/export/<checkpoint stem><suffix>``, e.g. ``<run>/export/best.onnx``."""
    from advrun.evaluation.loading import run_dir_of

    return run_dir_of(checkpoint) / "export" / f"{checkpoint.stem}{SUFFIXES[fmt]}"


def _io_spec(policy: ExportablePolicy, outputs: list[np.ndarray]) -> dict[str, Any]:
    """Names, shapes (``"batch"`` for the batch axis) and dtypes of inputs and outputs."""
    inputs = [
        {
            "name": name,
            "shape": ["batch", *example.shape[1:]],
            "dtype": str(example.dtype).removeprefix("torch."),
        }
        for name, example in zip(policy.input_names, policy.example_inputs(), strict=True)
    ]
    outs = [
        {"name": name, "shape": ["batch", *out.shape[1:]], "dtype": str(out.dtype)}
        for name, out in zip(policy.output_names, outputs, strict=True)
    ]
    return {"inputs": inputs, "outputs": outs}


def build_metadata(
    trained: TrainedPolicy, policy: ExportablePolicy, fmt: str, outputs: str
) -> dict[str, Any]:
    """Everything a user of the file needs to feed it and read its outputs."""
    cfg = trained.config
    sample = random_observations(trained.observation_space, 2)
    return {
        "format": fmt,
        "env_id": cfg.env.id,
        "env_kwargs": dict(cfg.env.kwargs),
        "env_preprocess": cfg.env.preprocess,
        "max_episode_steps": cfg.env.max_episode_steps,
        "target_return": cfg.env.target_return,
        "observation_space": describe_space(trained.observation_space),
        "action_space": describe_space(trained.action_space),
        **_io_spec(policy, run_policy(policy, sample)),
        "outputs_mode": outputs,
        "deterministic": True,
        "notes": (
            "obs is the raw env observation (normalisation is inside the graph); "
            "action is argmax(logits) for Discrete spaces and the Gaussian mean clipped "
            "to the action bounds for Box spaces. A recurrent policy (inputs obs, state) "
            "returns state_next last: start each episode from a zero state and feed "
            "state_next back with the next observation."
        ),
        "network": {
            "kind": enum_value(cfg.network.kind),
            "hidden_sizes": list(cfg.network.hidden_sizes),
            "activation": enum_value(cfg.network.activation),
            "shared": cfg.network.shared,
            "normalize_obs": cfg.network.normalize_obs,
        },
        "advrun_version": advrun.__version__,
        "torch_version": torch.__version__,
        "run_dir": str(trained.run_dir),
        "checkpoint": str(Path(trained.checkpoint).resolve()),
        "checkpoint_step": trained.step,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def check_export(
    policy: ExportablePolicy, path: Path, fmt: str, obs: np.ndarray
) -> dict[str, float]:
    """Max ``|file - torch|`` per output on ``obs``; a discrete action counts its
    mismatches (a flipped argmax) rather than a difference of indices."""
    if len(policy.input_names) > 1:
        return check_recurrent_export(policy, path, fmt, obs)
    want = run_policy(policy, obs)
    got = run_exported(path, fmt, obs)
    result: dict[str, float] = {"observations": float(len(obs))}
    for name, w, g in zip(policy.output_names, want, got, strict=True):
        if w.shape != g.shape:
            raise RuntimeError(f"exported output {name} has shape {g.shape}, torch {w.shape}")
        if np.issubdtype(w.dtype, np.integer):
            result[f"{name}_mismatches"] = float(np.sum(w != g))
        else:
            result[f"{name}_max_abs_diff"] = float(np.max(np.abs(w - g.astype(w.dtype))))
    return result


RECURRENT_CHECK_STEPS = 8
"""Steps per sequence when checking a recurrent export (the state is fed back)."""


def check_recurrent_export(
    policy: ExportablePolicy, path: Path, fmt: str, obs: np.ndarray
) -> dict[str, float]:
    """:func:`check_export` for a recurrent policy: ``obs`` cut into sequences of
    :data:`RECURRENT_CHECK_STEPS` steps; the file and torch each feed their own
    ``state_next`` back from a zero state, so differences would compound."""
    steps = RECURRENT_CHECK_STEPS
    batch = max(1, len(obs) // steps)
    seqs = obs[: batch * steps].reshape(steps, batch, *obs.shape[1:])
    state_want = state_got = policy.zero_state(batch).numpy()  # type: ignore[operator]
    result: dict[str, float] = {"observations": float(batch * steps), "steps": float(steps)}
    for t in range(steps):
        want = run_policy(policy, seqs[t], state_want)
        got = run_exported(path, fmt, seqs[t], state_got)
        for name, w, g in zip(policy.output_names, want, got, strict=True):
            if np.issubdtype(w.dtype, np.integer):
                key, value = f"{name}_mismatches", float(np.sum(w != g))
                result[key] = result.get(key, 0.0) + value
            else:
                key, value = f"{name}_max_abs_diff", float(np.max(np.abs(w - g.astype(w.dtype))))
                result[key] = max(result.get(key, 0.0), value)
        state_want, state_got = want[-1], got[-1]
    return result


def export_policy(
    trained: TrainedPolicy,
    fmt: str,
    out: Path,
    *,
    outputs: str = "action",
    check_observations: int = CHECK_OBSERVATIONS,
) -> ExportResult:
    """Write ``trained``'s policy to ``out`` in ``fmt`` and its metadata to
    ``<out>.json``; then run the written file on random observations."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    policy = policy_for(trained.model, trained.observation_space, trained.action_space, outputs)
    metadata = build_metadata(trained, policy, fmt, outputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    (export_onnx if fmt == "onnx" else export_torchscript)(policy, out, metadata)
    seconds = time.perf_counter() - start
    check: dict[str, float] = {}
    if check_observations > 0:
        obs = random_observations(trained.observation_space, check_observations, seed=1)
        check = check_export(policy, out, fmt, obs)
    metadata.update(
        file=out.name, bytes=out.stat().st_size, export_seconds=round(seconds, 3), check=check
    )
    meta_path = out.with_name(out.name + ".json")
    atomic_write_json(meta_path, metadata)
    return ExportResult(out, meta_path, seconds, out.stat().st_size, check)


def export_checkpoint(
    checkpoint: str | Path,
    fmt: str,
    out: str | Path | None = None,
    *,
    outputs: str = "action",
    check_observations: int = CHECK_OBSERVATIONS,
    trust_env_code: bool = False,
) -> ExportResult:
    """Load ``checkpoint`` (weights only) and :func:`export_policy` it; ``out``
    defaults to :func:`default_out`. ``trust_env_code``: see :mod:`advrun.envs.trust`."""
    trained = load_trained_policy(checkpoint, "cpu", trust_env_code=trust_env_code)
    path = Path(out) if out else default_out(Path(checkpoint), fmt)
    return export_policy(trained, fmt, path, outputs=outputs, check_observations=check_observations)


def result_summary(result: ExportResult) -> str:
    """One line for the terminal."""
    return (
        f"exported {result.path} ({result.bytes / 1024:.1f} KiB, {result.seconds:.2f} s); "
        f"metadata {result.metadata_path}; check {json.dumps(result.check)}"
    )


__all__ = [
    "ExportResult",
    "build_metadata",
    "check_export",
    "default_out",
    "export_checkpoint",
    "export_policy",
    "result_summary",
]
