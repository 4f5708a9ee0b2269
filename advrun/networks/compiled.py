"""``compile=<mode>``: run an actor-critic's two hot paths through ``torch.compile``.

The on-policy loop spends its time in two model calls: ``act`` once per env step while
collecting (``[N, ...]`` observations, ``N = env.num_envs``) and ``evaluate_actions``
once per minibatch in the update. On a GPU both are dozens of tiny kernels whose launch
cost dominates; LeanRL (``ppo_*_torchcompile.py``) reports PPO 2.7-6.8x faster on an
H100 with ``torch.compile`` and CUDA graphs. This module compiles exactly those two
methods, per model instance, and leaves the module itself (and so its
``state_dict`` keys: no ``_orig_mod.`` prefix) untouched, so checkpoints, ``advrun
eval``, export and resume see a plain :class:`~advrun.networks.ActorCritic`.

Shapes are kept static (``dynamic=False``), so each distinct input shape is one graph
(one CUDA graph under ``reduce-overhead``):

* ``act`` sees two batch sizes, the training envs' and the eval envs'.
* ``evaluate_actions`` gets the *valid* rows of a rollout, which vary from rollout to
  rollout (NEXT_STEP dummy rows are dropped). Its inputs are padded with zero rows up
  to :func:`bucket` (the next multiple of a power of two at most 1/8 of the size) and
  the outputs cut back, so a run sees a handful of shapes instead of one per rollout;
  the padded rows cost at most 1/8 more compute and add nothing to the loss or its
  gradients (their outputs are dropped before the loss).

Under ``reduce-overhead`` a CUDA graph reuses its output memory on the next replay, and
the collector keeps every step's outputs for the whole rollout, so the outputs are
cloned and each call starts a new CUDA-graph step
(``torch.compiler.cudagraph_mark_step_begin``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

# torch.compile modes the config accepts (torch >= 2.1): ``default`` (inductor kernels),
# ``reduce-overhead`` (those kernels replayed as CUDA graphs: one launch per call),
# ``max-autotune-no-cudagraphs`` (autotuned matmul kernels, no CUDA graphs).
COMPILE_MODES: tuple[str, ...] = ("default", "reduce-overhead", "max-autotune-no-cudagraphs")
# Spellings of "off" after OmegaConf turned a bool into the str field's value.
_OFF = frozenset({"", "false", "none", "null", "off"})


def compile_mode(value: object) -> str | None:
    """The mode ``compile=`` asks for, or ``None`` for off (``null``/``false``)."""
    if value is None or value is False:
        return None
    text = str(value).strip()
    return None if text.lower() in _OFF else text


def bucket(rows: int) -> int:
    """``rows`` rounded up to a multiple of ``2**max(0, bit_length(rows) - 4)``, i.e. of
    a power of two between 1/16 and 1/8 of ``rows``: e.g. 31000 -> 32768 (step 2048),
    30000 -> 30720 (step 2048), 60 -> 60 (step 4). Padding adds under 1/8 of the rows."""
    step = 1 << max(0, rows.bit_length() - 4)
    return -(-rows // step) * step


def _pad_rows(x: Tensor, rows: int) -> Tensor:
    if x.shape[0] == rows:
        return x
    return torch.cat([x, x.new_zeros((rows - x.shape[0], *x.shape[1:]))])


def _graph_step(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as one CUDA-graph step whose outputs outlive the next replay."""

    @functools.wraps(fn)
    def step(*args: Any, **kwargs: Any) -> Any:
        torch.compiler.cudagraph_mark_step_begin()
        return tuple(t.clone() for t in fn(*args, **kwargs))

    return step


def compile_policy(model: nn.Module, mode: str) -> nn.Module:
    """Replace ``model.act`` and ``model.evaluate_actions`` by compiled versions (module
    docstring) and return ``model``. Observations that are not one tensor (Dict/Tuple
    spaces) keep the eager ``evaluate_actions``: their leaves cannot be padded as one."""
    if mode not in COMPILE_MODES:
        raise ValueError(f"compile mode {mode!r} is not one of {', '.join(COMPILE_MODES)}")
    eager_act, eager_evaluate = model.act, model.evaluate_actions
    act = torch.compile(eager_act, mode=mode, dynamic=False)
    evaluate = torch.compile(eager_evaluate, mode=mode, dynamic=False)
    if mode == "reduce-overhead":
        act, evaluate = _graph_step(act), _graph_step(evaluate)

    def evaluate_actions(obs: Tensor, actions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if not isinstance(obs, Tensor):
            return eager_evaluate(obs, actions)
        rows = obs.shape[0]
        size = bucket(rows)
        out = evaluate(_pad_rows(obs, size), _pad_rows(actions, size))
        return tuple(t[:rows] for t in out)  # type: ignore[return-value]

    # Instance attributes shadow the methods; nn.Module stores plain callables in
    # __dict__, so parameters, buffers and state_dict are unchanged.
    model.act = act
    model.evaluate_actions = evaluate_actions
    model.compiled_mode = mode
    return model
