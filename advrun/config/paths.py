"""Where the shipped YAML configs live.

From a wheel they are the package ``advrun.conf``; from a source checkout without an
install they are the top-level ``conf/`` next to the package.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path


def conf_dir() -> str:
    """Absolute path of the directory holding ``train.yaml``."""
    spec = importlib.util.find_spec("advrun.conf")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "train.yaml").is_file():
                return str(Path(location).resolve())
    fallback = Path(__file__).resolve().parents[2] / "conf"
    if (fallback / "train.yaml").is_file():
        return str(fallback)
    raise FileNotFoundError(
        "advrun cannot find its configs (train.yaml). Reinstall the package with "
        "`pip install advrun` or run from a source checkout that has conf/."
    )


@functools.cache
def config_groups() -> frozenset[str]:
    """The config groups the shipped configs define: ``conf/``'s folders, without
    Hydra's own (``hydra/``) and Python's ``__pycache__``."""
    folders = {p.name for p in Path(conf_dir()).iterdir() if p.is_dir()}
    return frozenset(folders - {"hydra", "__pycache__"})
