"""On a terminal the progress bar and the log lines never share a line (issue 14 item 4),
and off a terminal there is no bar at all.

``advrun train`` runs in a pseudo-terminal (python's ``pty``: stdout and stderr are the
same TTY, as in a real terminal) with evaluations every 1,024 steps, so Hydra's log lines
arrive while the bar is drawn. The captured bytes are replayed the way a terminal shows
them (``\\r`` returns to the start of the line and later characters overwrite earlier
ones); no shown line may hold both a bar and a log line. The hand-written ``\\r`` line
that tqdm replaced fails this test: the log line was appended to the bar's line.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# What a bar line looks like: tqdm's "NN%|###" (and the old line's "NNN SPS").
BAR = re.compile(r"\d+%\||\d SPS ")
LOG = "][INFO] - "


def shown_lines(raw: str) -> list[str]:
    """The lines as a terminal shows them: per line, ``\\r`` moves the cursor to column 0
    and characters overwrite what is under them."""
    lines = []
    for physical in ANSI.sub("", raw).replace("\r\n", "\n").split("\n"):
        cells: list[str] = []
        col = 0
        for ch in physical:
            if ch == "\r":
                col = 0
                continue
            if col < len(cells):
                cells[col] = ch
            else:
                cells.append(ch)
            col += 1
        lines.append("".join(cells).rstrip())
    return lines


def test_shown_lines_replays_carriage_returns() -> None:
    assert shown_lines("abcdef\rXY\nnext") == ["XYcdef", "next"]
    assert shown_lines("[##  ] 50% SPS\r      \r[2026][INFO] - x\n") == ["[2026][INFO] - x", ""]


def _run_in_pty(args: list[str], cwd: Path, timeout: float = 240.0) -> tuple[int, str]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "160"}
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        assert time.monotonic() < deadline, "advrun train did not finish"
    os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def _train(tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "advrun",
        "train",
        "total_steps=16384",
        "env.num_envs=8",
        "algo.rollout_steps=32",
        "eval.interval=1024",
        "eval.episodes=4",
        "env.max_episode_steps=100",
        "early_stop.target_return=null",
        "checkpoint_interval=0",
        "device=cpu",
        f"hydra.run.dir={tmp_path / 'run'}",
        *extra,
    ]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_bar_and_log_lines_never_share_a_line(tmp_path: Path) -> None:
    code, raw = _run_in_pty(_train(tmp_path), tmp_path)
    assert code == 0, raw[-3000:]
    lines = shown_lines(raw)
    logs = [line for line in lines if LOG in line]
    bars = [line for line in lines if BAR.search(line)]
    assert len([line for line in logs if "eval return" in line]) >= 16  # 16,384 / 1,024
    assert bars, "no progress bar was drawn on the terminal"
    shared = [line for line in lines if LOG in line and BAR.search(line)]
    assert not shared, shared[:3]
    # The bar ends at the total and shows the latest eval return.
    assert any("16.4k/16.4k" in line and "eval " in line for line in bars), bars[-3:]
    # Every log line starts a shown line (nothing is drawn before it).
    assert all(line.startswith("[") for line in logs), [x for x in logs if x[0] != "["][:3]


def test_no_bar_off_a_terminal(tmp_path: Path) -> None:
    proc = subprocess.run(_train(tmp_path), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not BAR.search(proc.stdout + proc.stderr)
    assert "\r" not in proc.stdout + proc.stderr
