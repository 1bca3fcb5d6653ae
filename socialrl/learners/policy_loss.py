"""The loss of policy-gradient learners, as pure torch functions of padded rows of samples.

Both REINFORCE and actor-critic ascend the policy-gradient estimate
``Σ_t Â_t ∇_θ log π_θ(a_t | s_t)``; they differ only in the weights ``Â_t`` (returns or
advantages). Their samples arrive as *rows*: one row per network (a single row for a network
shared by the group, one per agent for independent networks), padded to a common width with a
``valid`` mask. Every function here averages within each row over its valid entries and sums
the rows, so that each independent network's gradient is that of its own mean loss — the update
it would make alone.
"""

from __future__ import annotations

import torch

__all__ = ["policy_gradient_loss", "row_means", "standardize_rows"]


def row_means(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Σ over rows of each row's mean over its valid entries: ``x[g, W] → scalar``."""
    count = valid.sum(dim=1).clamp(min=1)
    return ((x * valid).sum(dim=1) / count).sum()


def standardize_rows(x: torch.Tensor, valid: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``(x − mean) / (std + eps)`` within each row's valid entries (0 elsewhere)."""
    count = valid.sum(dim=1, keepdim=True).clamp(min=1)
    mean = (x * valid).sum(dim=1, keepdim=True) / count
    var = (((x - mean) * valid) ** 2).sum(dim=1, keepdim=True) / count
    return (x - mean) / (var.sqrt() + eps) * valid


def policy_gradient_loss(
    logits: torch.Tensor,
    actions: torch.Tensor,
    weights: torch.Tensor,
    valid: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The score-function loss ``−mean Â_t log π(a_t | s_t)`` and the policy's mean entropy.

    Minimizing the loss ascends ``Σ_t Â_t ∇ log π(a_t | s_t)``, the policy-gradient estimate;
    the weights ``Â_t`` are constants (no gradient flows into returns or baselines).

    Args:
        logits: Policy logits ``[g, W, A]`` (g rows: networks; W samples each).
        actions: Actions taken, ``int64[g, W]``.
        weights: ``Â_t``: returns or advantages, ``[g, W]``.
        valid: 1.0 where a sample exists, 0.0 in padding, ``[g, W]``.

    Returns:
        ``(policy_loss, entropy)``, each the sum over rows of the row's mean.

    """
    log_probs = torch.log_softmax(logits, dim=-1)
    taken = log_probs.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
    return row_means(-weights.detach() * taken, valid), row_means(entropy, valid)
