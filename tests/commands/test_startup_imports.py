"""`advrun --help` and `advrun <command> --help` import no torch, gymnasium or
TensorBoard (issue 14: start-up). Each case runs in a fresh interpreter, because the test
process itself has imported torch long before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "gymnasium", "tensorboard")

# Runs the console entry point in-process and reports which heavy modules it loaded.
PROBE = f"""
import json, sys
sys.argv = ["advrun", *json.loads(sys.argv[1])]
from advrun.cli import main
try:
    main()
except SystemExit as stop:
    assert stop.code in (None, 0), stop.code
print("\\nLOADED=" + json.dumps(sorted(m for m in {HEAVY} if m in sys.modules)))
"""


def _loaded(argv: list[str]) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    head, _, tail = proc.stdout.rpartition("\nLOADED=")
    return json.loads(tail), head


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["train", "--help"], ["train", "env=pendulum", "-h"], ["eval", "--help"]],
    ids=" ".join,
)
def test_help_imports_no_torch_gymnasium_or_tensorboard(argv: list[str]) -> None:
    loaded, out = _loaded(argv)
    assert loaded == [], f"advrun {' '.join(argv)} imported {loaded}"
    assert ("usage: advrun" if argv == ["--help"] else "== Config") in out


def test_export_help_imports_no_torch() -> None:
    loaded, _ = _loaded(["export", "--help"])
    assert loaded == []


def test_the_probe_sees_an_import() -> None:
    """The probe can fail: `--cfg job` registers the typed schemas, which import torch."""
    loaded, out = _loaded(["train", "--cfg", "job"])
    assert "torch" in loaded
    assert "env:" in out


def test_a_training_run_imports_neither_torch_dynamo_nor_boto3(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`advrun train` end to end: the optimizer skips torch._dynamo (advrun.optim.eager,
    ~1 s) and TensorBoard's writer skips boto3 (advrun.storage.tb); both stay loadable."""
    probe = PROBE.replace(repr(HEAVY), repr(("torch._dynamo", "boto3", "torch")))
    argv = ["train", "env=cartpole", "total_steps=4096", "eval.interval=2048"]
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps([*argv, f"hydra.run.dir={tmp_path}"])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.rpartition("\nLOADED=")[2])
    assert loaded == ["torch"], loaded
    assert (tmp_path / "checkpoints" / "last.pt").is_file()
