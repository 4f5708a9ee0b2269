"""`advrun train env=X` picks conf/tuned/<algo>_<advantage>_<env>.yaml by itself (Hydra
defaults-list interpolation `optional tuned: ${algo}_${advantage}_${env}`), and what the
user types still wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from advrun.config import conf_dir, to_train_config

TUNED = sorted(p.stem for p in (Path(conf_dir()) / "tuned").glob("*.yaml"))


def test_classic_control_and_box2d_envs_without_good_defaults_have_tuned_settings() -> None:
    # acrobot learns with the plain PPO defaults (docs/benchmarks.md); the CartPole
    # files (PPO and DQN) are tuned for wall time to the target (issues 10 and 14).
    assert {"ppo_gae_pendulum", "ppo_gae_mountaincar", "ppo_gae_lunarlander"} <= set(TUNED)
    assert {"dqn_td_cartpole", "ppo_gae_cartpole"} <= set(TUNED)


@pytest.mark.parametrize("name", TUNED)
def test_env_alone_picks_its_tuned_file(compose_train, name: str) -> None:
    algo, advantage, env = name.split("_", 2)
    raw = yaml.safe_load((Path(conf_dir()) / "tuned" / f"{name}.yaml").read_text())
    config = to_train_config(
        compose_train([f"env={env}", f"algo={algo}", f"advantage={advantage}"])
    )
    assert config.tuned == name  # what `--cfg job` shows
    assert config.total_steps == raw.get("total_steps", 200_000)
    assert config.eval.interval == raw.get("eval", {}).get("interval", 10_000)
    for key, value in raw.get("advantage", {}).items():
        assert getattr(config.advantage, key) == value, key
    for key, value in raw["optimizer"].items():
        assert getattr(config.optimizer, key) == value, key
    for key, value in raw["algo"].items():
        assert getattr(config.algo, key) == value, key


def test_algo_dqn_on_cartpole_picks_its_tuned_file(compose_train) -> None:
    """algo=dqn overrides the advantage group to td, and the interpolated pick sees it;
    the dueling + AL variant keeps the same settings."""
    for extra in ([], ["network=dueling", "algo.operator=al"]):
        config = to_train_config(compose_train(["algo=dqn", "env=cartpole", *extra]))
        assert config.tuned == "dqn_td_cartpole", extra
        # the tuned values (defaults: 8 gradient steps per 32 env steps, clipping at 0.5)
        assert (config.algo.gradient_steps, config.algo.train_freq) == (48, 256), extra
        assert config.optimizer.max_grad_norm is None, extra


def test_pendulum_gets_its_tuned_values(compose_train) -> None:
    config = to_train_config(compose_train(["env=pendulum"]))
    # conf/tuned/ppo_gae_pendulum.yaml: gamma 0.9 (default 0.99), 16-step rollouts (32).
    assert (config.tuned, config.advantage.gamma, config.algo.rollout_steps) == (
        "ppo_gae_pendulum",
        0.9,
        16,
    )
    # reward scaling and the torch-native env (defaults: off, gymnasium): wall-time tuning
    assert (config.env.normalize_reward, config.env.backend) == (True, "torch")


def test_command_line_overrides_win(compose_train) -> None:
    config = to_train_config(
        compose_train(["env=pendulum", "advantage.gamma=0.95", "algo.epochs=3", "total_steps=4096"])
    )
    assert config.tuned == "ppo_gae_pendulum"
    assert (config.advantage.gamma, config.algo.epochs, config.total_steps) == (0.95, 3, 4096)
    assert config.algo.rollout_steps == 16  # not overridden: still the tuned value


def test_no_tuned_file_keeps_the_defaults(compose_train) -> None:
    """No file for the combination (another estimator or algorithm: the tuned values,
    GAE's lambda among them, belong to their estimator), or `~tuned`: plain defaults."""
    for overrides in (
        ["env=acrobot"],
        ["env=cartpole", "advantage=mc"],
        ["env=pendulum", "algo=a2c"],
        ["env=pendulum", "advantage=nstep"],
        ["env=pendulum", "~tuned"],
    ):
        config = to_train_config(compose_train(overrides))
        assert config.tuned is None, overrides
        assert config.advantage.gamma == 0.99, overrides


def test_experiment_presets_drop_the_tuned_settings(compose_train) -> None:
    """experiment=ppo_mountaincar stays the zoo-faithful preset: no tuned value leaks in
    (the tuned file sets GAE lambda 0.95, the preset the zoo's 0.98)."""
    config = to_train_config(compose_train(["experiment=ppo_mountaincar"]))
    assert config.tuned is None
    assert config.advantage.lam == 0.98
    for preset in (Path(conf_dir()) / "experiment").glob("*.yaml"):
        composed = to_train_config(compose_train([f"experiment={preset.stem}"]))
        # A preset that stands for what a plain command runs names its tuned file.
        named = {"dqn_cartpole": "dqn_td_cartpole", "dqn_cartpole_dueling_al": "dqn_td_cartpole"}
        assert composed.tuned == named.get(preset.stem), preset.name


def test_cfg_job_shows_the_pick() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "advrun", "train", "--cfg", "job", "env=pendulum"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\ntuned: ppo_gae_pendulum\n" in proc.stdout
    assert "gamma: 0.9\n" in proc.stdout


def test_tuned_null_on_the_command_line_drops_the_file(cli, capsys) -> None:
    """Hydra refuses ``group=null`` for an interpolated optional group with a
    traceback; the CLI reads ``tuned=null`` as ``~tuned``."""
    import yaml

    cli(["train", "env=pendulum", "tuned=null", "--cfg", "job"])
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["tuned"] is None and cfg["optimizer"]["schedule"] == "constant"
