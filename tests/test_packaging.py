"""The configs must be found after a regular (non-editable) wheel install.

Builds a wheel from this checkout, installs it with ``--no-deps`` into a fresh venv
that sees the current environment's dependencies (torch, gymnasium, ...) through a
``.pth`` path entry but not the editable install of advrun, and runs the installed
console script from an unrelated directory.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_subpackage() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = (
        {"advrun.conf"}
        | {
            ".".join(p.parent.relative_to(ROOT).parts)
            for p in (ROOT / "advrun").rglob("__init__.py")
        }
        | {
            "advrun.conf." + ".".join(d.relative_to(ROOT / "conf").parts)
            for d in (ROOT / "conf").rglob("*")
            if d.is_dir() and d.name != "__pycache__"
        }
    )
    assert listed == on_disk


def test_wheel_install_finds_configs_and_trains(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("advrun-*.whl"))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = next(env_dir.glob("lib/python*/site-packages"))
    # Dependencies come from the current environment; its .pth files (the editable
    # advrun finder) are not processed for a plain path entry.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_dir / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    python = env_dir / "bin" / "python"
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import advrun.config as c, advrun; print(advrun.__file__);print(c.conf_dir())",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert where[0].startswith(str(site)), where
    assert where[1].startswith(str(site)), where
    assert (Path(where[1]) / "env" / "cartpole.yaml").is_file()
    assert (Path(where[1]) / "experiment" / "ppo_pendulum.yaml").is_file()

    advrun = env_dir / "bin" / "advrun"
    helptext = subprocess.run(
        [str(advrun), "train", "--help"], cwd=work, check=True, capture_output=True, text=True
    ).stdout
    assert "advantage: gae, mc, nstep, td" in helptext
    run_dir = tmp_path / "run"
    subprocess.run(
        [
            str(advrun),
            "train",
            "total_steps=64",
            "env.num_envs=2",
            "algo.rollout_steps=32",
            "algo.minibatches=2",
            "eval.episodes=1",
            "env.max_episode_steps=20",
            "progress=false",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    assert (run_dir / "summary.json").is_file()
    assert (run_dir / ".hydra" / "config.yaml").is_file()
