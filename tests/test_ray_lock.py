"""tests/ray_lock.py: while one process holds the lock, another cannot take it."""

from __future__ import annotations

import subprocess
import sys

from ray_lock import LOCK_FILE, ray_alone

TRY = (
    "import fcntl, sys\n"
    f"handle = open({str(LOCK_FILE)!r}, 'a')\n"
    "try:\n"
    "    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "except BlockingIOError:\n"
    "    sys.exit(3)\n"
)


def _other_process_takes_it() -> bool:
    code = subprocess.run([sys.executable, "-c", TRY], check=False, timeout=60).returncode
    assert code in (0, 3)
    return code == 0


def test_ray_alone_keeps_other_processes_out_until_released() -> None:
    with ray_alone():
        assert not _other_process_takes_it()
    assert _other_process_takes_it()
