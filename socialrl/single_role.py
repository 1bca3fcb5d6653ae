"""The contract's bookkeeping for a model with one role, written once.

The contract (:mod:`socialrl.contract`) names the role in every call, so that a model with two
roles (buyers and sellers) needs no other contract. Most models have one role — the maze's
walkers, the market's firms, the game's players — and would each repeat the same plumbing:
declare the role, check the name in every call, keep the actions for the next ``step()`` and
the last outcome. :class:`SingleRole` holds that plumbing; a model mixes it in and writes only
what is its own: ``observe``, ``active``, ``step`` and its reporters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import gymnasium as gym
import numpy as np

from socialrl.contract import RoleSpec, RoleStep

__all__ = ["SessionBatch", "SingleRole"]

AgentT = TypeVar("AgentT")


class SingleRole(Generic[AgentT]):
    """A mixin for a :class:`mesa.Model` whose agents all play one role.

    The model calls :meth:`declare_role` in its ``__init__``, reads ``self._actions`` in its
    ``step()`` and writes the step's :class:`~socialrl.contract.RoleStep` to
    ``self._outcome``; its own contract methods start with ``self._check_role(role)``.
    Calls may leave out the role (``model.outcome()``): a one-role model knows which is meant.

    Example::

        class Coins(SingleRole[Coin], mesa.Model):
            def __init__(self, n: int = 10, rng=None):
                super().__init__(rng=rng)
                coins = [Coin(self) for _ in range(n)]
                self.declare_role("flipper", coins, Discrete(2), Discrete(2))
    """

    roles: dict[str, RoleSpec]
    _role: str
    _role_agents: Sequence[AgentT]
    _actions: np.ndarray
    _outcome: RoleStep | None

    def declare_role(
        self,
        name: str,
        agents: Sequence[AgentT],
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
    ) -> None:
        """Declare the role: its agents in batch order (slot ``i`` is ``agents[i]``), its spaces."""
        self._role = name
        self._role_agents = agents
        self._outcome = None
        self.roles = {
            name: RoleSpec(
                name=name,
                n_agents=len(agents),
                observation_space=observation_space,
                action_space=action_space,
            )
        }

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        """Store the actions the next ``step()`` applies (validated by the env adapter)."""
        self._check_role(role)
        self._actions = actions

    def outcome(self, role: str | None = None) -> RoleStep:
        """Outcome of the last step."""
        self._check_role(role)
        if self._outcome is None:
            raise RuntimeError("outcome() is only defined after a step()")
        return self._outcome

    def role_agents(self, role: str | None = None) -> Sequence[AgentT]:
        """The role's Mesa agents in batch order."""
        self._check_role(role)
        return self._role_agents

    def _check_role(self, role: str | None) -> None:
        """Accept the one role's name (or None); a wrong name is a KeyError, as in a dict."""
        if role is not None and role != self._role:
            raise KeyError(f"{type(self).__name__} has one role, {self._role!r}; got role {role!r}")


class SessionBatch(SingleRole[AgentT]):
    """:class:`SingleRole` for a batch of equal sessions (markets, auctions, games).

    The :class:`~socialrl.contract.SessionModel` bookkeeping, written once: agent slot
    ``session · per_session + seat``, which sessions still play, and when each ended. The
    model calls :meth:`init_sessions` in its ``__init__`` and reads ``self._sessions_active``
    in its ``step()``; a compiled loop may update both arrays in place (they are the ones a
    :class:`~socialrl.contract.RepeatedGame` hands over). ``_episode_active`` says which
    sessions are inside an episode (a model with time limits and no autoreset clears it).
    """

    _sessions_active: np.ndarray
    _episode_active: np.ndarray
    ended_at: np.ndarray
    _per_session: int

    def init_sessions(self, n_sessions: int, per_session: int) -> None:
        """Every session playing, none ended (``ended_at`` −1)."""
        self._per_session = int(per_session)
        self._sessions_active = np.ones(n_sessions, dtype=bool)
        self._episode_active = np.ones(n_sessions, dtype=bool)
        self.ended_at = np.full(n_sessions, -1, dtype=np.int64)

    def active(self, role: str | None = None) -> np.ndarray:
        """Agents whose session still plays and who are inside an episode."""
        self._check_role(role)
        return np.repeat(self._sessions_active & self._episode_active, self._per_session)

    def session_ids(self, role: str | None = None) -> np.ndarray:
        """The session of each agent, ``int64[n_agents]``."""
        self._check_role(role)
        sessions = self._sessions_active.shape[0]
        return np.repeat(np.arange(sessions, dtype=np.int64), self._per_session)

    def sessions_active(self) -> np.ndarray:
        """Which sessions still play (have not converged), ``bool[n_sessions]``."""
        return self._sessions_active

    def session_metrics(self) -> dict[str, float]:
        """The ``steps`` table's session columns: share converged, markets still playing."""
        return {
            "converged_share": float((self.ended_at >= 0).mean()),
            "markets_playing": float(self._sessions_active.sum()),
        }

    def end_sessions(self, ended: np.ndarray, period: int) -> None:
        """Stop the flagged sessions (converged after ``period`` periods)."""
        new = ended & self._sessions_active
        self.ended_at[new] = period
        self._sessions_active &= ~new
