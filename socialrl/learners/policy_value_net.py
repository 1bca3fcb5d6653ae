"""AlphaZero's policy-value network: one trunk, a move distribution and a value per player.

Silver et al. (2017, 2018) train one network ``f_θ(s) = (p, v)``: ``p`` the prior over moves
that guides the tree search, ``v`` the expected outcome. Its loss is the equation of the
paper,

    l = (z − v)² − πᵀ log p + c ‖θ‖²,

with ``π`` the search's visit distribution and ``z`` the game's outcome. Two generalisations
let the same network serve the lab's social games:

- **values per player**: ``v`` has one component per player, ordered from the player to move
  (``v[0]`` is the mover's payoff, ``v[1]`` the next player's, …). For a zero-sum board the
  target is ``(z, −z)``; for bargaining, where both can gain, the two discounted shares. Each
  component goes through ``tanh``: every payoff of the lab's games lies in [−1, 1].
- **legal moves**: illegal moves get no probability (their logits are masked before the
  softmax), so ``π`` and ``p`` live on the same support.

The ``c ‖θ‖²`` term is the optimiser's weight decay.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from socialrl.learners.networks import mlp

__all__ = ["PolicyValueNet", "masked_log_softmax", "policy_value_loss"]

#: Logit of an illegal move: −∞ would turn 0 · log 0 into NaN in the cross-entropy.
ILLEGAL = -1e9


class PolicyValueNet(nn.Module):
    """An MLP trunk with a policy head (logits over moves) and a value head (per player).

    Args:
        n_features: Length of the position's feature vector (``rules.features``).
        n_actions: Moves of the game.
        n_players: Players (components of the value).
        hidden: Widths of the trunk's layers.

    """

    def __init__(
        self, n_features: int, n_actions: int, n_players: int, hidden: Sequence[int] = (128, 128)
    ) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("hidden must name at least one layer width")
        self.trunk = nn.Sequential(mlp(n_features, hidden[-1], hidden[:-1]), nn.ReLU())
        self.policy = nn.Linear(hidden[-1], n_actions)
        self.value = nn.Linear(hidden[-1], n_players)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits [n, A], values [n, P])`` for feature rows ``x``."""
        h = self.trunk(x)
        return self.policy(h), torch.tanh(self.value(h))


def masked_log_softmax(logits: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
    """``log p`` over the legal moves only (illegal moves: a log-probability of about −10⁹)."""
    return torch.log_softmax(logits.masked_fill(~legal, ILLEGAL), dim=-1)


def policy_value_loss(
    logits: torch.Tensor,
    values: torch.Tensor,
    legal: torch.Tensor,
    target_policy: torch.Tensor,
    target_values: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(−πᵀ log p, (z − v)²)``, each averaged over the batch (the paper's loss, split).

    The value error sums the players' components, so a two-player zero-sum target
    ``(z, −z)`` counts the outcome twice, as a symmetric network would.
    """
    log_p = masked_log_softmax(logits, legal)
    cross_entropy = -(target_policy * log_p).sum(dim=-1).mean()
    squared = (target_values - values).pow(2).sum(dim=-1).mean()
    return cross_entropy, squared
