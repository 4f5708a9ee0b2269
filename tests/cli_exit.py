"""The exit status of one in-process ``advrun`` call (the ``cli`` fixture's ``main``)."""

from __future__ import annotations

from collections.abc import Callable


def exit_code(cli: Callable[[list[str]], object], argv: list[str]) -> int:
    """0 when ``cli(argv)`` returns, else the code of the ``SystemExit`` it raised."""
    try:
        cli(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0
