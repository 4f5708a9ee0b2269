"""The greedy actions of a stack of small MLP policies, in numpy, for the evaluation loop
that steps gymnasium CartPoles on the host (:mod:`advrun.seeds.fused.evaluate`).

An evaluation step's forward is tiny (K agents x 20 envs through 4-64-64-2), so its cost
is per call, not per number: torch spends ~5-7 us dispatching each op, numpy ~1-4 us. The
same layers, ``h <- act(h W^T + b)`` then ``argmax`` of the logits, in numpy float32 on
the frozen weights (shared memory, no copy) took 28 us a step against torch's 64 us
(K = 1) and 55 against 125 us (K = 4) on the 2-core dev CPU (2026-11-28). The eval's
observations are numpy already, so the tensor round trips go too: a whole evaluation
of one agent took 44 ms against 103 ms, of four 54 ms against 118 ms
(docs/benchmarks.md, "Many seeds").

It is the same arithmetic in another library's kernels: the logits differ by float
noise (under 1e-6 on CartPole observations), which changes an action only where two
logits tie to that precision, as the batch's ``baddbmm`` against a single run's
``addmm`` already may (a fused batch equals its single runs within float noise,
:mod:`advrun.seeds.fused`). ``tests/seeds/fused/test_greedy.py`` checks the actions
against the torch forward's, and the returns against each agent's single-run evaluation.

Only what it mirrors exactly is served: discrete heads, Tanh and ReLU activations, the
optional observation normaliser, float32 weights on the CPU. Anything else gets None
and the torch forward.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

from advrun.seeds.fused.model import StackedActorCritic

__all__ = ["NumpyGreedy"]


def _tanh(x: np.ndarray) -> None:
    np.tanh(x, out=x)


def _relu(x: np.ndarray) -> None:
    np.maximum(x, 0.0, out=x)


def _activation(module: nn.Module) -> Callable[[np.ndarray], None] | None:
    """The in-place numpy twin of ``module`` (None where there is none)."""
    if isinstance(module, nn.Tanh):
        return _tanh
    if isinstance(module, nn.ReLU):
        return _relu
    return None


Layer = tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], None] | None]
"""``(W^T [K, in, out], b [K, 1, out], activation or None)``."""


class NumpyGreedy:
    """``argmax`` of the policy logits of the agents at ``rows`` for observations
    ``[len(rows), envs, obs]`` (float32): int64 actions ``[len(rows), envs]``."""

    def __init__(self, layers: list[Layer], norm: tuple[np.ndarray, np.ndarray, float] | None):
        self._all, self._norm_all = layers, norm
        # The layers of the agents at ``rows``: all of them, until one ends.
        self.layers, self.norm = layers, norm
        self.rows = list(range(layers[0][0].shape[0]))

    @classmethod
    def of(cls, stack: StackedActorCritic) -> NumpyGreedy | None:
        """The greedy policy of ``stack`` (frozen: its weights as they are now), or None
        where this module does not mirror it (module docstring)."""
        weight = stack.params["policy_head.weight"]
        if stack.continuous or weight.device.type != "cpu" or weight.dtype.itemsize != 4:
            return None
        frozen = stack.frozen()
        name, trunk = frozen.trunks[0]
        layers: list[Layer] = []
        for prefix, module in trunk:
            act = _activation(module)
            if act is None:
                return None
            bias, wt = frozen._ready[f"{name}.{prefix}"]
            layers.append((wt.numpy(), bias.numpy(), act))
        bias, wt = frozen._ready["policy_head"]
        layers.append((wt.numpy(), bias.numpy(), None))
        norm = None
        if stack.norm is not None:
            if stack.obs_mean is None or stack.obs_std is None:
                return None
            mean = stack.obs_mean.detach().numpy().reshape(stack.k, 1, -1)
            std = stack.obs_std.detach().numpy().reshape(stack.k, 1, -1)
            norm = (mean, std, float(stack.norm.clip))
        return cls(layers, norm)

    def actions(self, obs: np.ndarray, rows: list[int]) -> np.ndarray:
        if rows != self.rows:  # an agent ended: keep the rows of those still playing
            self.rows = list(rows)
            self.layers = [(w[rows], b[rows], act) for w, b, act in self._all]
            if self._norm_all is not None:
                mean, std, clip = self._norm_all
                self.norm = (mean[rows], std[rows], clip)
        x = obs.reshape(obs.shape[0], obs.shape[1], -1)
        if self.norm is not None:
            mean, std, clip = self.norm
            x = np.clip((x - mean) / std, -clip, clip)
        for wt, bias, act in self.layers:
            x = np.matmul(x, wt)
            x += bias
            if act is not None:
                act(x)
        return x.argmax(-1)

    @property
    def width(self) -> int:
        """How many actions the head scores."""
        return int(self._all[-1][0].shape[-1])
