"""torch optimizers without the ``torch._dynamo`` import on their first call.

Why: in torch 2.x every ``torch.optim.Optimizer`` imports ``torch._dynamo`` the first
time it is used (~1.2 s on the 2-core CI machine, as long as ``import torch`` itself):
``add_param_group`` (called by ``__init__``), ``zero_grad``, ``state_dict`` and
``load_state_dict`` are decorated with ``torch._disable_dynamo``, whose wrapper does
``import torch._dynamo`` before calling the method, and every built-in ``step`` is
wrapped by ``_use_grad_for_differentiable``, which imports it to place two
``graph_break()`` calls around the step. None of the optimizers' flags (``foreach``,
``fused``, ``capturable``, ``differentiable``) avoids these wrappers, and torch offers
no switch for it (docs/benchmarks.md, "Start-up").

What the wrappers do besides the import only matters inside a frame that ``torch.compile``
is tracing, and no such frame can exist while ``torch._dynamo`` has never been imported.
So :func:`eager` subclasses a torch optimizer and, **only while ``torch._dynamo`` is not
in ``sys.modules``**, calls the undecorated methods (``functools.wraps`` keeps them as
``__wrapped__``), with ``step`` under ``torch.set_grad_enabled(differentiable)`` exactly
as the stock wrapper sets it. Once anything has imported ``torch._dynamo`` (``compile=``,
the user's own code) every call goes through torch's own decorated method. The update
rule, the kernels (fused Adam included) and the ``state_dict`` format are torch's own:
tests/optim/test_eager.py pins bit-identical parameters and state against the stock
classes. If a future torch drops ``__wrapped__`` on a method, that method stays stock.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import torch

_DECORATED = ("add_param_group", "zero_grad", "state_dict", "load_state_dict")


def _dynamo_loaded() -> bool:
    return "torch._dynamo" in sys.modules


def _innermost(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
    """``(wrapper, raw)``: the undecorated function at the end of ``fn``'s ``__wrapped__``
    chain and torch's decorator directly around it (so an optimizer class whose ``step``
    torch has already wrapped in its profiling hook is not hooked twice)."""
    while getattr(getattr(fn, "__wrapped__", None), "__wrapped__", None) is not None:
        fn = fn.__wrapped__  # type: ignore[attr-defined]
    return fn, getattr(fn, "__wrapped__", None)


def _bypass(fn: Callable[..., Any], step: bool = False) -> Callable[..., Any]:
    """``fn``'s undecorated function while ``torch._dynamo`` is absent, else torch's; a
    ``step`` runs under the grad mode its stock wrapper sets (``differentiable``)."""
    stock, raw = _innermost(fn)
    if raw is None:
        return stock

    @functools.wraps(raw)
    def method(self: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> Any:
        if _dynamo_loaded():
            return stock(self, *args, **kwargs)
        if not step:
            return raw(self, *args, **kwargs)
        with torch.set_grad_enabled(bool(self.defaults.get("differentiable", False))):
            return raw(self, *args, **kwargs)

    return method


_PREFIX = "Eager"
"""The name prefix of :func:`eager`'s ``torch.optim`` subclasses (``EagerAdam``)."""


@functools.cache
def eager(cls: type[torch.optim.Optimizer]) -> type[torch.optim.Optimizer]:
    """A subclass of ``cls`` (so ``isinstance`` and checkpoints are unchanged) whose
    methods skip the ``torch._dynamo`` import while nothing else has imported it.

    For a ``torch.optim`` class the subclass is importable as
    ``advrun.optim.eager.Eager<Name>`` (module ``__getattr__`` below), so pickling an
    optimizer (``pickle``, ``torch.save(optimizer)``, a launcher shipping it to another
    process) works in any interpreter, including one that never called :func:`eager`."""
    namespace: dict[str, Any] = {name: _bypass(getattr(cls, name)) for name in _DECORATED}
    namespace["step"] = _bypass(cls.step, step=True)
    namespace["__module__"] = __name__
    namespace["__doc__"] = f"{cls.__name__} without the first-call torch._dynamo import."
    if getattr(torch.optim, cls.__name__, None) is cls:
        namespace["__qualname__"] = f"{_PREFIX}{cls.__name__}"
    return type(cls.__name__, (cls,), namespace)


def __getattr__(name: str) -> type[torch.optim.Optimizer]:
    """``Eager<Name>``: :func:`eager` of ``torch.optim.<Name>`` (what pickle looks up; the
    cache makes it the very class an optimizer was built from)."""
    base = getattr(torch.optim, name[len(_PREFIX) :], None) if name.startswith(_PREFIX) else None
    if isinstance(base, type) and issubclass(base, torch.optim.Optimizer):
        return eager(base)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
