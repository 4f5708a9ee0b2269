"""What ``seeds=[...]`` (many agents in one process, :mod:`advrun.seeds`) accepts.

Checked before any work, after the ordinary validation of the run's config, so a bad
list or a combination the batch does not support yet exits 2 with one paragraph that
names the key and the fix, like every other bad input.
"""

from __future__ import annotations

from collections.abc import Sequence

from advrun.config.containers import enum_value
from advrun.config.errors import ConfigError
from advrun.config.schema import TrainConfig
from advrun.config.validate import MAX_SEED

# ``advrun train -m``'s launchers run one process per member already; a batch inside a
# sweep member would nest run dirs two levels deep, which ``advrun report`` cannot group.
SWEEP_FIX = "run the batch without -m (one process trains every seed), or sweep seed=1,2,3."


def check_seeds(c: TrainConfig, overridden: Sequence[str], *, multirun: bool = False) -> None:
    """Raise :class:`ConfigError` unless ``c.seeds`` is a batch advrun can train.

    ``overridden``: the keys given on the command line (``seed`` given together with
    ``seeds`` is ambiguous: which one did the user mean?)."""
    from advrun.advantages import ESTIMATORS
    from advrun.algos import ALGORITHMS
    from advrun.algos.on_policy import OnPolicyAlgorithm

    seeds = c.seeds
    if seeds is None:
        return
    example = "seeds=[1,2,3]"
    if multirun:
        raise ConfigError("seeds", "cannot be combined with a multirun (-m).", SWEEP_FIX)
    if "seed" in overridden:
        raise ConfigError(
            "seed",
            f"seed={c.seed} and seeds={list(seeds)} were both given; a batch takes its "
            "seeds from seeds only.",
            f"drop seed=..., or drop seeds=... to train one run (e.g. {example}).",
        )
    if c.resume:
        raise ConfigError(
            "resume",
            "resumes one run; it cannot be combined with seeds.",
            "resume each member on its own: advrun train resume=<batch dir>/seed_<i>.",
        )
    if not seeds:
        raise ConfigError("seeds", "is an empty list.", f"give at least one seed, e.g. {example}.")
    duplicates = sorted({s for s in seeds if list(seeds).count(s) > 1})
    if duplicates:
        raise ConfigError(
            "seeds",
            f"{list(seeds)} repeats {duplicates}; two agents with one seed would be the "
            "same run twice, in the same directory.",
            f"list each seed once, e.g. seeds=[{','.join(str(s) for s in sorted(set(seeds)))}].",
        )
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise ConfigError(
            "seeds",
            f"{bad} outside [0, {MAX_SEED}] (numpy and gymnasium refuse them).",
            f"use non-negative seeds, e.g. {example}.",
        )
    algorithm = ALGORITHMS[c.algo.name]
    if not issubclass(algorithm, OnPolicyAlgorithm):
        raise ConfigError(
            "algo",
            f"algo={c.algo.name} is not supported with seeds yet (a batch trains the "
            "on-policy algorithms: ppo, a2c, reinforce).",
            f"use algo=ppo|a2c|reinforce with seeds, or sweep: advrun train -m "
            f"algo={c.algo.name} seed={','.join(str(s) for s in seeds)}.",
        )
    if c.network.recurrent:
        raise ConfigError(
            "network.recurrent",
            f"a recurrent policy (network.recurrent={c.network.recurrent}) is not "
            "supported with seeds yet.",
            "use a feed-forward network (network.recurrent=null) with seeds, or sweep the "
            "seeds with -m.",
        )
    if ESTIMATORS.get(c.advantage.name).trait("grouped"):
        others = [n for n in ESTIMATORS.names() if not ESTIMATORS.get(n).trait("grouped")]
        raise ConfigError(
            "advantage",
            f"advantage={c.advantage.name} (group rollouts) is not supported with seeds yet.",
            f"use advantage={'|'.join(others)} with seeds, or sweep the seeds with -m.",
        )
    check_seeds_mode(c)
    check_seeds_workers(c)


def check_seeds_workers(c: TrainConfig) -> None:
    """``seeds_workers`` is ``auto`` or a whole number >= 1, and above 1 only on the CPU
    (one process drives a GPU with one batched network)."""
    value = c.seeds_workers
    fix = "use seeds_workers=auto (one process per core) or a whole number such as 2."
    if value == "auto":
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("seeds_workers", f"{value!r} is not auto or a whole number >= 1.", fix)
    if value > 1 and enum_value(c.device) == "cuda":
        raise ConfigError(
            "seeds_workers",
            f"seeds_workers={value} with device=cuda: worker processes train on the CPU "
            "only (on a GPU one process trains the whole batch as one batched network).",
            "drop seeds_workers (auto is 1 with device=cuda), or use device=cpu.",
        )


SEEDS_MODES = ("auto", "fused", "exact")


def check_seeds_mode(c: TrainConfig) -> None:
    """``seeds_mode`` is one of :data:`SEEDS_MODES`, and ``fused`` only where
    :func:`advrun.seeds.fused.unsupported` has nothing against the config."""
    from advrun.seeds.fused import unsupported

    if c.seeds_mode not in SEEDS_MODES:
        raise ConfigError(
            "seeds_mode",
            f"{c.seeds_mode!r} is not a mode.",
            f"use one of: {', '.join(SEEDS_MODES)} (auto: fused where supported).",
        )
    why = unsupported(c) if c.seeds_mode == "fused" else None
    if why is not None:
        raise fused_refused(why)


def fused_refused(why: str) -> ConfigError:
    """The error for ``seeds_mode=fused`` with something it does not train (``why``):
    from the config here, or from the network the builder chose (advrun.seeds.command)."""
    return ConfigError(
        "seeds_mode",
        f"seeds_mode=fused does not support {why} yet.",
        "use seeds_mode=exact (each agent's own iteration) or seeds_mode=auto.",
    )
