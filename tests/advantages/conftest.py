"""Fixtures for the advantage-estimator tests.

Holds plain-Python reference implementations (explicit double loops over envs and time,
python floats, written straight from the definitions rather than as a backward recursion)
and a generator of random rollouts with consistent value data.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

Rows = list[list[float]]


def _cols(x: torch.Tensor) -> Rows:
    """[T, N] tensor -> list of N per-env lists of python floats."""
    return [[float(v) for v in x[:, i].tolist()] for i in range(x.shape[1])]


def _to_tensor(cols: Rows, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(cols, dtype=torch.float64).T.contiguous().to(like.dtype)


def _ref_nstep_env(r, nv, term, done, gamma, n):
    """G_t for one env: sum up to n rewards, stop at done/segment end, bootstrap if allowed."""
    T = len(r)
    out = []
    for t in range(T):
        total, disc = 0.0, 1.0
        k = 0
        while True:
            s = t + k
            total += disc * r[s]
            disc *= gamma
            if k + 1 == n or done[s] or s == T - 1:
                if not term[s]:
                    total += disc * nv[s]
                break
            k += 1
        out.append(total)
    return out


def ref_td(rewards, values, next_values, terminated, done, *, gamma):
    r, v, nv, term = (_cols(x) for x in (rewards, values, next_values, terminated))
    adv = [
        [r[i][t] + (0.0 if term[i][t] else gamma * nv[i][t]) - v[i][t] for t in range(len(r[i]))]
        for i in range(len(r))
    ]
    a = _to_tensor(adv, values)
    return a, a + values


def ref_gae(rewards, values, next_values, terminated, done, *, gamma, lam):
    """A_t = sum_l (gamma*lam)^l delta_{t+l}, l running until (and including) the first done."""
    r, v, nv, term, dn = (_cols(x) for x in (rewards, values, next_values, terminated, done))
    adv = []
    for i in range(len(r)):
        T = len(r[i])
        delta = [r[i][t] + (0.0 if term[i][t] else gamma * nv[i][t]) - v[i][t] for t in range(T)]
        env = []
        for t in range(T):
            total, w = 0.0, 1.0
            for s in range(t, T):
                total += w * delta[s]
                if dn[i][s] or term[i][s]:
                    break
                w *= gamma * lam
            env.append(total)
        adv.append(env)
    a = _to_tensor(adv, values)
    return a, a + values


def ref_nstep(rewards, values, next_values, terminated, done, *, gamma, n):
    r, nv, term, dn = (_cols(x) for x in (rewards, next_values, terminated, done))
    dn = [
        [bool(d or tm) for d, tm in zip(di, ti, strict=True)]
        for di, ti in zip(dn, term, strict=True)
    ]
    rets = [_ref_nstep_env(r[i], nv[i], term[i], dn[i], gamma, n) for i in range(len(r))]
    g = _to_tensor(rets, values)
    return g - values, g


def ref_mc(rewards, values, next_values, terminated, done, *, gamma):
    """Forward discounted sum to the end of the episode/segment (n = infinity)."""
    T = rewards.shape[0]
    return ref_nstep(rewards, values, next_values, terminated, done, gamma=gamma, n=T + 1)


def make_rollout(
    T: int,
    N: int,
    seed: int,
    p_done: float = 0.2,
    p_term: float = 0.5,
    dtype: torch.dtype = torch.float64,
):
    """Random rollout with consistent values.

    Each state gets a random value; values[t] = V(s_t) and next_values[t] = values[t+1] for
    steps that are not done (t < T-1). On a truncated step next_values[t] is an independent
    random final-observation value; on a terminated step it is random garbage (must be
    ignored); at t = T-1 it is a random bootstrap value. terminated implies done.
    Returns (rewards, values, next_values, terminated, done).
    """
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(T, N, generator=g, dtype=torch.float64)
    values = torch.randn(T, N, generator=g, dtype=torch.float64)
    done = torch.rand(T, N, generator=g) < p_done
    terminated = done & (torch.rand(T, N, generator=g) < p_term)
    next_values = torch.empty(T, N, dtype=torch.float64)
    next_values[:-1] = values[1:]
    final_obs = 3.0 * torch.randn(T, N, generator=g, dtype=torch.float64)
    ends = done.clone()
    ends[-1] = True
    next_values = torch.where(ends, final_obs, next_values)
    return (
        rewards.to(dtype),
        values.to(dtype),
        next_values.to(dtype),
        terminated,
        done,
    )


@pytest.fixture(scope="session")
def ref() -> SimpleNamespace:
    """Plain-Python reference estimators with the same signature as the real ones."""
    return SimpleNamespace(td=ref_td, gae=ref_gae, mc=ref_mc, nstep=ref_nstep)


@pytest.fixture(scope="session")
def rollout():
    """Factory: rollout(T, N, seed, p_done=0.2, p_term=0.5, dtype=float64) -> 5 tensors."""
    return make_rollout
