"""The run's event file, read back with TensorBoard's own reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

REQUIRED_SCALARS = (
    "charts/episodic_return",
    "charts/episodic_length",
    "charts/SPS",
    "charts/learning_rate",
    "losses/policy_loss",
    "losses/value_loss",
    "losses/entropy",
    "losses/approx_kl",
    "losses/clip_fraction",
    "eval/episodic_return",
    "eval/episodic_return_std",
)


@pytest.fixture(scope="module")
def events(trained_run: Path) -> EventAccumulator:
    files = sorted(trained_run.glob("events.out.tfevents.*"))
    assert len(files) == 1, files  # written into the run dir itself, not a sub-run
    ea = EventAccumulator(str(files[0]), size_guidance={"scalars": 0})
    ea.Reload()
    return ea


def test_required_scalar_tags(events: EventAccumulator) -> None:
    tags = set(events.Tags()["scalars"])
    missing = [tag for tag in REQUIRED_SCALARS if tag not in tags]
    assert not missing, f"missing {missing}; got {sorted(tags)}"


def test_scalars_are_logged_against_env_steps(events: EventAccumulator) -> None:
    steps = [e.step for e in events.Scalars("charts/SPS")]
    assert steps == sorted(steps)
    assert steps[-1] == 256
    assert all(step % 64 == 0 for step in steps)  # one entry per 2 envs x 32 steps
    evals = [e.step for e in events.Scalars("eval/episodic_return")]
    assert evals == [128, 256]  # eval.interval=128


def test_learning_rate_matches_config(events: EventAccumulator, trained_run: Path) -> None:
    # constant schedule: every logged value is the run's configured lr
    lr = yaml.safe_load((trained_run / ".hydra" / "config.yaml").read_text())["optimizer"]["lr"]
    # TensorBoard stores float32: each point is the configured lr rounded to float32
    # (2.5e-3 reads back as 0.0024999999441206455).
    values = {e.value for e in events.Scalars("charts/learning_rate")}
    assert values == {float(np.float32(lr))}


def test_hparams_plugin_data(events: EventAccumulator) -> None:
    content = events.PluginTagToContent("hparams")
    assert content, "no HParams plugin data"
    assert "_hparams_/experiment" in content
    assert "_hparams_/session_start_info" in content
