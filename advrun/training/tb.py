"""TensorBoard scalars and HParams, written into the run directory itself so that
``tensorboard --logdir <sweep dir>`` shows one run per member, named by its folder."""

from __future__ import annotations

from typing import Any

from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams


class TensorBoardLogger:
    def __init__(self, log_dir: str, purge_step: int | None = None) -> None:
        # purge_step: on resume, TensorBoard drops earlier-session events at steps >=
        # this value, so points logged after the last checkpoint are not duplicated.
        self.writer = SummaryWriter(log_dir=log_dir, flush_secs=10, purge_step=purge_step)

    def scalars(self, values: dict[str, float], step: int) -> None:
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, step)

    def hparams(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        """Record the run's hyperparameters for the HParams tab, in this run (not a
        sub-run, unlike ``SummaryWriter.add_hparams``), so its curves stay linked."""
        clean = {
            k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in params.items()
        }
        exp, ssi, sei = hparams(clean, metrics)
        fw = self.writer._get_file_writer()
        fw.add_summary(exp)
        fw.add_summary(ssi)
        fw.add_summary(sei)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, 0)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
