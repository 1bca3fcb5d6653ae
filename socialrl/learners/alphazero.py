"""AlphaZero: tree search guided by a policy-value network, trained by self-play.

Silver et al. (2017, Nature; 2018, Science). Before each move the agent searches from the
present position with PUCT, ``a* = argmax_a Q(s,a) + c P(s,a) √N(s) / (1 + N(s,a))``, where
the network's prior ``P`` says which moves deserve a look and its value ``v`` replaces random
play-outs. It plays from the visit counts: in its first ``temperature_moves`` moves of a game
it samples ``a ~ π ∝ N(s, a)`` (exploration; Dirichlet noise on the root's priors adds more),
afterwards the most visited move. Each position is stored with ``π``; once the game ends, with
its outcome ``z``. The network then learns ``p → π`` and ``v → z``
(:mod:`~socialrl.learners.policy_value_net`): search improves the policy, the policy improves
the search.

Self-play needs no special machinery here: a game model seats both players of every game in
one role, and one ``AlphaZero`` group drives them all — every game of the model is a
self-play game, searched in one batch (:mod:`~socialrl.learners.tree_search`), leaf
evaluations of all games in one network call. Against other groups (fixed anchors, snapshots)
it plays the same way and learns from its own positions.

The outcome comes from the rules: where a game ends, the learner reads every player's payoffs
at the final position (``rules.payoffs``), so general-sum games (bargaining) train each
component of the value, not only the mover's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from socialrl.games import GameRules, check_moves, handed_rules
from socialrl.learners.base import Checkpointing, rng_state_array, set_rng_state
from socialrl.learners.fast_adam import AdamSettings, FastAdam
from socialrl.learners.flat_parameters import FlatParameters
from socialrl.learners.networks import (
    load_network_state,
    network_state,
    torch_seeds,
)
from socialrl.learners.policy_value_net import (
    PolicyValueNet,
    masked_log_softmax,
    policy_value_loss,
)
from socialrl.learners.self_play_window import SelfPlayBatch, SelfPlayWindow
from socialrl.learners.tree_search import (
    best_visited,
    check_positions,
    dirichlet_noise,
    most_visited_moves,
    search,
    visit_policy,
)

__all__ = ["AlphaZero", "AlphaZeroConfig"]


@dataclass(frozen=True)
class AlphaZeroConfig:
    """Hyperparameters of AlphaZero (defaults sized for tic-tac-toe on a laptop).

    Attributes:
        simulations: PUCT cycles per move.
        c_puct: Exploration constant of PUCT.
        dirichlet_alpha: α of the root noise ``Dir(α)`` while exploring.
        noise_fraction: ε, the noise's share of the root priors.
        temperature_moves: Own moves per game played from ``π`` at τ = 1; later ones greedy.
        window: Positions kept for training (the replay window).
        batch_size: Positions per gradient step.
        reuse: How often each new position is trained on, on average (sets the number of
            gradient steps per finished game: ``new positions × reuse / batch_size``).
        lr: Adam's learning rate.
        weight_decay: L2 penalty ``c`` of the loss.
        hidden: Widths of the network's trunk.

    """

    simulations: int = 48
    c_puct: float = 1.5
    dirichlet_alpha: float = 1.0
    noise_fraction: float = 0.25
    temperature_moves: int = 2
    window: int = 40_000
    batch_size: int = 256
    reuse: float = 4.0
    lr: float = 3e-3
    weight_decay: float = 1e-4
    hidden: tuple[int, ...] = field(default=(128, 128))

    def __post_init__(self) -> None:
        for name in ("simulations", "window", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
        if isinstance(self.temperature_moves, bool) or self.temperature_moves < 0:
            raise ValueError(f"temperature_moves must be ≥ 0, got {self.temperature_moves!r}")
        for name in ("c_puct", "dirichlet_alpha", "reuse", "lr"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number > 0, got {value!r}")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise ValueError(f"noise_fraction must lie in [0, 1], got {self.noise_fraction!r}")
        if not self.weight_decay >= 0.0:
            raise ValueError(f"weight_decay must be ≥ 0, got {self.weight_decay!r}")
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden must list layer widths ≥ 1, got {self.hidden!r}")


class AlphaZero(Checkpointing):
    """Self-play AlphaZero for the agents of a group (both seats of every game, typically).

    Args:
        **config: Fields of :class:`AlphaZeroConfig`.

    """

    name = "alphazero"
    learns = True

    def __init__(self, **config: Any) -> None:
        if "hidden" in config:
            config["hidden"] = tuple(config["hidden"])
        self.config = AlphaZeroConfig(**config)
        self._rules: GameRules | None = None
        self._rng = np.random.default_rng(0)
        self._torch_seed = 0
        self.n_agents = 0
        self.n_actions = 0
        self.net: PolicyValueNet | None = None
        self.optimizer: FastAdam | None = None
        self.window: SelfPlayWindow | None = None
        self._pending: list[list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]] = []
        self._losses = (math.nan, math.nan)
        self.games = 0
        self.updates = 0
        self._owed = 0.0  # gradient steps earned by new positions, not yet taken

    # ------------------------------------------------------------------ binding
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Seed; the network is built when the rules arrive (:meth:`use_rules`)."""
        self.n_agents = int(n_agents)
        self.n_actions = int(action_space.n)
        self._torch_seed = torch_seeds(seed, 1)[0]
        self._rng = np.random.default_rng(seed)
        self._pending = [[] for _ in range(self.n_agents)]
        self.games = self.updates = 0
        self._owed = 0.0
        self._losses = (math.nan, math.nan)
        if self._rules is not None:
            self.use_rules(self._rules)

    def use_rules(self, rules: GameRules) -> None:
        """Build a fresh network, optimiser and window for this game."""
        check_moves(rules, self.n_actions, "AlphaZero")
        self._rules = rules
        cfg = self.config
        n_features = int(rules.features(rules.initial(1)).shape[1])
        players = rules.n_players()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._torch_seed)
            self.net = PolicyValueNet(n_features, rules.n_actions(), players, cfg.hidden)
        # The lab's shared small-network update path: one flat buffer, one fused Adam call.
        self.optimizer = FastAdam(
            FlatParameters(self.net.parameters()),
            AdamSettings(lr=cfg.lr, weight_decay=cfg.weight_decay),
        )
        self.window = SelfPlayWindow(cfg.window, n_features, rules.n_actions(), players)
        self._start = rules.initial(1)[0]

    # ------------------------------------------------------------------ acting
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Self-play moves for every position that has one (see :meth:`act_masked`)."""
        return self.act_masked(obs, self._planning_rules().legal(obs))

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The most visited move of a noiseless search."""
        return self.greedy_masked(obs, self._planning_rules().legal(obs))

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Search with root noise, play from ``π`` (τ = 1 early, greedy later), remember ``π``."""
        rules = self._planning_rules()
        obs, legal = check_positions(obs, legal, self.n_agents, self.n_actions)
        actions = np.zeros(obs.shape[0], dtype=np.int64)
        movers = np.flatnonzero(legal.any(axis=1))
        if movers.size == 0:
            return actions
        cfg = self.config
        self._forget_unfinished(obs, movers)
        noise = dirichlet_noise(cfg.dirichlet_alpha, cfg.noise_fraction, self._rng)
        trees = search(
            rules, obs[movers], self.evaluate, cfg.simulations, "puct", cfg.c_puct, noise
        )
        visits = np.where(legal[movers], trees.root_visits(), 0.0)
        early = np.array([len(self._pending[i]) < cfg.temperature_moves for i in movers])
        sampled = visit_policy(visits, 1.0)
        chosen = best_visited(visits, legal[movers], self._rng)
        mass = sampled.cumsum(axis=1)  # scaled by its total: rounding never leaves a gap
        draws = (mass > self._rng.random((movers.size, 1)) * mass[:, -1:]).argmax(axis=1)
        actions[movers] = np.where(early, draws, chosen)
        features = rules.features(obs[movers])
        seats = rules.to_move(obs[movers])
        target = sampled.astype(np.float32)
        for k, i in enumerate(movers):
            self._pending[i].append((features[k], legal[i].copy(), target[k], int(seats[k])))
        return actions

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """A noiseless search's most visited legal move (ties to the lowest); learns nothing."""
        rules, cfg = self._planning_rules(), self.config
        obs, legal = check_positions(obs, legal, self.n_agents, self.n_actions)
        return most_visited_moves(
            rules, obs, legal, self.evaluate, cfg.simulations, "puct", cfg.c_puct, None
        )

    def policy_value(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The network's move probabilities ``[n, A]`` and values per player ``[n, P]``.

        Values are per seat (absolute: column ``p`` is player ``p``'s), as the search needs.
        """
        rules = self._planning_rules()
        return self.evaluate(positions, rules.legal(positions))

    def evaluate(self, positions: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The search's evaluator: priors over ``legal`` and per-seat values, one network call."""
        rules, net = self._planning_rules(), self._network()
        x = torch.from_numpy(rules.features(positions))
        with torch.inference_mode():
            logits, values = net(x)
            priors = masked_log_softmax(logits, torch.from_numpy(legal)).exp().double().numpy()
        relative = values.double().numpy()
        players = relative.shape[1]
        mover = rules.to_move(positions)
        seats = (mover[:, None] + np.arange(players)[None, :]) % players
        absolute = np.empty_like(relative)
        np.put_along_axis(absolute, seats, relative, axis=1)
        return priors, absolute

    # ------------------------------------------------------------------ learning
    def learn(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> None:
        """Close the games that ended (their final positions are in ``next_obs``); train."""
        self._finish(_ended(terminated, mask), np.asarray(next_obs))

    def learn_over(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        returns: np.ndarray,
        next_obs: np.ndarray,
        periods: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """As :meth:`learn`, for transitions between own moves (turn-taking models)."""
        self._finish(_ended(terminated, mask), np.asarray(next_obs))

    def discount(self) -> float:
        """γ = 1: a game's outcome counts whenever it comes (rewards arrive at the end)."""
        return 1.0

    def _finish(self, rows: np.ndarray, final: np.ndarray) -> None:
        """Label the ended games' positions with their outcome ``z`` and store them."""
        if rows.size == 0:
            return
        rules, window = self._planning_rules(), self._replay()
        payoffs = rules.payoffs(final[rows])
        players = payoffs.shape[1]
        parts: list[SelfPlayBatch] = []
        for k, i in enumerate(rows):
            moves = self._pending[i]
            self._pending[i] = []
            if not moves:
                continue
            seats = np.array([m[3] for m in moves])
            order = (seats[:, None] + np.arange(players)[None, :]) % players
            z = payoffs[k][order].astype(np.float32)  # ordered from each position's mover
            parts.append(
                SelfPlayBatch(
                    np.stack([m[0] for m in moves]),
                    np.stack([m[1] for m in moves]),
                    np.stack([m[2] for m in moves]),
                    z,
                )
            )
            self.games += 1
        if not parts:
            return
        fresh = SelfPlayBatch(*(np.concatenate(p) for p in zip(*parts, strict=True)))
        window.add(fresh)
        self._owed += fresh.features.shape[0] * self.config.reuse / self.config.batch_size
        while self._owed >= 1.0:
            self._gradient_step()
            self._owed -= 1.0

    def _gradient_step(self) -> None:
        """One Adam step on ``−πᵀ log p + (z − v)²`` over a batch from the window."""
        net, optimizer = self._network(), self.optimizer
        assert optimizer is not None
        batch = self._replay().sample(self.config.batch_size, self._rng)
        logits, values = net(torch.from_numpy(batch.features))
        cross_entropy, squared = policy_value_loss(
            logits,
            values,
            torch.from_numpy(batch.legal),
            torch.from_numpy(batch.policy),
            torch.from_numpy(batch.values),
        )
        (cross_entropy + squared).backward()
        optimizer.flat.collect_grads()  # autograd's .grad into the flat buffer, then cleared
        optimizer.step()
        self.updates += 1
        self._losses = (float(cross_entropy.detach()), float(squared.detach()))

    def _forget_unfinished(self, obs: np.ndarray, movers: np.ndarray) -> None:
        """Drop the positions of a game that was cut off (a new one starts for the agent).

        A game that ends by a time limit has no outcome to learn; where an agent with open
        positions is back at the starting position, its last game was cut, so they go.
        """
        at_start = (obs[movers] == self._start).all(axis=1)
        for i in movers[at_start]:
            self._pending[i] = []

    # ------------------------------------------------------------------ reporting
    def diagnostics(self) -> dict[str, float]:
        """Games finished, gradient steps, window fill; the losses once it has trained."""
        window = self.window
        out = {
            "games": float(self.games),
            "updates": float(self.updates),
            "window": float(window.size if window is not None else 0),
        }
        if self.updates:  # no loss before the first gradient step
            out["policy_loss"], out["value_loss"] = self._losses
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """Network, optimiser moments, window, open games' positions, generator, counters."""
        state = {
            **network_state("net.", self._network()),
            **self._replay().state_dict(),
            **self._pending_state(),
            "rng": rng_state_array(self._rng),
            "counters": np.array([self.games, self.updates], dtype=np.int64),
            "owed": np.array(self._owed),
        }
        assert self.optimizer is not None
        state.update(self.optimizer.state_dict())
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (bound to the same game)."""
        load_network_state("net.", self._network(), state)
        assert self.optimizer is not None
        self.optimizer.load_state_dict(state)
        self._replay().load_state_dict(state)
        set_rng_state(self._rng, state["rng"])
        self.games, self.updates = (int(v) for v in state["counters"])
        self._owed = float(state["owed"])
        self._pending = [[] for _ in range(self.n_agents)]
        agents = np.asarray(state["open.agent"])
        if agents.size and agents.max() >= self.n_agents:
            raise ValueError(
                f"checkpoint has open games of agent {int(agents.max())}, but this learner "
                f"drives {self.n_agents} agents"
            )
        for i, f, ok, pi, seat in zip(
            state["open.agent"],
            state["open.features"],
            state["open.legal"],
            state["open.policy"],
            state["open.seat"],
            strict=True,
        ):
            self._pending[int(i)].append((f, ok, pi, int(seat)))

    def _pending_state(self) -> dict[str, np.ndarray]:
        """The positions of games still open, one row each, with the agent they belong to."""
        rows = [(i, *move) for i, moves in enumerate(self._pending) for move in moves]
        window = self._replay()
        if not rows:
            return {
                "open.agent": np.zeros(0, dtype=np.int64),
                "open.features": np.zeros((0, window.features.shape[1]), dtype=np.float32),
                "open.legal": np.zeros((0, window.legal.shape[1]), dtype=bool),
                "open.policy": np.zeros((0, window.policy.shape[1]), dtype=np.float32),
                "open.seat": np.zeros(0, dtype=np.int64),
            }
        return {
            "open.agent": np.array([r[0] for r in rows], dtype=np.int64),
            "open.features": np.stack([r[1] for r in rows]),
            "open.legal": np.stack([r[2] for r in rows]),
            "open.policy": np.stack([r[3] for r in rows]),
            "open.seat": np.array([r[4] for r in rows], dtype=np.int64),
        }

    # ------------------------------------------------------------------ plumbing
    def _planning_rules(self) -> GameRules:
        return handed_rules(self._rules, "AlphaZero")

    def _network(self) -> PolicyValueNet:
        self._planning_rules()
        assert self.net is not None
        return self.net

    def _replay(self) -> SelfPlayWindow:
        self._planning_rules()
        assert self.window is not None
        return self.window

    def __repr__(self) -> str:
        cfg = self.config
        return (
            f"AlphaZero(simulations={cfg.simulations}, c_puct={cfg.c_puct:g}, hidden={cfg.hidden})"
        )


def _ended(terminated: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The rows whose game ended this step (among the agents that count)."""
    ended = np.asarray(terminated, dtype=bool)
    return np.flatnonzero(ended if mask is None else ended & mask)
