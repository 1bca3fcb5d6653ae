"""The game zoo and its theory: payoff matrices, Nash equilibria, payoff and risk dominance.

A :class:`Game` is a two-player normal-form game with ``A`` actions per player, written as a
bimatrix: ``row[i, j]`` is the row player's payoff and ``column[i, j]`` the column player's when
the row player plays ``i`` and the column player ``j``. A symmetric game has
``column = rowᵀ``. In a population every player meets partners as "itself against another", so
the model reads the game as :meth:`Game.own_payoffs`: ``U[side, own, other]``, where a player's
*side* says whether it holds the row (0) or the column (1) role of an asymmetric game (battle
of the sexes); in a symmetric game both sides see the same matrix.

The theory is a handful of pure functions that read like their definitions:

* a pure Nash equilibrium ``(i, j)``: ``row[i, j] ≥ row[k, j]`` for all ``k`` and
  ``column[i, j] ≥ column[i, l]`` for all ``l``;
* mixed equilibria by support enumeration (each player mixes so as to make the other
  indifferent on its support, Lemke–Howson's textbook companion; exact for nondegenerate games);
* payoff dominance (Harsanyi & Selten 1988): an equilibrium that is strictly better for both
  players than every other pure equilibrium;
* risk dominance (Harsanyi & Selten 1988): between two strict equilibria the one with the larger
  product of the players' deviation losses, ``(row[i,j] − row[k,j]) · (column[i,j] − column[i,l])``,
  compared within the 2×2 game of the two equilibria's actions.

The zoo's default numbers are the textbook ones; REFERENCES.md fixes the stag hunt
(SS = 4, SH = 0, HS = 3, HH = 3) and the prisoner's dilemma (T, R, P, S = 5, 3, 1, 0).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ZOO",
    "Game",
    "GameError",
    "battle_of_the_sexes",
    "climbing",
    "coordination",
    "custom_game",
    "get_game",
    "hawk_dove",
    "mixed_nash",
    "payoff_dominant",
    "prisoners_dilemma",
    "pure_nash",
    "reference_payoff",
    "risk_dominant",
    "spatial_pd",
    "stag_hunt",
    "strict_pure_nash",
]

Profile = tuple[int, int]


class GameError(ValueError):
    """A game that cannot be built: unknown name, bad parameters or a malformed matrix."""


@dataclass(frozen=True, eq=False)
class Game:
    """A two-player game with ``A`` actions each.

    Attributes:
        name: Zoo name or ``"custom"``.
        actions: Action names (``("stag", "hare")``); also the metric column names.
        row: ``float64[A, A]``, the row player's payoffs ``row[own, other]``.
        column: ``float64[A, A]``, the column player's payoffs ``column[row's, own]``.
        cooperative: Index of the action that counts as cooperation (the prisoner's dilemma's
            C, the stag, the dove), or None where the notion does not apply.

    """

    name: str
    actions: tuple[str, ...]
    row: np.ndarray
    column: np.ndarray
    cooperative: int | None = None

    @property
    def n_actions(self) -> int:
        """Number of actions ``A``."""
        return int(self.row.shape[0])

    @property
    def symmetric(self) -> bool:
        """Whether ``column = rowᵀ`` (both players see the same game)."""
        return bool(np.array_equal(self.column, self.row.T))

    def own_payoffs(self) -> np.ndarray:
        """``U[side, own, other]``: side 0 holds the row role, side 1 the column role."""
        return np.ascontiguousarray(np.stack([self.row, self.column.T]), dtype=np.float64)

    def payoff(self, i: int, j: int) -> tuple[float, float]:
        """The two players' payoffs at the pure profile ``(i, j)``."""
        return float(self.row[i, j]), float(self.column[i, j])

    def __repr__(self) -> str:
        return f"Game({self.name!r}, actions={self.actions}, row={self.row.tolist()})"


# ---------------------------------------------------------------------------- the zoo
def coordination(n: int = 2, a: float = 1.0) -> Game:
    """Pure coordination: ``a`` when both choose the same of ``n`` actions, else 0.

    Every "both play ``i``" is a strict equilibrium and none is better or safer than another:
    which convention a population reaches is pure history (Lewis 1969; Young 1993).
    """
    if int(n) != n or n < 2:
        raise GameError(f"coordination: n (number of actions) must be an integer ≥ 2, got {n!r}")
    if a <= 0:
        raise GameError(f"coordination: a (the coordination payoff) must be > 0, got {a!r}")
    names = ("left", "right") if n == 2 else tuple(f"a{k}" for k in range(int(n)))
    return _symmetric("coordination", names, a * np.eye(int(n)))


def stag_hunt(stag: float = 4.0, sucker: float = 0.0, hare: float = 3.0) -> Game:
    """Stag hunt (Rousseau; Skyrms 2004): ``[[stag, sucker], [hare, hare]]``.

    (Stag, Stag) is payoff-dominant, (Hare, Hare) risk-dominant when ``hare − sucker >
    stag − hare`` (the defaults: 3 > 1).
    """
    if not stag > hare > sucker:
        raise GameError(
            f"stag_hunt: needs stag > hare > sucker, got stag={stag}, hare={hare}, sucker={sucker}"
        )
    return _symmetric("stag_hunt", ("stag", "hare"), [[stag, sucker], [hare, hare]], cooperative=0)


def battle_of_the_sexes(high: float = 2.0, low: float = 1.0) -> Game:
    """Battle of the sexes: both want to meet, the row player at 0, the column player at 1.

    Row payoffs ``[[high, 0], [0, low]]``, column payoffs ``[[low, 0], [0, high]]``. In a
    population the two sides are two kinds of players (see :meth:`Game.own_payoffs`).
    """
    if not high > low > 0:
        raise GameError(f"battle_of_the_sexes: needs high > low > 0, got high={high}, low={low}")
    row = np.array([[high, 0.0], [0.0, low]])
    column = np.array([[low, 0.0], [0.0, high]])
    return Game("battle_of_the_sexes", ("opera", "football"), row, column)


def hawk_dove(v: float = 2.0, c: float = 4.0) -> Game:
    """Hawk–dove or chicken (Maynard Smith & Price 1973): a prize ``v``, a fight costs ``c``.

    Payoffs ``[[(v − c)/2, v], [0, v/2]]`` (hawk first). For ``c > v`` the pure equilibria are
    (hawk, dove) and (dove, hawk), and the mixed one plays hawk with probability ``v/c``.
    """
    if not c > v > 0:
        raise GameError(
            f"hawk_dove: needs c > v > 0 (a fight costs more than the prize), got v={v}, c={c}"
        )
    return _symmetric(
        "hawk_dove", ("hawk", "dove"), [[(v - c) / 2, v], [0.0, v / 2]], cooperative=1
    )


def prisoners_dilemma(t: float = 5.0, r: float = 3.0, p: float = 1.0, s: float = 0.0) -> Game:
    """Prisoner's dilemma ``[[R, S], [T, P]]`` (cooperate first), with T > R > P > S, 2R > T + S."""
    if not (t > r > p > s and 2 * r > t + s):
        raise GameError(
            f"prisoners_dilemma: needs T > R > P > S and 2R > T + S, got T={t}, R={r}, P={p}, S={s}"
        )
    return _symmetric("prisoners_dilemma", ("cooperate", "defect"), [[r, s], [t, p]], cooperative=0)


def spatial_pd(b: float = 1.8) -> Game:
    """Nowak & May's (1992) weak prisoner's dilemma: R = 1, T = b, S = P = 0."""
    if b < 1:
        raise GameError(f"spatial_pd: the temptation b must be ≥ 1, got b={b}")
    return _symmetric("spatial_pd", ("cooperate", "defect"), [[1.0, 0.0], [b, 0.0]], cooperative=0)


def climbing() -> Game:
    """Claus & Boutilier's (1998) climbing game: the optimum (a, a) sits next to −30 penalties."""
    return _symmetric(
        "climbing", ("a", "b", "c"), [[11.0, -30.0, 0.0], [-30.0, 7.0, 6.0], [0.0, 0.0, 5.0]]
    )


ZOO: dict[str, Callable[..., Game]] = {
    "coordination": coordination,
    "stag_hunt": stag_hunt,
    "battle_of_the_sexes": battle_of_the_sexes,
    "hawk_dove": hawk_dove,
    "chicken": hawk_dove,
    "prisoners_dilemma": prisoners_dilemma,
    "spatial_pd": spatial_pd,
    "climbing": climbing,
}


def custom_game(matrix: Any, actions: Sequence[str] | None = None) -> Game:
    """A game from a matrix: ``[A, A]`` (symmetric; the row player's payoffs) or ``[A, A, 2]``.

    Raises:
        GameError: the matrix is ragged, not numeric, not finite, has fewer than two actions,
            or is not square.

    """
    try:
        arr = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError(
            "game matrix must be a numeric [A, A] (symmetric game) or [A, A, 2] (row and column "
            "payoffs) array with equal-length rows"
        ) from None
    square = arr.ndim in (2, 3) and arr.shape[0] == arr.shape[1]
    if not square or (arr.ndim == 3 and arr.shape[2] != 2):
        raise GameError(
            "game matrix must be square: [A, A] (symmetric game) or [A, A, 2] (row and column "
            f"payoffs), got shape {arr.shape}"
        )
    if arr.shape[0] < 2:
        raise GameError(f"game matrix needs at least 2 actions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise GameError("game matrix entries must be finite numbers")
    n = arr.shape[0]
    names = tuple(actions) if actions is not None else tuple(f"a{k}" for k in range(n))
    if len(names) != n:
        raise GameError(f"game has {n} actions but {len(names)} action names")
    if arr.ndim == 2:
        return _symmetric("custom", names, arr)
    return Game("custom", names, arr[:, :, 0].copy(), arr[:, :, 1].copy())


def get_game(game: str | Game | Any = "coordination", **params: Any) -> Game:
    """A game from a zoo name (with its parameters), a :class:`Game`, or a payoff matrix.

    Raises:
        GameError: an unknown name (the message lists the zoo), parameters the zoo entry does
            not take, or a malformed matrix.

    """
    if isinstance(game, Game):
        if params:
            raise GameError("game_params apply to zoo names only, not to a Game object")
        return game
    if isinstance(game, str):
        if game not in ZOO:
            raise GameError(f"unknown game {game!r}; allowed: {', '.join(sorted(ZOO))}")
        factory = ZOO[game]
        allowed = list(inspect.signature(factory).parameters)
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise GameError(
                f"game {game!r} takes no parameter {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(allowed) or 'none'}"
            )
        return factory(**params)
    if params:
        raise GameError("game_params apply to zoo names only, not to a payoff matrix")
    return custom_game(game)


def _symmetric(
    name: str, actions: tuple[str, ...], row: Any, cooperative: int | None = None
) -> Game:
    arr = np.asarray(row, dtype=np.float64)
    return Game(name, actions, arr, arr.T.copy(), cooperative)


# ---------------------------------------------------------------------------- theory
def pure_nash(game: Game) -> list[Profile]:
    """Every pure Nash equilibrium ``(i, j)``: each action a best reply to the other."""
    row_best = game.row >= game.row.max(axis=0, keepdims=True)  # i best against j
    column_best = game.column >= game.column.max(axis=1, keepdims=True)  # j best against i
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(row_best & column_best), strict=True)]


def strict_pure_nash(game: Game) -> list[Profile]:
    """Pure equilibria where each player loses by any deviation (the candidate conventions)."""
    strict = []
    for i, j in pure_nash(game):
        row_others = np.delete(game.row[:, j], i)
        column_others = np.delete(game.column[i, :], j)
        if (game.row[i, j] > row_others).all() and (game.column[i, j] > column_others).all():
            strict.append((i, j))
    return strict


def mixed_nash(game: Game, tol: float = 1e-9) -> list[tuple[np.ndarray, np.ndarray]]:
    """Nash equilibria ``(x, y)`` (row's and column's mixed strategies) by support enumeration.

    For every pair of supports ``I, J`` of equal size, solve the indifference conditions
    ``row[I, J] y_J = u·1`` and ``x_I · column[I, J] = v·1`` with ``Σ x = Σ y = 1``; keep the
    solutions with non-negative weights against which no action outside the supports does
    better. Pure equilibria are the supports of size 1. Exact for nondegenerate games (every
    zoo game but ``spatial_pd``, where S = P makes defection weakly dominant).
    """
    n = game.n_actions
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for size in range(1, n + 1):
        for rows in itertools.combinations(range(n), size):
            for cols in itertools.combinations(range(n), size):
                y = _indifference(game.row[np.ix_(rows, cols)], tol)
                x = _indifference(game.column[np.ix_(rows, cols)].T, tol)
                if x is None or y is None:
                    continue
                xf, yf = np.zeros(n), np.zeros(n)
                xf[list(rows)], yf[list(cols)] = x, y
                if _is_equilibrium(game, xf, yf, tol) and not any(
                    np.allclose(xf, a, atol=1e-7) and np.allclose(yf, b, atol=1e-7)
                    for a, b in found
                ):
                    found.append((xf, yf))
    return found


def _indifference(payoffs: np.ndarray, tol: float) -> np.ndarray | None:
    """Weights ``w ≥ 0``, ``Σ w = 1`` on the columns of ``payoffs`` making every row equal."""
    k = payoffs.shape[0]
    # Unknowns: w (k of them) and the common value u. Rows: payoffs @ w − u = 0, Σ w = 1.
    system = np.zeros((k + 1, k + 1))
    system[:k, :k] = payoffs
    system[:k, k] = -1.0
    system[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    try:
        solution = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        return None
    w = solution[:k]
    if (w < -tol).any():
        return None
    return np.clip(w, 0.0, None) / np.clip(w, 0.0, None).sum()


def _is_equilibrium(game: Game, x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    """No pure deviation pays: ``max_i (row y)_i ≤ x·row·y`` and the same for the column."""
    row_values, column_values = game.row @ y, x @ game.column
    return bool(
        row_values.max() <= x @ row_values + tol and column_values.max() <= column_values @ y + tol
    )


def payoff_dominant(game: Game) -> Profile | None:
    """The pure equilibrium strictly better for *both* players than every other one, if any."""
    equilibria = pure_nash(game)
    for e in equilibria:
        mine = np.array(game.payoff(*e))
        if all((mine > np.array(game.payoff(*o))).all() for o in equilibria if o != e):
            return e
    return None


def deviation_loss_product(game: Game, e: Profile, other: Profile) -> float:
    """Harsanyi–Selten's Nash product of ``e`` against ``other`` in their 2×2 game.

    ``(row[i, j] − row[k, j]) · (column[i, j] − column[i, l])`` for ``e = (i, j)``,
    ``other = (k, l)``: what each player loses by switching to its action in ``other``.
    """
    (i, j), (k, ell) = e, other
    return float((game.row[i, j] - game.row[k, j]) * (game.column[i, j] - game.column[i, ell]))


def risk_dominant(game: Game) -> Profile | None:
    """The strict equilibrium that risk-dominates every other strict one (None on ties).

    Pairwise Harsanyi–Selten criterion: ``e`` risk-dominates ``o`` when its Nash product of
    deviation losses, within the 2×2 game of their actions, is the larger. A game with a single
    strict equilibrium has it as the risk-dominant one.
    """
    strict = strict_pure_nash(game)
    for e in strict:
        others = [o for o in strict if o != e]
        if all(
            deviation_loss_product(game, e, o) > deviation_loss_product(game, o, e) for o in others
        ):
            return e
    return None


def reference_payoff(game: Game) -> float:
    """Per-game payoff that "mean payoff relative to the payoff-dominant equilibrium" divides by.

    The players' average payoff at the payoff-dominant equilibrium; without one (battle of the
    sexes, hawk–dove, pure coordination's ties) the best average over the strict equilibria.
    NaN where the ratio means nothing: no strict equilibrium (Nowak & May's weak dilemma, whose
    equilibria are all weak) or a reference payoff ≤ 0.
    """
    best = payoff_dominant(game)
    candidates = [best] if best is not None else strict_pure_nash(game)
    if not candidates:
        return float("nan")
    value = max(float(np.mean(game.payoff(*e))) for e in candidates)
    return value if value > 0 else float("nan")
