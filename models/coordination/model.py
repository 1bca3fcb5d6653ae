"""Coordination games: a population of players meeting partners on a grid, a network or at random.

Description:
    ``N`` players play a two-player game (:mod:`socialrl_models.coordination.games`: pure
    coordination,
    stag hunt, battle of the sexes, hawk–dove, prisoner's dilemma, Nowak & May's spatial
    dilemma, Claus & Boutilier's climbing game, or any matrix) again and again with partners
    drawn from a social structure, one typed object
    (:mod:`socialrl_models.coordination.structures`):

    * ``Grid(width, height, neighbourhood)``: a ``height × width`` torus
      (``mesa.discrete_space`` ``OrthogonalVonNeumannGrid`` or ``OrthogonalMooreGrid``);
    * ``Network(graph, n_players, degree, rewire)``: the nodes of a graph
      (``mesa.discrete_space.Network``): small world, scale free, random, regular, ring,
      complete, fixed pairs, or a graph you give;
    * ``WellMixed(n_players)``: no structure; everyone is paired with a random partner
      every step.

    On a grid or network a player either plays its action against *every* neighbour
    (``interaction="neighbours"``, Nowak & May's setting; the payoff is the mean — or the
    sum — over those games) or against *one* neighbour drawn afresh each step
    (``interaction="random_neighbour"``); the interaction is part of the structure. Players
    who learn form the role ``player``; the others follow a revision rule the model runs
    (``rules=``: imitate-the-best, noisy best response;
    :mod:`socialrl_models.coordination.revision`). Fixed repeated-game strategies
    (tit-for-tat, win-stay-lose-shift, always-X) are learner-protocol policies placed in the
    population (:mod:`socialrl_models.coordination.strategies`).

Action Space:
    ``Discrete(A)`` per player: the game's actions (``model.game.actions`` names them).

Observation Space:
    ``observation="none"``: ``Discrete(1)`` (stateless). ``"memory1"``: ``Discrete(A² + 1)``,
    own and partner's last action, plus a start state. ``"shares"``: ``Discrete((L + 1)^(A−1)
    + 1)``, the neighbours' last action shares rounded to ``L`` levels, plus a start state
    (:mod:`socialrl_models.coordination.observations`).

Rewards:
    The player's payoff of the step: the mean (``aggregate="sum"``: the sum) of its games'
    payoffs against its neighbours, or the payoff of its one game. In asymmetric games a
    player's *side* (a checkerboard on grids, ``index mod 2`` elsewhere) says whether it holds
    the row or the column role.

Episode End:
    A repeated game has no terminal state: never terminated. With ``max_episode_steps`` every
    learner's episode is truncated after that many steps (its memory restarts at the start
    state; the population's actions carry on). Without it the game is one endless episode.

Arguments:
    See :class:`CoordinationModel`.

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np

from socialrl.contract import RoleStep
from socialrl.single_role import SingleRole

from . import checks, kernels
from .agents import Player
from .games import Game, get_game, reference_payoff
from .metrics import ConventionTracker, assortativity
from .observations import (
    encode_memory,
    encode_shares,
    memory_start,
    observation_space,
    shares_start,
)
from .revision import LEARNER, assign_rules, parse_rules, revise
from .structures import Structure, as_structure

__all__ = ["CoordinationModel"]

ROLE = "player"


class CoordinationModel(SingleRole[Player], mesa.Model):
    """Players repeatedly playing a game with partners from a social structure (role ``player``).

    Args:
        game: A zoo name (``"coordination"``, ``"stag_hunt"``, ``"battle_of_the_sexes"``,
            ``"hawk_dove"``/``"chicken"``, ``"prisoners_dilemma"``, ``"spatial_pd"``,
            ``"climbing"``), a payoff matrix ``[A, A]`` (symmetric) or ``[A, A, 2]``, or a
            :class:`~socialrl_models.coordination.games.Game`.
        game_params: Parameters of a zoo game, e.g. ``{"b": 1.8}`` for ``"spatial_pd"``.
        structure: Who meets whom, with its own parameters and interaction: a
            :class:`~socialrl_models.coordination.structures.Grid` (default: 10 × 10, von
            Neumann, every neighbour), ``Network`` or ``WellMixed``; a table with a ``kind``
            (``{"kind": "network", "graph": "pairs", "n_players": 40}``, as study files write
            it); or a kind's name for its defaults. A grid has ``width × height`` players, a
            given graph its nodes.
        aggregate: ``"mean"`` or ``"sum"`` of the payoffs against the neighbours.
        self_interaction: Also play against oneself (Nowak & May 1992; neighbours only).
        observation: ``"none"``, ``"memory1"`` or ``"shares"`` (see the module docstring).
        share_levels: ``L`` of the shares observation (default: the degree on regular
            structures, so shares are exact counts, else 10).
        rules: Players that do not learn but revise by a rule: ``"imitate_best"``,
            ``"best_response"`` (everyone), a mapping ``{rule: share of players}`` (a random
            subset each), or None (everyone learns).
        revision_rate: Probability that a rule player revises in a step.
        mutation: Probability that a revising rule player picks a random action instead
            (Kandori–Mailath–Rob noise).
        initial: The rule players' first actions: ``"uniform"``, an action index for all,
            one action per player, or probabilities ``[p_0, …, p_{A−1}]`` to draw them from.
        convention_share: The share θ of players that makes a convention (default 0.95).
        convention_window: Steps W the convention must hold (default 50).
        max_episode_steps: Learners' episodes are truncated after this many steps (None: never).
        autoreset: Truncated learners restart within the step (see :mod:`socialrl.contract`);
            with False the game stops once the episode ends.
        rng: Seed or ``numpy.random.Generator``; the model's only source of randomness.

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        game: str | Game | Any = "coordination",
        game_params: Mapping[str, Any] | None = None,
        structure: Structure | str | Mapping[str, Any] = "grid",
        aggregate: str = "mean",
        self_interaction: bool = False,
        observation: str = "none",
        share_levels: int | None = None,
        rules: str | Mapping[str, float] | None = None,
        revision_rate: float = 1.0,
        mutation: float = 0.0,
        initial: str | int | Sequence[float] = "uniform",
        convention_share: float = 0.95,
        convention_window: int = 50,
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        self.game = get_game(game, **dict(game_params or {}))
        self._table = self.game.own_payoffs()
        n_actions = self.game.n_actions
        self.structure = as_structure(structure)
        self.interaction = self.structure.interaction
        # Cheap checks first: a million-cell Mesa grid takes a while to build.
        checks.check_play(aggregate, self_interaction, self.interaction, observation)
        checks.check_revision(revision_rate, mutation)
        checks.check_episodes(convention_share, convention_window, max_episode_steps)
        self.topology = topology = self.structure.build(self.rng, self.random)
        n = topology.n_players
        self.n_players = n
        self.aggregate = aggregate
        self.self_interaction = bool(self_interaction)
        self.observation = observation
        self.autoreset = bool(autoreset)
        self.max_episode_steps = max_episode_steps
        self.revision_rate, self.mutation = float(revision_rate), float(mutation)
        self._partnered = self.interaction != "neighbours"
        self._fixed_partner = self._single_partners(observation)
        self.share_levels = checks.share_levels(share_levels, topology.regular_degree)
        self._two_populations = topology.kind == "well_mixed" and not self.game.symmetric

        self._assign_rules(rules)
        self._init_state(initial, convention_share, convention_window)
        self.players = [
            Player(self, i, slot, str(self.kind[i]))
            for i, slot in zip(range(n), self._slots(), strict=True)
        ]
        self.declare_role(
            ROLE,
            [self.players[i] for i in self._learners],
            observation_space(observation, n_actions, self.share_levels),
            gym.spaces.Discrete(n_actions),
        )

    # ------------------------------------------------------------------ construction
    def _assign_rules(self, rules: str | Mapping[str, float] | None) -> None:
        """Who learns (the role ``player``) and who revises by which rule."""
        n = self.n_players
        self.rules = parse_rules(rules)
        self.kind = assign_rules(self.rules, n, self.rng)
        self._learners = np.flatnonzero(self.kind == LEARNER)
        self._all_learn = self._learners.size == n
        self._rule_groups = [(r, np.flatnonzero(self.kind == r)) for r in self.rules]
        self._rule_groups = [(r, who) for r, who in self._rule_groups if who.size]
        self.n_learners = int(self._learners.size)

    def _init_state(self, initial: str | int | Sequence[float], share: float, window: int) -> None:
        """The per-step state, struct of arrays, before step 1."""
        n, n_actions, topology = self.n_players, self.game.n_actions, self.topology
        n_learn = self.n_learners
        self.actions = checks.initial_actions(initial, n, n_actions, self.rng)
        self.payoffs = np.zeros(n)
        self.partners: np.ndarray | None = None
        self._planned = self.actions.copy()
        self._actions = self.actions[self._learners]  # the learners' (set_actions)
        self._counts = np.bincount(self.actions, minlength=n_actions).astype(np.int64)
        self._same, self._games = 0, 0
        self._side = topology.side if topology.side is not None else np.zeros(n, np.int64)
        self.tracker = ConventionTracker(float(share), int(window))
        self._reference = reference_payoff(self.game)
        self._games_each = self._games_per_player()
        self.period = 0  # our own step counter (Mesa's `steps` differs across versions)
        self.episode_steps = 0
        self._over = False
        self._never = np.zeros(n_learn, dtype=bool)
        self._never.flags.writeable = False
        self._always = np.ones(n_learn, dtype=bool)
        self._always.flags.writeable = False
        self._start = self._start_observation()
        self._obs = self._start
        self._active = np.ones(n_learn, dtype=bool)

    def _single_partners(self, observation: str) -> np.ndarray | None:
        """Each player's one neighbour when everyone has exactly one (``pairs``), else None.

        Memory-1 observations need one partner per step: random matching, a random neighbour,
        or a structure where every player has a single neighbour.
        """
        if self._partnered:
            return None
        if self.topology.regular_degree == 1:
            return self.topology.indices.copy()
        if observation == "memory1":
            raise ValueError(
                "observation 'memory1' needs one partner per step: use interaction "
                "'random_neighbour', structure 'well_mixed', or a graph where every player has "
                "one neighbour (graph='pairs')"
            )
        return None

    def _games_per_player(self) -> np.ndarray | float:
        """Games behind each player's payoff (to express payoffs per game)."""
        if self._partnered or self.aggregate == "mean":
            return 1.0
        return self.topology.degree + (1 if self.self_interaction else 0)

    def _slots(self) -> list[int]:
        slots = np.full(self.n_players, -1, dtype=np.int64)
        slots[self._learners] = np.arange(self._learners.size)
        return slots.tolist()

    def _start_observation(self) -> np.ndarray:
        """What learners see before their first game of an episode (read-only)."""
        n_actions = self.game.n_actions
        start = {
            "none": 0,
            "memory1": memory_start(n_actions),
            "shares": shares_start(n_actions, self.share_levels),
        }[self.observation]
        obs = np.full(self.n_learners, start, dtype=np.int64)
        obs.flags.writeable = False
        return obs

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Each learning player's observation (state indices)."""
        self._check_role(role)
        return self._obs

    def active(self, role: str = ROLE) -> np.ndarray:
        """Learners inside an episode (all of them, unless the game stopped without autoreset)."""
        self._check_role(role)
        return self._active

    def step(self) -> None:
        """Everyone plays, rule players revise, learners observe: a few compiled loops."""
        if self._over:
            zeros = np.zeros(self.n_learners)
            self._outcome = RoleStep(self._obs, zeros, self._never, self._never, self._obs)
            self.period += 1
            return
        actions = self._assemble_actions()
        payoff = np.empty(self.n_players)
        counts = np.empty(self.game.n_actions, dtype=np.int64)
        side = self._side
        topology = self.topology
        partners: np.ndarray | None
        if self._partnered:
            partners = self._draw_partners()
            same = kernels.play_partners(actions, side, self._table, partners, payoff, counts)
            games = self.n_players
        else:
            partners = self._fixed_partner
            same = kernels.play_neighbourhood(
                actions,
                side,
                self._table,
                topology.indptr,
                topology.indices,
                self.self_interaction,
                self.aggregate == "mean",
                payoff,
                counts,
            )
            games = int(topology.indptr[-1])
        self.actions, self.payoffs, self.partners = actions, payoff, partners
        self._counts, self._same, self._games = counts, same, games
        self.period += 1
        self.episode_steps += 1
        self.tracker.update(self.period, counts)
        if self._rule_groups:
            self._revise(actions, payoff, partners, counts)

        next_obs = self._observe_now()
        ended = self.max_episode_steps is not None and self.episode_steps >= self.max_episode_steps
        truncated = self._always if ended else self._never
        obs = next_obs
        if ended:
            if self.autoreset:
                obs = self._start
                self.episode_steps = 0
            else:
                self._over = True
                self._active = np.zeros(self.n_learners, dtype=bool)
        self._obs = obs
        reward = payoff if self._all_learn else payoff[self._learners]
        self._outcome = RoleStep(obs, reward, self._never, truncated, next_obs)

    # ------------------------------------------------------------------ dynamics details
    def _assemble_actions(self) -> np.ndarray:
        """Everybody's actions: the learners' from ``set_actions``, the rule players' planned."""
        if self._all_learn:
            return np.asarray(self._actions, dtype=np.int64)
        actions = self._planned.copy()
        actions[self._learners] = self._actions
        return actions

    def _draw_partners(self) -> np.ndarray:
        """Each player's partner of this step: a random neighbour, or random pairs."""
        n = self.n_players
        partners = np.empty(n, dtype=np.int64)
        if self.interaction == "random_neighbour":
            topology = self.topology
            kernels.draw_neighbours(topology.indptr, topology.indices, self.rng.random(n), partners)
        elif self._two_populations:  # asymmetric game: row players meet column players
            rows = np.arange(0, n, 2)
            columns = self.rng.permutation(np.arange(1, n, 2))
            partners[rows], partners[columns] = columns, rows
        else:
            order = self.rng.permutation(n)
            first, second = order[0::2], order[1::2]
            partners[first], partners[second] = second, first
        return partners

    def _revise(
        self,
        actions: np.ndarray,
        payoff: np.ndarray,
        partners: np.ndarray | None,
        counts: np.ndarray,
    ) -> None:
        """Rule players choose their next actions from this step's actions and payoffs."""
        planned = actions.copy()
        if partners is not None:  # partners of the step are the neighbourhood
            indptr = np.arange(self.n_players + 1, dtype=np.int64)
            indices = partners
        else:
            indptr, indices = self.topology.indptr, self.topology.indices
        for rule, who in self._rule_groups:
            revise(
                rule,
                who,
                actions,
                payoff,
                self._side,
                self._table,
                indptr,
                indices,
                counts,
                self.topology.kind == "well_mixed",
                planned,
                self.revision_rate,
                self.mutation,
                self.rng,
            )
        self._planned = planned

    def _observe_now(self) -> np.ndarray:
        """The learners' observations after this step (before any episode restart)."""
        if self.observation == "none":
            return self._start  # stateless: one constant, read-only array
        learners = None if self._all_learn else self._learners
        n_actions = self.game.n_actions
        if self.observation == "memory1":
            assert self.partners is not None  # guaranteed by _single_partners
            own = self.actions if learners is None else self.actions[learners]
            partner = self.partners if learners is None else self.partners[learners]
            return encode_memory(own, self.actions[partner], n_actions)
        if self.topology.kind == "well_mixed":
            state = encode_shares(self._counts, self.share_levels)
            return np.full(self.n_learners, state, dtype=np.int64)
        states = np.empty(self.n_players, dtype=np.int64)
        kernels.shares_observation(
            self.actions,
            self.topology.indptr,
            self.topology.indices,
            n_actions,
            self.share_levels,
            states,
        )
        return states if learners is None else states[learners]

    # ------------------------------------------------------------------ reporters
    @property
    def next_actions(self) -> np.ndarray:
        """What rule players will play next step (learners' entries: their last actions)."""
        return self._planned if self._rule_groups else self.actions

    def action_shares(self) -> np.ndarray:
        """The share of players choosing each action in the last step."""
        return self._counts / self.n_players

    def clustering(self) -> float:
        """Newman's assortativity of the last actions over neighbour (or partner) pairs."""
        if self.topology.kind == "well_mixed":
            if self.partners is None:
                return float("nan")
            indptr = np.arange(self.n_players + 1, dtype=np.int64)
            indices = self.partners
        else:
            indptr, indices = self.topology.indptr, self.topology.indices
        ends = np.zeros(self.game.n_actions, dtype=np.int64)
        same = kernels.assortment(self.actions, indptr, indices, ends)
        return assortativity(same, ends)

    def metrics(self) -> dict[str, float]:
        """Model reporters of the last step (see :mod:`socialrl_models.coordination.metrics`)."""
        shares = self.action_shares()
        out = {f"share_{name}": float(s) for name, s in zip(self.game.actions, shares, strict=True)}
        per_game = self.payoffs / self._games_each
        out.update(
            coordination_rate=self._same / self._games if self._games else float("nan"),
            payoff_mean=float(self.payoffs.mean()),
            payoff_relative=float(per_game.mean() / self._reference),
            max_share=float(shares.max()),
            convention_step=_or_nan(self.tracker.reached_at),
            convention_action=_or_nan(self.tracker.convention),
            clustering=self.clustering(),
        )
        if self.game.cooperative is not None:
            out["cooperation_rate"] = float(shares[self.game.cooperative])
        return out

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-learner reporters: index, side, last action and payoff, grid position."""
        self._check_role(role)
        who = self._learners
        frame = {
            "index": who,
            "side": self._side[who],
            "action": self.actions[who],
            "payoff": self.payoffs[who],
        }
        if self.topology.shape is not None:
            frame["row"], frame["col"] = np.divmod(who, self.topology.shape[1])
        return frame

    def policy_report(self, role: str, greedy: Any) -> dict[str, np.ndarray]:
        """Each learner's greedy action in its current state (the action it has settled on).

        Args:
            role: ``"player"``.
            greedy: Maps learners' observations ``int[n]`` to greedy actions ``int[n]``.

        """
        self._check_role(role)
        return {"greedy_action": np.asarray(greedy(self._obs), dtype=np.int64)}

    def render_text(self) -> str:
        """A grid as letters (one per action), otherwise a line of action shares."""
        letters = _letters(self.game.actions)
        if self.topology.shape is not None:
            grid = np.array(letters)[self.actions].reshape(self.topology.shape)
            return "\n".join("".join(row) for row in grid)
        shares = ", ".join(
            f"{name} {s:.2f}"
            for name, s in zip(self.game.actions, self.action_shares(), strict=True)
        )
        return f"step {self.period}: {shares}"


def _or_nan(value: int | None) -> float:
    return float("nan") if value is None else float(value)


def _letters(actions: Sequence[str]) -> list[str]:
    """One distinct character per action: initials when they differ, else digits."""
    initials = [a[:1].upper() for a in actions]
    if len(set(initials)) == len(initials):
        return initials
    return [str(k % 10) for k in range(len(actions))]
