"""``advrun train --help``: the choices, read from the registries' index and the config dirs.

Hydra's own help lists config groups by scanning files; here the component groups are
listed from their registries with each option's one-line summary, so the help can never
offer an option the code does not have (or miss one it has). The registries are read
through their static index (:mod:`advrun.config.index`, checked against them by a test)
so the help imports no torch. The template is Hydra's ``hydra.help.template`` in
``conf/train.yaml``; ``${advrun.choices:}`` renders this.
"""

from __future__ import annotations

from pathlib import Path

from advrun.config.paths import conf_dir, config_groups


def _row(name: str, summary: str) -> str:
    return f"    {name:<12} {summary}".rstrip()


def choices() -> str:
    """The text block of every choice a run is composed from."""
    from advrun.config.index import load_index

    index = load_index()
    lines: list[str] = []
    for group, section in index["groups"].items():
        lines.append(f"{group}=  ({section['kind']})")
        lines.extend(_row(name, o["summary"]) for name, o in sorted(section["options"].items()))
    conf = Path(conf_dir())
    # Every other group of conf/ is a folder of YAML files: a new folder is listed
    # without touching this function.
    for group in sorted(config_groups() - set(index["groups"])):
        names = sorted(p.stem for p in (conf / group).glob("*.yaml"))
        lines.append(f"{group}=  {', '.join(names)}")
    for key, names in index["names"].items():
        lines.append(f"{key}=  {', '.join(names)}")
    return "\n".join(lines)


# Hydra's help placeholders that need its (slow) group scan or its argparse parser.
_SLOW_PLACEHOLDERS = ("$APP_CONFIG_GROUPS", "$HYDRA_CONFIG_GROUPS", "$FLAGS_HELP")


def command_help(config_name: str, overrides: list[str]) -> str | None:
    """Hydra's ``--help`` text for ``config_name`` composed with ``overrides``, or None
    when this shortcut does not apply (the caller then lets Hydra print it).

    Hydra 1.3's ``app_help`` fills every placeholder of the template eagerly, and two of
    them (the config-group listings) list each group by deep-copying the whole config
    repository: about 120 copies, 85% of ``advrun train --help``'s wall time here. This
    composes the same config through Hydra's compose API and substitutes ``$CONFIG``
    only, which is all ``conf/train.yaml``'s template uses (the choices come from
    ``${advrun.choices:}``). A template that uses another placeholder, or an override
    Hydra cannot compose, returns None so Hydra prints exactly what it always did."""
    import string

    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    if any(arg.startswith("-") for arg in overrides):
        return None
    try:
        with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
            cfg = compose(config_name, overrides=overrides, return_hydra_config=True)
            template = str(cfg.hydra.help.template)
            if any(p in template for p in _SLOW_PLACEHOLDERS):
                return None
            with open_dict(cfg):
                del cfg["hydra"]
            return string.Template(template).substitute(CONFIG=OmegaConf.to_yaml(cfg))
    except Exception:
        return None
