"""The duopoly loop (socialrl.run.duopoly_kernels) against the generic one, value for value.

The runner picks the leaner loop by itself for two players, memory one and a table per agent;
the generic loop is the reference. Both are run from one seed on the same games, chosen to
reach the cases the leaner loop handles differently: rows tied at their maximum (a constant
or integer Q₀, payoffs rounded so that values meet exactly), payoffs of ±0, greedy
actions that fall below the rest, sessions ending, evaluation after learning, two groups,
blocks partly filled, both threads' variants. Every Q value, TD error, stability count,
generator state, history, ending and reward sum must be the same.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest
from socialrl_models.pricing import PricingModel

from socialrl.learners import QLearning
from socialrl.population import Group, Population
from socialrl.run import duopoly_kernels
from socialrl.run.repeated_game import SessionRunner, compiled_sessions

pytestmark = pytest.mark.core

TIE = {"m": 3, "init": "9-10-0", "payoffs": "eight", "alpha": 0.5, "gamma": 0.0}
CASES: dict[str, dict[str, Any]] = {
    "calvano": {"eps": {"kind": "exponential", "beta": 2e-3}},
    "constant_init_ties": {"init": 10.0, "eps": 0.4},
    "integer_payoffs": {"init": 0.0, "eps": 0.3, "payoffs": "half", "alpha": 0.5},
    "signed_zeros": {"init": -0.0, "eps": 0.5, "payoffs": "signed_zeros", "gamma": 0.0},
    "greedy_only": {"init": 10.0, "eps": 0.0},
    "explore_only": {"eps": 1.0},
    "two_groups": {"groups": True, "eps": {"kind": "linear", "steps": 1500}},
    "stops": {"eps": {"kind": "exponential", "beta": 4e-3}, "stop": 40, "m": 3},
    "four_prices": {"m": 4, "eps": 0.5, "init": 1.0},
    "fifteen_prices": {"m": 15, "eps": {"kind": "exponential", "beta": 1e-3}},
    "two_prices": {"m": 2, "eps": 0.5, "init": 1.0},
    # the greedy action falls exactly onto the value of a lower action: (10 + 8) / 2 = 9
    "falls_onto_a_tie": {**TIE, "eps": 0.0},
    "falls_onto_a_tie_exploring": {**TIE, "eps": 0.2},
}


def _learner(case: dict[str, Any], alpha: float | None = None) -> QLearning:
    init = case.get("init", "model")
    if isinstance(init, str) and init == "9-10-0":  # in every state: 1 greedy, 0 just below
        init = np.tile([9.0, 10.0, 0.0], (9, 1))
    return QLearning(
        alpha=alpha or case.get("alpha", 0.15),
        gamma=case.get("gamma", 0.9),
        epsilon=case["eps"],
        init=init,
    )


def _payoffs(model: PricingModel, kind: str | None) -> None:
    """Payoffs that make Q values meet exactly (ties), or zeros of both signs."""
    if kind == "half":
        model.payoffs[...] = np.round(model.payoffs * 2.0) / 2.0
    elif kind == "eight":
        model.payoffs[...] = 8.0
    elif kind == "signed_zeros":
        model.payoffs[...] = np.where(model.payoffs > model.payoffs.mean(), 0.0, -0.0)


def _runner(case: dict[str, Any], markets: int) -> tuple[SessionRunner, PricingModel, list[Any]]:
    model = PricingModel(n_markets=markets, m=case.get("m", 5), rng=7)
    _payoffs(model, case.get("payoffs"))
    if case.get("groups"):
        learners = [_learner(case), _learner(case, alpha=0.3)]
        population = Population(
            [
                Group(learners[0], role="firm", agents={"firm": 0}),
                Group(learners[1], role="firm", agents={"firm": 1}),
            ]
        )
    else:
        learners = [_learner(case)]
        population = Population({"firm": learners[0]})
    population.bind(model, np.random.SeedSequence(11))
    for learner in learners:
        learner.stable_steps()  # count stability, as a run with a stopping rule does
    runner = compiled_sessions(model, population, stop_after=case.get("stop"))
    assert runner is not None
    return runner, model, learners


def _play(case: dict[str, Any], markets: int, fast: bool) -> dict[str, Any]:
    """Calls of different lengths, then an evaluation call (no learning).

    TD errors are kept after each of 40 one-period calls (a call keeps only the last).
    """
    runner, model, learners = _runner(case, markets)
    assert (runner.kernel is duopoly_kernels.play_duopolies) == fast
    sums = [runner.run(n) for n in (700, 1, 1300)]
    td = []
    for _ in range(40):
        sums.append(runner.run(1))
        td.append(np.concatenate([learner.kernel_view().td for learner in learners]))
    runner.learn = False
    sums.append(runner.run(200))
    out: dict[str, Any] = {"sums": sums, "history": model.history.copy(), "td": np.array(td)}
    out["ended_at"] = model.ended_at.copy()
    out["last_rewards"] = runner.last_rewards.copy()
    for g, learner in enumerate(learners):
        for key, value in learner.state_dict().items():
            out[f"{g}.{key}"] = np.asarray(value).copy()
        view = learner.kernel_view()
        out[f"{g}.rng"], out[f"{g}.td"] = view.rng.bit_generator.state, view.td.copy()
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            # bit for bit: the sign of a zero counts, NaN (no update) equals NaN
            np.testing.assert_array_equal(value.view(np.int64), b[key].view(np.int64), key)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, b[key], key)
        else:
            assert value == b[key], key


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("markets", [1, 7])
def test_the_duopoly_loop_equals_the_generic_loop(
    name: str, markets: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    fast = _play(case, markets, fast=True)
    with monkeypatch.context() as patch:
        patch.setattr(duopoly_kernels, "fits", lambda *_: False)
        generic = _play(case, markets, fast=False)
    _same(fast, generic)


def test_the_duopoly_loop_in_parallel_equals_it_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks on several threads: the same values as on one."""
    case = CASES["calvano"]
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = _play(case, 13, fast=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        parallel = _play(case, 13, fast=True)
    finally:
        numba.set_num_threads(threads)
    _same(serial, parallel)


def test_only_duopolies_with_memory_one_and_own_tables_take_the_leaner_loop() -> None:
    assert duopoly_kernels.fits(2, 1, True)
    assert not duopoly_kernels.fits(3, 1, True)
    assert not duopoly_kernels.fits(2, 2, True)
    assert not duopoly_kernels.fits(2, 1, False)
