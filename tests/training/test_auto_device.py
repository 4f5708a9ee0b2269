"""``device=auto``: CUDA only for image observations or many torch-native envs
(advrun.training.device)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.training.device import GPU_ENVS, auto_learner_device

VECTOR = spaces.Box(-1.0, 1.0, (4,), np.float32)
IMAGE = spaces.Box(0, 255, (84, 84, 4), np.uint8)
DICT_WITH_IMAGE = spaces.Dict({"state": VECTOR, "pixels": IMAGE})


@pytest.mark.parametrize(
    ("backend", "space", "num_envs", "expected"),
    [
        ("gymnasium", VECTOR, 16, "cpu"),  # an MLP over host envs: the CPU is faster
        ("gymnasium", VECTOR, 4096, "cpu"),  # host envs: every step crosses to the GPU
        ("gymnasium", spaces.Discrete(5), 8, "cpu"),
        ("gymnasium", IMAGE, 8, "cuda"),  # a CNN
        ("gymnasium", DICT_WITH_IMAGE, 8, "cuda"),  # an image leaf in a Dict
        ("torch", None, 128, "cpu"),  # a few GPU envs are launch-bound
        ("torch", None, GPU_ENVS - 1, "cpu"),
        ("torch", None, GPU_ENVS, "cuda"),  # many envs living on the GPU
    ],
)
def test_with_a_gpu(
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    space: spaces.Space | None,
    num_envs: int,
    expected: str,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert auto_learner_device(backend, space, num_envs).type == expected


@pytest.mark.parametrize("space", [VECTOR, IMAGE])
def test_without_a_gpu_always_cpu(monkeypatch: pytest.MonkeyPatch, space: spaces.Space) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert auto_learner_device("torch", space, 4096).type == "cpu"
