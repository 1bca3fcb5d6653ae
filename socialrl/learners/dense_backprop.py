"""Forward and backward passes of small ReLU networks, written out, for g networks at once.

Why: for the lab's small networks autograd's bookkeeping costs more than the arithmetic. One
DQN gradient step of the 64 × 64 MLP at batch 32 spent ≈ 200–420 µs in ``backward`` for six
small matrix products (torch 2.13 CPU, one thread); written out, the same products take
≈ 35 µs. The gradient of an affine layer with a ReLU is the chain rule in three lines::

    forward     y = x W + b,   a = max(y, 0)          (no ReLU on an output layer: a = y)
    backward    ∂L/∂y = ∂L/∂a · 1[a > 0]
                ∂L/∂W = xᵀ ∂L/∂y,   ∂L/∂b = Σ_batch ∂L/∂y,   ∂L/∂x = ∂L/∂y Wᵀ

The alternatives, measured on the same step: ``torch.func`` (``grad`` of a
``functional_call``) took twice autograd's time; ``torch.compile`` took 25 s to compile and
the compiled step was slower than the eager one (≈ 740 against ≈ 600 µs).

A one-hot input (a ``Discrete`` state) may be given by its positions instead — an integer
tensor ``s`` with the shape of ``x`` less its last axis. A one-hot row picks one row of ``W``,
so the first layer is a lookup, ``y = W[s] + b`` (:func:`lookup`), and its gradient the rows
``∂L/∂y`` added into the rows they came from (:func:`_write_lookup_grad`): the same numbers
as the product with the one-hot matrix, without its ``in × out`` multiply-adds per sample.

Every tensor carries a leading *network* dimension ``g``: 1 for one (shared) network, ``n``
for ``n`` independent networks whose products are batched ones (``torch.bmm``) — the same
code trains one network or a population. Layers are views of
:class:`~socialrl.learners.flat_parameters.FlatParameters`, so the gradients land where
:class:`~socialrl.learners.fast_adam.FastAdam` reads them, and :func:`backward` *writes*
them (it does not accumulate: no zeroing needed).

Usage — a DQN (an MLP, the loss's gradient with respect to its output)::

    layers = population.dense_layers(flat)          # NetworkPopulation of plain MLPs
    acts = forward(layers, x)                       # x [g, B, in]; acts[-1] = Q [g, B, A]
    backward(layers, acts, d_q)                     # d_q = ∂L/∂Q, [g, B, A]
    adam.step()

A policy-value network (AlphaZero: a ReLU trunk, a softmax policy head with cross-entropy
``−πᵀ log p`` and a tanh value head with squared error ``(z − v)²``, mean over a batch of B)::

    trunk = [Dense.from_linear(l.weight, l.bias, flat, relu=True) for l in trunk_linears]
    policy = [Dense.from_linear(net.policy.weight, net.policy.bias, flat, relu=False)]
    value = [Dense.from_linear(net.value.weight, net.value.bias, flat, relu=False)]
    h = forward(trunk, x)                           # x [1, B, features]
    logits = forward(policy, h[-1])[-1]
    v = torch.tanh(forward(value, h[-1])[-1])
    d_logits = (torch.softmax(logits, -1) - pi) / B          # ∂/∂logits of −πᵀ log p
    d_value = 2 * (v - z) * (1 - v * v) / B                  # ∂/∂(pre-tanh) of (z − v)²
    d_h = backward(policy, [h[-1], logits], d_logits, input_grad=True)
    d_h = d_h + backward(value, [h[-1], v], d_value, input_grad=True)
    backward(trunk, h, d_h)
    adam.step()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from socialrl.learners.flat_parameters import FlatParameters

__all__ = ["Dense", "affine", "backward", "forward", "lookup"]

#: ``∂L/∂y = ∂L/∂a · 1[a > 0]`` for ``a = max(y, 0)``, the kernel autograd's ReLU uses.
_RELU_BACKWARD = torch.ops.aten.threshold_backward.default


@dataclass(frozen=True)
class Dense:
    """One affine layer of ``g`` networks, ``y = x W + b`` (then a ReLU if ``relu``).

    Attributes:
        weight: ``[g, in, out]``.
        bias: ``[g, 1, out]``.
        grad_weight: Where ``∂L/∂W`` goes, same shape (None: a layer that is not trained).
        grad_bias: Where ``∂L/∂b`` goes.
        relu: Whether a ReLU follows.
        weight_t: ``Wᵀ`` ``[g, out, in]`` (derived: a view, for the backward pass).
        grad_weight_t: ``(∂L/∂W)ᵀ`` where that view is contiguous (an ``nn.Linear`` weight,
            stored ``[out, in]``), else None (derived).
        single: ``(W [in, out], b [1, out])`` of a layer of one network (g = 1), for inputs
            without the network dimension; else None (derived).

    """

    weight: torch.Tensor
    bias: torch.Tensor
    grad_weight: torch.Tensor | None
    grad_bias: torch.Tensor | None
    relu: bool
    weight_t: torch.Tensor = field(init=False, repr=False)
    grad_weight_t: torch.Tensor | None = field(init=False, repr=False)
    single: tuple[torch.Tensor, torch.Tensor] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_t", self.weight.mT)
        one = self.weight.shape[0] == 1
        object.__setattr__(self, "single", (self.weight[0], self.bias[0]) if one else None)
        g = self.grad_weight
        transposed = g.mT if g is not None and g.mT.is_contiguous() else None
        object.__setattr__(self, "grad_weight_t", transposed)

    @classmethod
    def from_linear(
        cls, weight: torch.Tensor, bias: torch.Tensor, flat: FlatParameters, relu: bool
    ) -> Dense:
        """A layer of one network from ``nn.Linear`` parameters (weight ``[out, in]``)."""

        def oriented(t: torch.Tensor) -> torch.Tensor:
            return t.t().unsqueeze(0)

        grads = flat.grads is not None
        return cls(
            oriented(flat.value_of(weight)),
            flat.value_of(bias).view(1, 1, -1),
            oriented(flat.grad_of(weight)) if grads else None,
            flat.grad_of(bias).view(1, 1, -1) if grads else None,
            relu,
        )

    @classmethod
    def from_stacked(
        cls, weight: torch.Tensor, bias: torch.Tensor, flat: FlatParameters, relu: bool
    ) -> Dense:
        """A layer of ``n`` networks from stacked parameters ``[n, in, out]``, ``[n, 1, out]``."""
        grads = flat.grads is not None
        return cls(
            flat.value_of(weight),
            flat.value_of(bias),
            flat.grad_of(weight) if grads else None,
            flat.grad_of(bias) if grads else None,
            relu,
        )


def _narrow(g: int, rows: int, cols: int) -> bool:
    """Whether a batched product with a ``[g, rows, cols]`` result runs faster transposed.

    The CPU's batched products are slow when the result has few columns: for 64 networks, a
    DQN's output layer ``[32 × 64] @ [64 × 4]`` took ≈ 130 µs and its transpose
    ``[4 × 64] @ [64 × 32]`` ≈ 29 µs (torch 2.13, MKL, one thread); for one network, or few
    rows, the plain product was as fast or faster.
    """
    return g > 1 and cols < 16 <= rows


def affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x W + b`` for ``g`` networks: ``[g, B, in] @ [g, in, out] + [g, 1, out]``.

    Computed as ``(Wᵀ xᵀ + bᵀ)ᵀ`` where that is faster (:func:`_narrow`); the result is then a
    transposed view, which every later operation reads as it is.
    """
    if _narrow(x.shape[0], x.shape[1], weight.shape[2]):
        return torch.baddbmm(bias.mT, weight.mT, x.mT).mT
    return torch.baddbmm(bias, x, weight)


def lookup(index: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x W + b`` for one-hot rows ``x`` given by their positions: ``W[s] + b``, no product.

    ``index`` ``[g, B]`` (integers in ``[0, in)``), ``weight`` ``[g, in, out]``, ``bias``
    ``[g, 1, out]`` → ``[g, B, out]``; one network (g = 1) also takes ``index`` ``[B]`` →
    ``[B, out]``. Why: for the 64 stacked DQN networks of the maze (27 states, 64 units) the
    one-hot product was 7 of the forward pass's 25 MFLOP; picking rows copies 64 numbers per
    sample. Differentiable (autograd sees an index and an add). For one network, or one
    sample per network, the product is as fast (its cost is the call, not the arithmetic).
    """
    g = weight.shape[0]
    if g == 1 and index.shape[:-1] in ((), (1,)):  # [B] → [B, out], [1, B] → [1, B, out]
        rows = weight[0].index_select(0, index.reshape(-1))  # contiguous, as later layers want
        return rows.add_(bias[0]) if index.dim() == 1 else rows.unsqueeze(0).add_(bias)
    if index.dim() != 2 or index.shape[0] != g:
        raise ValueError(
            f"index must be [{g}, B] (or [B] for one network), got {tuple(index.shape)}"
        )
    n_in, n_out = weight.shape[1], weight.shape[2]
    rows = weight.reshape(g * n_in, n_out).index_select(0, _stacked_rows(index, n_in))
    return rows.view(g, -1, n_out).add_(bias)  # in place: an index's gradient needs no output


def _stacked_rows(index: torch.Tensor, n_in: int) -> torch.Tensor:
    """Positions ``index`` ``[g, B]`` as rows of the ``g`` weights stacked ``[g · in, out]``.

    Network k's rows start at ``k · in``. One ``index_select`` of rows (a copy of each) is
    ≈ 3× faster than indexing ``W[k, s]`` by two index tensors, element by element (torch 2.13
    CPU: 64 networks, batch 32, 27 → 64: ≈ 30 against ≈ 110 µs; the one-hot product ≈ 97 µs).
    """
    g = index.shape[0]
    starts = torch.arange(0, g * n_in, n_in, device=index.device)
    return (index + starts.unsqueeze(1)).reshape(-1)


def forward(layers: Sequence[Dense], x: torch.Tensor) -> list[torch.Tensor]:
    """Evaluate the layers on ``x`` ``[g, B, in]``; every activation ``[x, a₁, …, a_L]``.

    :func:`backward` needs them all; the output is the last. One network (g = 1) also takes
    ``x`` ``[B, in]`` (acting: no activations kept for a backward pass, two reshapes fewer).
    One-hot inputs may come as their positions (integers ``[g, B]`` or ``[B]``: the first
    layer is then a :func:`lookup`).
    """
    acts = [x]
    for layer in layers:
        if not acts[-1].is_floating_point():
            y = lookup(acts[-1], layer.weight, layer.bias)
        elif acts[-1].dim() == 2 and layer.single is not None:
            y = torch.addmm(layer.single[1], acts[-1], layer.single[0])
        else:
            y = affine(acts[-1], layer.weight, layer.bias)
        acts.append(torch.relu_(y) if layer.relu else y)
    return acts


def backward(
    layers: Sequence[Dense],
    acts: Sequence[torch.Tensor],
    d_out: torch.Tensor,
    input_grad: bool = False,
) -> torch.Tensor | None:
    """Write ``∂L/∂W`` and ``∂L/∂b`` of every layer, given ``∂L/∂(output)`` ``d_out``.

    Args:
        layers: The layers :func:`forward` ran.
        acts: Its activations.
        d_out: ``∂L/∂a_L`` ``[g, B, out]`` (the loss's gradient with respect to the output).
        input_grad: Also return ``∂L/∂x`` (to continue into a trunk below these layers).

    Returns:
        ``∂L/∂x`` with ``input_grad``, else None.

    """
    d = d_out
    for k in range(len(layers) - 1, -1, -1):
        layer = layers[k]
        if layer.relu:
            d = _RELU_BACKWARD(d, acts[k + 1], 0.0)  # d · 1[a > 0]
        if layer.grad_weight is not None and layer.grad_bias is not None:
            if acts[k].is_floating_point():
                _write_weight_grad(layer, acts[k], d)
            else:
                _write_lookup_grad(layer, acts[k], d)
            torch.sum(d, dim=1, keepdim=True, out=layer.grad_bias)
        if k > 0 or input_grad:
            if not acts[k].is_floating_point():
                raise ValueError("input_grad: an input given by its one-hot positions has none")
            d = torch.bmm(d, layer.weight_t)
    return d if input_grad else None


def _write_weight_grad(layer: Dense, x: torch.Tensor, d: torch.Tensor) -> None:
    """``∂L/∂W = xᵀ d`` (batched), straight into the gradient buffer where its layout allows."""
    out = layer.grad_weight
    assert out is not None
    if layer.grad_weight_t is not None:  # an nn.Linear weight, stored [out, in]: dᵀ x
        torch.bmm(d.mT, x, out=layer.grad_weight_t)
    elif _narrow(*out.shape):  # few output columns: (dᵀ x)ᵀ
        out.mT.copy_(torch.bmm(d.mT, x))
    elif out.is_contiguous():
        torch.bmm(x.mT, d, out=out)
    else:  # a row of a stacked buffer
        out.copy_(torch.bmm(x.mT, d))


def _write_lookup_grad(layer: Dense, index: torch.Tensor, d: torch.Tensor) -> None:
    """``∂L/∂W = xᵀ d`` for one-hot ``x`` given by its positions ``index`` ``[g, B]``.

    Each sample's ``∂L/∂y`` is added into the row of ``W`` it picked, every other row is zero
    (a scatter-add: 64 networks, batch 32, 27 → 64 in ≈ 60 µs, the one-hot product ≈ 120 µs).
    One ``nn.Linear`` weight, stored ``[out, in]``, takes them as columns in place; ``g``
    stacked networks in one ``[g · in, out]`` buffer, then copied to their (strided) rows of
    the flat gradient buffer.
    """
    out = layer.grad_weight
    assert out is not None
    if layer.grad_weight_t is not None and out.shape[0] == 1:
        layer.grad_weight_t[0].zero_().index_add_(1, index.reshape(-1), d[0].mT)
        return
    g, n_in, n_out = out.shape
    summed = d.new_zeros(g * n_in, n_out)
    summed.index_add_(0, _stacked_rows(index, n_in), d.reshape(-1, n_out))
    out.copy_(summed.view(g, n_in, n_out))
