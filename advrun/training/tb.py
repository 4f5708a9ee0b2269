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

    def hparams_start(self, params: dict[str, Any], metric_names: tuple[str, ...]) -> None:
        """Declare the run's hyperparameters and metric names for the HParams tab, in
        this run (not a sub-run, unlike ``SummaryWriter.add_hparams``), so its curves
        stay linked. Written once, when a run starts; a resume does not repeat it."""
        clean = {
            k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in params.items()
        }
        exp, ssi, _ = hparams(clean, dict.fromkeys(metric_names, 0.0))
        fw = self.writer._get_file_writer()
        fw.add_summary(exp)
        fw.add_summary(ssi)

    def hparams_end(self, metrics: dict[str, float], step: int) -> None:
        """The metric values, at the run's final step (the HParams tab shows the latest
        value of each tag, so a run that was resumed and extended shows its new end)."""
        _, _, sei = hparams({}, {})
        self.writer._get_file_writer().add_summary(sei)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
