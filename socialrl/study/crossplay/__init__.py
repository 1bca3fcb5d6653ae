"""Cross-play: trained populations against strangers, scripted strategies and themselves.

A population that learned in self-play may have learned *a* convention, one among many
(Lewis 1969): in pure coordination any action both choose is as good as another, and which
one a run settles on is chance. Against a population trained with another seed it may then
do badly — the self-play overfitting that Melting Pot scores agents for by pitting a *focal*
population against held-out *background* populations (Leibo et al. 2021). This package does
that with what a study's runs kept (each group's learner as it ended,
:mod:`socialrl.study.store`):

* :mod:`.players` — trained runs and scripted strategies, restored to play;
* :mod:`.seating` — which agent slots the focal holds, who drives the others;
* :mod:`.play` — greedy matches without learning, from explicit seeds, payoffs per unit;
* :mod:`.matrix` — the cross-play table, universalization (focal against itself) and the
  summary per design cell;
* :mod:`.studies` — selectors over study folders, and the tables in the study's folder
  (``socialrl crossplay``, the app's Cross-play page).

It sits at the study level: it rebuilds a run's model from its settings and loads its
learners, and writes into the study's folder.
"""

from socialrl.study.crossplay.matrix import (
    PAIRINGS,
    CrossPlay,
    cross_play,
    payoff_matrix,
    summarise,
)
from socialrl.study.crossplay.play import Schedule
from socialrl.study.crossplay.players import CrossPlayError, Player, Scripted, Trained, World
from socialrl.study.crossplay.studies import (
    SUMMARY_FILE,
    TABLE_FILE,
    crossplay_study,
    played_runs,
    read_crossplay,
    write_crossplay,
)

__all__ = [
    "PAIRINGS",
    "SUMMARY_FILE",
    "TABLE_FILE",
    "CrossPlay",
    "CrossPlayError",
    "Player",
    "Schedule",
    "Scripted",
    "Trained",
    "World",
    "cross_play",
    "crossplay_study",
    "payoff_matrix",
    "played_runs",
    "read_crossplay",
    "summarise",
    "write_crossplay",
]
