"""``advrun train --help``: the choices, read from the registries and the config dirs.

Hydra's own help lists config groups by scanning files; here the component groups are
listed from their registries with each option's one-line summary, so the help can never
offer an option the code does not have (or miss one it has). The template is Hydra's
``hydra.help.template`` in ``conf/train.yaml``; ``${advrun.choices:}`` renders this.
"""

from __future__ import annotations

from pathlib import Path

from advrun.config.paths import conf_dir


def _row(name: str, summary: str) -> str:
    return f"    {name:<12} {summary}".rstrip()


def choices() -> str:
    """The text block of every choice a run is composed from."""
    from advrun.config.store import component_registries
    from advrun.networks import ACTIVATIONS, ENCODERS
    from advrun.optim import SCHEDULES

    lines: list[str] = []
    for group, registry in component_registries().items():
        lines.append(f"{group}=  ({registry.kind})")
        lines.extend(_row(e.name, e.summary) for e in sorted(registry, key=lambda e: e.name))
    conf = Path(conf_dir())
    for group in ("env", "network", "experiment"):
        names = sorted(p.stem for p in (conf / group).glob("*.yaml"))
        lines.append(f"{group}=  {', '.join(names)}")
    for key, registry in (
        ("network.kind", ENCODERS),
        ("network.activation", ACTIVATIONS),
        ("optimizer.schedule", SCHEDULES),
    ):
        names = registry.names()
        if key == "network.kind":  # resolved by the config (advrun.config.validate)
            names = ["auto", *names]
        lines.append(f"{key}=  {', '.join(names)}")
    return "\n".join(lines)
