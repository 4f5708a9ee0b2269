"""GRPO/RLOO vs plain-Python references, their identities, and input validation."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.advantages import first_episode_mask, grpo, rloo


def ref_returns(r, term, done, gamma):
    """G_t as an explicit forward sum to the first done (or T-1); 0 after it. Python floats."""
    steps, envs = r.shape
    out = [[0.0] * envs for _ in range(steps)]
    for i in range(envs):
        end = steps - 1
        for t in range(steps):
            if bool(done[t, i]) or bool(term[t, i]):
                end = t
                break
        for t in range(end + 1):
            out[t][i] = sum(gamma ** (k - t) * float(r[k, i]) for k in range(t, end + 1))
    return out, end_rows(term, done)


def end_rows(term, done):
    """valid[t][i] as python bools: no done at any row < t."""
    steps, envs = done.shape
    valid = [[True] * envs for _ in range(steps)]
    for i in range(envs):
        ended = False
        for t in range(steps):
            valid[t][i] = not ended
            ended = ended or bool(done[t, i]) or bool(term[t, i])
    return valid


def ref_group(r, term, done, *, gamma, group_size, kind, eps=1e-8):
    """Loop over (t, env): baseline from the members of env's group at the same t."""
    g, valid = ref_returns(r, term, done, gamma)
    steps, envs = r.shape
    adv = [[0.0] * envs for _ in range(steps)]
    for t in range(steps):
        for i in range(envs):
            if not valid[t][i]:
                continue
            first = (i // group_size) * group_size
            members = [g[t][j] for j in range(first, first + group_size)]
            if kind == "rloo":
                others = [g[t][j] for j in range(first, first + group_size) if j != i]
                adv[t][i] = g[t][i] - sum(others) / len(others)
            else:
                mean = sum(members) / group_size
                std = math.sqrt(sum((m - mean) ** 2 for m in members) / group_size)
                adv[t][i] = (g[t][i] - mean) / (std + eps)
    as_t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    return as_t(adv), as_t(g)


def make_group_rollout(steps, envs, seed, p_done=0.15, p_term=0.5):
    gen = torch.Generator().manual_seed(seed)
    r = torch.randn(steps, envs, generator=gen, dtype=torch.float64)
    done = torch.rand(steps, envs, generator=gen) < p_done
    term = done & (torch.rand(steps, envs, generator=gen) < p_term)
    return r, term, done


CASES = [
    # (T, N, K, gamma, p_done, seed)
    (1, 2, 2, 0.9, 0.0, 0),
    (5, 6, 2, 0.5, 0.3, 1),
    (8, 6, 3, 1.0, 0.2, 2),
    (12, 8, 4, 0.99, 0.1, 3),
    (12, 8, 8, 0.0, 0.2, 4),
    (10, 9, 3, 0.9, 1.0, 5),  # every env ends at row 0
    (16, 4, 2, 0.95, 0.0, 6),  # nobody ends inside the segment
]


@pytest.mark.parametrize(("T", "N", "K", "gamma", "p_done", "seed"), CASES)
def test_against_reference(T, N, K, gamma, p_done, seed):
    r, term, done = make_group_rollout(T, N, seed, p_done)
    for kind, fn in (("grpo", grpo), ("rloo", rloo)):
        adv, ret = fn(r, term, done, gamma=gamma, group_size=K)
        exp_adv, exp_ret = ref_group(r, term, done, gamma=gamma, group_size=K, kind=kind)
        torch.testing.assert_close(ret, exp_ret, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(adv, exp_adv, rtol=1e-10, atol=1e-10)


def test_reference_matches_hand_numbers():
    # Guard the reference with the K = 3 hand case of test_adv_group.py (RLOO).
    r = torch.tensor([[1, 0, 4], [1, 2, 0], [1, 5, 0]], dtype=torch.float64)
    done = torch.tensor([[0, 0, 1], [0, 1, 0], [0, 0, 0]]).bool()
    adv, ret = ref_group(r, done & False, done, gamma=1.0, group_size=3, kind="rloo")
    assert adv.tolist() == [[0, -1.5, 1.5], [1, 1, 0], [1, 0, 0]]
    assert ret.tolist() == [[3, 2, 4], [2, 2, 0], [1, 0, 0]]


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("seed", range(3))
def test_rloo_scaling_identity(K, seed):
    # A_i = G_i - mean_{j != i} G_j = K/(K-1) * (G_i - mean_group G) on valid rows.
    r, term, done = make_group_rollout(9, 2 * K, seed)
    adv, ret = rloo(r, term, done, gamma=0.9, group_size=K)
    grouped = ret.reshape(9, 2, K)
    scaled = (K / (K - 1) * (grouped - grouped.mean(dim=2, keepdim=True))).reshape(9, 2 * K)
    valid = first_episode_mask(term, done)
    torch.testing.assert_close(adv[valid], scaled[valid], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3, 4])
@pytest.mark.parametrize("seed", range(3))
def test_grpo_unit_std_per_group(K, seed):
    # Where a whole group is still in its episode and its G_t are not all equal, the K
    # advantages have mean 0 and (population) std 1; eps = 0 makes it exact.
    r, term, done = make_group_rollout(10, 3 * K, seed, p_done=0.05)
    adv, ret = grpo(r, term, done, gamma=0.9, group_size=K, eps=0.0)
    a = adv.reshape(10, 3, K)
    all_valid = first_episode_mask(term, done).reshape(10, 3, K).all(dim=2)
    spread = ret.reshape(10, 3, K).std(dim=2, correction=0) > 1e-9
    rows = all_valid & spread
    assert rows.sum() >= 4  # the check is not vacuous
    torch.testing.assert_close(
        a.std(dim=2, correction=0)[rows], torch.ones(int(rows.sum())).double()
    )
    torch.testing.assert_close(a.mean(dim=2)[rows], torch.zeros(int(rows.sum())).double())


def test_rloo_baseline_ignores_the_member_itself():
    # The leave-one-out baseline b^i = G^i - A^i does not move when member i's own rewards
    # change; GRPO's mean includes member i, so its A moves by less than the change in G.
    r, term, done = make_group_rollout(6, 3, 0, p_done=0.0)
    r2 = r.clone()
    r2[:, 0] += 5.0
    a1, g1 = rloo(r, term, done, gamma=0.9, group_size=3)
    a2, g2 = rloo(r2, term, done, gamma=0.9, group_size=3)
    torch.testing.assert_close(g1[:, 0] - a1[:, 0], g2[:, 0] - a2[:, 0])
    assert not torch.allclose(g1[:, 0], g2[:, 0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("fn", [grpo, rloo])
def test_dtype_and_no_mutation(fn, dtype):
    r, term, done = make_group_rollout(7, 4, 1, p_done=0.3)
    r = r.to(dtype)
    copies = [x.clone() for x in (r, term, done)]
    adv, ret = fn(r, term.float(), done.to(torch.uint8), gamma=0.9, group_size=2)
    assert adv.dtype == dtype and ret.dtype == dtype
    assert not adv.requires_grad and not ret.requires_grad
    for original, copy in zip((r, term, done), copies, strict=True):
        assert torch.equal(original, copy)
    exp = fn(r.double(), term, done, gamma=0.9, group_size=2)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(adv.double(), exp[0], rtol=tol, atol=tol)
    torch.testing.assert_close(ret.double(), exp[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", [grpo, rloo])
def test_empty_time_dimension(fn):
    adv, ret = fn(torch.zeros(0, 4), *(torch.zeros(0, 4, dtype=torch.bool),) * 2,
                  gamma=0.9, group_size=2)  # fmt: skip
    assert adv.shape == (0, 4) and ret.shape == (0, 4)


def _good(steps=3, envs=4):
    return torch.zeros(steps, envs), torch.zeros(steps, envs, dtype=torch.bool)


@pytest.mark.parametrize("fn", [grpo, rloo])
def test_group_size_must_divide_n(fn):
    r, f = _good(envs=4)
    with pytest.raises(ValueError, match=r"group_size=3 does not divide the number of envs N=4"):
        fn(r, f, f, gamma=0.9, group_size=3)


@pytest.mark.parametrize("fn", [grpo, rloo])
def test_group_of_one_raises(fn):
    r, f = _good()
    with pytest.raises(ValueError, match="no other member to form a baseline"):
        fn(r, f, f, gamma=0.9, group_size=1)


@pytest.mark.parametrize("bad", [0, -2, 2.0, "2", None, True])
@pytest.mark.parametrize("fn", [grpo, rloo])
def test_bad_group_size(fn, bad):
    r, f = _good()
    with pytest.raises(ValueError, match=r"^group_size must"):
        fn(r, f, f, gamma=0.9, group_size=bad)


@pytest.mark.parametrize("fn", [grpo, rloo])
def test_bad_inputs(fn):
    r, f = _good()
    cases = [
        ((r.long(), f, f), r"^rewards must be a floating point"),
        ((r.tolist(), f, f), r"^rewards must be a torch.Tensor"),
        ((r.reshape(12), f, f), r"^rewards must be 2-D"),
        ((r, f[:2], f[:2]), r"^terminated and done have shape \(2, 4\)"),
        ((r, f, f[:2]), r"^terminated has shape"),
        ((r, f, f.reshape(2, 3, 2)), r"^done must be 2-D"),
        ((r, f, torch.full((3, 4), 0.5)), r"^done must contain only 0/1"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            fn(*args, gamma=0.9, group_size=2)
    with pytest.raises(ValueError, match=r"^gamma must"):
        fn(r, f, f, gamma=1.5, group_size=2)
    with pytest.raises(TypeError):
        fn(r, f, f, 0.9, 2)  # type: ignore[misc]


@pytest.mark.parametrize("bad", [-1e-8, math.nan, math.inf, "0", None, True])
def test_grpo_bad_eps(bad):
    r, f = _good()
    with pytest.raises(ValueError, match=r"^eps must"):
        grpo(r, f, f, gamma=0.9, group_size=2, eps=bad)
