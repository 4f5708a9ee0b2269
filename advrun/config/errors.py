"""The one exception type for bad user input."""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad config value, reported as one paragraph naming the key and the fix.

    The CLI prints ``str(err)`` without a traceback and exits with status 2.
    """

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        super().__init__(f"Invalid config `{key}`: {problem} Fix: {fix}")
