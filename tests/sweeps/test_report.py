"""``advrun report``: table, IQM per group, learning-curve PNG; and TensorBoard over a
sweep directory: one run per member, each with its own HParams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advrun.commands.report import report


@pytest.fixture
def sweep(cli, tiny, tmp_path: Path) -> Path:
    """advantage=gae,mc x seed=1,2 with evals every 128 steps, plus one failing member."""
    out = tmp_path / "sweep"
    cli(
        [
            "train",
            "-m",
            "advantage=gae,mc",
            "seed=1,2",
            *tiny(eval__interval=128),
            f"hydra.sweep.dir={out}",
        ]
    )
    bad = tmp_path / "bad"
    cli(["train", "-m", "advantage.gamma=7", *tiny(), f"hydra.sweep.dir={bad}"])
    (member,) = [p for p in bad.iterdir() if p.is_dir()]
    member.rename(out / member.name)
    return out


def test_report_table_iqm_and_png(sweep: Path, capsys, tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    png = tmp_path / "curves.png"
    report([str(sweep), "--group-by", "advantage", "--out", str(png), "--reps", "200"])
    out = capsys.readouterr().out
    assert "5 members" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("member"))
    rows = lines[header + 2 : header + 2 + 5]
    finals = [float(r.split()[-4]) for r in rows if "completed" in r]
    assert len(finals) == 4
    assert finals == sorted(finals, reverse=True)  # best final return first
    assert "failed" in rows[-1] and "advantage.gamma=7" in rows[-1]
    assert "must be in [0, 1]" in out  # the failure's error under its row
    assert "IQM of final eval return by advantage" in out
    assert "advantage=gae" in out and "advantage=mc" in out
    # gamma=7 is in the default group (gae) but failed: it has no score.
    assert out.count("n=2") == 2
    assert png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_default_png_and_group_by_config_key(sweep: Path, capsys) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    report([str(sweep), "--group-by", "advantage.gamma", "--reps", "50"])
    out = capsys.readouterr().out
    assert "advantage.gamma=0.99" in out and "advantage.gamma=7" in out
    assert (sweep / "report.png").is_file()


def test_report_via_cli_and_bad_dir(cli, sweep: Path, tmp_path: Path, capsys) -> None:
    cli(["report", str(sweep), "--no-plot", "--reps", "20"])
    assert "IQM" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        cli(["report", str(tmp_path / "nothing")])
    assert exit_.value.code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit):
        cli(["report", str(empty)])
    assert "no sweep members" in capsys.readouterr().err


def test_tensorboard_one_run_per_member_with_hparams(sweep: Path) -> None:
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import plugin_data_pb2

    mux = EventMultiplexer()
    mux.AddRunsFromDirectory(str(sweep))
    mux.Reload()
    runs = mux.Runs()
    completed = [
        p.name
        for p in sweep.iterdir()
        if p.is_dir() and json.loads((p / "summary.json").read_text())["status"] == "completed"
    ]
    # One TensorBoard run per member directory, named by its overrides.
    assert sorted(runs) == sorted(completed)
    seen = set()
    for run in runs:
        content = mux.PluginRunToTagToContent("hparams")[run]
        assert "_hparams_/session_start_info" in content
        data = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
        hp = data.session_start_info.hparams
        seen.add((hp["advantage.name"].string_value, hp["seed"].number_value))
        assert "eval/episodic_return" in mux.GetAccumulator(run).Tags()["scalars"]
        assert "hparams/final_eval_return" in mux.GetAccumulator(run).Tags()["scalars"]
    assert seen == {("gae", 1.0), ("gae", 2.0), ("mc", 1.0), ("mc", 2.0)}


def test_curve_panel_shows_members_with_one_evaluation() -> None:
    """Issue 16 item 12: members evaluated once (eval.interval=0) drew a one-point line,
    i.e. nothing. Two members at step 256 with returns 10 and 30: one marker at the mean
    (10 + 30) / 2 = 20."""
    import matplotlib.pyplot as plt
    import numpy as np

    from advrun.sweeps.plot import Group, report_figure

    steps = np.array([256])
    group = Group(
        "gae", [(steps, np.array([10.0])), (steps, np.array([30.0]))], (20.0, 10.0, 30.0), 2
    )
    fig = report_figure([group], "advantage", "t")
    try:
        ax_curve = fig.axes[0]
        lines = [line for line in ax_curve.lines if len(line.get_xdata()) == 1]
        assert lines and lines[0].get_marker() == "o"
        assert lines[0].get_xdata()[0] == 256 and lines[0].get_ydata()[0] == 20.0
    finally:
        plt.close(fig)
