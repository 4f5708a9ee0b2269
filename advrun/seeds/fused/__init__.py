"""``seeds_mode=fused``: a batch of seeds trained as one batched network.

The K agents' parameters are stacked into one set of ``[K, ...]`` tensors trained by one
optimizer (per-agent gradients, clipping, advantage standardisation, minibatch orders
and sampling streams), their envs are stepped as one ``[K * N]`` collector, and their
evaluations share one batched forward per step (:mod:`.driver`). Per env step and per
minibatch the Python overhead is paid once for all agents instead of K times.

**What is exact, what is not.** Each agent keeps its own seeded envs, initial weights,
sampling stream and minibatch generator, and no agent's numbers enter another's
computation, so agent i of a fused batch is the same run whatever the other seeds are:
the same arithmetic on the same shapes (``tests/seeds/fused/test_independent.py``
checks a member against a batch of that seed alone, bit for bit on CPU). It is *not*
bit-identical to the single run of its seed: batched matmuls round differently from one
module's (~1e-7 relative), and the minibatches are cut over all of a rollout's rows
with the NEXT_STEP dummy rows weighted 0 instead of over the valid rows only
(:mod:`.update`); the first rollout's actions and the first update agree within float
noise (tested), later ones drift like any two float orders. ``seeds_mode=exact`` runs
each agent's own iteration in turn (bit-identical to the single runs, slower).

:func:`unsupported` names what the fused path does not cover; ``seeds_mode=auto`` then
falls back to the exact path.
"""

from __future__ import annotations

from advrun.config.schema import TrainConfig

__all__ = ["unsupported"]


def unsupported(cfg: TrainConfig) -> str | None:
    """Why ``cfg`` cannot train as a fused batch (None when it can)."""
    from advrun.advantages import ESTIMATORS

    entry = ESTIMATORS.get(cfg.advantage.name)
    checks = [
        (cfg.algo.name != "ppo", f"algo={cfg.algo.name} (the fused batch trains PPO)"),
        (bool(cfg.network.recurrent), "a recurrent network"),
        (bool(entry.trait("off_policy")), f"advantage={cfg.advantage.name} (importance ratios)"),
        (bool(entry.trait("grouped")), f"advantage={cfg.advantage.name} (group rollouts)"),
        (bool(getattr(cfg.algo, "recompute_advantages", False)), "algo.recompute_advantages=true"),
        (getattr(cfg.algo, "target_kl", None) is not None, "algo.target_kl (early epoch stop)"),
        (bool(cfg.env.normalize_reward), "env.normalize_reward=true (a shared reward scaler)"),
        (cfg.compile not in (None, False, "false"), f"compile={cfg.compile}"),
        (cfg.init.lr_scale != 1.0, "init.lr_scale (two parameter groups)"),
        (bool(cfg.init.freeze), "init.freeze (frozen parameters)"),
    ]
    for bad, why in checks:
        if bad:
            return why
    return None
