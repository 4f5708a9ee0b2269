"""Killing a process in the middle of checkpoint writes never corrupts last.pt."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from advrun.storage.checkpoint import load_checkpoint

WRITER = textwrap.dedent("""
    import sys, torch
    from advrun.storage.checkpoint import save_checkpoint
    path = sys.argv[1]
    i = 0
    while True:
        i += 1
        # ~16 MB per write, so a kill often lands mid-write
        save_checkpoint(path, {"model": {"w": torch.full((4_000_000,), float(i))},
                               "config": {"i": i}})
        print(i, flush=True)
""")


def test_sigkill_during_writes_leaves_a_complete_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "last.pt"
    seen = []
    for round_ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one complete write this round
        time.sleep(random.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = load_checkpoint(path)
        i = data["config"]["i"]
        w = data["model"]["w"]
        assert w.shape == (4_000_000,)
        assert bool((w == float(i)).all()), f"round {round_}: torn checkpoint {i}"
        seen.append(i)
    assert len(seen) == 5
