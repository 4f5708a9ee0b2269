"""Put the user env modules on ``sys.path``, as ``PYTHONPATH`` does for a user.

``docs/examples/corridor.py`` is the README's example env; ``tests/envs/user_envs/``
holds the broken ones. They are imported by their top-level names (``corridor``,
``broken_envs``, ``broken_import``), the way advrun imports a user's module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
USER_ENVS = Path(__file__).resolve().parent / "user_envs"


@pytest.fixture
def user_envs_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.syspath_prepend(str(USER_ENVS))
