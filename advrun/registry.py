"""Named, self-registering components: one source of truth per choice.

An estimator, algorithm, optimizer, schedule, network encoder or activation registers
itself where it is defined (``@ESTIMATORS.register("gae", config=GAEConfig, ...)``, as
TorchRL's ``register_value_estimator`` and sheeprl's ``register_algorithm`` do). From
that one entry advrun derives everything else: the typed config of the option (its
dataclass is stored in Hydra's ConfigStore as ``schema/<group>/<name>`` and the shipped
YAML extends it), the check that a name exists (with the valid names in the message),
the compatibility rules between options (``traits``), and the ``advrun train --help``
listing. A test fails when a registry entry and its shipped YAML drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownChoice(ValueError):
    """A name that no component of the registry's kind has."""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered component."""

    name: str
    obj: T
    # The dataclass that types this option's config group node (None: no own config).
    config: type | None = None
    # One line for ``advrun train --help``.
    summary: str = ""
    # Facts other parts check compatibility against (e.g. ``needs_critic``).
    traits: dict[str, Any] = field(default_factory=dict)

    def trait(self, key: str, default: Any = None) -> Any:
        return self.traits.get(key, default)


class Registry(Generic[T]):
    """Components of one kind, by name. ``group`` is the config group (or key) that
    selects among them, e.g. ``advantage`` or ``network.kind``."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, Entry[T]] = {}

    def register(
        self, name: str, *, config: type | None = None, summary: str = "", **traits: Any
    ) -> Callable[[T], T]:
        """Decorator: register the decorated object under ``name``. The summary
        defaults to the first line of its docstring."""

        def add(obj: T) -> T:
            if name in self._entries and self._entries[name].obj is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
            self._entries[name] = Entry(
                name, obj, config, summary or (doc[0] if doc else ""), traits
            )
            return obj

        return add

    def get(self, name: str) -> Entry[T]:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownChoice(
                f"{name!r} is not a registered {self.kind}; valid: {', '.join(self.names())}"
            ) from None

    def __getitem__(self, name: str) -> T:
        return self.get(name).obj

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)
