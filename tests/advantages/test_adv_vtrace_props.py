"""V-trace vs a plain-Python reference, identities with GAE/MC/TD, gradients and inputs."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.advantages import gae, mc, td, vtrace

T, N = 15, 4


def ref_vtrace(r, v, nv, term, done, *, gamma, log_rhos, rho_bar=1.0, c_bar=1.0):
    """Eq. 1 in its sum form, per env with python floats (no backward recursion):

    v_s = V_s + sum_{t=s}^{e} gamma^(t-s) (prod_{i=s}^{t-1} c_i) delta_t, e = first done >= s
    (or T-1); A_s = rho_s (r_s + gamma (1-term_s) vnext_s - V_s) with vnext_s = v_{s+1} if the
    episode continues inside the segment, else next_values_s.
    """
    steps = r.shape[0]
    ret = torch.zeros_like(v)
    adv = torch.zeros_like(v)
    for i in range(r.shape[1]):
        rr, vv, nn = (x[:, i].tolist() for x in (r, v, nv))
        tm = [bool(a) for a in term[:, i].tolist()]
        dn = [bool(a) or b for a, b in zip(done[:, i].tolist(), tm, strict=True)]
        ratio = [math.exp(a) for a in log_rhos[:, i].tolist()]
        rho = [min(rho_bar, a) for a in ratio]
        c = [min(c_bar, a) for a in ratio]
        delta = [rho[t] * (rr[t] + (0.0 if tm[t] else gamma * nn[t]) - vv[t]) for t in range(steps)]
        targets = []
        for s in range(steps):
            total, weight = vv[s], 1.0
            for t in range(s, steps):
                total += weight * delta[t]
                if dn[t]:
                    break
                weight *= gamma * c[t]
            targets.append(total)
        for s in range(steps):
            vnext = targets[s + 1] if (s + 1 < steps and not dn[s]) else nn[s]
            boot = 0.0 if tm[s] else gamma * vnext
            adv[s, i] = rho[s] * (rr[s] + boot - vv[s])
            ret[s, i] = targets[s]
    return adv, ret


def _log_rhos(seed: int, shape=(T, N), scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 + seed)
    return scale * torch.randn(*shape, generator=g, dtype=torch.float64)


def _close(a, b):
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


CASES = [
    # (T, N, gamma, rho_bar, c_bar, p_done, seed)
    (1, 1, 0.9, 1.0, 1.0, 0.0, 0),
    (2, 3, 0.5, 1.0, 1.0, 0.5, 1),
    (8, 2, 0.99, 2.0, 1.0, 0.3, 2),
    (12, 3, 1.0, 1.0, 0.7, 0.2, 3),
    (12, 2, 0.0, 1.5, 0.5, 0.3, 4),
    (20, 4, 0.9, math.inf, math.inf, 0.1, 5),
    (16, 3, 0.95, 1.0, 0.0, 0.2, 6),
    (10, 2, 0.7, 0.8, 1.2, 1.0, 7),  # every step done
]


@pytest.mark.parametrize(("T_", "N_", "gamma", "rho_bar", "c_bar", "p_done", "seed"), CASES)
def test_against_reference(rollout, T_, N_, gamma, rho_bar, c_bar, p_done, seed):
    data = rollout(T_, N_, seed, p_done=p_done)
    kw = {"gamma": gamma, "log_rhos": _log_rhos(seed, (T_, N_)), "rho_bar": rho_bar}
    kw["c_bar"] = c_bar
    actual = vtrace(*data, **kw)
    expected = ref_vtrace(*data, **kw)
    _close(actual[0], expected[0])
    _close(actual[1], expected[1])


def test_reference_matches_hand_numbers():
    # Guard against a broken reference: the 3-step clipping case of test_adv_vtrace.py.
    col = lambda *x: torch.tensor(x, dtype=torch.float64).unsqueeze(1)  # noqa: E731
    f = torch.zeros(3, 1, dtype=torch.bool)
    lr = torch.log(col(2.0, 0.5, 1.2))
    adv, ret = ref_vtrace(
        col(1, 2, 3), col(1, 2, 3), col(2, 3, 4), f, f,
        gamma=0.5, log_rhos=lr, rho_bar=1.5, c_bar=1.0,
    )  # fmt: skip
    torch.testing.assert_close(ret, col(3.175, 3.35, 5.4))
    torch.testing.assert_close(adv, col(2.5125, 1.35, 2.4))


SEEDS = [0, 1, 2, 3]
P_DONE = [0.0, 0.2, 0.5]


@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_on_policy_returns_are_gae_lam1_returns(rollout, seed, p_done):
    # log_rhos = 0, rho_bar = c_bar = 1: rho = c = 1, so W_t is the GAE(1) recursion.
    data = rollout(T, N, seed, p_done=p_done)
    _, ret = vtrace(*data, gamma=0.9, log_rhos=torch.zeros(T, N, dtype=torch.float64))
    _close(ret, gae(*data, gamma=0.9, lam=1.0)[1])
    _close(ret, mc(*data, gamma=0.9)[1])  # consistent data: GAE(1) = Monte Carlo


@pytest.mark.parametrize("p_done", P_DONE)
@pytest.mark.parametrize("seed", SEEDS)
def test_on_policy_advantage_is_td_error_against_vtrace_target(rollout, seed, p_done):
    # On-policy, A_t = r_t + gamma (1 - term_t) vnext_t - V_t with vnext_t = v_{t+1} (the
    # V-trace target) inside an episode and next_values_t at a done step / segment end.
    # On consistent data that is v_t - V_t = GAE(1) = MC advantage; check both.
    r, v, nv, term, done = data = rollout(T, N, seed, p_done=p_done)
    adv, ret = vtrace(*data, gamma=0.9, log_rhos=torch.zeros(T, N, dtype=torch.float64))
    ended = done | term
    vnext = nv.clone()
    vnext[:-1] = torch.where(ended[:-1], nv[:-1], ret[1:])
    _close(adv, r + 0.9 * (~term).double() * vnext - v)
    _close(adv, ret - v)
    _close(adv, mc(*data, gamma=0.9)[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_on_policy_td_error_identity_on_inconsistent_data(seed):
    # Without next_values[t] == values[t+1], v - V differs from the advantage; the
    # TD-against-target form still holds exactly.
    g = torch.Generator().manual_seed(50 + seed)
    r, v, nv = (torch.randn(T, N, generator=g, dtype=torch.float64) for _ in range(3))
    done = torch.rand(T, N, generator=g) < 0.3
    term = done & (torch.rand(T, N, generator=g) < 0.5)
    adv, ret = vtrace(r, v, nv, term, done, gamma=0.8, log_rhos=torch.zeros(T, N).double())
    vnext = nv.clone()
    vnext[:-1] = torch.where(done[:-1], nv[:-1], ret[1:])
    _close(adv, r + 0.8 * (~term).double() * vnext - v)
    assert not torch.allclose(adv, ret - v)


@pytest.mark.parametrize("lam", [0.0, 0.5, 0.95])
@pytest.mark.parametrize("seed", SEEDS)
def test_c_bar_below_one_on_policy_gives_gae_lambda_returns(rollout, seed, lam):
    # log_rhos = 0, rho_bar = 1, c_bar = lam: rho = 1, c = lam -> GAE(lam) targets.
    data = rollout(T, N, seed, p_done=0.2)
    _, ret = vtrace(*data, gamma=0.9, log_rhos=torch.zeros(T, N).double(), c_bar=lam)
    _close(ret, gae(*data, gamma=0.9, lam=lam)[1])


@pytest.mark.parametrize("seed", SEEDS)
def test_c_bar_zero_gives_one_step_target(rollout, seed):
    # c = 0: v_t = V_t + rho_t * TD error_t; with rho = 1 that is the TD(0) target.
    data = rollout(T, N, seed, p_done=0.2)
    lr = _log_rhos(seed)
    _, ret = vtrace(*data, gamma=0.9, log_rhos=lr, c_bar=0.0)
    delta, _ = td(*data, gamma=0.9)
    _close(ret, data[1] + lr.exp().clamp(max=1.0) * delta)
    _, ret0 = vtrace(*data, gamma=0.9, log_rhos=torch.zeros(T, N).double(), c_bar=0.0)
    _close(ret0, td(*data, gamma=0.9)[1])


@pytest.mark.parametrize("seed", SEEDS)
def test_ratios_above_the_clip_are_on_policy(rollout, seed):
    # rho_bar = c_bar = 1 and every ratio >= 1: clipping makes rho = c = 1 everywhere.
    data = rollout(T, N, seed, p_done=0.2)
    up = vtrace(*data, gamma=0.9, log_rhos=_log_rhos(seed).abs())
    on = vtrace(*data, gamma=0.9, log_rhos=torch.zeros(T, N).double())
    _close(up[0], on[0])
    _close(up[1], on[1])


@pytest.mark.parametrize("seed", SEEDS)
def test_advantage_gap_is_rho_minus_c_times_next_correction(rollout, seed):
    # Consistent data, t not done and t < T-1: A_t - (v_t - V_t) = gamma (rho_t - c_t)
    # (v_{t+1} - V_{t+1}); 0 at a done step and at the segment end.
    _, v, _, _, done = data = rollout(T, N, seed, p_done=0.2)
    lr = _log_rhos(seed, scale=1.5)
    adv, ret = vtrace(*data, gamma=0.9, log_rhos=lr, rho_bar=2.0, c_bar=0.7)
    rho, c = lr.exp().clamp(max=2.0), lr.exp().clamp(max=0.7)
    gap = torch.zeros_like(v)
    gap[:-1] = 0.9 * (rho - c)[:-1] * (~done[:-1]) * (ret[1:] - v[1:])
    _close(adv - (ret - v), gap)
    assert gap.abs().max() > 0.1  # the gap is not vacuous
    # with rho_bar == c_bar, rho == c and advantages == returns - values
    adv_eq, ret_eq = vtrace(*data, gamma=0.9, log_rhos=lr, rho_bar=1.0, c_bar=1.0)
    _close(adv_eq, ret_eq - v)


def test_no_gradient_through_log_rhos(rollout):
    # Outputs are constants: a loss A * log_rhos has d/d log_rhos = A exactly (no term
    # from A's own dependence on log_rhos), and the outputs do not require grad.
    r, v, nv, term, done = rollout(6, 3, 0, p_done=0.3)
    lr = _log_rhos(0, (6, 3)).requires_grad_(True)
    v = v.clone().requires_grad_(True)
    adv, ret = vtrace(r, v, nv, term, done, gamma=0.9, log_rhos=lr, rho_bar=1.5)
    assert not adv.requires_grad and not ret.requires_grad
    (adv * lr).sum().backward()
    torch.testing.assert_close(lr.grad, adv, rtol=0, atol=0)
    assert v.grad is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_follows_values_and_float32_agrees(rollout, dtype):
    data = rollout(7, 3, 0, p_done=0.3, dtype=dtype)
    lr = _log_rhos(0, (7, 3))
    adv, ret = vtrace(*data, gamma=0.9, log_rhos=lr.float())  # log_rhos cast to values
    assert adv.dtype == dtype and ret.dtype == dtype
    exp = vtrace(*rollout(7, 3, 0, p_done=0.3), gamma=0.9, log_rhos=lr)
    tol = 1e-5 if dtype == torch.float32 else 1e-6
    torch.testing.assert_close(adv.double(), exp[0], rtol=tol, atol=tol)
    torch.testing.assert_close(ret.double(), exp[1], rtol=tol, atol=tol)


def test_inputs_not_mutated_and_outputs_new(rollout):
    data = rollout(9, 3, 2, p_done=0.3)
    lr = _log_rhos(2, (9, 3))
    copies = [x.clone() for x in (*data, lr)]
    outs = vtrace(*data, gamma=0.9, log_rhos=lr, rho_bar=1.2, c_bar=0.9)
    for original, copy in zip((*data, lr), copies, strict=True):
        assert torch.equal(original, copy)
        for out in outs:
            assert out.data_ptr() != original.data_ptr()


def test_empty_time_dimension():
    z = torch.zeros(0, 3)
    f = torch.zeros(0, 3, dtype=torch.bool)
    adv, ret = vtrace(z, z, z, f, f, gamma=0.9, log_rhos=z)
    assert adv.shape == (0, 3) and ret.shape == (0, 3)


def _good(steps=4, envs=2):
    z = torch.zeros(steps, envs)
    f = torch.zeros(steps, envs, dtype=torch.bool)
    return (z, z.clone(), z.clone(), f, f.clone())


@pytest.mark.parametrize(
    ("log_rhos", "match"),
    [
        (torch.zeros(3, 2), r"^log_rhos has shape \(3, 2\)"),
        (torch.zeros(4, 2, 1), r"^log_rhos has shape"),
        ([[0.0, 0.0]] * 4, r"^log_rhos must be a torch.Tensor"),
        (torch.zeros(4, 2, dtype=torch.int64), r"^log_rhos must be a floating point"),
    ],
)
def test_bad_log_rhos(log_rhos, match):
    with pytest.raises(ValueError, match=match):
        vtrace(*_good(), gamma=0.9, log_rhos=log_rhos)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, math.nan, "1", None, True])
def test_bad_rho_bar(bad):
    with pytest.raises(ValueError, match=r"^rho_bar must"):
        vtrace(*_good(), gamma=0.9, log_rhos=torch.zeros(4, 2), rho_bar=bad)


@pytest.mark.parametrize("bad", [-0.1, math.nan, "1", None, False])
def test_bad_c_bar(bad):
    with pytest.raises(ValueError, match=r"^c_bar must"):
        vtrace(*_good(), gamma=0.9, log_rhos=torch.zeros(4, 2), c_bar=bad)


def test_shared_input_checks_apply():
    z, v, nv, f, d = _good()
    with pytest.raises(ValueError, match=r"^done must be 2-D"):
        vtrace(z, v, nv, f, d.reshape(8), gamma=0.9, log_rhos=torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"^gamma must"):
        vtrace(*_good(), gamma=1.5, log_rhos=torch.zeros(4, 2))


def test_keyword_only_and_log_rhos_required():
    with pytest.raises(TypeError):
        vtrace(*_good(), 0.9, torch.zeros(4, 2))  # type: ignore[misc]
    with pytest.raises(TypeError):
        vtrace(*_good(), gamma=0.9)  # type: ignore[call-arg]
