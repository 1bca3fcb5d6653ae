"""Tabular Q-learners playing a batch of repeated games, many periods per compiled call.

Calvano et al.'s sessions last about two million periods. Driven one Python step at a time,
every period costs the fixed overhead of the loop (~50–100 µs: the adapter, the population,
the recorder) however few markets there are, so 1,000 sessions to convergence would take an
hour. When a model *is* a batch of repeated games with a payoff table
(:class:`~socialrl.contract.RepeatedGame`) and every one of its agents is driven by
:class:`~socialrl.learners.tabular.QLearning`, :func:`compiled_sessions` instead runs whole
chunks of periods inside one Numba loop.

It is the same algorithm, not a second implementation: the loop is built from the compiled
pieces :class:`QLearning` uses (:mod:`socialrl.learners.tabular_kernels`: the row maximum, the
lowest maximising action, uniform tie-breaking, the Bellman update) and reproduces its
ε-greedy choice from one uniform formula for formula; it works on the learners' own Q tables,
with uniforms drawn from the learners' own generators in the order ``act`` draws them, and ε
from the learners' own schedules. A test runs both paths from one seed and finds every Q
value, generator state, step and stability count identical, and the tables equal up to the
order in which reward means are summed.

Order of play, as in a Python step: in each period every agent chooses from the Q tables as
they were, then the agents update in slot order. Agents with a table each never touch another
session's table, so sessions are played in small blocks, each block period by period for a
whole chunk (its tables stay in cache), and an agent can keep its rows' maxima and greedy
actions up to date instead of scanning a row each time; with one Numba thread per core the
blocks run in parallel. A shared table makes the loop go period by period across all
sessions instead.

The loop allocates nothing and is compiled without Numba's runtime
(:func:`~socialrl.learners.tabular_kernels.batch_loop`): its scratch arrays come from the
runner (:class:`_Workspace`). With the runtime, each array handed to an inlined helper was
reference-counted with an atomic increment and decrement per call, which a profile
(``perf``) put at 35% of the loop's time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import get_num_threads, njit, prange

from socialrl.contract import RepeatedGame
from socialrl.learners.schedules import schedule_values
from socialrl.learners.tabular import QLearning
from socialrl.learners.tabular_kernels import (
    _argmax_ties,
    _first_argmax,
    _first_at,
    _max,
    _random_action,
    _td_update_with,
    batch_loop,
)

__all__ = ["SessionRunner", "compiled_sessions", "play_sessions", "play_sessions_parallel"]

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
    :class:`QLearning` (subclasses may change ``act`` or ``learn``, so they take the ordinary
    path).
    """
    describe = getattr(model, "repeated_game", None)
    if describe is None:
        return None
    game = describe()
    if game is None or set(model.roles) != {game.role}:
        return None
    groups = [(lrn, idx) for _n, role, lrn, idx in population.bound_groups if role == game.role]
    if not groups or any(type(lrn) is not QLearning for lrn, _ in groups):
        return None
    return SessionRunner(game, groups, model.roles[game.role].n_agents, learn, stop_after)


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
        self.agent_group = np.empty(n_agents, dtype=np.int64)
        self.agent_row = np.empty(n_agents, dtype=np.int64)
        self.alpha = np.empty(n_agents)
        self.gamma = np.empty(n_agents)
        offset = 0
        for g, (lrn, slots) in enumerate(zip(self.learners, self.slots, strict=True)):
            self.agent_group[slots] = g
            self.agent_row[slots] = lrn._rows + offset  # rows of the stacked Q tables
            self.alpha[slots] = lrn.config.alpha
            self.gamma[slots] = lrn.config.gamma
            offset += lrn.q.shape[0]
        shared = any(lrn.config.shared for lrn in self.learners)
        # Tables of one agent each: sessions are independent, so play them in small blocks
        # (their tables and uniforms stay in cache). A shared table: all sessions in lockstep.
        self.own_tables = not shared
        self.block = SESSION_BLOCK if self.own_tables else max(1, game.history.shape[0])
        self.last_rewards = np.zeros(n_agents)
        self.chunk = max(1, MAX_DRAWS_PER_CALL // n_agents)
        n_cached = self.learners[0].q.shape[1] if self.own_tables else 0
        self.work = _Workspace.allocate(game.history.shape[0], self.block, game.n_players, n_cached)
        self._steps_seen: list[int] | None = None  # the learners' steps when a run ended
        # Uniforms: drawn in stream order a piece at a time, rearranged by block into memory
        # that is reused every call (fresh arrays of this size would cost page faults).
        self.width = self.block * game.n_players
        self.n_blocks = -(-n_agents // self.width)
        self.piece = max(1, DRAWS_PER_PIECE // n_agents)
        self._piece = np.empty(self.piece * n_agents)
        self._blocks = np.empty(self.chunk * self.n_blocks * self.width)

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
            self.work.row_max.fill(np.nan)
            self.work.row_greedy.fill(-1)
        while played < n_steps and self.game.active.any():
            steps, reward = self._call(min(self.chunk, n_steps - played))
            played += steps
            total += reward
        self._steps_seen = [lrn.t for lrn in self.learners]
        return played, total

    def _uniforms(self, n: int) -> np.ndarray:
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
                self.learners[0]._rng.random(out=piece)
            else:
                for lrn, slots in zip(self.learners, self.slots, strict=True):
                    piece[:, slots] = lrn._rng.random((m, lrn.n_agents))
            _rearrange(piece, self.game.active, self.block, out, start)
        return out

    def _call(self, n: int) -> tuple[int, float]:
        game, learners = self.game, self.learners
        t0 = learners[0].t
        track = bool(self.stop_after) or any(lrn._track_stable for lrn in learners)
        if track and not all(lrn._track_stable for lrn in learners):
            raise RuntimeError("stability is counted for some learners of the role, not all")
        rng_states = [lrn._rng.bit_generator.state for lrn in learners]
        eps = np.stack([schedule_values(lrn.config.epsilon, lrn.t, n) for lrn in learners])
        u = self._uniforms(n)
        if self.single:
            lrn = learners[0]
            q, td = lrn.q, lrn._td
            stable = lrn.stable if track else _EMPTY
        else:  # gather the groups' arrays into the role's slot order, and back afterwards
            q = np.concatenate([lrn.q for lrn in learners])
            td = np.empty(self.n_agents)
            stable = np.empty(self.n_agents, dtype=np.int64) if track else _EMPTY
            for lrn, slots in zip(learners, self.slots, strict=True):
                td[slots] = lrn._td
                if track:
                    stable[slots] = lrn.stable
        parallel = self.own_tables and get_num_threads() > 1 and game.history.shape[0] > self.block
        play = play_sessions_parallel if parallel else play_sessions
        steps, total = play(
            game.payoffs,
            game.history,
            game.state_weights,
            game.active,
            game.ended_at,
            q,
            self.agent_row,
            self.agent_group,
            self.alpha,
            self.gamma,
            eps,
            u,
            stable,
            td,
            self.learn,
            self.stop_after,
            t0,
            self.last_rewards,
            self.block,
            self.own_tables,
            self.work,
        )
        if not self.single:
            offset = 0
            for lrn, slots in zip(learners, self.slots, strict=True):
                lrn.q[:] = q[offset : offset + lrn.q.shape[0]]
                offset += lrn.q.shape[0]
                lrn._td[:] = td[slots]
                if track:
                    lrn.stable[:] = stable[slots]
        if steps < n:  # every session ended early: give back the uniforms nobody used
            for lrn, state in zip(learners, rng_states, strict=True):
                lrn._rng.bit_generator.state = state
                lrn._rng.random((steps, lrn.n_agents))
        for lrn in learners:
            lrn.t += steps
        # Agents of sessions that ended before the last period were idle in it, as in a step.
        ended = (game.ended_at >= 0) & (game.ended_at < t0 + steps)
        idle = np.repeat(ended, game.n_players)
        self.last_rewards[idle] = 0.0
        if self.learn:
            for lrn, slots in zip(learners, self.slots, strict=True):
                lrn._td[idle[slots]] = np.nan
        game.finish(steps, self.last_rewards)
        return steps, total


_EMPTY = np.zeros(0, dtype=np.int64)


class _Workspace(NamedTuple):
    """Scratch arrays of the compiled loop, one slice per block (the loop allocates nothing).

    ``obs``, ``acts`` and ``greedy`` are ``[blocks, sessions per block, seats]``: each
    agent's current state, chosen action and greedy action. ``row_max`` and ``row_greedy``
    are ``[blocks, sessions per block, seats, states]``: each row's maximum (NaN: not known)
    and its only maximising action (-1: not known, or tied); states is 0 for shared tables,
    which are not cached. ``played`` and ``totals`` are each block's periods played and
    reward sum.
    """

    obs: np.ndarray
    acts: np.ndarray
    greedy: np.ndarray
    row_max: np.ndarray
    row_greedy: np.ndarray
    played: np.ndarray
    totals: np.ndarray

    @classmethod
    def allocate(cls, n_sessions: int, block: int, n_players: int, n_cached: int) -> _Workspace:
        """Scratch for ``n_sessions`` sessions in blocks of ``block``."""
        n_blocks = -(-n_sessions // block)
        shape = (n_blocks, block, n_players)
        return cls(
            obs=np.zeros(shape, dtype=np.int64),
            acts=np.zeros(shape, dtype=np.int64),
            greedy=np.zeros(shape, dtype=np.int64),
            row_max=np.full((*shape, n_cached), np.nan),
            row_greedy=np.full((*shape, n_cached), -1, dtype=np.int64),
            played=np.zeros(n_blocks, dtype=np.int64),
            totals=np.zeros(n_blocks),
        )


@batch_loop()
def _rearrange(
    u: np.ndarray, active: np.ndarray, block: int, out: np.ndarray, start: int
) -> None:  # pragma: no cover - compiled
    """``out[b, start + t, j] = u[t, b · width + j]`` for each block ``b`` still playing.

    ``width`` is ``out.shape[2]`` (a block's agents); the last block may be partly filled.
    """
    n_agents, width = u.shape[1], out.shape[2]
    for b in range(out.shape[0]):
        playing = False
        for s in range(b * block, min((b + 1) * block, active.shape[0])):
            playing = playing or active[s]
        if not playing:
            continue
        first = b * width
        used = min(width, n_agents - first)
        for t in range(u.shape[0]):
            for j in range(used):
                out[b, start + t, j] = u[t, first + j]


@njit(cache=True, nogil=True, inline="always")
def _observe(
    history: np.ndarray, weights: np.ndarray, s: int, seat: int
) -> int:  # pragma: no cover
    """Seat ``seat``'s state index in session ``s``: ``Σ history[s, lag, j] · w[seat, lag, j]``."""
    obs = 0
    for lag in range(history.shape[1]):
        for j in range(history.shape[2]):
            obs += history[s, lag, j] * weights[seat, lag, j]
    return obs


@njit(cache=True, nogil=True, inline="always")
def _greedy_at(q: np.ndarray, k: int, s: int, best: float) -> tuple[int, bool]:  # pragma: no cover
    """The lowest action of row ``s`` worth ``best`` (its maximum), and whether it is alone."""
    first = _first_at(q, k, s, best)
    ties = 0
    for a in range(first + 1, q.shape[2]):
        ties += q[k, s, a] == best
    return first, ties == 0


@njit(cache=True, nogil=True, inline="always")
def _explore_or(greedy: int, epsilon: float, u: float, n_actions: int) -> int:  # pragma: no cover
    """:func:`_choose` for a row whose maximum is unique: ``greedy`` unless ``u < ε``.

    Both candidates are computed and one selected: whether an agent explores is a coin flip
    that a branch would mispredict about half the time while ε is near ½.
    """
    random_action = _random_action(u, epsilon, n_actions) if epsilon > 0.0 else 0
    return random_action if u < epsilon else greedy


@njit(cache=True, nogil=True, inline="always")
def _choose_and_greedy(
    q: np.ndarray, k: int, s: int, epsilon: float, u: float, best: float
) -> tuple[int, int, bool]:  # pragma: no cover - compiled
    """:func:`_choose`'s action, the greedy action and whether it is unique, given the maximum.

    The action is exactly ``_choose(q, k, s, epsilon, u)`` (same formula for the random
    action, same tie-breaking) and the greedy action exactly ``_first_argmax(q, k, s)``;
    knowing ``best = max_a q[k, s, a]`` spares both a scan.
    """
    first, unique = _greedy_at(q, k, s, best)
    if not unique and u >= epsilon:  # rare: break the tie as _choose does
        return _argmax_ties(q, k, s, (u - epsilon) / (1.0 - epsilon)), first, unique
    return _explore_or(first, epsilon, u, q.shape[2]), first, unique


@njit(cache=True, nogil=True, inline="always")
def _row_max(
    q: np.ndarray, k: int, s: int, cache: np.ndarray, b: int, seat: int
) -> float:  # pragma: no cover - compiled
    """``max_a q[k, s, a]``, from the block's cache when it holds it (see ``_play_block``)."""
    if cache.shape[2] == 0:
        return _max(q, k, s)
    value = cache[b, seat, s]
    if np.isnan(value):
        value = _max(q, k, s)
        cache[b, seat, s] = value
    return value


@njit(cache=True, nogil=True, inline="always")
def _settle(
    q: np.ndarray,
    k: int,
    s: int,
    a: int,
    old: float,
    before: int,
    cache: np.ndarray,
    greedy_cache: np.ndarray,
    b: int,
    seat: int,
) -> int:  # pragma: no cover - compiled
    """The greedy action of row ``s`` after ``q[k, s, a]`` changed from ``old``; keeps the caches.

    ``before`` is the row's lowest maximising action before the change. Only one value moved,
    so the new greedy action and maximum follow from the old ones; a row is scanned (once)
    only when the greedy action's own value fell. A tie makes the row's greedy action
    unknown to the cache (-1), so it is scanned when next chosen from.
    """
    new = q[k, s, a]
    cached = cache.shape[2] > 0
    if a == before:
        if new >= old:  # the maximum rose: still the greedy action
            if cached:
                cache[b, seat, s] = new
            return before
        best = _max(q, k, s)  # the maximum fell: find the new one
        first, unique = _greedy_at(q, k, s, best)
        if cached:
            cache[b, seat, s] = best
            greedy_cache[b, seat, s] = first if unique else -1
        return first
    top = q[k, s, before]
    if new > top:
        if cached:
            cache[b, seat, s] = new
            greedy_cache[b, seat, s] = a
        return a
    if new == top:
        if cached:
            greedy_cache[b, seat, s] = -1
        return min(a, before)
    return before


@njit(cache=True, nogil=True, inline="always")
def _play_block(
    b0: int,
    b1: int,
    block: int,
    payoffs: np.ndarray,
    history: np.ndarray,
    weights: np.ndarray,
    active: np.ndarray,
    ended_at: np.ndarray,
    q: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    eps: np.ndarray,
    u: np.ndarray,
    stable: np.ndarray,
    td: np.ndarray,
    learn: bool,
    stop_after: int,
    t0: int,
    last_rewards: np.ndarray,
    own_tables: bool,
    obs: np.ndarray,
    acts: np.ndarray,
    greedy: np.ndarray,
    row_max: np.ndarray,
    row_greedy: np.ndarray,
) -> tuple[int, float]:  # pragma: no cover - compiled
    """Sessions ``b0 … b1 − 1``, period by period: every agent chooses, then all update.

    ``obs``, ``acts`` and ``greedy`` (``[sessions of the block, seats]``), ``row_max`` and
    ``row_greedy`` are the block's workspace. ``row_max[session, seat, state]`` holds
    ``max_a Q(state, a)`` of the agent's table and ``row_greedy`` its greedy action when that
    is the only maximiser (-1: not known, or tied). Both are filled on first use and kept up
    to date through the agent's own updates (no other agent writes its table), so most
    periods need no scan of a row, and a greedy choice does not read the row at all.
    NaN: not known yet. Shared tables pass an empty last axis and scan every time.
    """
    k, n = history.shape[1], history.shape[2]
    n_steps = eps.shape[1]
    n_actions = q.shape[2]
    track = stable.shape[0] > 0
    cached = row_greedy.shape[2] > 0
    for s in range(b0, b1):  # then each period's update leaves the next observation here
        for seat in range(n):
            obs[s - b0, seat] = _observe(history, weights, s, seat)
    total = 0.0
    played = 0
    for t in range(n_steps):
        playing = False
        for s in range(b0, b1):
            if not active[s]:
                continue
            playing = True
            for seat in range(n):
                i = s * n + seat
                o = obs[s - b0, seat]
                uniform = u[b0 // block, t, i - b0 * n]
                epsilon = eps[groups[i], t]
                g = row_greedy[s - b0, seat, o] if cached else -1
                if g >= 0:
                    a = _explore_or(g, epsilon, uniform, n_actions)
                else:
                    best = _row_max(q, rows[i], o, row_max, s - b0, seat)
                    a, g, unique = _choose_and_greedy(q, rows[i], o, epsilon, uniform, best)
                    if cached and unique:
                        row_greedy[s - b0, seat, o] = g
                acts[s - b0, seat] = a
                greedy[s - b0, seat] = g
        if not playing:
            break
        played = max(played, t + 1)
        for s in range(b0, b1):
            if not active[s]:
                continue
            joint = 0
            scale = 1
            for seat in range(n):
                joint += acts[s - b0, seat] * scale
                scale *= n_actions
            for lag in range(k - 1, 0, -1):
                for j in range(n):
                    history[s, lag, j] = history[s, lag - 1, j]
            for j in range(n):
                history[s, 0, j] = acts[s - b0, j]
            settled = stop_after > 0
            for seat in range(n):
                i = s * n + seat
                reward = payoffs[seat, joint]
                last_rewards[i] = reward
                total += reward
                nxt = _observe(history, weights, s, seat)
                if learn:
                    row, o, a = rows[i], obs[s - b0, seat], acts[s - b0, seat]
                    before = greedy[s - b0, seat] if own_tables else _first_argmax(q, row, o)
                    old = q[row, o, a]
                    next_max = _row_max(q, row, nxt, row_max, s - b0, seat)
                    td[i] = _td_update_with(
                        q, row, o, a, reward, next_max, False, alpha[i], gamma[i]
                    )
                    after = _settle(q, row, o, a, old, before, row_max, row_greedy, s - b0, seat)
                    if track:
                        stable[i] = stable[i] + 1 if after == before else 0
                obs[s - b0, seat] = nxt
                if settled and stable[i] < stop_after:
                    settled = False
            if settled:
                active[s] = False
                ended_at[s] = t0 + t + 1
    return played, total


@batch_loop()
def play_sessions(
    payoffs: np.ndarray,
    history: np.ndarray,
    weights: np.ndarray,
    active: np.ndarray,
    ended_at: np.ndarray,
    q: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    eps: np.ndarray,
    u: np.ndarray,
    stable: np.ndarray,
    td: np.ndarray,
    learn: bool,
    stop_after: int,
    t0: int,
    last_rewards: np.ndarray,
    block: int,
    own_tables: bool,
    work: _Workspace,
) -> tuple[int, float]:  # pragma: no cover - compiled
    """Play ``eps.shape[1]`` periods of every active session; see the module docstring.

    Agent ``i`` (slot ``session · n + seat``) uses row ``rows[i]`` of ``q``, learning rate
    ``alpha[i]``, discount ``gamma[i]``, ε ``eps[groups[i], t]`` and uniform
    ``u[i // (block·n), t, i % (block·n)]`` in period ``t`` (see ``SessionRunner._uniforms``).
    Sessions are played in blocks of ``block``, period by period within a block: every agent
    of the block chooses before any of them updates, as in a Python step. ``work`` holds the
    scratch arrays (see :class:`_Workspace`).

    Returns:
        ``(periods played, total reward)``: fewer periods than asked only when every session
        has ended (the period of the last ending).

    """
    n_blocks = (history.shape[0] + block - 1) // block
    played, totals = work.played, work.totals
    for b in range(n_blocks):
        b0 = b * block
        played[b], totals[b] = _play_block(
            b0, min(b0 + block, history.shape[0]), block,
            payoffs, history, weights, active, ended_at, q, rows, groups, alpha, gamma, eps, u,
            stable, td, learn, stop_after, t0, last_rewards, own_tables,
            work.obs[b], work.acts[b], work.greedy[b], work.row_max[b], work.row_greedy[b],
        )  # fmt: skip
    return _reduce(played, totals)


@batch_loop(parallel=True)
def play_sessions_parallel(
    payoffs: np.ndarray,
    history: np.ndarray,
    weights: np.ndarray,
    active: np.ndarray,
    ended_at: np.ndarray,
    q: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    eps: np.ndarray,
    u: np.ndarray,
    stable: np.ndarray,
    td: np.ndarray,
    learn: bool,
    stop_after: int,
    t0: int,
    last_rewards: np.ndarray,
    block: int,
    own_tables: bool,
    work: _Workspace,
) -> tuple[int, float]:  # pragma: no cover - compiled
    """:func:`play_sessions` with blocks on all cores (only for tables of one agent each)."""
    n_blocks = (history.shape[0] + block - 1) // block
    played, totals = work.played, work.totals
    for b in prange(n_blocks):
        b0 = b * block
        played[b], totals[b] = _play_block(
            b0, min(b0 + block, history.shape[0]), block,
            payoffs, history, weights, active, ended_at, q, rows, groups, alpha, gamma, eps, u,
            stable, td, learn, stop_after, t0, last_rewards, own_tables,
            work.obs[b], work.acts[b], work.greedy[b], work.row_max[b], work.row_greedy[b],
        )  # fmt: skip
    return _reduce(played, totals)


@batch_loop()
def _reduce(played: np.ndarray, totals: np.ndarray) -> tuple[int, float]:  # pragma: no cover
    """Most periods any block played, and the reward total summed in block order."""
    most, total = 0, 0.0
    for b in range(played.shape[0]):
        most = max(most, played[b])
        total += totals[b]
    return most, total
