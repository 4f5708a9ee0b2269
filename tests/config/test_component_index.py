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


def test_choices_list_every_config_group_and_its_files(tmp_path, monkeypatch) -> None:
    """`--help`'s choices name every group of conf/ with every YAML file in it, including
    a group folder added later (the listing reads conf/, it does not name groups)."""
    import shutil

    from advrun.config import help as help_module
    from advrun.config import paths

    conf = tmp_path / "conf"
    shutil.copytree(paths.conf_dir(), conf)
    (conf / "callbacks").mkdir()
    (conf / "callbacks" / "wandb.yaml").write_text("{}\n")
    paths.config_groups.cache_clear()
    monkeypatch.setattr(paths, "conf_dir", lambda: str(conf))
    monkeypatch.setattr(help_module, "conf_dir", lambda: str(conf))
    try:
        lines = dict(
            line.split("=  ", 1) for line in help_module.choices().splitlines() if "=  " in line
        )
        index = load_index()
        for group in paths.config_groups() - set(index["groups"]):
            files = sorted(p.stem for p in (conf / group).glob("*.yaml"))
            assert lines[group] == ", ".join(files), group
        assert lines["callbacks"] == "wandb"
        assert "hydra" not in lines
    finally:
        paths.config_groups.cache_clear()
