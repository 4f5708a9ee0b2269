"""Ray with a cluster that the sweep did not start (issue 16, item 2).

A ``ray start --head`` cluster runs on this machine for the module, and ``RAY_ADDRESS``
points at it in the first test. ``hydra/launcher=ray_local`` must still start its own
throwaway instance (``address: local``; with ``address: null`` ray.init attaches to the
running cluster and then refuses the preset's ``num_cpus``), and
``hydra/launcher=ray_cluster`` must run the members on the running cluster.

Ray on Linux advertises the node's own IP even for ``--node-ip-address=127.0.0.1``
(``ray._private.services.resolve_ip_for_localhost``), so the head is reached through
this machine's address; nothing leaves the machine. The cluster's processes share the
process group of ``ray start`` and are stopped by that group, never by name.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ray_lock import ray_alone

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """``host:port`` of a ``ray start --head`` cluster (2 CPUs), stopped afterwards; no
    other test process runs Ray meanwhile (ray_lock)."""
    with ray_alone():
        yield from _head()


def _head() -> Iterator[str]:
    importlib.import_module("hydra_plugins.hydra_ray_launcher")  # installed by the dev extra
    ray_bin = Path(sys.executable).with_name("ray")
    temp_dir = tempfile.mkdtemp(prefix="advrun-ray-")  # short: Ray's sockets live in it
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    start = subprocess.Popen(
        [
            str(ray_bin),
            "start",
            "--head",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # its daemons keep this process group
    )
    out, _ = start.communicate(timeout=180)
    pgid = start.pid
    try:
        assert start.returncode == 0, out[-3000:]
        address_file = Path(temp_dir) / "ray_current_cluster"
        yield address_file.read_text().strip()
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            time.sleep(3)


def _sweep(
    launcher: str, sweep: Path, address: str | None, tiny
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    if address is not None:
        env["RAY_ADDRESS"] = address
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "advrun",
            "train",
            "-m",
            f"hydra/launcher={launcher}",
            "seed=1,2",
            *tiny(),
            f"hydra.sweep.dir={sweep}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _completed(sweep: Path) -> int:
    import json

    return sum(
        json.loads(p.read_text())["status"] == "completed" for p in sweep.glob("*/summary.json")
    )


def test_ray_local_ignores_a_running_cluster(ray_head: str, tiny, tmp_path: Path) -> None:
    run = _sweep("ray_local", tmp_path / "sweep", ray_head, tiny)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "Started a local Ray instance" in log
    assert "Connecting to existing Ray cluster" not in log
    assert _completed(tmp_path / "sweep") == 2


def test_ray_cluster_runs_members_on_it(ray_head: str, tiny, tmp_path: Path) -> None:
    # address: auto finds the cluster started on this machine (RAY_ADDRESS unset: with a
    # concrete address ray.init does not find the cluster's token settings in its
    # non-default temp dir).
    run = _sweep("ray_cluster", tmp_path / "sweep", None, tiny)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert f"Connecting to existing Ray cluster at address: {ray_head}" in log
    assert _completed(tmp_path / "sweep") == 2
