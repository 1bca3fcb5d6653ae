"""Demand shocks of the pricing model: AR(1) persistence, observed shock states, bad input."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from socialrl_models.pricing import PricingModel, shocks

from socialrl.study import plan_study

STUDIES = Path(__file__).resolve().parents[1] / "studies"


def _shock_path(rho: float, sigma: float, periods: int, seed: int) -> np.ndarray:
    """``[periods, M, n]`` shocks a model draws, read after each step."""
    model = PricingModel(n_markets=50, demand_shock=sigma, shock_persistence=rho, rng=seed)
    out = np.empty((periods, 50, 2))
    for t in range(periods):
        model.step()
        out[t] = model._shock_state
    return out


@pytest.mark.core
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ar1_keeps_the_stationary_sd_and_has_autocorrelation_rho(rho: float) -> None:
    """100 series × 3,000 periods: s.d. σ and lag-1 autocorrelation ρ, within sampling error.

    Var of the sample variance of an AR(1) is ≈ 2σ⁴ (1 + ρ²) / ((1 − ρ²) N): at ρ 0.9 and
    N = 300,000 its s.e. is 0.7 % of σ², so 3 % on the s.d. is > 8 s.e.; the lag-1
    correlation's s.e. is ≈ √((1 − ρ²) / N) ≤ 0.002, tolerance 0.01.
    """
    sigma = 0.2
    path = _shock_path(rho, sigma, 3_000, seed=11)
    assert path.std() == pytest.approx(sigma, rel=0.03)
    assert abs(path.mean()) < 0.01
    x, y = path[:-1].ravel(), path[1:].ravel()
    assert np.corrcoef(x, y)[0, 1] == pytest.approx(rho, abs=0.01)


@pytest.mark.core
def test_ar1_step_is_the_equation() -> None:
    """``ε_t = ρ ε_{t−1} + √(1 − ρ²) σ η_t`` with η the generator's standard normals."""
    previous = np.array([[0.3, -0.1]])
    got = shocks.ar1_step(previous, 0.2, 0.6, np.random.default_rng(5))
    eta = np.random.default_rng(5).standard_normal((1, 2))
    np.testing.assert_allclose(got, 0.6 * previous + 0.8 * 0.2 * eta)


@pytest.mark.core
def test_iid_shocks_draw_nothing_at_the_start() -> None:
    """ρ = 0 starts from zeros: the seed gives the same i.i.d. shocks as without persistence."""
    assert not shocks.start((3, 2), 0.1, 0.0, np.random.default_rng(0)).any()
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state["state"]["state"]
    shocks.start((3, 2), 0.1, 0.0, rng)
    assert rng.bit_generator.state["state"]["state"] == before


@pytest.mark.core
def test_shocks_are_reproducible_from_the_seed() -> None:
    a, b, c = (_shock_path(0.7, 0.1, 20, seed) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.core
def test_profits_use_the_shocked_qualities() -> None:
    """π_i = (p_i − c_i) q_i(a + ε): the reward a step returns, recomputed by hand."""
    model = PricingModel(demand_shock=0.3, shock_persistence=0.5, rng=2)
    model._actions[:] = [4, 9]
    model.step()
    p = model.grid[[0, 1], [4, 9]]
    e = model._shock_state[0]
    u = np.exp((2.0 + e - p) / 0.25)
    q = u / (u.sum() + np.exp(0.0))
    np.testing.assert_allclose(model.last_profits(), (p - 1.0) * q)


@pytest.mark.core
def test_bin_edges_split_the_stationary_law_evenly() -> None:
    """Φ⁻¹(1/3) = −0.430727, Φ⁻¹(1/2) = 0."""
    np.testing.assert_allclose(shocks.bin_edges(1.0, 3), [-0.430727, 0.430727], atol=1e-6)
    np.testing.assert_allclose(shocks.bin_edges(0.2, 2), [0.0])


@pytest.mark.core
def test_observed_shocks_join_the_state_index_by_hand() -> None:
    """m 3, n 2, k 1, 2 bins: 9 price states × 4 shock states.

    History (firm 0 at price 2, firm 1 at 0), shocks (−0.1, +0.3) → bins (0, 1).
    Firm 0: price state 2·1 + 0·3 = 2, shock code 0·1 + 1·2 = 2 → 2 + 9·2 = 20.
    Firm 1: price state 0·1 + 2·3 = 6, shock code 1·1 + 0·2 = 1 → 6 + 9·1 = 15.
    """
    model = PricingModel(prices=[1.5, 1.7, 1.9], demand_shock=0.2, shock_observed=True, rng=0)
    assert model.n_states == 36
    assert model._observation_space() == gym.spaces.Discrete(36)
    model.history[:] = [[[2, 0]]]
    model._shock_state[:] = [[-0.1, 0.3]]
    assert model.observe().tolist() == [20, 15]


@pytest.mark.core
def test_after_a_step_firms_see_that_periods_shock() -> None:
    model = PricingModel(demand_shock=0.2, shock_observed=True, shock_bins=3, rng=9)
    model._actions[:] = [1, 2]
    model.step()
    bins = np.searchsorted(shocks.bin_edges(0.2, 3), model._shock_state[0], side="right")
    prices = 1 + 2 * 15  # firm 0 sees itself (1) then firm 1 (2), base m = 15
    assert model.observe()[0] == prices + 225 * (bins[0] + 3 * bins[1])
    assert model.n_states == 225 * 9


@pytest.mark.core
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"demand_shock": 0.1, "shock_persistence": 1.0}, "shock_persistence must be in"),
        ({"demand_shock": 0.1, "shock_persistence": -0.2}, "shock_persistence must be in"),
        ({"shock_persistence": 0.5}, "shock_persistence needs demand_shock"),
        ({"shock_observed": True}, "shock_observed needs demand_shock"),
        ({"demand_shock": 0.1, "shock_observed": True, "shock_bins": 1}, "shock_bins"),
        ({"demand_shock": 0.1, "shock_observed": True, "shock_bins": 2.5}, "shock_bins"),
        (
            {"demand_shock": 0.1, "shock_observed": True, "observation": "prices"},
            "shock_observed needs observation='state'",
        ),
    ],
)
def test_bad_shock_options_are_one_line_errors(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        PricingModel(**params)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


NEW_STUDIES = [
    "calvano2020_robustness.toml",
    "calvano2021_monitoring.toml",
    "calvano2020_deep_q.toml",
    *(f"calvano2020_deep_{f}{m}.toml" for f in ("dqn", "reinforce", "a2c") for m in ("", "_mixed")),
]


@pytest.mark.parametrize("study", NEW_STUDIES)
def test_new_studies_validate(study: str) -> None:
    """Every run of the study builds: model parameters, learners and sweep keys are right."""
    spec, _, runs = plan_study(STUDIES / study)
    assert runs and spec.name == study.removesuffix(".toml")
