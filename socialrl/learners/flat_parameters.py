"""The parameters of a group of small networks as the rows of one buffer.

A gradient step of a small network is mostly framework overhead: Adam and gradient clipping
visit every parameter tensor (six for a two-hidden-layer MLP, six more per extra network),
each visit a few microseconds of dispatch for a few thousand numbers. Laid out as one
``[g, P]`` buffer — row ``k`` holds every parameter of network ``k`` — the whole population
is one tensor: clipping each network's gradient by its own norm is one row-wise norm and one
multiplication, and Adam one fused call (:mod:`socialrl.learners.fast_adam`), whatever the
number of networks and layers.

The module's own ``nn.Parameter`` objects are kept (``state_dict``, ``load_state_dict`` and
checkpoints see no difference) but their data become views of the buffer, so an in-place
update of the buffer *is* an update of the network. Gradients go to a second buffer of the
same layout: written there directly (:mod:`socialrl.learners.dense_backprop`), or moved there
from autograd's ``.grad`` by :meth:`FlatParameters.collect_grads` (one fused copy; ``.grad``
itself stays autograd's, whose layout rules a strided view would break).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["FlatParameters"]


class FlatParameters:
    """The parameters of ``rows`` networks as one ``[rows, P]`` buffer (and their gradients).

    Args:
        params: The parameters, in a fixed order. With ``rows = 1`` any shapes (one network);
            with ``rows = n`` each parameter is stacked over the ``n`` networks, leading
            dimension ``n`` (as in :class:`~socialrl.learners.networks.NetworkPopulation`).
        rows: Networks (rows of the buffer).
        grads: Also keep a gradient buffer (a target network, never differentiated, needs
            none).

    Attributes:
        values: ``[rows, P]``, every parameter of network ``k`` in row ``k``.
        grads: ``[rows, P]`` gradients in the same layout (None without ``grads``).
        params: The parameters, whose data are now views of :attr:`values`.

    """

    def __init__(self, params: Iterable[nn.Parameter], rows: int = 1, grads: bool = True) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("FlatParameters needs at least one parameter, got none")
        if rows < 1:
            raise ValueError(f"rows must be a positive number of networks, got {rows!r}")
        for p in self.params:
            if rows > 1 and (p.dim() == 0 or p.shape[0] != rows):
                raise ValueError(
                    f"a parameter of shape {tuple(p.shape)} is not stacked over {rows} networks"
                )
        first = self.params[0]
        self.rows = rows
        widths = [p.numel() // rows for p in self.params]
        self.offsets = [sum(widths[:i]) for i in range(len(widths) + 1)]
        self.values = torch.empty(rows, self.offsets[-1], dtype=first.dtype, device=first.device)
        self.grads = torch.zeros_like(self.values) if grads else None
        self._index = {id(p): i for i, p in enumerate(self.params)}
        with torch.no_grad():
            for i, p in enumerate(self.params):
                view = self._view(self.values, i)
                view.copy_(p)
                p.data = view
        self._grad_views = [] if self.grads is None else self.views(self.grads)

    def _view(self, buffer: torch.Tensor, i: int) -> torch.Tensor:
        """Parameter ``i``'s slice of ``buffer``, in the parameter's shape."""
        return buffer[:, self.offsets[i] : self.offsets[i + 1]].view(self.params[i].shape)

    def value_of(self, param: torch.Tensor) -> torch.Tensor:
        """The buffer's view of ``param`` (a plain tensor: no autograd history)."""
        return self._view(self.values, self._position(param))

    def grad_of(self, param: torch.Tensor) -> torch.Tensor:
        """The gradient buffer's view of ``param``."""
        if self.grads is None:
            raise ValueError("these FlatParameters keep no gradients (grads=False)")
        return self._view(self.grads, self._position(param))

    def views(self, buffer: torch.Tensor) -> list[torch.Tensor]:
        """Every parameter's view of a ``[rows, P]`` buffer of the same layout.

        In the parameters' order and shapes (e.g. the moments of Adam, for a checkpoint).
        """
        if buffer.shape != self.values.shape:
            raise ValueError(
                f"buffer of shape {tuple(buffer.shape)}, expected {tuple(self.values.shape)}"
            )
        return [self._view(buffer, i) for i in range(len(self.params))]

    def collect_grads(self) -> None:
        """Move autograd's gradients (``.grad``) into :attr:`grads` and clear ``.grad``.

        Call it after ``loss.backward()``; a parameter without a gradient gets zeros. The next
        ``backward`` then starts from no gradient, as after ``zero_grad(set_to_none=True)``.
        """
        if self.grads is None:
            raise ValueError("these FlatParameters keep no gradients (grads=False)")
        targets, sources = [], []
        for view, p in zip(self._grad_views, self.params, strict=True):
            if p.grad is None:
                view.zero_()
            else:
                targets.append(view)
                sources.append(p.grad)
                p.grad = None
        if targets:
            torch._foreach_copy_(targets, sources)

    def _position(self, param: torch.Tensor) -> int:
        try:
            return self._index[id(param)]
        except KeyError:
            raise ValueError("this parameter is not one of the flattened ones") from None
