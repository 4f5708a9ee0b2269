"""ppo_hopper keeps the zoo's tuned Hopper values except the discount and GAE lambda.

With the zoo's gamma 0.999 / lambda 0.99 the policy learns to balance in place on
Hopper-v5 and stays there (advrun 3/3 seeds to 1M steps, and Stable-Baselines3 itself;
see the note in conf/experiment/ppo_hopper.yaml), so the preset uses 0.99 / 0.95.
This test stops a well-meant "back to the zoo's values" edit from bringing that back.
"""

from __future__ import annotations

from advrun.config import to_train_config


def test_hopper_uses_the_short_horizon(compose_train) -> None:
    cfg = to_train_config(compose_train(["experiment=ppo_hopper"]))
    assert cfg.advantage.gamma == 0.99
    assert cfg.advantage.lam == 0.95
    # the rest stays the zoo's Hopper-v3 entry
    assert cfg.optimizer.lr == 9.80828e-5
    assert (cfg.algo.rollout_steps, cfg.algo.epochs, cfg.algo.minibatches) == (512, 5, 16)
    assert cfg.network.log_std_init == -2.0
    assert cfg.env.normalize_reward and cfg.network.normalize_obs
