"""scripts/dqn_action_gap.py: the windowed gap, its per-variant table and the records
round trip."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dqn_action_gap.py"


def _load():
    spec = importlib.util.spec_from_file_location("dqn_action_gap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dqn_action_gap"] = module
    spec.loader.exec_module(module)
    return module


gap = _load()


def test_window_mean_keeps_only_the_steps_inside() -> None:
    # steps 10, 20, 30, 40 with gaps 1, 2, 4, 8; window [15, 35] keeps 2 and 4 -> 3.0
    assert gap.window_mean([10, 20, 30, 40], [1.0, 2.0, 4.0, 8.0], 15, 35) == 3.0
    assert math.isnan(gap.window_mean([10], [1.0], 20, 30))


def _record(variant: str, seed: int, g: float, q: float) -> dict:
    return {
        "env": "CartPole-v1",
        "variant": variant,
        "seed": seed,
        "status": "completed",
        "final_return": 500.0,
        "steps": 50_000,
        "window": [10_000, 40_000],
        "gap": g,
        "q": q,
        "rel": g / abs(q),
        "curve": [[0, 0.0], [50_000, g]],
    }


def test_table_gives_the_iqm_per_variant_and_each_seed(tmp_path: Path) -> None:
    records = [_record("al", s, g, 20.0) for s, g in ((1, 4.0), (2, 6.0), (3, 5.0), (4, 13.0))]
    records += [_record("plain", 1, 0.5, 25.0)]
    text = gap.table(records)
    al = next(line for line in text.splitlines() if "| al |" in line)
    # IQM of 4, 5, 6, 13 drops floor(4/4) = 1 from each end: mean(5, 6) = 5.5 (the mean
    # would be 7); gap / |Q|: IQM of 0.2, 0.25, 0.3, 0.65 = mean(0.25, 0.3) = 0.275.
    assert "| 4 | 10,000–40,000 | 5.5 [" in al
    assert "| 0.275 [" in al and "| 20 |" in al
    assert al.endswith("| 4, 6, 5, 13 |")  # seeds in order 1..4
    assert "| plain | 1 |" in text


def test_main_renders_from_json_alone(tmp_path: Path) -> None:
    records = [_record("pal", 1, 3.0, 30.0), _record("pal", 2, 5.0, 30.0)]
    data = tmp_path / "gap.json"
    data.write_text(json.dumps(records))
    out = tmp_path / "gap.md"
    png = tmp_path / "gap.png"
    args = ["--from-json", str(data), "--markdown", str(out), "--png", str(png)]
    assert gap.main(args) == 0
    text = out.read_text()
    assert "| CartPole-v1 | pal | 2 |" in text
    assert text.startswith("<!-- advrun report:begin action_gap -->")
    out.write_text("intro\n\n" + text + "\noutro\n")  # a re-render replaces the block only
    assert gap.main(args) == 0
    assert out.read_text() == "intro\n\n" + text + "\noutro\n"
    assert png.stat().st_size > 1000
