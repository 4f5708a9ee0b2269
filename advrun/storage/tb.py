"""TensorBoard scalars and HParams, written into the run directory itself so that
``tensorboard --logdir <sweep dir>`` shows one run per member, named by its folder.

The event file is written by a background thread. When that write fails (disk full,
file-size limit), the thread stores the error and the next call here raises it; this
module keeps the thread from also printing a traceback, and names the event file in
the error, so the trainer can report the fault in one paragraph.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def _without_s3() -> Iterator[None]:
    """Import TensorBoard's writer without ``boto3``: TensorBoard's file layer imports
    boto3 when it is installed, only to accept ``s3://`` paths, which a run dir never
    is. That import was 0.04-0.13 s of every ``advrun train`` here where boto3 is present
    (the ``ray`` extra pulls it in; ``botocore.exceptions``, imported first, is a few ms
    and stays). A ``None`` entry in ``sys.modules`` makes that one ``import boto3`` fail
    as if boto3 were absent; the entry is removed at once, so a later ``import boto3``
    (the user's own) works as usual."""
    if "boto3" in sys.modules:
        yield
        return
    sys.modules["boto3"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("boto3", 0) is None:
            del sys.modules["boto3"]


with _without_s3():
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

log = logging.getLogger(__name__)
_WRITER_THREAD = "_AsyncWriterThread"


@functools.cache
def _quiet_writer_thread() -> None:
    """Route exceptions of TensorBoard's writer thread to the debug log instead of a
    stderr traceback (the main thread re-raises the same error at its next write)."""
    previous: Callable[[Any], Any] = threading.excepthook

    def hook(args: Any) -> None:
        if type(args.thread).__name__ == _WRITER_THREAD:
            log.debug("TensorBoard writer thread: %s", args.exc_value)
            return
        previous(args)

    threading.excepthook = hook


class TensorBoardLogger:
    def __init__(self, log_dir: str, purge_step: int | None = None) -> None:
        _quiet_writer_thread()
        self.log_dir = log_dir
        # purge_step: on resume, TensorBoard drops earlier-session events at steps >=
        # this value, so points logged after the last checkpoint are not duplicated.
        self.writer = SummaryWriter(log_dir=log_dir, flush_secs=10, purge_step=purge_step)

    @contextlib.contextmanager
    def _naming_the_file(self) -> Iterator[None]:
        try:
            yield
        except OSError as err:
            if not err.filename:
                event_writer = getattr(self.writer.file_writer, "event_writer", None)
                err.filename = getattr(event_writer, "_file_name", None) or self.log_dir
            raise

    def scalars(self, values: dict[str, float], step: int) -> None:
        with self._naming_the_file():
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
        with self._naming_the_file():
            self.writer.flush()

    def close(self) -> None:
        with self._naming_the_file():
            self.writer.close()
