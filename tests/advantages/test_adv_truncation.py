"""Truncation bootstraps from next_values; termination does not."""

from __future__ import annotations

import pytest
import torch

from advrun.advantages import gae, mc, nstep, td

GAMMA, LAM = 0.9, 0.8
T, N, STEP = 6, 2, 3


def _pair(rollout, seed):
    r, v, nv, _, _ = rollout(T, N, seed, p_done=0.0)
    done = torch.zeros(T, N, dtype=torch.bool)
    done[STEP, 0] = True  # env 0 ends at STEP; env 1 has no dones
    term = done.clone()
    trunc_term = torch.zeros_like(done)
    return (r, v, nv, term, done), (r, v, nv, trunc_term, done)


ESTIMATORS = {
    "td": lambda *d: td(*d, gamma=GAMMA),
    "gae": lambda *d: gae(*d, gamma=GAMMA, lam=LAM),
    "mc": lambda *d: mc(*d, gamma=GAMMA),
    "nstep": lambda *d: nstep(*d, gamma=GAMMA, n=4),
}

# How much of the bootstrap difference at STEP reaches step STEP - 1 (one step earlier):
# td looks one step ahead only; gae discounts by gamma*lam; mc and nstep(n=4) by gamma.
EARLIER_FACTOR = {"td": 0.0, "gae": GAMMA * LAM, "mc": GAMMA, "nstep": GAMMA}


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truncation_minus_termination(rollout, seed, name):
    term_data, trunc_data = _pair(rollout, seed)
    nv = term_data[2]
    fn = ESTIMATORS[name]
    adv_term, ret_term = fn(*term_data)
    adv_trunc, ret_trunc = fn(*trunc_data)
    boot = GAMMA * nv[STEP, 0]
    # exactly gamma * next_values at the done step
    torch.testing.assert_close(ret_trunc[STEP, 0] - ret_term[STEP, 0], boot)
    torch.testing.assert_close(adv_trunc[STEP, 0] - adv_term[STEP, 0], boot)
    # one step earlier: discounted by the estimator's propagation factor
    torch.testing.assert_close(
        adv_trunc[STEP - 1, 0] - adv_term[STEP - 1, 0], EARLIER_FACTOR[name] * boot
    )
    # steps after the done and the other env are unaffected
    torch.testing.assert_close(adv_trunc[STEP + 1 :], adv_term[STEP + 1 :], rtol=0, atol=0)
    torch.testing.assert_close(adv_trunc[:, 1], adv_term[:, 1], rtol=0, atol=0)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_terminated_step_ignores_next_value(rollout, name):
    term_data, _ = _pair(rollout, 0)
    r, v, nv, term, done = term_data
    nv2 = nv.clone()
    nv2[STEP, 0] = 1e6  # garbage final-observation value after a termination
    a1, _ = ESTIMATORS[name](r, v, nv, term, done)
    a2, _ = ESTIMATORS[name](r, v, nv2, term, done)
    torch.testing.assert_close(a1, a2, rtol=0, atol=0)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_done_stops_flow_from_next_step(rollout, name):
    # Changing the reward right after a done step must not change anything at or before it.
    term_data, trunc_data = _pair(rollout, 1)
    for data in (term_data, trunc_data):
        r, v, nv, term, done = data
        r2 = r.clone()
        r2[STEP + 1, 0] += 100.0
        a1, _ = ESTIMATORS[name](r, v, nv, term, done)
        a2, _ = ESTIMATORS[name](r2, v, nv, term, done)
        torch.testing.assert_close(a1[: STEP + 1], a2[: STEP + 1], rtol=0, atol=0)
        assert a1[STEP + 1, 0] != a2[STEP + 1, 0]
