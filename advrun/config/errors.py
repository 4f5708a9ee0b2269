"""The one exception type for bad user input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ConfigError(ValueError):
    """A bad config value, reported as one paragraph naming the key and the fix.

    The CLI prints ``str(err)`` without a traceback and exits with status 2.
    """

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        super().__init__(f"Invalid config `{key}`: {problem} Fix: {fix}")

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, str, str]]:
        # Rebuilt from its three parts (``args`` holds the joined message only), so a
        # batch's worker process can send it to the parent (advrun.seeds.workers).
        return (type(self), (self.key, self.problem, self.fix))


def checked(key: str, check: Callable[[Any], Any], value: Any, fix: str) -> Any:
    """Run a component's own argument check (which raises ``ValueError``) on a config
    value, reporting a failure as :class:`ConfigError` for ``key``: the range rule is
    written once, where the component is, and the user still gets the key and a fix."""
    try:
        return check(value)
    except ValueError as err:
        raise ConfigError(key, f"{str(err).rstrip('.')}.", fix) from None
