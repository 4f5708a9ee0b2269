"""Turn bad user input into one paragraph on stderr and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from advrun.config.errors import ConfigError
from advrun.training.checkpoint import CheckpointError

EXIT_BAD_INPUT = 2


@contextmanager
def clean_errors() -> Iterator[None]:
    """Report bad config values and bad checkpoints without a traceback (exit 2)."""
    try:
        yield
    except (ConfigError, CheckpointError) as err:
        sys.stderr.write(f"advrun: {err}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_BAD_INPUT) from None
