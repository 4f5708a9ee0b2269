"""``advrun report --records`` / ``--from-records --markdown``: per-seed records, tables
pinned to hand-computed numbers, byte-identical re-rendering, prose kept around the
rendered block."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from advrun.commands.report import report
from advrun.sweeps.records import Record, read_records, write_records
from advrun.sweeps.stats import iqm_band
from advrun.sweeps.summary import group_stats


def _rec(env: str, adv: str, seed: int, final: float, curve: list, wall: float = 10.0) -> Record:
    return Record(
        overrides=[f"env={env}", f"advantage={adv}", f"seed={seed}"],
        keys={"env.id": env, "env": env, "advantage": adv, "seed": str(seed)},
        seed=seed,
        status="completed",
        target=250.0,
        final=final,
        best=final,
        steps=curve[-1][0],
        wall_s=wall,
        curve=curve,
    )


# Split A, group x: finals [100, 200, 300, 400], target 250.
GROUP_X = [
    _rec("A", "x", 1, 100.0, [(10, 1.0, 50.0), (20, 2.0, 100.0)], wall=4.0),  # never 250
    _rec("A", "x", 2, 200.0, [(10, 1.0, 260.0), (20, 2.0, 200.0)], wall=6.0),  # step 10, 1 s
    _rec("A", "x", 3, 300.0, [(10, 1.0, 100.0), (20, 3.0, 300.0)], wall=8.0),  # step 20, 3 s
    _rec("A", "x", 4, 400.0, [(10, 1.0, 400.0), (20, 2.0, 400.0)], wall=10.0),  # step 10, 1 s
]


def test_group_stats_hand_computed() -> None:
    g = group_stats("x", GROUP_X, target=250.0, reps=200)
    assert g.runs == g.completed == 4
    assert g.median == 250.0  # (200 + 300) / 2
    assert g.iqm[0] == 250.0  # n=4 drops 1 each end: mean(200, 300)
    assert g.mean == 250.0
    # ddof 1: sqrt((150^2 + 50^2 + 50^2 + 150^2) / 3) = sqrt(50000 / 3) = 129.10
    assert g.std == pytest.approx(129.0994, abs=1e-3)
    assert g.solved == 3
    # first reach per seed: [inf, 10, 20, 10] -> sorted [10, 10, 20, inf], median 15
    assert g.steps_to_target == 15.0
    # walls at first reach: [inf, 1, 3, 1] -> median (1 + 3) / 2 = 2
    assert g.wall_to_target == 2.0
    assert g.wall == 7.0  # median of 4, 6, 8, 10
    # Three of four never reaching: median of [10, inf, inf, inf] is inf ("–").
    unsolved = [GROUP_X[0], GROUP_X[0], GROUP_X[0], GROUP_X[1]]
    assert math.isinf(group_stats("x", unsolved, 250.0, reps=10).steps_to_target)


def test_iqm_band_hand_computed() -> None:
    curves = [np.array([1.0, 10.0]), np.array([100.0, 1000.0]), np.array([2.0, 20.0])]
    curves.append(np.array([3.0, 30.0]))
    center, low, high = iqm_band(curves, reps=200)
    # n=4 drops the lowest and highest seed at each point: mean(2, 3), mean(20, 30)
    # (the plain mean would be 26.5 and 265)
    assert center.tolist() == [2.5, 25.0]
    assert np.all(low <= center) and np.all(center <= high)
    one = iqm_band([np.array([7.0, 8.0])])
    assert [x.tolist() for x in one] == [[7.0, 8.0]] * 3


def test_one_point_curve_is_drawn() -> None:
    """Issue 16 item 12: members with one evaluation each drew an empty curve panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advrun.sweeps.plot import draw_band

    fig, ax = plt.subplots()
    one = np.array([5.0])
    draw_band(ax, np.array([100.0]), one, one - 1, one + 1, "C0", "g")
    markers = [line.get_marker() for line in ax.lines]
    assert "o" in markers  # a visible point, not a one-point line of width 2
    plt.close(fig)


def _records_file(tmp_path: Path) -> Path:
    group_y = [
        _rec("A", "y", s, 500.0, [(10, 2.0, 300.0), (30, 5.0, 500.0)], wall=5.0) for s in (1, 2)
    ]
    split_b = [_rec("B", "x", s, -100.0, [(10, 1.0, -100.0)]) for s in (1, 2)]
    return write_records(tmp_path / "rec.json", GROUP_X + group_y + split_b, source="t")


def test_records_round_trip(tmp_path: Path) -> None:
    path = _records_file(tmp_path)
    data = json.loads(path.read_text())
    assert data["version"] == 1 and len(data["records"]) == 8
    back = read_records(path)
    assert back[1].curve == [(10, 1.0, 260.0), (20, 2.0, 200.0)]
    assert back[1].first_reach(250.0) == (10.0, 1.0)


def test_from_records_markdown_is_deterministic_and_keeps_prose(tmp_path: Path, capsys) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    path = _records_file(tmp_path)
    md = tmp_path / "docs" / "study.md"
    md.parent.mkdir()
    md.write_text("# Study\n\nProse before.\n")
    argv = [
        "--from-records", str(path), "--split-by", "env.id", "--group-by", "advantage",
        "--markdown", str(md), "--out", str(tmp_path / "docs" / "img" / "curve"),
        "--reps", "300", "--seeds",
    ]  # fmt: skip
    report(argv)
    first = md.read_text()
    pngs = sorted((tmp_path / "docs" / "img").glob("*.png"))
    assert [p.name for p in pngs] == ["curve_A.png", "curve_B.png"]
    assert first.startswith("# Study\n\nProse before.\n\n<!-- advrun report:begin results -->")
    assert "advrun report --from-records" in first  # the command that regenerates it
    assert "](img/curve_A.png)" in first
    # Split A, group x (hand-computed above): 4/4 runs, median 250, IQM 250, 3/4 reached,
    # median steps to target 15, wall to target 2 s, median wall 7 s.
    assert "| x | 4/4 | 250.0 | 250.0 [" in first
    assert "| 250.0 ± 129.1 | 3/4 | 15 | 2.0 | 7.0 |" in first
    # Group y: both reach 250 at their first eval (300 at step 10, 2 s); runs took 5 s.
    y_row = "| y | 2/2 | 500.0 | 500.0 [500.0, 500.0] | 500.0 ± 0.0 | 2/2 | 10 | 2.0 | 5.0 |"
    assert y_row in first
    # Split B never reaches 250: "–" for steps and wall to target.
    assert "| x | 2/2 | -100.0 | -100.0 [-100.0, -100.0] | -100.0 ± 0.0 | 0/2 | – | – |" in first
    assert "| x | 1 | completed | 100.0 | 100.0 | 20 | – | – | 4.0 |" in first  # --seeds
    png_bytes = [p.read_bytes() for p in pngs]
    # Hand edits after the block survive; a re-render is byte-identical.
    md.write_text(first + "\nProse after.\n")
    report(argv)
    second = md.read_text()
    assert second == first + "\nProse after.\n"
    assert [p.read_bytes() for p in pngs] == png_bytes
    assert "wrote" in capsys.readouterr().out


def test_sweep_records_then_render(cli, tiny, tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (report extra, in dev)

    out = tmp_path / "sweep"
    sweep_dir = f"hydra.sweep.dir={out}"
    cli(["train", "-m", "advantage=gae,mc", "seed=1,2", *tiny(eval__interval=128), sweep_dir])
    rec = tmp_path / "rec.json"
    report([str(out), "--records", str(rec), "--no-plot", "--keys", "algo.epochs,algo.name"])
    records = read_records(rec)
    assert sorted((r.keys["advantage"], r.seed) for r in records) == [
        ("gae", 1), ("gae", 2), ("mc", 1), ("mc", 2),
    ]  # fmt: skip
    for r in records:
        assert r.status == "completed" and r.steps == 256
        assert r.keys["env.id"] == "CartPole-v1" and r.target == 475.0
        assert r.keys["algo.epochs"] == "2" and r.keys["algo.name"] == "ppo"  # --keys
        # evals at 128 and 256 steps; wall time since the writer started, increasing
        assert [p[0] for p in r.curve] == [128, 256]
        assert 0 <= r.curve[0][1] <= r.curve[1][1] <= r.wall_s + 1
        assert r.curve[-1][2] == pytest.approx(r.final, abs=1e-3)
    md = tmp_path / "r.md"
    report(["--from-records", str(rec), "--markdown", str(md), "--reps", "50"])
    text = md.read_text()
    assert "| gae | 2/2 |" in text and "| mc | 2/2 |" in text  # default group: advantage
    assert (tmp_path / "r_all.png").is_file()
    only = tmp_path / "only.md"
    where = ["--where", "advantage=mc", "--group-by", "advantage", "--no-plot"]
    report(["--from-records", str(rec), "--markdown", str(only), *where])
    assert "| mc | 2/2 |" in only.read_text() and "| gae |" not in only.read_text()


def test_bad_record_inputs(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    for argv in (
        ["--from-records", str(bad), "--markdown", str(tmp_path / "x.md")],
        ["--from-records", str(tmp_path / "missing.json"), "--markdown", str(tmp_path / "x.md")],
        ["--from-records", str(bad)],  # no --markdown
        [],  # neither a sweep dir nor records
    ):
        with pytest.raises(SystemExit) as exit_:
            report(argv)
        assert exit_.value.code == 2
    assert "not an advrun records file" in capsys.readouterr().err


def test_keys_spell_booleans_as_overrides_and_numbers_sort_numerically(tmp_path: Path) -> None:
    from advrun.sweeps.members import Member
    from advrun.sweeps.records import from_member
    from advrun.sweeps.summary import split_and_group

    config = {"algo": {"name": "ppo", "recompute_advantages": False, "epochs": 10}}
    # A multirun member's overrides.yaml says True; the config value is a bool.
    member = Member(tmp_path, ["algo.recompute_advantages=True"], {"status": "failed"}, config)
    rec = from_member(member, ("algo.recompute_advantages", "algo.epochs"))
    assert rec.keys["algo.recompute_advantages"] == "true" and rec.keys["algo.epochs"] == "10"
    member = Member(tmp_path, [], {"status": "failed"}, config)
    assert (
        from_member(member, ("algo.recompute_advantages",)).keys["algo.recompute_advantages"]
        == "false"
    )
    recs = [_rec("A", adv, 1, 0.0, [(1, 0.0, 0.0)]) for adv in ("20", "5", "b", "10", "a")]
    assert list(split_and_group(recs, None, "advantage")["all"]) == ["5", "10", "20", "a", "b"]
