"""One Ray instance at a time across the test processes of this machine.

Two Ray instances alive at once on one machine cross-wire: a driver that connects to
the ``ray start --head`` cluster of tests/sweeps/test_ray_cluster.py by its address can
still register with the raylet of a throwaway local instance that another xdist worker
started meanwhile (``hydra/launcher=ray_local`` in tests/sweeps/test_launchers.py or a
documented command), run its members there, and fail with ``LocalRayletDiedError``
when that instance shuts down (CI of 2026-11-27, 17:33 UTC: the driver's log was in
the local instance's session folder). Each test that starts Ray holds this lock while
its instance lives: an exclusive ``flock`` on a fixed file in the temp folder, released
when the holder closes it (or its process ends).
"""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = Path(tempfile.gettempdir()) / "advrun-tests-ray.lock"


@contextlib.contextmanager
def ray_alone() -> Iterator[None]:
    """Wait until no other test process holds a Ray instance, then hold the lock."""
    with LOCK_FILE.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
