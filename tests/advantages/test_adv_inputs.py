"""dtype/device handling, no mutation, mask types and input validation."""

from __future__ import annotations

import math

import pytest
import torch

from advrun.advantages import gae, mc, nstep, td

CALLS = {
    "td": lambda *d, **kw: td(*d, gamma=kw.get("gamma", 0.9)),
    "gae": lambda *d, **kw: gae(*d, gamma=kw.get("gamma", 0.9), lam=kw.get("lam", 0.8)),
    "mc": lambda *d, **kw: mc(*d, gamma=kw.get("gamma", 0.9)),
    "nstep": lambda *d, **kw: nstep(*d, gamma=kw.get("gamma", 0.9), n=kw.get("n", 3)),
}
NAMES = list(CALLS)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_and_device_preserved(rollout, ref, name, dtype, device):
    data = [x.to(device) for x in rollout(7, 3, 0, dtype=dtype)]
    adv, ret = CALLS[name](*data)
    for out in (adv, ret):
        assert out.dtype == dtype
        assert out.device.type == device
        assert out.shape == (7, 3)
        assert not out.requires_grad
    # float32 results agree with the float64 reference
    exp_adv, exp_ret = CALLS[name](*rollout(7, 3, 0, dtype=torch.float64))
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(adv.cpu().double(), exp_adv, rtol=tol, atol=tol)
    torch.testing.assert_close(ret.cpu().double(), exp_ret, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", NAMES)
def test_output_follows_values_dtype(rollout, name):
    r, v, nv, term, done = rollout(5, 2, 1)
    adv, ret = CALLS[name](r.double(), v.float(), nv.double(), term, done)
    assert adv.dtype == torch.float32 and ret.dtype == torch.float32


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_mutated(rollout, name):
    data = rollout(9, 3, 2, p_done=0.3)
    copies = [x.clone() for x in data]
    adv, ret = CALLS[name](*data)
    for original, copy in zip(data, copies, strict=True):
        assert torch.equal(original, copy)
    # outputs do not alias the inputs
    for out in (adv, ret):
        for x in data:
            assert out.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("name", NAMES)
def test_grad_inputs_give_detached_outputs(rollout, name):
    r, v, nv, term, done = rollout(5, 2, 3)
    v = v.clone().requires_grad_(True)
    nv = nv.clone().requires_grad_(True)
    adv, ret = CALLS[name](r, v, nv, term, done)
    assert not adv.requires_grad and not ret.requires_grad


@pytest.mark.parametrize("mask_dtype", [torch.float32, torch.float64, torch.int64, torch.uint8])
@pytest.mark.parametrize("name", NAMES)
def test_float_and_int_masks_match_bool(rollout, name, mask_dtype):
    r, v, nv, term, done = rollout(10, 3, 4, p_done=0.3)
    expected = CALLS[name](r, v, nv, term, done)
    actual = CALLS[name](r, v, nv, term.to(mask_dtype), done.to(mask_dtype))
    torch.testing.assert_close(actual[0], expected[0], rtol=0, atol=0)
    torch.testing.assert_close(actual[1], expected[1], rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_terminated_implies_done(rollout, name):
    # terminated=True with done=False is treated as done (a termination ends the episode).
    r, v, nv, _, _ = rollout(6, 2, 5, p_done=0.0)
    term = torch.zeros(6, 2, dtype=torch.bool)
    term[2, 0] = True
    a1 = CALLS[name](r, v, nv, term, torch.zeros_like(term))
    a2 = CALLS[name](r, v, nv, term, term.clone())
    torch.testing.assert_close(a1[0], a2[0], rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_empty_time_dimension(name):
    z = torch.zeros(0, 3)
    f = torch.zeros(0, 3, dtype=torch.bool)
    adv, ret = CALLS[name](z, z, z, f, f)
    assert adv.shape == (0, 3) and ret.shape == (0, 3)


def _good(T=4, N=2):
    z = torch.zeros(T, N)
    f = torch.zeros(T, N, dtype=torch.bool)
    return {"rewards": z, "values": z.clone(), "next_values": z.clone(), "terminated": f,
            "done": f.clone()}  # fmt: skip


def _args(d):
    return d["rewards"], d["values"], d["next_values"], d["terminated"], d["done"]


@pytest.mark.parametrize("arg", ["rewards", "values", "next_values", "terminated", "done"])
@pytest.mark.parametrize("name", NAMES)
def test_shape_mismatch_names_argument(name, arg):
    d = _good()
    d[arg] = d[arg][:3]
    with pytest.raises(ValueError, match=arg if arg != "values" else "shape"):
        CALLS[name](*_args(d))


@pytest.mark.parametrize("arg", ["rewards", "values", "next_values", "terminated", "done"])
@pytest.mark.parametrize("ndim_shape", [(8,), (2, 2, 2)])
@pytest.mark.parametrize("name", NAMES)
def test_not_2d_names_argument(name, arg, ndim_shape):
    d = _good()
    d[arg] = d[arg].reshape(ndim_shape)
    with pytest.raises(ValueError, match=rf"^{arg} must be 2-D"):
        CALLS[name](*_args(d))


@pytest.mark.parametrize("arg", ["rewards", "values", "next_values", "terminated", "done"])
def test_non_tensor_names_argument(arg):
    d = _good()
    d[arg] = d[arg].tolist()
    with pytest.raises(ValueError, match=rf"^{arg} must be a torch.Tensor"):
        gae(*_args(d), gamma=0.9, lam=0.9)


def test_integer_values_rejected():
    d = _good()
    d["values"] = torch.zeros(4, 2, dtype=torch.int64)
    with pytest.raises(ValueError, match="values must be a floating point"):
        td(*_args(d), gamma=0.9)


@pytest.mark.parametrize("arg", ["terminated", "done"])
def test_non_binary_float_mask_rejected(arg):
    d = _good()
    d[arg] = torch.full((4, 2), 0.5)
    with pytest.raises(ValueError, match=rf"^{arg} must contain only 0/1"):
        mc(*_args(d), gamma=0.9)


@pytest.mark.parametrize("bad", [-0.1, 1.0001, math.nan, math.inf, "0.9", None, True])
@pytest.mark.parametrize("name", NAMES)
def test_bad_gamma(name, bad):
    with pytest.raises(ValueError, match=r"^gamma must"):
        CALLS[name](*_args(_good()), gamma=bad)


@pytest.mark.parametrize("bad", [-0.5, 1.5, math.nan, None, "1"])
def test_bad_lam(bad):
    with pytest.raises(ValueError, match=r"^lam must"):
        gae(*_args(_good()), gamma=0.9, lam=bad)


@pytest.mark.parametrize("gamma", [0, 1, 0.0, 1.0])
def test_gamma_bounds_inclusive(gamma):
    adv, _ = td(*_args(_good()), gamma=gamma)
    assert adv.shape == (4, 2)


def test_keyword_only_hyperparameters():
    with pytest.raises(TypeError):
        gae(*_args(_good()), 0.9, 0.9)  # type: ignore[misc]
