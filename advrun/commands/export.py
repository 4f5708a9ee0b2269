"""``advrun export``: write a checkpoint's policy as a self-contained ONNX or TorchScript
file plus a metadata JSON (see :mod:`advrun.export`)."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from advrun.commands.errors import clean_errors
from advrun.commands.evaluate import checkpoint_path
from advrun.config import ConfigError, conf_dir, register_configs
from advrun.config.schema import ExportCommandConfig
from advrun.config.validate import to_object

# advrun.export (torch, onnx) is imported where it is used: `advrun export --help`
# composes and prints the config only and must not pay for it.
register_configs()


def check_export_config(c: ExportCommandConfig) -> None:
    """Range checks the schema's types cannot express (exit 2 before any work)."""
    from advrun.export import FORMATS, OUTPUTS

    if c.format not in FORMATS:
        raise ConfigError(
            "format", f"{c.format!r} is not one of {', '.join(FORMATS)}.", "use format=onnx."
        )
    if c.outputs not in OUTPUTS:
        raise ConfigError(
            "outputs",
            f"{c.outputs!r} is not one of {', '.join(OUTPUTS)}.",
            "use outputs=action, or outputs=dist for the distribution's parameters too.",
        )
    if c.check_observations < 0:
        raise ConfigError(
            "check_observations",
            f"{c.check_observations} is negative.",
            "use check_observations=1000 (0 skips the check).",
        )


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="export")
def export(cfg: DictConfig) -> None:
    import torch

    from advrun.export import export_checkpoint
    from advrun.export.bundle import result_summary

    with clean_errors():
        c = to_object(cfg)
        assert isinstance(c, ExportCommandConfig)
        check_export_config(c)
        torch.set_num_threads(1)
        path = checkpoint_path(c.run, c.checkpoint, c.which)
        result = export_checkpoint(
            path,
            c.format,
            c.out,
            outputs=c.outputs,
            check_observations=c.check_observations,
            trust_env_code=c.trust_env_code,
        )
        print(result_summary(result))
