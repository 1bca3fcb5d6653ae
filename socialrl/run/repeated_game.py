"""Tabular Q-learners playing a batch of repeated games, many periods per compiled call.

Calvano et al.'s sessions last about two million periods. Driven one Python step at a time,
every period costs the fixed overhead of the loop (~50–100 µs: the adapter, the population,
the recorder) however few markets there are, so 1,000 sessions to convergence would take an
hour. When a model *is* a batch of repeated games with a payoff table
(:class:`~socialrl.capabilities.RepeatedGames`) and every one of its agents is driven by
:class:`~socialrl.learners.q_learning.QLearning`, :func:`compiled_sessions` instead runs whole
chunks of periods inside one Numba loop (:mod:`socialrl.run.repeated_game_kernels`; for
duopolies remembering one period, as Calvano et al.'s, a leaner one of the same values:
:mod:`socialrl.run.duopoly_kernels`).

It is the same algorithm, not a second implementation: the loop is built from the compiled
pieces :class:`QLearning` uses and works on the learners' own state through their public
:meth:`~socialrl.learners.q_learning.QLearning.kernel_view`: their Q tables, uniforms drawn
from their own generators in the order ``act`` draws them, ε from their own schedules. A test
runs both paths from one seed and finds every Q value, generator state, step and stability
count identical, and the tables equal up to the order in which reward means are summed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import get_num_threads

from socialrl.capabilities import RepeatedGames
from socialrl.contract import RepeatedGame
from socialrl.learners.q_learning import QKernelView, QLearning
from socialrl.learners.q_learning_kernels import SerialAndParallel
from socialrl.learners.schedules import schedule_values
from socialrl.run import duopoly_kernels
from socialrl.run.duopoly_kernels import DuopolyWork
from socialrl.run.repeated_game_kernels import (
    GameArrays,
    LearnerArrays,
    PlayRules,
    Workspace,
    play_sessions,
    rearrange,
)

__all__ = ["SessionRunner", "compiled_sessions"]

#: Uniforms drawn per compiled call are at most this many (memory: 8 bytes each).
MAX_DRAWS_PER_CALL = 2_000_000
#: Uniforms are drawn in pieces of about this many, small enough to stay in cache while they
#: are rearranged by block.
DRAWS_PER_PIECE = 32_768
#: Sessions played together, period by period (their tables and uniforms stay in cache).
SESSION_BLOCK = 4


def compiled_sessions(
    model: Any, population: Any, *, learn: bool = True, stop_after: int | None = None
) -> SessionRunner | None:
    """A compiled runner for ``model`` and ``population``, or None where it does not apply.

    It applies when the model describes itself as a :class:`RepeatedGame` (deterministic
    payoffs, no episodes), has no other role, and every group of the role is a plain
    :class:`QLearning` updating the played cell (subclasses may change ``act`` or ``learn``,
    and counterfactual learners update every action, so they take the ordinary path).
    """
    roles = model.roles
    if not isinstance(model, RepeatedGames):
        return None
    game = model.repeated_game()
    if game is None or set(roles) != {game.role}:
        return None
    groups = [(lrn, idx) for _n, role, lrn, idx in population.bound_groups if role == game.role]
    if not groups or any(
        type(lrn) is not QLearning or lrn.config.update != "played" for lrn, _ in groups
    ):
        return None
    return SessionRunner(game, groups, roles[game.role].n_agents, learn, stop_after)


class SessionRunner:
    """Plays chunks of periods of a :class:`RepeatedGame` with its Q-learners (see module doc).

    The runner keeps each row's maximum and greedy action between runs, so while it is in use
    it must be the only writer of its learners' Q tables. Learning elsewhere advances the
    learners' step count, which the runner notices; a table edited by hand does not.

    Args:
        game: The model's description of itself (its arrays are updated in place).
        groups: ``(learner, slots or None)`` for each group of the role.
        n_agents: Agents of the role.
        learn: False plays without updating (evaluation).
        stop_after: End a session once all its agents' greedy actions have been stable this
            many periods (None: sessions never end early).

    """

    def __init__(
        self,
        game: RepeatedGame,
        groups: list[tuple[QLearning, np.ndarray | None]],
        n_agents: int,
        learn: bool,
        stop_after: int | None,
    ) -> None:
        self.game, self.learn = game, learn
        self.stop_after = int(stop_after or 0)
        self.learners = [lrn for lrn, _ in groups]
        self.n_agents = n_agents
        self.slots = [np.arange(n_agents) if idx is None else idx for _, idx in groups]
        #: One learner driving the whole role: the kernel works on its arrays directly.
        self.single = len(groups) == 1 and groups[0][1] is None
        views = [lrn.kernel_view() for lrn in self.learners]
        self._stack_agents(views)
        # Tables of one agent each: sessions are independent, so play them in small blocks
        # (their tables and uniforms stay in cache). A shared table: all sessions in lockstep.
        self.own_tables = not any(view.shared for view in views)
        n_sessions = game.history.shape[0]
        self.block = SESSION_BLOCK if self.own_tables else max(1, n_sessions)
        self.last_rewards = np.zeros(n_agents)
        self.chunk = max(1, MAX_DRAWS_PER_CALL // n_agents)
        self._pick_loop(game, views[0].q.shape[1])
        self._steps_seen: list[int] | None = None  # the learners' steps when a run ended
        # Uniforms: drawn in stream order a piece at a time, rearranged by block into memory
        # that is reused every call (fresh arrays of this size would cost page faults).
        self.width = self.block * game.n_players
        self.n_blocks = -(-n_agents // self.width)
        self.piece = max(1, DRAWS_PER_PIECE // n_agents)
        self._piece = np.empty(self.piece * n_agents)
        self._blocks = np.empty(self.chunk * self.n_blocks * self.width)

    def _pick_loop(self, game: RepeatedGame, n_states: int) -> None:
        """The compiled loop for these games, and its scratch arrays.

        Duopolies remembering one period with a table per agent (Calvano et al.'s markets)
        take the leaner loop of :mod:`~socialrl.run.duopoly_kernels`, which gives the same
        values in about half the time; every other game the generic one.
        """
        n_sessions = game.history.shape[0]
        self.kernel: SerialAndParallel[Any]
        self.work: Workspace | DuopolyWork
        if duopoly_kernels.fits(game.n_players, game.memory, self.own_tables):
            self.kernel = duopoly_kernels.play_duopolies
            self.work = DuopolyWork.allocate(n_sessions, self.block, n_states)
        else:
            self.kernel = play_sessions
            n_cached = n_states if self.own_tables else 0
            self.work = Workspace.allocate(n_sessions, self.block, game.n_players, n_cached)

    def _stack_agents(self, views: list[QKernelView]) -> None:
        """Each agent's group, row of the stacked tables, learning rate and discount."""
        n = self.n_agents
        self.agent_group = np.empty(n, dtype=np.int64)
        self.agent_row = np.empty(n, dtype=np.int64)
        self.alpha, self.gamma = np.empty(n), np.empty(n)
        offset = 0
        for g, (view, slots) in enumerate(zip(views, self.slots, strict=True)):
            self.agent_group[slots] = g
            self.agent_row[slots] = view.rows + offset
            self.alpha[slots] = view.alpha
            self.gamma[slots] = view.gamma
            offset += view.q.shape[0]

    def run(self, n_steps: int) -> tuple[int, float]:
        """Play up to ``n_steps`` periods (fewer once every session has ended).

        Returns:
            ``(periods played, sum of all agents' rewards)``.

        """
        played, total = 0, 0.0
        # The rows' maxima and greedy actions stay valid from call to call and from run to
        # run while only this runner writes the tables. A learner that moved on meanwhile
        # (it learned outside the runner) may have changed them: forget them then.
        if [lrn.t for lrn in self.learners] != self._steps_seen:
            self.work.forget_rows()
        while played < n_steps and self.game.active.any():
            steps, reward = self._call(min(self.chunk, n_steps - played))
            played += steps
            total += reward
        self._steps_seen = [lrn.t for lrn in self.learners]
        return played, total

    def _uniforms(self, n: int, views: list[QKernelView]) -> np.ndarray:
        """The next ``n`` periods' uniforms, ``[blocks, periods, agents of the block]``.

        Each learner's generator gives them in stream order, ``[periods, its agents]``, as
        ``act`` draws them. Rearranged, a block reads its own as one contiguous stream; read
        in place, each period would touch a short piece of a long row, a stride the hardware
        does not prefetch. They are drawn a cache-sized piece at a time, so the rearranging
        reads from cache instead of memory. Blocks whose sessions have all ended are skipped
        (nobody reads their uniforms; their generators still advance).
        """
        shape = (self.n_blocks, n, self.width)
        out = self._blocks[: np.prod(shape)].reshape(shape)
        for start in range(0, n, self.piece):
            m = min(self.piece, n - start)
            piece = self._piece[: m * self.n_agents].reshape(m, self.n_agents)
            if self.single:
                views[0].rng.random(out=piece)
            else:
                for view, slots in zip(views, self.slots, strict=True):
                    piece[:, slots] = view.rng.random((m, view.rows.shape[0]))
            rearrange(piece, self.game.active, self.block, out, start)
        return out

    def _agent_arrays(self, views: list[QKernelView], n: int, track: bool) -> LearnerArrays:
        """The role's agents for the kernel: the learner's own arrays, or the groups' stacked."""
        eps = np.stack([schedule_values(view.epsilon, view.t, n) for view in views])
        if self.single:
            view = views[0]
            q, td, stable = view.q, view.td, view.stable if track else _EMPTY
        else:  # gather the groups' arrays into the role's slot order, and back afterwards
            q = np.concatenate([view.q for view in views])
            td = np.empty(self.n_agents)
            stable = np.empty(self.n_agents, dtype=np.int64) if track else _EMPTY
            for view, slots in zip(views, self.slots, strict=True):
                td[slots] = view.td
                if track:
                    stable[slots] = view.stable
        return LearnerArrays(
            q, self.agent_row, self.agent_group, self.alpha, self.gamma, eps, stable, td,
            self.last_rewards,
        )  # fmt: skip

    def _scatter(self, views: list[QKernelView], agents: LearnerArrays, track: bool) -> None:
        """Copy the stacked tables, TD errors and stability counts back to each group."""
        offset = 0
        for view, slots in zip(views, self.slots, strict=True):
            view.q[:] = agents.q[offset : offset + view.q.shape[0]]
            offset += view.q.shape[0]
            view.td[:] = agents.td[slots]
            if track:
                view.stable[:] = agents.stable[slots]

    def _call(self, n: int) -> tuple[int, float]:
        game = self.game
        views = [lrn.kernel_view() for lrn in self.learners]
        t0 = views[0].t
        track = bool(self.stop_after) or any(view.tracking for view in views)
        if track and not all(view.tracking for view in views):
            raise RuntimeError("stability is counted for some learners of the role, not all")
        rng_states = [view.rng.bit_generator.state for view in views]
        u = self._uniforms(n, views)
        agents = self._agent_arrays(views, n, track)
        arrays = GameArrays(game.payoffs, game.history, game.state_weights, game.active,
                            game.ended_at)  # fmt: skip
        rules = PlayRules(self.learn, self.stop_after, t0, self.block, self.own_tables)
        parallel = self.own_tables and get_num_threads() > 1 and game.history.shape[0] > self.block
        steps, total = self.kernel.pick(parallel)(arrays, agents, u, rules, self.work)
        if not self.single:
            self._scatter(views, agents, track)
        if steps < n:  # every session ended early: give back the uniforms nobody used
            for view, state in zip(views, rng_states, strict=True):
                view.rng.bit_generator.state = state
                view.rng.random((steps, view.rows.shape[0]))
        for lrn in self.learners:
            lrn.t += steps
        # Agents of sessions that ended before the last period were idle in it, as in a step.
        ended = (game.ended_at >= 0) & (game.ended_at < t0 + steps)
        idle = np.repeat(ended, game.n_players)
        self.last_rewards[idle] = 0.0
        if self.learn:
            for view, slots in zip(views, self.slots, strict=True):
                view.td[idle[slots]] = np.nan
        game.finish(steps, self.last_rewards)
        return steps, total


_EMPTY = np.zeros(0, dtype=np.int64)
