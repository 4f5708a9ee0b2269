"""Turn bad user input into one paragraph on stderr and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from advrun.config.errors import ConfigError

EXIT_BAD_INPUT = 2

# ``advrun --verbose ...`` (or HYDRA_FULL_ERROR=1): runtime faults print their traceback
# after the one-paragraph message.
verbose = False

# Set by a task function on entry. If Hydra exits with status 1 while this is still
# False, the failure was in composing the config (unknown key or option, wrong type),
# i.e. bad input, and the CLI turns it into status 2.
job_started = False


def mark_job_started() -> None:
    global job_started
    job_started = True


@contextmanager
def clean_errors() -> Iterator[None]:
    """Report bad config values and bad checkpoints without a traceback (exit 2)."""
    # Imported here: the checkpoint module imports torch, which `advrun --help` must not.
    from advrun.storage.checkpoint import CheckpointError

    mark_job_started()
    try:
        yield
    except (ConfigError, CheckpointError) as err:
        sys.stderr.write(f"advrun: {err}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_BAD_INPUT) from None
