"""The cross-play matrix: every focal population against every background, and against itself.

For each focal player ``f`` and background player ``b`` one match is played (see
:mod:`~socialrl.study.crossplay.play`), and each focal player also meets

* **itself** (``pairing = "self"``): everyone plays like it — its *universalization* score,
  the diagonal of the matrix. For a trained population this is the population exactly as it
  was trained;
* **its own run's other sessions** (``"other sessions"``, batches of sessions only): firm 0
  of session ``i`` against firm 1 of session ``i + 1``, a rival trained in the same run but
  never met.

Backgrounds trained elsewhere (other seeds, other algorithms or designs) are ``"stranger"``
matches, scripted ones ``"scripted"``. Learners that learned a convention with their own
partners do well on the diagonal and worse off it: the self-play overfitting Melting Pot
scores agents for (Leibo et al. 2021), and that Hu et al.'s "other-play" (2020) starts from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from socialrl.mesa_compat import release_model
from socialrl.statistics import across_runs
from socialrl.study.crossplay.play import Schedule, play_match
from socialrl.study.crossplay.players import (
    CrossPlayError,
    Player,
    Restored,
    Scripted,
    Trained,
    World,
    restore,
)
from socialrl.study.crossplay.seating import (
    AgentSelector,
    Seating,
    check_compatible,
    seat_population,
    seating,
)

__all__ = ["PAIRINGS", "CrossPlay", "cross_play", "payoff_matrix", "summarise"]

#: What a match pairs: the focal with itself, with its own run's other sessions, with a
#: population trained elsewhere, with a scripted strategy.
PAIRINGS = ("self", "other sessions", "stranger", "scripted")
#: The pairings off the diagonal that a learned convention has to survive.
STRANGERS = ("other sessions", "stranger")


@dataclass(frozen=True)
class CrossPlay:
    """A cross-play's tables.

    Attributes:
        table: One row per match: ``focal, background, pairing``, their labels and design
            cells, each side's mean payoff with its standard error (and the focal's 95%
            interval) over ``n`` units of ``unit``, and the schedule.
        summary: One row per focal design cell (see :func:`summarise`).
        units: One row per match and unit: ``match, unit, focal_payoff, background_payoff``
            (``unit``: the episode's index, or the session's).

    """

    table: pd.DataFrame
    summary: pd.DataFrame
    units: pd.DataFrame


@dataclass(frozen=True)
class _Match:
    focal: Player
    background: Player
    pairing: str
    shift: int = 0


def cross_play(
    focal: Sequence[Player],
    background: Sequence[Player],
    *,
    world: World | None = None,
    schedule: Schedule | None = None,
    focal_role: str | None = None,
    focal_agents: AgentSelector | None = None,
) -> CrossPlay:
    """Play every focal player against itself and every background player.

    Args:
        focal: The focal players (trained runs or strategies).
        background: Who they meet (the focal players themselves are left out here: each
            meets itself anyway).
        world: Where every match is played; default: the focal's own world (the background's
            where the focal is a strategy).
        schedule: Episodes, steps and seed of every match.
        focal_role: The role the focal holds (default: see :mod:`.seating`).
        focal_agents: Its slots within that role, or an attribute selector (``{"firm": 1}``).

    Raises:
        CrossPlayError: no focal player, populations of different roles or spaces, a match
            of two strategies without a world.

    """
    if not focal:
        raise CrossPlayError("cross-play needs at least one focal population")
    arena = _Arena(world, schedule or Schedule(), focal_role, focal_agents)
    rows: list[dict[str, object]] = []
    frames: list[pd.DataFrame] = []
    for match in _matches(focal, background):
        played = arena.play(match)
        if played is not None:
            played[1].insert(0, "match", len(rows))
            rows.append(played[0])
            frames.append(played[1])
    units = pd.concat(frames, ignore_index=True)
    table = _table(pd.DataFrame(rows), units)
    return CrossPlay(table, summarise(table), units)


@dataclass
class _Arena:
    """Plays matches, restoring each trained player and seating each world once."""

    world: World | None
    schedule: Schedule
    focal_role: str | None
    focal_agents: AgentSelector | None
    restored: dict[str, Restored] = field(default_factory=dict)
    seatings: dict[str, Seating] = field(default_factory=dict)

    def play(self, match: _Match) -> tuple[dict[str, object], pd.DataFrame] | None:
        """The match's description and its units (None: no other sessions to meet)."""
        where = self.world or _world_of(match)
        if where.key not in self.seatings:
            model = where.build(0)
            try:
                self.seatings[where.key] = seating(model, self.focal_role, self.focal_agents)
            finally:
                release_model(model)
        seats = self.seatings[where.key]
        if match.shift and seats.n_sessions < 2:
            return None  # other sessions exist only in a batch of several
        focal = self._side(match.focal, seats, match.focal.label)
        background = self._side(match.background, seats, match.focal.label)
        population = seat_population(seats, focal, background, match.shift)
        try:
            units = play_match(where, seats, population, self.schedule)
        except CrossPlayError as err:
            raise CrossPlayError(
                f"{match.focal.label!r} against {match.background.label!r}: {err}"
            ) from None
        return _describe(match, seats, self.schedule), units

    def _side(self, player: Player, seats: Seating, focal_label: str) -> Restored | Scripted:
        """A trained player restored once (and checked against the match's model), or a strategy."""
        if isinstance(player, Scripted):
            return player
        if player.id not in self.restored:
            self.restored[player.id] = restore(player)
        check_compatible(seats, self.restored[player.id], focal_label)
        return self.restored[player.id]


def _matches(focal: Sequence[Player], background: Sequence[Player]) -> Iterator[_Match]:
    """Each focal player against itself, its other sessions, then every other background."""
    for f in focal:
        yield _Match(f, f, "self")
        if isinstance(f, Trained):
            yield _Match(f, f, "other sessions", shift=1)
        for b in background:
            if b.id != f.id:
                yield _Match(f, b, "scripted" if isinstance(b, Scripted) else "stranger")


def _world_of(match: _Match) -> World:
    """The focal's world, else the background's; two strategies need one to be given."""
    for player in (match.focal, match.background):
        if isinstance(player, Trained):
            return player.world
    raise CrossPlayError(
        f"{match.focal.label!r} against {match.background.label!r}: two strategies need a "
        "world to play in (world=World(model, params), or a trained run among the players)"
    )


def _describe(match: _Match, seats: Seating, schedule: Schedule) -> dict[str, object]:
    """The match's row before its statistics."""
    background_label = match.background.label
    if match.pairing == "other sessions":
        background_label += " (other sessions)"
    return {
        "focal": match.focal.id,
        "background": match.background.id,
        "pairing": match.pairing,
        "focal_label": match.focal.label,
        "background_label": background_label,
        "focal_cell": match.focal.cell,
        "background_cell": match.background.cell,
        "unit": "episode" if seats.sessions is None else "session",
        "episodes": schedule.episodes,
        "steps": schedule.steps,
        "seed": schedule.seed,
    }


def _table(matches: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each match's payoffs: mean, standard error and 95% interval over its units."""
    focal = across_runs(units, "focal_payoff", ["match"]).set_index("match")
    other = across_runs(units, "background_payoff", ["match"]).set_index("match")
    stats = pd.DataFrame(
        {
            "focal_payoff": focal["mean"],
            "focal_se": focal["sd"] / np.sqrt(focal["n"]),
            "focal_ci95_low": focal["ci95_low"],
            "focal_ci95_high": focal["ci95_high"],
            "background_payoff": other["mean"],
            "background_se": other["sd"] / np.sqrt(other["n"]),
            "n": focal["n"].astype(np.int64),
        }
    )
    table = matches.join(stats)
    order = [c for c in table.columns if c not in ("unit", "episodes", "steps", "seed")]
    return table[[*order, "unit", "episodes", "steps", "seed"]].reset_index(drop=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per focal design cell: the diagonal, the off-diagonal, their gap, and the scripted.

    ``universalization`` is the mean of the cell's self matches (the diagonal: what each of
    its runs gets when everyone plays like it), ``cross_play`` the mean of its matches
    against strangers and its own other sessions (off the diagonal), ``gap`` the first minus
    the second, ``scripted`` the mean against scripted backgrounds. Each is a mean over
    matches, with its standard error and the number of matches (``n_*``); where several
    focal cells take part, a last row ``all`` pools them.
    """
    cells = list(dict.fromkeys(table["focal_cell"]))
    rows = [_summary_row(cell, table[table["focal_cell"] == cell]) for cell in cells]
    if len(cells) > 1:
        rows.append(_summary_row("all", table))
    return pd.DataFrame(rows)


def _summary_row(cell: str, table: pd.DataFrame) -> dict[str, object]:
    row: dict[str, object] = {"focal_cell": cell, "focal_players": table["focal"].nunique()}
    for name, pairings in (
        ("universalization", ("self",)),
        ("cross_play", STRANGERS),
        ("scripted", ("scripted",)),
    ):
        values = table.loc[table["pairing"].isin(pairings), "focal_payoff"].to_numpy(float)
        n = int(np.isfinite(values).sum())
        row[name] = float(np.nanmean(values)) if n else np.nan
        row[f"{name}_se"] = float(np.nanstd(values, ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        row[f"n_{name}"] = n
    row["gap"] = float(row["universalization"]) - float(row["cross_play"])  # type: ignore[arg-type]
    return row


def payoff_matrix(table: pd.DataFrame, value: str = "focal_payoff") -> pd.DataFrame:
    """The matrix of a cross-play table: focal labels × background labels, ``value`` in cells.

    Rows are the focal players in the order they played; columns the focal players first
    (so the diagonal lies on the diagonal), then the other backgrounds. What the app's
    heatmap and ``socialrl crossplay`` show.
    """
    rows = list(dict.fromkeys(table["focal_label"]))
    backgrounds = set(table["background_label"])
    columns = [c for c in dict.fromkeys([*rows, *table["background_label"]]) if c in backgrounds]
    wide = table.pivot(index="focal_label", columns="background_label", values=value)
    return wide.reindex(index=rows, columns=columns)
