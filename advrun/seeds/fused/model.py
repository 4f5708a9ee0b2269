"""K actor-critics of one architecture held as one batched network.

Every parameter of the K agents' :class:`~advrun.networks.ActorCritic` modules is
stacked along a new leading dim into one leaf tensor (``fc0.weight [K, out, in]``), and
the forward runs the MLP as batched matmuls: ``h <- act(b + h W^T)`` with ``h [K, B, in]``
(``torch.baddbmm``), one kernel per layer for all agents instead of K module calls.
Measured on the 2-core CPU (K = 8, 64 rows, 64-64 tanh): a handwritten ``baddbmm``
trunk ~0.23 ms, ``vmap(functional_call)`` over the same modules ~1.2 ms, eight module
calls ~0.9 ms; so the handwritten path is the one kept.

Gradients stay per agent: agent k's loss depends only on slice k of every stacked
tensor, so ``d(sum_k L_k)/dtheta[k] = dL_k/dtheta_k`` and one backward through the sum
gives each agent its own gradient. Elementwise optimizers (Adam, AdamW, SGD, RMSprop)
then update each slice exactly as that agent's own optimizer would; clipping is per
agent (:func:`clip_per_agent`).

What it covers: MLP trunks (shared or separate, any activation), a critic, the
optional running observation normaliser, discrete (categorical) and continuous
(diagonal Gaussian) heads. :func:`unsupported` names what it does not.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from advrun.networks.actor_critic import ActorCritic
from advrun.networks.heads import (
    HALF_LOG_2PI,
    categorical_log_prob_entropy,
    gaussian_log_prob,
)
from advrun.networks.mlp import MLP

__all__ = ["StackedActorCritic", "clip_per_agent", "unsupported"]


def unsupported(model: nn.Module) -> str | None:
    """Why ``model`` cannot be stacked (None when it can)."""
    if not isinstance(model, ActorCritic):
        return f"a {type(model).__name__} network (the batch stacks actor-critic MLPs)"
    if model.encoder is not None:
        return f"an observation encoder ({type(model.encoder).__name__})"
    if model.action_kind not in ("discrete", "continuous"):
        return f"{model.action_kind} actions (the batch stacks discrete and Box actions)"
    if not model.has_critic:
        return "a critic-free actor"
    if any(not p.requires_grad for p in model.parameters()):
        return "frozen parameters (init.freeze)"
    return None


def _layers(trunk: MLP) -> list[tuple[str, nn.Module]]:
    """``(prefix of the Linear, the activation after it)`` per layer of ``trunk``."""
    linears = [n for n, m in trunk.named_children() if isinstance(m, nn.Linear)]
    acts = [m for m in trunk.children() if not isinstance(m, nn.Linear)]
    return list(zip(linears, acts, strict=True))


class StackedActorCritic:
    """The forward, log-probabilities and sampling of K agents at once (module docstring).

    ``params`` are leaf tensors ``[K, ...]`` (require grad: hand them to one optimizer);
    ``obs_mean``/``obs_var`` the stacked normaliser statistics (read again from the
    modules by :meth:`load_buffers`)."""

    def __init__(self, models: list[ActorCritic]) -> None:
        first = models[0]
        self.models = models
        self.shared = first.shared
        self.continuous = first.action_kind == "continuous"
        self.norm = first.obs_norm
        names = [n for n, _ in first.named_parameters()]
        with torch.no_grad():
            self.params: dict[str, Tensor] = {
                n: torch.stack([dict(m.named_parameters())[n] for m in models])
                .detach()
                .clone()
                .requires_grad_(True)
                for n in names
            }
        self.trunks = (
            [("trunk", _layers(first.trunk))]
            if self.shared
            else [
                ("actor_trunk", _layers(first.actor_trunk)),
                ("critic_trunk", _layers(first.critic_trunk)),
            ]
        )
        self.obs_mean: Tensor | None = None
        self.obs_std: Tensor | None = None
        self._ready: dict[str, tuple[Tensor, Tensor]] = {}
        self.load_buffers()

    @property
    def k(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    # -- state exchange with the agents' modules -------------------------------------------
    def load_buffers(self) -> None:
        """Read the normaliser statistics from the modules (they update them)."""
        if self.norm is None:
            return
        dtype = self.params["policy_head.weight"].dtype
        norms = [m.obs_norm for m in self.models]
        self.obs_mean = torch.stack([n.mean for n in norms]).to(dtype).unsqueeze(1)  # type: ignore[union-attr]
        self.obs_std = (
            torch.stack([torch.sqrt(n.var + n.eps) for n in norms]).to(dtype).unsqueeze(1)  # type: ignore[union-attr]
        )

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy each agent's slice into its own module (checkpoints, eval and export
        read the modules)."""
        for k, model in enumerate(self.models):
            for name, p in model.named_parameters():
                p.copy_(self.params[name][k])

    def _rows(self, rows: list[int]) -> tuple[Tensor, dict[str, Tensor]]:
        """``(index, every parameter's rows at index)``: new tensors, outside autograd."""
        index = torch.tensor(rows, device=self.params["policy_head.weight"].device)
        return index, {n: p.detach().index_select(0, index) for n, p in self.params.items()}

    def keep(self, rows: list[int]) -> None:
        """Drop every agent not in ``rows`` (their positions, in order)."""
        _, params = self._rows(rows)
        self.params = {n: p.requires_grad_(True) for n, p in params.items()}
        self.models = [self.models[i] for i in rows]
        self.load_buffers()

    def frozen(self) -> StackedActorCritic:
        """A read-only copy for a stretch in which the weights stay as they are (a
        rollout, an evaluation; outside autograd): each layer's ``W^T`` is made
        contiguous and its bias shaped ``[K, 1, out]`` once, instead of at every call.
        ``baddbmm`` on a transposed view is the slow path: on the 2-core CPU (K = 8,
        20 rows, one thread) the 64x64 layer took 24 us on a contiguous ``W^T`` against
        54 us on the view."""
        out = copy.copy(self)
        out._ready = {}
        for name in self.params:
            if name.endswith(".weight"):
                prefix = name.removesuffix(".weight")
                bias, wt = self._operands(prefix)
                out._ready[prefix] = (bias.detach(), wt.detach().contiguous())
        return out

    # -- the network -----------------------------------------------------------------
    def _operands(self, prefix: str) -> tuple[Tensor, Tensor]:
        """``(b [K, 1, out], W^T [K, in, out])`` of a layer, as ``baddbmm`` takes them."""
        w, b = self.params[f"{prefix}.weight"], self.params[f"{prefix}.bias"]
        return b.unsqueeze(1), w.transpose(1, 2)

    def _linear(self, prefix: str, x: Tensor) -> Tensor:
        bias, wt = self._ready.get(prefix) or self._operands(prefix)
        return torch.baddbmm(bias, x, wt)

    def _trunk(self, name: str, layers: list[tuple[str, nn.Module]], x: Tensor) -> Tensor:
        for prefix, act in layers:
            x = act(self._linear(f"{name}.{prefix}", x))
        return x

    def _prep(self, obs: Tensor) -> Tensor:
        dtype = self.params["policy_head.weight"].dtype
        x = obs.to(dtype).flatten(2)
        if self.norm is not None:
            assert self.obs_mean is not None and self.obs_std is not None
            x = ((x - self.obs_mean.flatten(2)) / self.obs_std.flatten(2)).clamp(
                -self.norm.clip, self.norm.clip
            )
        return x

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """``(policy output [K, B, A], value [K, B])`` for ``obs [K, B, ...]``."""
        x = self._prep(obs)
        if self.shared:
            h = self._trunk(*self.trunks[0], x)
            return self._linear("policy_head", h), self._linear("value_head", h).squeeze(-1)
        ha = self._trunk(*self.trunks[0], x)
        hc = self._trunk(*self.trunks[1], x)
        return self._linear("policy_head", ha), self._linear("value_head", hc).squeeze(-1)

    def policy(self, obs: Tensor) -> Tensor:
        """The policy head's output ``[K, B, A]`` alone (evaluation needs no value)."""
        h = self._trunk(*self.trunks[0], self._prep(obs))
        return self._linear("policy_head", h)

    def subset(self, rows: list[int]) -> StackedActorCritic:
        """A read-only stack of the agents at ``rows`` (their current weights)."""
        index, params = self._rows(rows)
        sub = copy.copy(self)
        sub.params = params
        sub._ready = {}
        sub.models = [self.models[i] for i in rows]
        if self.obs_mean is not None and self.obs_std is not None:
            sub.obs_mean = self.obs_mean.index_select(0, index)
            sub.obs_std = self.obs_std.index_select(0, index)
        return sub

    def value(self, obs: Tensor) -> Tensor:
        """``V(obs)`` as ``[K, B]``."""
        x = self._prep(obs)
        h = self._trunk(*self.trunks[0 if self.shared else 1], x)
        return self._linear("value_head", h).squeeze(-1)

    def log_prob_entropy(self, out: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
        """``(log_prob [K, B], entropy [K, B])`` of ``actions`` (the heads' maths of
        :mod:`advrun.networks.heads`, with the agent dim in front)."""
        if self.continuous:
            log_std = self.params["log_std"].unsqueeze(1)  # [K, 1, A]
            log_prob = gaussian_log_prob(out, log_std, actions.to(out.dtype).reshape(out.shape))
            entropy = (log_std + (0.5 + HALF_LOG_2PI)).sum(-1).expand_as(log_prob)
            return log_prob, entropy
        return categorical_log_prob_entropy(out, actions)

    def actions(
        self, out: Tensor, generators: list[torch.Generator], deterministic: bool
    ) -> Tensor:
        """Actions alone, for evaluation: the mode as a single run's
        :meth:`~advrun.networks.ActorCritic.deterministic_action` takes it (the argmax of
        the logits, the Gaussian mean), or :meth:`sample`'s draw."""
        if deterministic:
            return out if self.continuous else out.argmax(dim=-1)
        return self.sample(out, generators)[0]

    def sample(self, out: Tensor, generators: list[torch.Generator]) -> tuple[Tensor, Tensor]:
        """``(action [K, B, ...], log_prob [K, B])``; agent k draws from
        ``generators[k]`` (its own stream), as its single run draws from the global one:
        ``multinomial`` over the probabilities, or ``mu + sigma * eps`` (the greedy
        actions are :meth:`actions`')."""
        if self.continuous:
            log_std = self.params["log_std"].detach().unsqueeze(1)
            const = (log_std + HALF_LOG_2PI).sum(-1)
            eps = torch.stack(
                [
                    torch.randn(out.shape[1:], dtype=out.dtype, device=out.device, generator=g)
                    for g in generators
                ]
            )
            return out + log_std.exp() * eps, -0.5 * eps.square().sum(-1) - const
        log_probs = torch.log_softmax(out, dim=-1)
        probs = log_probs.exp()
        action = _one_draw_each(probs, generators)
        return action, log_probs.gather(-1, action.unsqueeze(-1)).squeeze(-1)


def _one_draw_each(probs: Tensor, generators: list[torch.Generator]) -> Tensor:
    """``torch.multinomial(probs[k], 1, generator=generators[k])`` for every agent k,
    bit for bit: torch draws one sample as ``argmax(p / q)`` with ``q ~ Exp(1)`` from the
    generator (aten's path for a single draw, the exponential race). Only the draws are
    per agent, each from its own stream; the division and the argmax run once for all.
    That also skips ``multinomial``'s per-call checks of the probabilities, which the
    batch does not need: a non-finite observation is caught as an env fault, and a
    non-finite weight as a divergence. On the 2-core CPU (K = 4, 32 envs, 2 actions)
    a step's draw took 36 us against 155 us for the K calls; on an H200 (torch 2.11)
    90 us against 838 us for K = 8, and 9.5 ms against 111 ms for K = 1024.
    ``tests/seeds/fused/test_model.py`` pins the equality against ``torch.multinomial``
    on the CPU and (``-m gpu``) on CUDA."""
    q = torch.empty_like(probs)
    for k, g in enumerate(generators):
        q[k].exponential_(1, generator=g)
    return probs.div(q).argmax(-1)


def clip_per_agent(params: list[Tensor], max_norm: float) -> Tensor:
    """Scale each agent's gradient (slice k of every tensor) to global norm at most
    ``max_norm``, as ``torch.nn.utils.clip_grad_norm_`` does for one model:
    ``g <- g * min(1, max_norm / (||g|| + 1e-6))``. Returns the norms before ``[K]``."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).square().sum(1) for g in grads]).sum(0).sqrt()
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.dim() - 1))))
    return norms
