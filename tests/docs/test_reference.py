"""The README's option reference covers every option `advrun train --help` lists, each
with a description taken from the config schema's field comments (issue 16 item 11)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml
from script_loader import load_script

ROOT = Path(__file__).resolve().parents[2]


gen = load_script("gen_reference")


def _leaf_keys(node: object, prefix: str = "") -> list[str]:
    """Dotted keys of a config; lists and free-form dicts (env.kwargs) are one option."""
    if isinstance(node, dict) and node and prefix not in ("env.kwargs",):
        return [k for key, value in node.items() for k in _leaf_keys(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def _help_keys(cli, capsys) -> list[str]:
    with contextlib.suppress(SystemExit):
        cli(["train", "--help"])
    text = capsys.readouterr().out
    config = text.split("== Config (every key can be overridden: key=value) ==", 1)[1]
    config = config.split("\nExamples:", 1)[0]
    return _leaf_keys(yaml.safe_load(config))


def test_every_option_has_a_description() -> None:
    missing = [key for key, _, doc in gen.options() if not doc.strip()]
    assert missing == [], f"add a comment above these fields in the config schema: {missing}"


def test_every_help_option_has_a_line_in_the_readme(cli, capsys) -> None:
    listed = _help_keys(cli, capsys)
    assert "advantage.lam" in listed and "env.id" in listed and "progress" in listed
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(gen.BEGIN) : readme.index(gen.END)]
    missing = [key for key in listed if f"| `{key}` |" not in section]
    assert missing == [], f"run python scripts/gen_reference.py; not in the README: {missing}"


def test_readme_section_is_what_the_generator_writes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert gen.updated(readme) == readme, "run python scripts/gen_reference.py"


def test_one_comment_over_a_run_of_fields_covers_only_the_fields_it_names() -> None:
    """``# rho-bar ... c-bar`` over ``rho_bar`` and ``c_bar`` covers both; a comment over
    ``check`` does not describe the ``num_envs`` below it."""
    from dataclasses import dataclass

    @dataclass
    class Example:
        # Truncation in the TD error (rho-bar) and in the trace (c-bar).
        rho_bar: float = 1.0
        c_bar: float = 1.0
        # Check the env first.
        check: bool = True
        num_envs: int = 8

    docs = gen.field_comments(Example)
    assert docs["c_bar"] == docs["rho_bar"]
    assert "num_envs" not in docs
