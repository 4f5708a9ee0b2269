"""``seeds_mode=fused``: a batch of seeds trained as one batched network.

The K agents' parameters are stacked into one set of ``[K, ...]`` tensors trained by one
optimizer (per-agent gradients, clipping, advantage standardisation, minibatch orders
and sampling streams), their envs are stepped as one ``[K * N]`` collector, and their
evaluations share one batched forward per step (:mod:`.driver`). Per env step and per
minibatch the Python overhead is paid once for all agents instead of K times.

**What is exact, what is not.** Each agent keeps its own seeded envs, initial weights,
sampling stream (a generator holding the global torch state its single run would sample
from), minibatch generator and optimizer rows; its minibatches are its single run's cuts
of its valid rows, and no agent's numbers enter another's loss. So a member takes its
single run's steps up to float rounding: batched matmuls, weighted sums over padded
minibatches and vectorised kernels over K-row tensors round differently from one
module's (weights within ~1e-7 after 10 CartPole updates; tests/seeds/test_driver.py
compares members with single runs and tests/seeds/fused/test_driver.py a member with
the same seed trained alone, each within 1e-4). Over a long run that noise can grow into
a different trajectory, as on another BLAS. ``seeds_mode=exact`` runs each agent's own
iteration in turn instead (bit-identical to the single runs on CPU, slower).

:func:`unsupported` names what the fused path does not cover; ``seeds_mode=auto`` then
falls back to the exact path.
"""

from __future__ import annotations

from advrun.config.schema import TrainConfig

__all__ = ["FUSED_ALGOS", "unsupported"]

FUSED_ALGOS = ("ppo", "a2c", "reinforce")
"""The algorithms whose update the batch runs fused (:mod:`.update`)."""


def unsupported(cfg: TrainConfig) -> str | None:
    """Why ``cfg`` cannot train as a fused batch (None when it can)."""
    from advrun.advantages import ESTIMATORS

    entry = ESTIMATORS.get(cfg.advantage.name)
    checks = [
        (
            cfg.algo.name not in FUSED_ALGOS,
            f"algo={cfg.algo.name} (the fused batch trains {', '.join(FUSED_ALGOS)})",
        ),
        (bool(cfg.network.recurrent), "a recurrent network"),
        (bool(entry.trait("off_policy")), f"advantage={cfg.advantage.name} (importance ratios)"),
        (bool(entry.trait("grouped")), f"advantage={cfg.advantage.name} (group rollouts)"),
        (bool(getattr(cfg.algo, "recompute_advantages", False)), "algo.recompute_advantages=true"),
        (getattr(cfg.algo, "target_kl", None) is not None, "algo.target_kl (early epoch stop)"),
        (cfg.compile not in (None, False, "false"), f"compile={cfg.compile}"),
        (cfg.init.lr_scale != 1.0, "init.lr_scale (two parameter groups)"),
        (bool(cfg.init.freeze), "init.freeze (frozen parameters)"),
    ]
    for bad, why in checks:
        if bad:
            return why
    return None
