"""Config → plain containers (for checkpoints and HParams)."""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf

from advrun.config.schema import TrainConfig


def enum_value(x: object) -> str:
    """Enum fields arrive as members from OmegaConf objects; components take strings."""
    return str(getattr(x, "value", x))


def config_container(cfg: TrainConfig) -> dict[str, Any]:
    """The config as plain dicts/lists/str/numbers (what checkpoints store)."""
    out = OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True, enum_to_str=True)
    assert isinstance(out, dict)
    return out


def flat_hparams(container: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys with scalar values; lists and nulls become strings (TensorBoard's
    HParams plugin takes only numbers, strings and booleans)."""
    flat: dict[str, Any] = {}
    for key, value in container.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_hparams(value, f"{name}."))
        elif value is None:
            flat[name] = "null"
        elif isinstance(value, (list, tuple)):
            flat[name] = str(list(value))
        else:
            flat[name] = value
    return flat
