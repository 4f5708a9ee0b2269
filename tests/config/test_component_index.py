"""The static component index `--help` reads equals what the registries say, and the
help it renders equals the help from the typed schemas."""

from __future__ import annotations

import subprocess
import sys

from advrun.config.index import INDEX_FILE, REGENERATE, build_index, load_index, render


def test_index_file_matches_the_registries() -> None:
    assert INDEX_FILE.read_text() == render(build_index()), (
        f"{INDEX_FILE.name} is stale: run `{REGENERATE}` and commit the file"
    )


def test_index_lists_every_registered_option() -> None:
    from advrun.config.store import component_registries

    index = load_index()["groups"]
    for group, registry in component_registries().items():
        assert sorted(index[group]["options"]) == registry.names(), group


def test_index_detects_drift() -> None:
    """A changed default shows in the rendering the test above compares (it can fail)."""
    index = build_index()
    index["groups"]["advantage"]["options"]["gae"]["defaults"]["lam"] = 0.5
    assert render(index) != INDEX_FILE.read_text()


def _train_help(setup: str) -> str:
    code = (
        "import sys\n"
        "sys.argv = ['advrun-train', '--help']\n"
        f"{setup}\n"
        "import advrun.commands.train as t\n"
        "t.train()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_light_help_equals_the_typed_help_and_hydras_own() -> None:
    """Hydra's own `--help` with the typed schemas, Hydra's with the index's nodes, and
    advrun's shortcut (advrun.config.help.command_help) print the same text."""
    typed = _train_help("")
    light = _train_help("from advrun.config import store; store.help_only = True")
    proc = subprocess.run(
        [sys.executable, "-m", "advrun", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert typed == light == proc.stdout
    assert "== Choices ==" in typed and "gae " in typed
