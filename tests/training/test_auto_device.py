"""``device=auto``: CUDA only for GPU envs or image observations (advrun.training.device)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from advrun.training.device import auto_learner_device

VECTOR = spaces.Box(-1.0, 1.0, (4,), np.float32)
IMAGE = spaces.Box(0, 255, (84, 84, 4), np.uint8)
DICT_WITH_IMAGE = spaces.Dict({"state": VECTOR, "pixels": IMAGE})


@pytest.mark.parametrize(
    ("backend", "space", "expected"),
    [
        ("gymnasium", VECTOR, "cpu"),  # an MLP over host envs: the CPU is faster
        ("gymnasium", spaces.Discrete(5), "cpu"),
        ("gymnasium", IMAGE, "cuda"),  # a CNN
        ("gymnasium", DICT_WITH_IMAGE, "cuda"),  # an image leaf in a Dict
        ("torch", VECTOR, "cuda"),  # the envs live on the GPU
    ],
)
def test_with_a_gpu(
    monkeypatch: pytest.MonkeyPatch, backend: str, space: spaces.Space, expected: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert auto_learner_device(backend, space).type == expected


@pytest.mark.parametrize("space", [VECTOR, IMAGE])
def test_without_a_gpu_always_cpu(monkeypatch: pytest.MonkeyPatch, space: spaces.Space) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert auto_learner_device("torch", space).type == "cpu"
