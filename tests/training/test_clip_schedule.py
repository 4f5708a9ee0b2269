"""PPO's clip range annealed by ``algo.clip_schedule`` (the zoo's ``clip_range: lin_0.1``
for Atari): the value each update uses, as logged to TensorBoard, and the schedule maths."""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from advrun.optim import anneal


def _scalars(run: Path, tag: str) -> dict[int, float]:
    acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
    acc.Reload()
    if tag not in acc.Tags()["scalars"]:
        return {}
    return {e.step: e.value for e in acc.Scalars(tag)}


def test_linear_clip_decays_to_zero_over_the_run(train_run, tmp_path: Path) -> None:
    # 256 steps of 2 envs x 32 = 4 updates; update u (0-based) uses 0.2 * (1 - u / 4).
    run = train_run(tmp_path / "lin", algo__clip_coef=0.2, algo__clip_schedule="linear")
    clip = _scalars(run, "charts/clip_coef")
    assert sorted(clip) == [64, 128, 192, 256]
    assert [clip[s] for s in sorted(clip)] == pytest.approx([0.2, 0.15, 0.1, 0.05])


def test_constant_clip_is_not_logged_as_a_schedule(train_run, tmp_path: Path) -> None:
    run = train_run(tmp_path / "const", algo__clip_coef=0.2)
    assert _scalars(run, "charts/clip_coef") == {}
    assert _scalars(run, "losses/clip_fraction")  # the update itself still ran


def test_scheduled_clip_reaches_the_update(train_run, tmp_path: Path, monkeypatch) -> None:
    """The clip the PPO update computes its loss with is the annealed one."""
    import advrun.algos.ppo as ppo_mod

    seen: list[float] = []
    real = ppo_mod.ppo_epochs

    def spy(*args, **kwargs):
        seen.append(kwargs["clip_coef"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ppo_mod, "ppo_epochs", spy)
    train_run(tmp_path / "spy", algo__clip_coef=0.1, algo__clip_schedule="cosine")
    assert seen == pytest.approx([anneal(u / 4, start=0.1, schedule="cosine") for u in range(4)])
    assert seen[0] == pytest.approx(0.1) and seen[-1] < seen[0]


def test_anneal_is_the_lr_schedule_maths() -> None:
    from advrun.optim import lr_at

    for schedule in ("constant", "linear", "cosine"):
        for p in (0.0, 0.3, 1.0):
            assert anneal(p, start=0.1, schedule=schedule, end_ratio=0.2) == lr_at(
                p, base_lr=0.1, schedule=schedule, min_lr_ratio=0.2
            )
    assert anneal(0.25, start=0.1, schedule="linear") == pytest.approx(0.075)
