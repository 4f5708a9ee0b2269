"""advrun.optim.eager: torch's optimizers, bit for bit, without importing torch._dynamo.

The import check runs in a fresh interpreter (this test process may have imported
torch._dynamo long before); the equality checks run here against the stock classes."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import torch

from advrun.optim.eager import eager

CASES = [
    (torch.optim.Adam, {"fused": True}),
    (torch.optim.Adam, {"weight_decay": 0.01}),
    (torch.optim.AdamW, {"fused": True, "weight_decay": 0.01}),
    (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    (torch.optim.RMSprop, {"alpha": 0.99, "momentum": 0.5}),
]
IDS = ["adam-fused", "adam", "adamw-fused", "sgd-nesterov", "rmsprop"]


def _train(cls: type[torch.optim.Optimizer], kwargs: dict[str, Any], steps: int = 6) -> tuple:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    opt = cls(model.parameters(), lr=1e-2, **kwargs)
    data = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(16, 5, generator=data)
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_updates_and_state_equal_the_stock_optimizer(
    cls: type[torch.optim.Optimizer], kwargs: dict[str, Any]
) -> None:
    stock_model, stock = _train(cls, kwargs)
    ours_model, ours = _train(eager(cls), kwargs)
    assert isinstance(ours, cls)
    for a, b in zip(stock_model.parameters(), ours_model.parameters(), strict=True):
        assert torch.equal(a, b)
    a_state, b_state = stock.state_dict(), ours.state_dict()
    assert a_state["param_groups"] == b_state["param_groups"]
    for i, entry in a_state["state"].items():
        assert entry.keys() == b_state["state"][i].keys()
        for key, value in entry.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(b_state["state"][i][key]))


def test_a_stock_checkpoint_loads_and_continues_identically() -> None:
    """state_dict from torch's class into ours (and on): the next steps agree exactly."""
    kwargs = {"fused": True}
    model_a, stock = _train(torch.optim.Adam, kwargs, steps=3)
    model_b = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model_b.load_state_dict(model_a.state_dict())
    ours = eager(torch.optim.Adam)(model_b.parameters(), lr=1e-2, **kwargs)
    ours.load_state_dict(copy.deepcopy(stock.state_dict()))  # the live tensors are shared
    x = torch.randn(16, 5, generator=torch.Generator().manual_seed(7))
    for model, opt in ((model_a, stock), (model_b, ours)):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(a, b)


def test_step_hooks_run_once_per_step_even_after_the_stock_class_was_used() -> None:
    """torch wraps a class's ``step`` in its hook runner on first construction; the
    subclass is built from the undecorated function, so hooks are not run twice."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # hooks stock SGD.step
    cls = eager.__wrapped__(torch.optim.SGD)  # a fresh subclass, built after that
    p = torch.zeros(2, requires_grad=True)
    opt = cls([p], lr=0.1)
    calls: list[str] = []
    opt.register_step_pre_hook(lambda *_: calls.append("pre"))
    opt.register_step_post_hook(lambda *_: calls.append("post"))
    p.grad = torch.ones(2)
    opt.step()
    assert calls == ["pre", "post"]
    assert torch.equal(p.detach(), torch.full((2,), -0.1))


def test_step_runs_without_grad_as_torch_sets_it() -> None:
    p = torch.ones(3, requires_grad=True)
    opt = eager(torch.optim.SGD)([p], lr=0.5)
    p.grad = torch.ones(3)
    with torch.enable_grad():
        opt.step()  # an in-place update of a leaf needing grad fails unless grad is off
        assert torch.is_grad_enabled()
    assert torch.equal(p.detach(), torch.full((3,), 0.5))


PROBE = textwrap.dedent(
    """
    import sys
    import torch
    from advrun.optim import AdamConfig, RMSpropConfig, SGDConfig, make_optimizer
    model = torch.nn.Linear(4, 2)
    for cfg in (AdamConfig(name="adam"), AdamConfig(name="adamw"), SGDConfig(name="sgd"),
                RMSpropConfig(name="rmsprop")):
        opt = make_optimizer(model.parameters(), cfg)
        opt.zero_grad()
        model(torch.randn(3, 4)).sum().backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        opt.load_state_dict(opt.state_dict())
    print("DYNAMO", "torch._dynamo" in sys.modules)
    import torch._dynamo  # from here on, every call is torch's own decorated method
    opt.step()
    opt.zero_grad()
    fn = torch.optim.Optimizer.zero_grad.__wrapped__
    print("STOCK", getattr(fn, "__dynamo_disable", None) is not None)
    """
)


def test_the_optimizers_never_import_torch_dynamo() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "DYNAMO False" in proc.stdout, proc.stdout
    # ...and once torch._dynamo is loaded the stock wrappers run (and cache their
    # dynamo-disabled function on the undecorated one).
    assert "STOCK True" in proc.stdout, proc.stdout


UNPICKLE = textwrap.dedent(
    """
    import pickle, sys
    import torch
    for model, opt in pickle.loads(open(sys.argv[1], "rb").read()):
        same = opt.param_groups[0]["params"][0] is next(model.parameters())
        before = [p.detach().clone() for p in model.parameters()]
        model(torch.ones(2, 5)).sum().backward()
        opt.step()
        moved = any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
        kind = type(opt)
        print("CASE", kind.__module__, kind.__qualname__, kind.__bases__, same, moved)
    """
)


def test_the_optimizers_pickle_into_an_interpreter_that_never_built_one(tmp_path) -> None:
    """pickle (and ``torch.save(optimizer)``) looks the class up by name: the eager
    subclass must be importable where :func:`eager` was never called (one fresh
    interpreter unpickles every case: an interpreter start costs seconds)."""
    trained = [_train(eager(cls), kwargs, steps=2) for cls, kwargs in CASES]
    for _, opt in trained:
        copied = pickle.loads(pickle.dumps(opt))
        assert type(copied) is type(opt)
        theirs = copied.state_dict()["state"][0]
        for key, value in opt.state_dict()["state"][0].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(theirs[key]))
    path = tmp_path / "opts.pkl"
    path.write_bytes(pickle.dumps(trained))
    proc = subprocess.run(
        [sys.executable, "-c", UNPICKLE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    cases = [line for line in proc.stdout.splitlines() if line.startswith("CASE ")]
    assert len(cases) == len(CASES), proc.stdout
    for line, (cls, _) in zip(cases, CASES, strict=True):
        name = cls.__name__
        base = f"<class 'torch.optim.{name.lower()}.{name}'>"
        assert line == f"CASE advrun.optim.eager Eager{name} ({base},) True True", line


def test_only_torch_optimizers_resolve_by_name() -> None:
    import advrun.optim.eager as module

    assert module.EagerSGD is eager(torch.optim.SGD)
    for bad in ("EagerNope", "EagerOptimizer_", "Adam", "EagerLRScheduler"):
        with pytest.raises(AttributeError, match=bad):
            getattr(module, bad)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "foreach"])
def test_cuda_adam_equals_the_stock_one(fused: bool) -> None:
    results = []
    for cls in (torch.optim.Adam, eager(torch.optim.Adam)):
        torch.manual_seed(0)
        model = torch.nn.Linear(6, 4).cuda()
        opt = cls(model.parameters(), lr=1e-2, fused=fused, foreach=None if fused else True)
        for k in range(4):
            x = torch.randn(32, 6, device="cuda", generator=None)
            opt.zero_grad()
            model(x + k).square().mean().backward()
            opt.step()
        results.append([p.detach().cpu() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)
