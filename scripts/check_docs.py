#!/usr/bin/env python
"""Every shell command in README.md and docs/*.md, extracted and checked.

    python scripts/check_docs.py --list          # each command, how it is checked, and why
    python scripts/check_docs.py --run           # run them all (minutes; pytest -m slow does too)

``tests/docs/test_doc_commands.py`` runs this: in the default ``pytest`` run every command
must have a rule and every ``advrun train`` command must compose (``--cfg job``); under
``pytest -m slow`` (which ``.ci/run`` runs) every command is executed.

**What counts as a command.** Lines of fenced blocks tagged ``bash``, ``sh``, ``shell``,
``console`` or ``zsh``, and of indented (4-space) blocks whose first line starts with a
known program (``advrun``, ``python``, ``pip``, ``tensorboard``, ``pytest``, ``$``). In a
block with ``$ `` prompts only the prompted lines are commands (the rest is output).
Lines ending in ``\\`` continue; ``# comments`` are dropped (not inside quotes).

**How each is checked** (``MODE``):

* ``run``: executed with ``bash -c`` in a scratch directory (with a copy of ``docs/``
  and a link to ``scripts/``; a script's own writes into the repository, e.g.
  bench_presets' ``docs/results``, are why scripts default to ``help``). ``advrun
  train`` gets a small budget appended (:data:`BUDGET`; a resume gets none, an Optuna
  sweep ``n_trials=2``); placeholders such as ``<run dir>`` or ``<sweep dir>`` are
  filled with runs the check makes first (:data:`PLACEHOLDERS`).
* ``compose``: ``advrun train`` built with ``--cfg job`` instead of launched: ``-m`` is
  dropped and each swept key keeps its first value. Automatic for cluster launchers
  (``hydra/launcher=slurm``, ``ray_cluster``) and for ``device=cuda`` without a GPU.
* ``help``: ``python scripts/X.py`` runs ``--help`` only (the scripts are benchmarks
  that take minutes to hours); mark a block ``run`` to execute it.
* ``script``: the whole block runs as one bash script (``set -e``), budget and
  placeholders applied per line; for blocks whose lines depend on each other.
* ``skip``: not run; the reason is printed with ``--list``.

**Marking a block** (the reason is required and stays next to the block in the doc, as
an HTML comment the rendered page does not show)::

    <!-- doccheck: skip: starts a server -->
    <!-- doccheck: compose: needs a SLURM cluster -->
    <!-- doccheck: script: the lines share a variable -->
    <!-- doccheck: run: a few seconds -->
    <!-- doccheck: skip "[which=best|last]": a synopsis, not a command -->

on the line(s) just above the block; ``"text"`` limits a directive to the commands that
contain ``text``. Programs without a rule (:func:`default_mode`) fail the check until
their block is marked.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh"}
PROGRAMS = ("advrun", "python", "pip", "tensorboard", "pytest", "$ ")
MODES = ("run", "compose", "help", "script", "skip")
DIRECTIVE = re.compile(r"<!--\s*doccheck:\s*(\w+)\s*(?:\"([^\"]+)\")?\s*:\s*(.*?)\s*-->")

# Appended to every `advrun train` that the check runs: a couple of seconds per run.
BUDGET = [
    "total_steps=2048",
    "eval.episodes=2",
    "eval.interval=0",
    "checkpoint_interval=0",
    "progress=false",
]
OPTUNA_BUDGET = ["hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=1"]

# Placeholder -> the `advrun train` overrides of the run (or sweep, with "-m") that fills
# it; None fills it with a fixed word. Longest first, so `outputs/runs/<date>/<run>`
# wins over `<run>`.
PLACEHOLDERS: dict[str, list[str] | str] = {
    "outputs/multirun/<date>/<sweep>": ["-m", "advantage=gae,mc", "seed=1,2"],
    "outputs/runs/<date>/<run>": [],
    "outputs/.../<run-dir>": [],
    "<LunarLander run>": ["experiment=ppo_lunarlander"],
    "<fine-tuned run>": [],
    "<original run>": [],
    "<sweep dir>": ["-m", "advantage=gae,mc", "seed=1,2"],
    "<sweep>": ["-m", "advantage=gae,mc", "seed=1,2"],
    "<run dir>": [],
    "<file.pt>": [],  # filled with <run>/checkpoints/best.pt below
    "<run>": [],
    "<dir>": [],
    "<partition>": "debug",
    "<account>": "project",
    "<p>": "debug",
}


@dataclass(frozen=True)
class Command:
    """One documented command (or, in ``script`` mode, a whole block)."""

    doc: str  # path relative to the repo
    line: int  # 1-based line of the command in the doc
    text: str
    mode: str
    reason: str = ""
    block: tuple[str, ...] = field(default=(), compare=False)

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


# -- extraction ------------------------------------------------------------------------
def strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (a ``#`` after whitespace, outside
    quotes); ``$#`` and ``#`` inside words are kept."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def join_continuations(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines ending in ``\\`` joined with the next (keeping the first line's number)."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in lines:
        text = strip_comment(raw) if pending is None else raw.strip()
        if pending is not None:
            number, text = pending[0], f"{pending[1]} {strip_comment(text)}"
        if text.endswith("\\"):
            pending = (number, text[:-1].rstrip())
            continue
        pending = None
        if text.strip():
            out.append((number, text.strip()))
    if pending is not None:
        out.append(pending)
    return out


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str], list[tuple[str, str, str]]]]:
    """(first line number, block lines, directives) for each shell block of a doc."""
    i = 0
    directives: list[tuple[str, str, str]] = []
    in_list_or_blank = True  # an indented block needs a blank line above it
    while i < len(lines):
        line = lines[i]
        match = DIRECTIVE.fullmatch(line.strip())  # a line of its own, not prose quoting one
        if match:
            directives.append((match.group(1), match.group(2) or "", match.group(3)))
        fence = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", line)
        if fence:
            marker, lang = fence.group(2), fence.group(3).lower()
            body, start = [], i + 2
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            if lang in SHELL_LANGS:
                yield start, body, directives
            directives = []
            i += 1
            in_list_or_blank = False
            continue
        indented = re.match(r"^ {4}(\S.*)$", line)
        if indented and in_list_or_blank and indented.group(1).startswith(PROGRAMS):
            body, start = [], i + 1
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            yield start, body, directives
            directives = []
            continue
        if line.strip() and not match:
            directives = []  # a directive applies to the block right below it
        in_list_or_blank = not line.strip()
        i += 1


def default_mode(text: str) -> tuple[str, str]:
    """The rule for a command no directive marks: (mode, reason)."""
    words = text.split()
    program = words[0] if words else ""
    if program == "advrun" and len(words) > 1 and words[1] == "train":
        if re.search(r"hydra/launcher=(slurm|ray_cluster)\b", text):
            return "compose", "needs a cluster (SLURM or a running Ray cluster)"
        if "device=cuda" in text and not _has_cuda():
            return "compose", "needs a GPU (none here)"
        return "run", ""
    if program == "advrun":
        return "run", ""
    if program == "python" and len(words) > 1 and words[1].startswith("scripts/"):
        return "help", "a script that runs for minutes or more: --help only"
    if program == "python" and len(words) > 1 and words[1] in ("-c", "-m"):
        return "run", ""
    if program == "pip":
        return "skip", "installs packages (CI installs the dev extra itself)"
    if program == "pytest":
        return "skip", "the test suite itself"
    if program == "tensorboard":
        return "run", ""  # the logdir must exist; the server is not started (see run)
    return "", f"no rule for {program!r}: mark the block with a doccheck directive"


def _has_cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def extract(path: Path, root: Path = ROOT) -> list[Command]:
    """The commands of one markdown file, each with its mode. A ``<!-- doccheck`` line
    that is not a well-formed directive becomes a command of mode ``""`` (a problem)."""
    doc = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    lines = path.read_text().splitlines()
    commands: list[Command] = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("<!-- doccheck") and not DIRECTIVE.fullmatch(stripped):
            why = "malformed doccheck directive (want <!-- doccheck: MODE: reason -->)"
            commands.append(Command(doc, number, stripped, "", why))
    for start, body, directives in _blocks(lines):
        whole = [(m, r) for m, match, r in directives if not match]
        if whole and whole[-1][0] == "script":
            text = "\n".join(body).strip()
            commands.append(Command(doc, start, text, "script", whole[-1][1], tuple(body)))
            continue
        numbered = list(enumerate(body, start))
        prompted = [(n, t[2:]) for n, t in numbered if t.startswith("$ ")]
        for number, text in join_continuations(prompted or numbered):
            mode, reason = default_mode(text)
            for m, match, r in directives:
                if not match or match in text:
                    mode, reason = m, r
            commands.append(Command(doc, number, text, mode, reason))
    return commands


def documented_commands(root: Path = ROOT) -> list[Command]:
    docs = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [c for doc in docs if doc.exists() for c in extract(doc, root)]


def problems(commands: list[Command]) -> list[str]:
    """What makes the extraction itself fail: unknown programs or modes, marks without a
    reason, placeholders nobody fills."""
    out = []
    for c in commands:
        if c.mode not in MODES:
            out.append(f"{c.where}: {c.reason or f'unknown mode {c.mode!r}'}: {c.text}")
        elif c.mode != "run" and not c.reason:
            out.append(f"{c.where}: mode {c.mode} needs a reason: {c.text}")
        if c.mode in ("run", "compose", "script"):
            lines = join_continuations(list(enumerate(c.text.splitlines())))
            rest = "\n".join(text for _, text in lines)  # comments dropped
            for known in sorted(PLACEHOLDERS, key=len, reverse=True):
                rest = rest.replace(known, "")
            for placeholder in re.findall(r"<[A-Za-z][^<>]*>", rest):
                out.append(
                    f"{c.where}: unknown placeholder {placeholder}: add it to "
                    f"scripts/check_docs.py PLACEHOLDERS or mark the block: {c.text}"
                )
    return out


# -- rewriting -------------------------------------------------------------------------
_SEGMENT = re.compile(r"(\s*(?:&&|\|\||;|\|(?!\|)|&(?!&))\s*)")


def _segments(text: str) -> list[str]:
    """``text`` split at top-level shell operators (kept as their own items)."""
    out, buf, quote, i = [], "", "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf += ch
            quote = "" if ch == quote else quote
            i += 1
            continue
        if ch in "'\"":
            quote = ch
            buf += ch
            i += 1
            continue
        match = _SEGMENT.match(text, i)
        if match and match.group(1).strip():
            out += [buf, match.group(1)]
            buf = ""
            i = match.end()
            continue
        buf += ch
        i += 1
    return [*out, buf]


def with_budget(text: str) -> str:
    """Every ``advrun train`` in ``text`` with :data:`BUDGET` appended (not a resume)."""
    parts = _segments(text)
    for k, part in enumerate(parts):
        words = part.split()
        if words[:2] == ["advrun", "train"] and "--help" not in words and "--cfg" not in words:
            if any(w.startswith("resume=") for w in words):
                continue
            extra = list(BUDGET)
            if "hydra/sweeper=ppo_search" in part:
                extra += OPTUNA_BUDGET
            parts[k] = part.rstrip() + " " + " ".join(extra)
    return "".join(parts)


def first_values(args: list[str]) -> list[str]:
    """``-m`` dropped and each swept override reduced to its first value, so the command
    composes as a single run (Hydra refuses ``--cfg`` with ``--multirun``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    out = []
    for arg in args:
        if arg in ("-m", "--multirun"):
            continue
        if "=" in arg and not arg.startswith("-"):
            try:
                override = parser.parse_override(arg)
            except Exception:
                out.append(arg)
                continue
            if override.is_sweep_override():
                first = next(iter(override.sweep_string_iterator()))
                out.append(f"{arg.split('=', 1)[0]}={first}")
                continue
        out.append(arg)
    return out


def compose_args(text: str, fill: Callable[[str], str]) -> list[str]:
    """The ``advrun train`` arguments that compose ``text`` without running it."""
    first = _segments(text)[0]  # `advrun train ...; echo $?` composes the advrun part
    words = shlex.split(fill(first))
    assert words[:2] == ["advrun", "train"], f"compose is for advrun train: {text}"
    return [*first_values(words[1:]), "--cfg", "job"]


# -- running ---------------------------------------------------------------------------
class Workspace:
    """A scratch directory with ``docs/`` and ``scripts/`` linked in, and the runs that
    fill placeholders (made on first use, with the budget)."""

    def __init__(self, path: Path, root: Path = ROOT) -> None:
        self.path = path
        self.root = root
        # A copy of docs/: documented commands may write there (`--markdown docs/x.md`),
        # and the check must never change the repository. scripts/ is only read.
        if not (path / "docs").exists():
            shutil.copytree(root / "docs", path / "docs", symlinks=True)
        if not (path / "scripts").exists():
            (path / "scripts").symlink_to(root / "scripts", target_is_directory=True)
        self._made: dict[tuple[str, ...], Path] = {}

    def env(self) -> dict[str, str]:
        return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(self.root)}

    def _make(self, overrides: list[str]) -> Path:
        key = tuple(overrides)
        if key in self._made:
            return self._made[key]
        sweep = "-m" in overrides
        name = f"{'sweep' if sweep else 'run'}{len(self._made)}"
        target = self.path / "filled" / name
        dir_key = "hydra.sweep.dir" if sweep else "hydra.run.dir"
        cmd = ["advrun", "train", *overrides, *BUDGET, f"{dir_key}={target}"]
        proc = subprocess.run(cmd, cwd=self.path, env=self.env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"making {target} failed: {proc.stderr[-2000:]}")
        if not sweep:  # for the commands that play the exported policy
            subprocess.run(
                ["advrun", "export", f"run={target}", "format=onnx"],
                cwd=self.path,
                env=self.env(),
                capture_output=True,
                check=False,
            )
        self._made[key] = target
        return target

    def fill(self, text: str) -> str:
        for placeholder in sorted(PLACEHOLDERS, key=len, reverse=True):
            if placeholder not in text:
                continue
            value = PLACEHOLDERS[placeholder]
            if isinstance(value, str):
                filled = value
            else:
                filled = str(self._make(value))
                if placeholder == "<file.pt>":
                    filled += "/checkpoints/best.pt"
            text = text.replace(placeholder, filled)
        return text


def dummy_fill(text: str) -> str:
    """Placeholders filled with words, for composing only (nothing reads them)."""
    for placeholder in sorted(PLACEHOLDERS, key=len, reverse=True):
        value = PLACEHOLDERS[placeholder]
        text = text.replace(placeholder, value if isinstance(value, str) else "/tmp/doccheck")
    return text


def run_command(command: Command, ws: Workspace, timeout: float = 600) -> tuple[int, str]:
    """Execute ``command`` per its mode in ``ws``; (exit status, output tail)."""
    if command.mode == "skip":
        return 0, f"skipped: {command.reason}"
    if command.mode == "compose":
        args = compose_args(command.text, dummy_fill)
        proc = subprocess.run(
            ["advrun", *args], cwd=ws.path, env=ws.env(), capture_output=True, text=True
        )
        return proc.returncode, (proc.stdout + proc.stderr)[-3000:]
    if command.mode == "help":
        words = shlex.split(command.text)
        script = next(w for w in words if w.startswith("scripts/"))
        argv = [sys.executable, script, "--help"]
        proc = subprocess.run(argv, cwd=ws.path, env=ws.env(), capture_output=True, text=True)
        return proc.returncode, (proc.stdout + proc.stderr)[-3000:]
    if command.mode == "script":
        numbered = list(enumerate(command.text.splitlines()))
        lines = [with_budget(ws.fill(text)) for _, text in join_continuations(numbered)]
        script = "set -e\n" + "\n".join(lines)
    else:
        text = with_budget(ws.fill(command.text))
        if text.startswith("tensorboard "):
            logdir = shlex.split(text)[shlex.split(text).index("--logdir") + 1]
            script = f'test -d {shlex.quote(logdir)} || {{ echo "no such logdir"; exit 1; }}'
        else:
            script = text
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=ws.path,
        env=ws.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, (proc.stdout + proc.stderr)[-3000:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print each command and its mode")
    parser.add_argument("--run", action="store_true", help="run them (minutes)")
    parser.add_argument("--only", default="", help="only commands whose doc:line contains this")
    args = parser.parse_args(argv)
    commands = [c for c in documented_commands() if args.only in c.where]
    bad = problems(commands)
    for c in commands:
        if args.list or not args.run:
            note = f"  ({c.reason})" if c.reason else ""
            print(f"{c.where:<22} {c.mode:<8} {c.text.splitlines()[0][:100]}{note}")
    failed = 0
    if args.run:
        with tempfile.TemporaryDirectory(prefix="advrun-doccheck-") as tmp:
            ws = Workspace(Path(tmp))
            for c in commands:
                code, tail = run_command(c, ws)
                status = "ok" if code == 0 else f"FAILED ({code})"
                print(f"{c.where:<22} {c.mode:<8} {status}  {c.text.splitlines()[0][:80]}")
                if code != 0:
                    failed += 1
                    print(tail)
    for problem in bad:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if bad or failed else 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "BUDGET",
    "PLACEHOLDERS",
    "Command",
    "Workspace",
    "compose_args",
    "documented_commands",
    "dummy_fill",
    "extract",
    "first_values",
    "problems",
    "run_command",
    "with_budget",
]
