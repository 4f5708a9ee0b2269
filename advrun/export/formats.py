"""Write an :class:`~advrun.export.policy.ExportablePolicy` as ONNX or TorchScript, and
run the written file back (onnxruntime / ``torch.jit.load``) to check it.

ONNX goes through torch's dynamo-based exporter (``torch.onnx.export(..., dynamo=True)``,
the default and the maintained path since torch 2.9; it needs ``onnx`` and
``onnxscript``). The legacy TorchScript-based ONNX exporter still works in torch 2.13
but warns that it is deprecated. The batch axis is symbolic in both formats.
"""

from __future__ import annotations

import importlib
import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from advrun.config.errors import ConfigError
from advrun.export.policy import ExportablePolicy

FORMATS: tuple[str, ...] = ("onnx", "torchscript")
SUFFIXES: dict[str, str] = {"onnx": ".onnx", "torchscript": ".torchscript.pt"}
METADATA_KEY = "advrun_metadata"
"""ONNX ``metadata_props`` key / TorchScript extra file holding the metadata JSON."""


def require(*modules: str, what: str) -> None:
    """Raise ConfigError naming the ``export`` extra when an optional module is missing."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as err:
            raise ConfigError(
                "format",
                f"{what} needs the optional package {name}, which is not installed ({err}).",
                "pip install 'advrun[export]'.",
            ) from None


def _quiet_onnx_logs() -> None:
    """The exporter logs one warning per torchvision op it cannot register; torchvision
    is not a dependency and none of its ops is used here."""
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)


def export_onnx(policy: ExportablePolicy, path: Path, metadata: dict[str, Any]) -> None:
    """Write ``policy`` to ``path`` as one self-contained ONNX file (weights inline)."""
    require("onnx", "onnxscript", what="ONNX export")
    import onnx

    _quiet_onnx_logs()
    batch = torch.export.Dim("batch")
    dynamic = {name: {0: batch} for name in policy.input_names}
    with torch.no_grad(), warnings.catch_warnings():
        # torch.export's own pytree code trips its LeafSpec deprecation (torch 2.13).
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
        torch.onnx.export(
            policy,
            policy.example_inputs(),
            str(path),
            input_names=list(policy.input_names),
            output_names=list(policy.output_names),
            dynamic_shapes=dynamic,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
    onnx.save(proto, str(path))


def export_torchscript(policy: ExportablePolicy, path: Path, metadata: dict[str, Any]) -> None:
    """Trace ``policy`` (checked on a second batch size) and save it with the metadata
    as an extra file; ``torch.jit.load`` needs no advrun."""
    with torch.no_grad():
        traced = torch.jit.trace(
            policy, policy.example_inputs(), check_inputs=[policy.example_inputs(5)]
        )
    traced.save(str(path), _extra_files={f"{METADATA_KEY}.json": json.dumps(metadata)})


def run_exported(
    path: Path, fmt: str, obs: np.ndarray, state: np.ndarray | None = None
) -> list[np.ndarray]:
    """The exported file's outputs for a batch ``obs`` (onnxruntime or torch.jit);
    a recurrent policy's file also takes its ``state``."""
    inputs = [obs] if state is None else [obs, state]
    if fmt == "onnx":
        require("onnxruntime", what="Checking an ONNX export")
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        return [np.asarray(x) for x in session.run(None, dict(zip(names, inputs, strict=True)))]
    module = torch.jit.load(str(path), map_location="cpu")
    with torch.no_grad():
        out = module(*(torch.from_numpy(x) for x in inputs))
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o.detach().numpy() for o in outs]


def run_policy(
    policy: ExportablePolicy, obs: np.ndarray, state: np.ndarray | None = None
) -> list[np.ndarray]:
    """The wrapper's own outputs in torch (the reference the export must reproduce); a
    recurrent policy starts from ``state`` (zeros when None)."""
    inputs = [torch.from_numpy(obs)]
    if len(policy.input_names) > 1:
        inputs.append(
            torch.from_numpy(state) if state is not None else policy.zero_state(len(obs))  # type: ignore[operator]
        )
    with torch.no_grad():
        out = policy(*inputs)
    outs: Sequence[torch.Tensor] = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in outs]


def max_abs_diff(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """Largest absolute difference over all outputs (float64), or inf on a shape or
    count mismatch."""
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b, strict=True)):
        return float("inf")
    return max(
        float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)), initial=0.0))
        for x, y in zip(a, b, strict=True)
    )
