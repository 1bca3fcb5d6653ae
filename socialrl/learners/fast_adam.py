"""Adam with per-network gradient clipping, as one fused update of a flat parameter buffer.

Why: for the lab's small networks the optimizer is overhead, not arithmetic. On this
project's machine (torch 2.13 CPU, one thread, the DQN's 64 × 64 MLP, 6,000 parameters)
``torch.optim.Adam(fused=True)`` over the network's six tensors took ≈ 100 µs a step and
``clip_grad_norm_`` ≈ 60–135 µs; the same arithmetic on one ``[g, P]`` buffer
(:class:`~socialrl.learners.flat_parameters.FlatParameters`) takes ≈ 12 µs for Adam (one call
of the fused kernel that ``torch.optim.Adam(fused=True)`` itself calls) and ≈ 3 µs for the
clipping. The mathematics are torch's, unchanged (Kingma & Ba 2015, in torch's order)::

    g ← g · min(1, c / (‖g‖ + 10⁻⁶))      per network, c = max_norm (clip_grad_norm_)
    g ← g + λ θ                            weight decay λ (L2, as torch.optim.Adam)
    m ← β₁ m + (1 − β₁) g
    v ← β₂ v + (1 − β₂) g²
    θ ← θ − α (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)

where ``‖g‖`` is the norm of *one network's* whole gradient (a row of the buffer): a stack of
independent networks clips each as if it trained alone.

Usage, for any learner (DQN, actor-critic, a policy-value network)::

    flat = FlatParameters(net.parameters(), rows=1)     # or rows=n for n stacked networks
    adam = FastAdam(flat, AdamSettings(lr=1e-3, max_grad_norm=10.0))
    loss.backward()
    flat.collect_grads()         # autograd's .grad into flat.grads; or write the gradients
    adam.step()                  # there by hand (socialrl.learners.dense_backprop)

or, without the class, ``fast_adam_step(flat.values, flat.grads, AdamMoments.zeros_like(
flat.values), lr=1e-3, max_norm=10.0)``. ``FastAdam.state_dict`` writes the moments in the
keys of :func:`~socialrl.learners.networks.optimizer_state` (``optim.<i>.exp_avg``, …), so
checkpoints of ``torch.optim.Adam`` and of this class load into each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from socialrl.learners.flat_parameters import FlatParameters

__all__ = ["AdamMoments", "AdamSettings", "FastAdam", "clip_rows_", "fast_adam_step"]

#: Added to the norm before dividing, as ``torch.nn.utils.clip_grad_norm_`` does.
_CLIP_EPS = 1e-6


@dataclass(frozen=True)
class AdamSettings:
    """Adam's hyperparameters (torch's defaults) and the clipping norm.

    Attributes:
        lr: Learning rate α (> 0).
        betas: Decay rates (β₁, β₂) of the moments, each in [0, 1).
        eps: ε added to the root of the second moment (≥ 0).
        weight_decay: λ of the L2 penalty added to the gradient (≥ 0; AlphaZero's c‖θ‖²).
        max_grad_norm: Clip each network's gradient to this norm (None: off).

    """

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    max_grad_norm: float | None = None

    def __post_init__(self) -> None:
        checks = {
            "lr": (self.lr, self.lr > 0),
            "betas": (self.betas, all(0.0 <= b < 1.0 for b in self.betas)),
            "eps": (self.eps, self.eps >= 0),
            "weight_decay": (self.weight_decay, self.weight_decay >= 0),
            "max_grad_norm": (
                self.max_grad_norm,
                self.max_grad_norm is None or self.max_grad_norm > 0,
            ),
        }
        for name, (value, ok) in checks.items():
            if not ok:
                raise ValueError(f"Adam {name} is out of range: {value!r}")


@dataclass
class AdamMoments:
    """Adam's state for a ``[g, P]`` buffer: first and second moments and the step count ``t``.

    ``step`` is a float32 scalar tensor, as in ``torch.optim.Adam``'s state.
    """

    exp_avg: torch.Tensor
    exp_avg_sq: torch.Tensor
    step: torch.Tensor

    @classmethod
    def zeros_like(cls, values: torch.Tensor) -> AdamMoments:
        """Fresh moments (t = 0) for parameters ``values``."""
        return cls(
            torch.zeros_like(values),
            torch.zeros_like(values),
            torch.zeros((), dtype=torch.float32, device=values.device),
        )


def clip_rows_(grads: torch.Tensor, max_norm: float) -> None:
    """Scale each row of ``grads`` ``[g, P]`` in place to a norm of at most ``max_norm``.

    Row by row the factor of ``torch.nn.utils.clip_grad_norm_``, ``min(1, c / (‖g‖ + 10⁻⁶))``.
    One network on the CPU reads its norm as a number (no device to wait for) and skips the
    multiplication when the factor is 1, the common case.
    """
    if grads.shape[0] == 1 and grads.device.type == "cpu":
        coef = max_norm / (float(torch.linalg.vector_norm(grads)) + _CLIP_EPS)
        if coef < 1.0:
            grads.mul_(coef)
        return
    norms = torch.linalg.vector_norm(grads, dim=1, keepdim=True)
    grads.mul_((max_norm / norms.add_(_CLIP_EPS)).clamp_(max=1.0))


def fast_adam_step(
    params: torch.Tensor,
    grads: torch.Tensor,
    state: AdamMoments,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    max_norm: float | None = None,
) -> None:
    """One Adam step of ``params`` ``[g, P]`` on ``grads`` (clipped per row first), in place.

    ``grads`` is modified (clipped); ``state`` advances by one step. See the module docstring
    for the equations and a usage example.
    """
    if not lr > 0 or (max_norm is not None and not max_norm > 0):
        raise ValueError(f"Adam needs lr > 0 and max_norm > 0 or None, got {lr!r}, {max_norm!r}")
    if max_norm is not None:
        clip_rows_(grads, max_norm)
    state.step.add_(1)
    torch._fused_adam_(
        [params],
        [grads],
        [state.exp_avg],
        [state.exp_avg_sq],
        [],
        [state.step],
        lr=lr,
        beta1=betas[0],
        beta2=betas[1],
        weight_decay=weight_decay,
        eps=eps,
        amsgrad=False,
        maximize=False,
    )


class FastAdam:
    """Adam (with clipping) over :class:`FlatParameters`: the optimizer of a learner.

    Args:
        flat: The flattened parameters (with gradients).
        settings: Hyperparameters.

    """

    def __init__(self, flat: FlatParameters, settings: AdamSettings) -> None:
        if flat.grads is None:
            raise ValueError("FastAdam needs FlatParameters that keep gradients (grads=True)")
        self.flat, self.settings = flat, settings
        self.grads: torch.Tensor = flat.grads
        self.moments = AdamMoments.zeros_like(flat.values)

    def step(self) -> None:
        """Clip each network's gradient, then one Adam step of every parameter."""
        s = self.settings
        fast_adam_step(
            self.flat.values,
            self.grads,
            self.moments,
            lr=s.lr,
            betas=s.betas,
            eps=s.eps,
            weight_decay=s.weight_decay,
            max_norm=s.max_grad_norm,
        )

    @property
    def steps(self) -> int:
        """Steps taken (Adam's t)."""
        return int(self.moments.step)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Moments and step per parameter, keyed ``optim.<index>.<name>``.

        The keys and shapes of :func:`~socialrl.learners.networks.optimizer_state`; nothing
        before the first step.
        """
        if self.steps == 0:
            return {}
        m, flat = self.moments, self.flat
        out: dict[str, np.ndarray] = {}
        for name, buffer in (("exp_avg", m.exp_avg), ("exp_avg_sq", m.exp_avg_sq)):
            for i, view in enumerate(flat.views(buffer)):
                out[f"optim.{i}.{name}"] = view.detach().cpu().numpy().copy()
        for i in range(len(flat.params)):
            out[f"optim.{i}.step"] = m.step.cpu().numpy().copy()
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` (no ``optim.*`` keys: an optimizer that never stepped)."""
        fresh = AdamMoments.zeros_like(self.flat.values)
        if not any(key.startswith("optim.") for key in state):
            self.moments = fresh
            return
        for name, buffer in (("exp_avg", fresh.exp_avg), ("exp_avg_sq", fresh.exp_avg_sq)):
            for i, view in enumerate(self.flat.views(buffer)):
                key = f"optim.{i}.{name}"
                if key not in state:
                    raise ValueError(f"checkpoint has no {key}")
                value = torch.as_tensor(np.array(state[key]), device=view.device)
                if value.shape != view.shape:
                    raise ValueError(
                        f"checkpoint {key} has shape {tuple(value.shape)}, expected "
                        f"{tuple(view.shape)}"
                    )
                view.copy_(value)
        fresh.step.fill_(float(np.asarray(state["optim.0.step"])))
        self.moments = fresh
