"""A hook at the start of every ``Trainer.after_iterate``: how the batch tests make one
member diverge, signal or die at a chosen update while the others train on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advrun.training.trainer import Trainer

Hook = Callable[[Trainer, Any, Any], None]


def before_after_iterate(monkeypatch: Any, hook: Hook) -> Callable[..., bool]:
    """Patch ``Trainer.after_iterate`` to call ``hook(trainer, it, signals)`` first;
    returns the original (to put back within the test)."""
    original = Trainer.after_iterate

    def patched(self: Trainer, it: Any, signals: Any) -> bool:
        hook(self, it, signals)
        return original(self, it, signals)

    monkeypatch.setattr(Trainer, "after_iterate", patched)
    return original
