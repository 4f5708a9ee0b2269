"""The batch command's helpers."""

from __future__ import annotations

import resource

from advrun.seeds.command import raise_open_files


def test_raise_open_files_lifts_a_low_soft_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
        raise_open_files(1024)  # wants 256 + 4 x 1024 = 4,352 (capped by the hard limit)
        want = 4352 if hard == resource.RLIM_INFINITY else min(4352, hard)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == want
        raise_open_files(1)  # never lowers it
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == want
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
