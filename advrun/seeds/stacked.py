"""K models of one architecture run as one batched forward.

``torch.func.stack_module_state`` stacks the K agents' parameters and buffers (the
observation statistics included) along a new leading dim, and
``vmap(functional_call(model, ...))`` runs the model's own ``forward`` over it: one call
of the batched kernels (``bmm`` instead of K ``addmm``) instead of K module calls.

On CPU with one torch thread (advrun's default) the batched forward of an MLP gives
each agent's outputs bitwise equal to its own module's (the same reduction order per
row); ``tests/seeds/test_stacked.py`` checks it for the models advrun builds, and the
batch's members are compared bit for bit with single runs. The stack is a copy: it is
taken again after every update (:meth:`StackedModels.restack`).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap


class StackedModels:
    """The forward of ``models`` (same architecture), batched over the agents."""

    def __init__(self, models: list[nn.Module]) -> None:
        # A template holding no data: functional_call substitutes the stacked tensors.
        self.template = copy.deepcopy(models[0]).to("meta")
        self.models = models
        self.params: dict[str, Tensor] = {}
        self.buffers: dict[str, Tensor] = {}
        self.restack()

        def one(params: dict[str, Tensor], buffers: dict[str, Tensor], obs: Tensor):
            return functional_call(self.template, (params, buffers), (obs,))

        self._forward = vmap(one)

    def restack(self) -> None:
        """Copy the models' current parameters and buffers into the stack."""
        with torch.no_grad():
            params, buffers = stack_module_state(self.models)  # type: ignore[arg-type]
        self.params = {k: v.detach() for k, v in params.items()}
        self.buffers = buffers

    @torch.no_grad()
    def forward(self, obs: Tensor, index: Tensor | None = None) -> tuple[Tensor, ...]:
        """``model(obs[k])`` for every agent ``k`` as stacked outputs (``[K, ...]`` each);
        ``index`` picks a subset of the agents (``obs`` then holds only theirs)."""
        params, buffers = self.params, self.buffers
        if index is not None:
            params = {k: v[index] for k, v in params.items()}
            buffers = {k: v[index] for k, v in buffers.items()}
        return self._forward(params, buffers, obs)
