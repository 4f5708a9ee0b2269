"""The configs must be found after a regular (non-editable) wheel install.

Builds a wheel from this checkout, installs it with ``--no-deps`` into a fresh venv
that sees the current environment's dependencies (torch, gymnasium, ...) through a
``.pth`` path entry but not the editable install of advrun, and runs the installed
console script from an unrelated directory. A second venv sees the same dependencies
minus the optional env packages (MuJoCo, Box2D, ale-py): the presets that need them
must stop with exit 2 naming the extra to install.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
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
    return next(dist.glob("advrun-*.whl"))


def _venv_with_wheel(env_dir: Path, wheel: Path, deps: Path) -> Path:
    """A venv holding only the built wheel; ``deps`` is on its path for everything else
    (as a plain path entry, so the editable advrun finder's .pth is not processed)."""
    venv.create(env_dir, with_pip=False)
    site = next(env_dir.glob("lib/python*/site-packages"))
    (site / "deps.pth").write_text(f"{deps}\n")
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
    return site


def test_wheel_install_finds_configs_and_trains(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    site = _venv_with_wheel(env_dir, wheel, Path(sysconfig.get_paths()["purelib"]))
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
    for group, names in (
        ("advantage", ("gae", "grpo", "mc", "nstep", "rloo", "td", "vtrace")),
        ("algo", ("a2c", "dqn", "ppo", "reinforce")),
    ):
        assert f"{group}=" in helptext
        for name in names:
            assert f"    {name} " in helptext, (group, name)
    run_dir = tmp_path / "run"
    subprocess.run(
        [
            str(advrun),
            "train",
            "total_steps=64",
            "env.num_envs=2",
            "algo.rollout_steps=32",
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


# Top-level entries of site-packages that the box2d, mujoco and atari extras install.
OPTIONAL = ("Box2D", "box2d", "mujoco", "ale_py", "cv2", "opencv")


@pytest.mark.parametrize(
    ("preset", "extra"),
    [("ppo_halfcheetah", "mujoco"), ("ppo_lunarlander", "box2d"), ("ppo_pong", "atari")],
)
def test_missing_extra_is_named(wheel: Path, tmp_path: Path, preset: str, extra: str) -> None:
    purelib = Path(sysconfig.get_paths()["purelib"])
    deps = tmp_path / "deps"  # the dependencies, less the optional env packages
    deps.mkdir()
    for entry in purelib.iterdir():
        if not entry.name.startswith(OPTIONAL) and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    env_dir = tmp_path / "venv"
    _venv_with_wheel(env_dir, wheel, deps)
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "advrun"),
            "train",
            f"experiment={preset}",
            "progress=false",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"pip install 'advrun[{extra}]'" in proc.stderr
    assert not (run_dir / "checkpoints").exists()  # stopped before any work
