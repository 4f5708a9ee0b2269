"""A time-major circular replay buffer for NEXT_STEP-autoreset rollouts.

It stores, per row ``t`` and env ``e``, exactly what the rollout collector produces
(:mod:`advrun.training.rollout`): ``obs``, ``actions``, ``rewards``, ``terminated``,
``done`` and ``valid``. In gymnasium's NEXT_STEP autoreset mode the observation of row
``t + 1`` is the observation *after* the step of row ``t`` -- the final observation when
row ``t`` ended an episode, in which case row ``t + 1`` is a dummy reset row
(``valid = False``, ``terminated = done = True``). So the transition of row ``t`` is::

    (obs[t], actions[t], rewards[t], obs[t + 1], terminated[t])

and no ``next_obs`` copy is stored. The observation after the newest row is handed to
:meth:`ReplayBuffer.add` as ``next_obs``, which makes every stored row sampleable at once.

Layout: rows carry an absolute index ``a`` (0 for the first row ever added). Transition
fields of row ``a`` live in slot ``a % R`` (``R = capacity // num_envs`` rows);
observations in slot ``a % (R + 1)``, one slot more, so the observation after the newest
row (absolute ``added``) has a home and the observation after every stored row is
always present. Windows are indexed by logical row ``l`` (0 = oldest stored row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = ["ReplayBuffer", "Window", "storage_dtype"]

ACCEPT_MIN: float = 0.25
"""Below this fraction of eligible start positions, :meth:`ReplayBuffer.sample` lists the
eligible positions instead of drawing candidates and rejecting the ineligible ones."""


def storage_dtype(obs_dtype: torch.dtype | np.dtype | type | str) -> torch.dtype:
    """uint8 observations stay uint8 (a quarter of float32's memory; the network casts
    and scales them); everything else is stored as float32 -- as the rollout does."""
    if isinstance(obs_dtype, torch.dtype):
        return torch.uint8 if obs_dtype == torch.uint8 else torch.float32
    return torch.uint8 if np.dtype(obs_dtype) == np.uint8 else torch.float32


@dataclass(frozen=True)
class Window:
    """``B`` sampled n-step windows, time-major like the estimators' inputs.

    ``obs [B, *obs_shape]`` is the observation at the start row ``t``; ``actions [B]`` its
    action; ``rewards``, ``terminated``, ``done`` are rows ``t .. t+n-1`` as ``[n, B]``;
    ``next_obs [n, B, *obs_shape]`` holds the observations after those rows (row
    ``t+k+1`` for ``k = 0 .. n-1``). A done inside the window is followed by a dummy row;
    the n-step estimator stops at the done, so what follows it carries no weight.
    ``index`` (``[B]``) is the start's flat position ``slot * N + env`` in the ``[R * N]``
    view of the transition fields (for priority updates); ``envs`` its env.
    Observations keep the storage dtype (uint8 frames stay uint8).
    """

    obs: Tensor
    actions: Tensor
    rewards: Tensor
    terminated: Tensor
    done: Tensor
    next_obs: Tensor
    index: Tensor
    envs: Tensor

    def minibatch(self, part: slice) -> Window:
        """Windows ``part`` of this draw: the batch is dim 0 of ``obs``, ``actions``,
        ``index`` and ``envs`` and dim 1 of the time-major ``[n, B]`` fields and
        ``next_obs``."""
        return Window(
            obs=self.obs[part],
            actions=self.actions[part],
            rewards=self.rewards[:, part],
            terminated=self.terminated[:, part],
            done=self.done[:, part],
            next_obs=self.next_obs[:, part],
            index=self.index[part],
            envs=self.envs[part],
        )


def _ring_write(storage: Tensor, start: int, values: Tensor) -> None:
    """Write ``values`` (at most ``len(storage)`` rows) from slot ``start``, wrapping once.
    Slice copies: cheaper than an index_put with computed slots."""
    head = min(values.shape[0], storage.shape[0] - start)
    storage[start : start + head] = values[:head]
    if head < values.shape[0]:
        storage[: values.shape[0] - head] = values[head:]


class ReplayBuffer:
    """Circular buffer of ``capacity // num_envs`` rows of ``num_envs`` transitions.

    ``add`` appends ``[T, N]`` segments (the oldest rows are overwritten once full);
    ``sample`` draws uniformly among the start positions ``(t, e)`` with ``valid[t, e]``
    whose ``n`` rows ``t .. t+n-1`` are all stored (a window never runs past the newest
    row and never wraps into overwritten history).
    """

    def __init__(
        self,
        capacity: int,
        num_envs: int,
        obs_shape: Sequence[int],
        obs_dtype: torch.dtype | np.dtype | type | str,
        device: torch.device | str = "cpu",
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if capacity < num_envs:
            raise ValueError(
                f"capacity ({capacity} transitions) must hold at least one row of "
                f"num_envs={num_envs} transitions"
            )
        self.capacity = int(capacity)
        self.num_envs = int(num_envs)
        self.rows = self.capacity // self.num_envs
        self.obs_shape = tuple(int(d) for d in obs_shape)
        self.obs_dtype = storage_dtype(obs_dtype)
        self.device = torch.device(device)
        r, n, dev = self.rows, self.num_envs, self.device
        self.obs = torch.zeros((r + 1, n, *self.obs_shape), dtype=self.obs_dtype, device=dev)
        self.actions = torch.zeros((r, n), dtype=torch.int64, device=dev)
        self.rewards = torch.zeros((r, n), dtype=torch.float32, device=dev)
        self.terminated = torch.zeros((r, n), dtype=torch.bool, device=dev)
        self.done = torch.zeros((r, n), dtype=torch.bool, device=dev)
        self.valid = torch.zeros((r, n), dtype=torch.bool, device=dev)
        self.added = 0  # rows ever added (absolute index of the next row)
        # Valid transitions per slot and in total, kept on the host so that counting the
        # eligible starts costs no tensor op (and no device synchronisation) per sample.
        self._row_valid = np.zeros(r, dtype=np.int64)
        self._valid_count = 0

    # --- sizes ---------------------------------------------------------------------------

    @property
    def stored_rows(self) -> int:
        """Rows currently held (at most ``rows``)."""
        return min(self.added, self.rows)

    def __len__(self) -> int:
        """Sampleable transitions (``n = 1``): the valid entries of the stored rows."""
        return self._valid_count

    def num_sampleable(self, n: int) -> int:
        """Valid start positions whose ``n``-row window is fully stored."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if n > self.stored_rows:
            return 0
        newest = np.arange(self.added - n + 1, self.added) % self.rows
        return self._valid_count - int(self._row_valid[newest].sum())

    @property
    def nbytes(self) -> int:
        """Bytes held by the storage tensors."""
        return sum(t.nbytes for t in self._fields().values())

    def _fields(self) -> dict[str, Tensor]:
        return {
            "obs": self.obs,
            "actions": self.actions,
            "rewards": self.rewards,
            "terminated": self.terminated,
            "done": self.done,
            "valid": self.valid,
        }

    # --- writing -------------------------------------------------------------------------

    def _as(self, x: Any, dtype: torch.dtype, shape: tuple[int, ...], name: str) -> Tensor:
        t = torch.as_tensor(x, device=self.device)
        if tuple(t.shape) != shape:
            raise ValueError(f"{name} must have shape {list(shape)}, got {list(t.shape)}")
        return t.to(dtype)

    def add(
        self,
        obs: Tensor | np.ndarray,
        actions: Tensor | np.ndarray,
        rewards: Tensor | np.ndarray,
        terminated: Tensor | np.ndarray,
        done: Tensor | np.ndarray,
        valid: Tensor | np.ndarray,
        next_obs: Tensor | np.ndarray,
    ) -> None:
        """Append ``T`` rows (``obs [T, N, *obs_shape]``, the rest ``[T, N]``) and the
        observation after the last of them, ``next_obs [N, *obs_shape]``.

        Segments must be consecutive: ``obs[0]`` is the ``next_obs`` of the previous call
        (it overwrites it). When ``T`` exceeds the row capacity only the last rows are kept.
        """
        obs_t = torch.as_tensor(obs, device=self.device)
        if obs_t.dim() < 2:
            raise ValueError(f"obs must be [T, N, *obs_shape], got {list(obs_t.shape)}")
        steps = obs_t.shape[0]
        n = self.num_envs
        obs_t = self._as(obs_t, self.obs_dtype, (steps, n, *self.obs_shape), "obs")
        fields = {
            "actions": self._as(actions, torch.int64, (steps, n), "actions"),
            "rewards": self._as(rewards, torch.float32, (steps, n), "rewards"),
            "terminated": self._as(terminated, torch.bool, (steps, n), "terminated"),
            "done": self._as(done, torch.bool, (steps, n), "done"),
            "valid": self._as(valid, torch.bool, (steps, n), "valid"),
        }
        pending = self._as(next_obs, self.obs_dtype, (n, *self.obs_shape), "next_obs")
        if steps == 0:
            raise ValueError("add needs at least one row")
        skip = max(0, steps - self.rows)  # rows that would be overwritten within this call
        first = self.added + skip
        slots = np.arange(first, self.added + steps) % self.rows
        row_valid = fields["valid"][skip:].sum(dim=1).cpu().numpy()
        self._valid_count += int(row_valid.sum() - self._row_valid[slots].sum())
        self._row_valid[slots] = row_valid
        for name, value in fields.items():
            _ring_write(getattr(self, name), first % self.rows, value[skip:])
        _ring_write(self.obs, first % (self.rows + 1), obs_t[skip:])
        self.added += steps
        self.obs[self.added % (self.rows + 1)] = pending

    # --- sampling ------------------------------------------------------------------------

    def _draw_starts(self, batch_size: int, n: int, generator: torch.Generator) -> Tensor:
        """``batch_size`` i.i.d. uniform eligible starts as logical flat indices
        ``l * N + e`` (``l`` = rows after the oldest stored row)."""
        eligible = self.num_sampleable(n)
        if eligible == 0:
            raise ValueError(
                f"no valid {n}-step window to sample: {self.stored_rows} rows stored, "
                f"{len(self)} valid transitions"
            )
        num_envs, oldest = self.num_envs, self.added - self.stored_rows
        space = (self.stored_rows - n + 1) * num_envs  # candidate starts, eligible or not
        # Logical flat index c = l * N + e sits at (c + oldest * N) % (R * N) in the flat
        # [R * N] view of the transition fields (e < N, so the row wraps exactly).
        shift, ring = oldest * num_envs, self.rows * num_envs
        valid = self.valid.view(-1)
        gdev = generator.device
        if eligible >= ACCEPT_MIN * space:
            # Rejection sampling: accepted uniform candidates are i.i.d. uniform over the
            # eligible set; the first batch_size of them are kept. Draw ~25% more than the
            # expected need so one round almost always suffices.
            picks: list[Tensor] = []
            need = batch_size
            while need > 0:
                draws = need * space // eligible * 5 // 4 + 16
                cand = torch.randint(space, (draws,), generator=generator, device=gdev)
                if cand.device != self.device:
                    cand = cand.to(self.device)
                accepted = cand[valid[(cand + shift) % ring]][:need]
                picks.append(accepted)
                need -= accepted.numel()
            return picks[0] if len(picks) == 1 else torch.cat(picks)
        # Few eligible positions: list them (logical order) and index uniformly.
        logical = (torch.arange(space, device=self.device) + shift) % ring
        flat = valid[logical].nonzero().squeeze(1)
        pick = torch.randint(flat.numel(), (batch_size,), generator=generator, device=gdev)
        return flat[pick.to(self.device)]

    def sample(self, batch_size: int, n: int, generator: torch.Generator) -> Window:
        """Draw ``batch_size`` n-step windows uniformly over the eligible start positions
        (with replacement), reproducibly from ``generator`` (on any device; the window
        is on the buffer's device). Raises ``ValueError`` when none is eligible."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        starts = self._draw_starts(batch_size, n, generator)
        num_envs, oldest = self.num_envs, self.added - self.stored_rows
        # Absolute flat index a * N + e of rows t .. t+n (a = absolute row): the same
        # modular identity as in _draw_starts places it in the flat views of both rings.
        rows = torch.arange(oldest, oldest + n + 1, device=self.device)
        offsets = rows * num_envs
        absolute = starts + offsets.unsqueeze(1)  # [n + 1, B]
        flat = absolute[:n] % (self.rows * num_envs)
        flat_obs = (absolute % ((self.rows + 1) * num_envs)).view(-1)
        obs = self.obs.view(-1, *self.obs_shape).index_select(0, flat_obs)
        obs = obs.view(n + 1, batch_size, *self.obs_shape)
        return Window(
            obs=obs[0],
            actions=self.actions.view(-1)[flat[0]],
            rewards=self.rewards.view(-1)[flat],
            terminated=self.terminated.view(-1)[flat],
            done=self.done.view(-1)[flat],
            next_obs=obs[1:],
            index=flat[0],
            envs=starts % num_envs,
        )

    # --- checkpoints ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The stored rows (storage layout kept, so sampling continues identically),
        the row counter and the shape; tensors, ints and lists only, so the checkpoint
        loads with ``torch.load(weights_only=True)``. Tensors are copied to the CPU."""
        used, used_obs = self.stored_rows, min(self.added + 1, self.rows + 1)
        state: dict[str, Any] = {
            "capacity": self.capacity,
            "num_envs": self.num_envs,
            "obs_shape": list(self.obs_shape),
            "obs_dtype": str(self.obs_dtype).removeprefix("torch."),
            "added": self.added,
        }
        for name, tensor in self._fields().items():
            state[name] = tensor[: used_obs if name == "obs" else used].cpu().clone()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` into a buffer built with the same capacity,
        ``num_envs``, observation shape and dtype (``ValueError`` otherwise)."""
        mine = (self.capacity, self.num_envs, list(self.obs_shape), str(self.obs_dtype))
        theirs = (
            int(state["capacity"]),
            int(state["num_envs"]),
            [int(d) for d in state["obs_shape"]],
            "torch." + str(state["obs_dtype"]),
        )
        if mine != theirs:
            raise ValueError(
                "replay buffer state does not fit this buffer: saved (capacity, num_envs, "
                f"obs_shape, obs_dtype) = {theirs}, this buffer {mine}"
            )
        for name, tensor in self._fields().items():
            tensor.zero_()
            saved = state[name]
            tensor[: saved.shape[0]] = saved.to(self.device)
        self.added = int(state["added"])
        self._row_valid = self.valid.sum(dim=1).cpu().numpy()
        self._valid_count = int(self._row_valid.sum())
