"""Contract tests that every model and every learner inherits.

Like Axelrod's ``TestPlayer``: a new model or learner gets these checks for free by subclassing
and saying how to build one. They test the contract, not the behaviour — shapes, dtypes,
spaces, seeding, autoreset semantics, checkpoints, and clear refusals of bad input — and every
optional ability a model or learner declares (:mod:`socialrl.capabilities`): a test of an
ability the class does not declare is skipped. ``tests/test_contracts.py`` fails when a
registered model or learner has no subclass here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

from socialrl.capabilities import (
    ActionMasks,
    CounterfactualLearning,
    CounterfactualOutcomes,
    Discounting,
    EndOfRunTables,
    GameModel,
    InitialValues,
    LearnedModel,
    ModelInitialised,
    MultiPeriodLearning,
    PolicyReport,
    RepeatedGames,
    StabilityTracking,
    TabularValues,
    TextRendering,
    TurnTaking,
)
from socialrl.contract import MultiAgentModel, RoleSpec, RoleStep
from socialrl.envs import MultiAgentEnv, ParallelEnv, SingleAgentEnv
from socialrl.games import GameRules, IllegalMove, sample_legal
from socialrl.learners.base import Learner
from socialrl.learners.fixed import RandomPolicy
from socialrl.population import Population


def _random_actions(model: MultiAgentModel, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Uniform actions per agent; among the legal moves where the model restricts them."""
    if isinstance(model, ActionMasks):
        return {role: sample_legal(model.legal_actions(role), rng) for role in model.roles}
    return {
        role: rng.integers(spec.n_actions, size=spec.n_agents) for role, spec in model.roles.items()
    }


def _skip_masked_views(model: Any) -> None:
    """The single-agent Gymnasium view does not carry legal-move masks to its user.

    Gymnasium's ``check_env`` samples from the whole action space, and a masked model refuses
    an illegal move; the batched env, the population and the PettingZoo view (an
    ``action_mask`` in each observation) respect the masks.
    """
    if isinstance(model, ActionMasks):
        pytest.skip(f"{type(model).__name__} restricts moves: the single-agent view has no masks")


def _masked_parallel_play(env: ParallelEnv, cycles: int = 30) -> list[tuple[Any, Any]]:
    """Observations and rewards of seeded play among the legal moves (PettingZoo's masks)."""
    rng = np.random.default_rng(42)
    obs, _ = env.reset(seed=42)
    trail = []
    for _ in range(cycles):
        if not env.agents:
            break
        actions = {}
        for agent in env.agents:
            legal = np.flatnonzero(obs[agent]["action_mask"])
            actions[agent] = int(rng.choice(legal)) if legal.size else 0
        obs, rewards, *_ = env.step(actions)
        trail.append((obs, rewards))
    return trail


class ModelContract:
    """Subclass and set ``model`` (class) and ``params`` (small, fast settings)."""

    model: ClassVar[Any]
    params: ClassVar[dict[str, Any]] = {}
    steps: ClassVar[int] = 60

    def build(self, seed: int = 0, **overrides: Any) -> MultiAgentModel:
        return self.model(**{**self.params, **overrides}, rng=seed)  # type: ignore[no-any-return]

    def rollout(
        self, seed: int, steps: int | None = None, **overrides: Any
    ) -> list[dict[str, RoleStep]]:
        model = self.build(seed, **overrides)
        rng = np.random.default_rng(seed)
        outs = []
        for _ in range(steps or self.steps):
            for role, actions in _random_actions(model, rng).items():
                model.set_actions(role, actions)
            model.step()
            outs.append({role: model.outcome(role) for role in model.roles})
        return outs

    def test_is_a_mesa_model_with_roles(self) -> None:
        import mesa

        model = self.build()
        assert isinstance(model, mesa.Model)
        assert isinstance(model, MultiAgentModel)
        assert model.roles, "a model declares at least one role"
        for role, spec in model.roles.items():
            assert spec.name == role
            assert isinstance(spec.action_space, gym.spaces.Discrete)
            agents = list(model.role_agents(role))
            assert len(agents) == spec.n_agents
            assert all(isinstance(a, mesa.Agent) for a in agents)

    def test_observations_are_batches_in_the_space(self) -> None:
        model = self.build()
        for role, spec in model.roles.items():
            obs = model.observe(role)
            assert obs.shape[0] == spec.n_agents
            assert all(spec.observation_space.contains(o) for o in obs)

    def test_step_outcome_shapes_and_flags(self) -> None:
        for outs in self.rollout(seed=1):
            for role, out in outs.items():
                n = self.build().roles[role].n_agents
                assert out.reward.shape == (n,) and out.reward.dtype == np.float64
                assert out.terminated.dtype == bool and out.truncated.dtype == bool
                assert not (out.terminated & out.truncated).any(), "a time limit is not an ending"
                assert out.obs.shape[0] == n and out.next_obs.shape[0] == n

    def test_autoreset_same_step(self) -> None:
        """Finished agents restart: next_obs is where they ended, obs where they restart."""
        for outs in self.rollout(seed=2, steps=self.steps * 3):
            for out in outs.values():
                going_on = ~(out.terminated | out.truncated)
                np.testing.assert_array_equal(out.obs[going_on], out.next_obs[going_on])

    def test_no_autoreset_freezes_finished_agents(self) -> None:
        model = self.build(3, autoreset=False)
        rng = np.random.default_rng(3)
        finished = {role: np.zeros(spec.n_agents, bool) for role, spec in model.roles.items()}
        for _ in range(self.steps * 3):
            before = {role: model.observe(role) for role in model.roles}
            for role, actions in _random_actions(model, rng).items():
                model.set_actions(role, actions)
            model.step()
            for role in model.roles:
                out = model.outcome(role)
                was = finished[role]
                assert not out.terminated[was].any() and not out.truncated[was].any()
                assert (out.reward[was] == 0).all()
                np.testing.assert_array_equal(out.next_obs[was], before[role][was])
                finished[role] = was | out.terminated | out.truncated
                np.testing.assert_array_equal(model.active(role), ~finished[role])

    def test_same_seed_same_trajectory(self) -> None:
        a, b = self.rollout(seed=4), self.rollout(seed=4)
        for oa, ob in zip(a, b, strict=True):
            for role in oa:
                for x, y in zip(oa[role], ob[role], strict=True):
                    np.testing.assert_array_equal(x, y)

    def test_reporters(self) -> None:
        model = self.build()
        metrics = model.metrics()
        assert all(isinstance(v, float) for v in metrics.values())
        for role, spec in model.roles.items():
            frame = model.agent_frame(role)
            assert all(len(col) == spec.n_agents for col in frame.values())

    def test_batched_env_refuses_wrong_action_shape(self) -> None:
        env = MultiAgentEnv(self.model, self.params)
        env.reset(seed=0)
        role, spec = next(iter(env.roles.items()))
        with pytest.raises(ValueError, match=rf"actions for role '{role}' must have shape"):
            env.step({role: np.zeros(spec.n_agents + 1, dtype=np.int64)})
        with pytest.raises(ValueError, match="must lie in"):
            env.step({role: np.full(spec.n_agents, spec.n_actions)})

    def test_unknown_parameter_is_refused(self) -> None:
        with pytest.raises(TypeError, match="takes no parameter 'no_such_parameter'"):
            MultiAgentEnv(self.model, {**self.params, "no_such_parameter": 1})

    def test_gymnasium_check_env(self) -> None:
        _skip_masked_views(self.build())
        env = SingleAgentEnv(self.model, **self.params)
        check_env(env, skip_render_check=False)

    def test_pettingzoo_parallel_api_and_seed(self) -> None:
        parallel_api_test(ParallelEnv(self.model, **self.params), num_cycles=self.steps)
        if not isinstance(self.build(), ActionMasks):
            parallel_seed_test(lambda: ParallelEnv(self.model, **self.params))
            return
        # PettingZoo's seed test samples unmasked actions; the same check, among legal moves:
        runs = [_masked_parallel_play(ParallelEnv(self.model, **self.params)) for _ in range(2)]
        for (obs_a, rew_a), (obs_b, rew_b) in zip(*runs, strict=True):
            assert rew_a == rew_b
            for agent, seen in obs_a.items():
                for key, value in seen.items():
                    np.testing.assert_array_equal(value, obs_b[agent][key])

    # -------------------------------------------------- declared abilities (capabilities.py)
    def declared(self, ability: type) -> Any:
        """A fresh model, or a skip when the model does not declare ``ability``."""
        model = self.build()
        if not isinstance(model, ability):
            pytest.skip(f"{type(model).__name__} does not declare {ability.__name__}")
        return model

    def played(self, model: Any) -> Population:
        """A random population bound to ``model``, after a few steps of play."""
        population = Population({role: RandomPolicy() for role in model.roles})
        population.bind(model, np.random.SeedSequence(0))
        rng = np.random.default_rng(0)
        for _ in range(5):
            for role, actions in _random_actions(model, rng).items():
                model.set_actions(role, actions)
            model.step()
        return population

    def test_end_of_run_tables_are_data_frames(self) -> None:
        model = self.declared(EndOfRunTables)
        tables = model.final_tables(self.played(model))
        assert all(isinstance(name, str) for name in tables)
        assert all(isinstance(table, pd.DataFrame) for table in tables.values())

    def test_policy_report_is_per_agent_arrays(self) -> None:
        model = self.declared(PolicyReport)
        population = self.played(model)
        for role, spec in model.roles.items():
            report = model.policy_report(role, population.greedy_policy(role))
            assert report, "a policy report has at least one column"
            for column in report.values():
                assert isinstance(column, np.ndarray) and column.shape[0] == spec.n_agents

    def test_initial_values_fit_the_tables(self) -> None:
        model = self.declared(InitialValues)
        for role, spec in model.roles.items():
            if not isinstance(spec.observation_space, gym.spaces.Discrete):
                continue
            shape = (spec.n_agents, int(spec.observation_space.n), spec.n_actions)
            values = np.broadcast_to(np.asarray(model.initial_values(role, 0.95)), shape)
            assert np.isfinite(values).all()

    def test_repeated_game_describes_the_model(self) -> None:
        model = self.declared(RepeatedGames)
        game = model.repeated_game()
        if game is None:
            return  # allowed: the description does not hold for these parameters
        n, k, a = game.n_players, game.memory, game.n_actions
        sessions = game.active.shape[0]
        assert model.roles[game.role].n_agents == sessions * n
        assert model.roles[game.role].n_actions == a
        assert game.payoffs.shape == (n, a**n)
        assert game.history.shape == (sessions, k, n)
        assert game.state_weights.shape == (n, k, n)
        assert game.active.dtype == bool and game.ended_at.shape == (sessions,)
        assert callable(game.finish)

    def test_render_text_is_text(self) -> None:
        model = self.declared(TextRendering)
        text = model.render_text()
        assert isinstance(text, str) and text.strip()

    def test_turn_taking_says_who_moved(self) -> None:
        model = self.declared(TurnTaking)
        self.played(model)
        for role, spec in model.roles.items():
            moved = model.moved(role)
            assert moved.shape == (spec.n_agents,) and moved.dtype == bool
            assert moved.any() and not moved.all(), "in turns some move and some wait"
            assert not (moved & ~model.active(role)).any(), "only playing agents move"

    def test_action_masks_refuse_forced_illegal_moves(self) -> None:
        model = self.declared(ActionMasks)
        self.played(model)
        for role, spec in model.roles.items():
            legal = model.legal_actions(role)
            assert legal.shape == (spec.n_agents, spec.n_actions) and legal.dtype == bool
            assert legal.any(), "someone can move"
            assert not (legal.any(axis=1) & ~model.active(role)).any(), "only players move"
            illegal = ~legal & legal.any(axis=1, keepdims=True)
            rows = np.flatnonzero(illegal.any(axis=1))
            if rows.size == 0:
                continue  # every mover may play anything here
            actions = sample_legal(legal, np.random.default_rng(0))
            actions[rows[0]] = int(np.flatnonzero(illegal[rows[0]])[0])
            with pytest.raises(IllegalMove) as refused:
                model.set_actions(role, actions)
                model.step()
            assert "\n" not in str(refused.value) and "legal" in str(refused.value)

    def test_game_rules_agree_with_the_model(self) -> None:
        model = self.declared(GameModel)
        self.played(model)
        rng = np.random.default_rng(1)
        for _ in range(3):
            for role in model.roles:
                rules = model.game_rules(role)
                assert isinstance(rules, GameRules)
                obs = model.observe(role)
                movers = model.legal_actions(role).any(axis=1)
                # The position each agent observes says what it may play, and nothing more.
                np.testing.assert_array_equal(
                    rules.legal(obs)[movers], model.legal_actions(role)[movers]
                )
                features = rules.features(obs)
                assert features.dtype == np.float32 and features.shape[0] == obs.shape[0]
                actions = sample_legal(model.legal_actions(role), rng)
                expected = rules.play(obs[movers], actions[movers])
                model.set_actions(role, actions)
                model.step()
                after = model.outcome(role)
                # What the rules predict is where the model went (before any autoreset).
                np.testing.assert_array_equal(after.next_obs[movers], expected)

    def test_counterfactual_outcomes_fit_the_role(self) -> None:
        model = self.declared(CounterfactualOutcomes)
        actions = _random_actions(model, np.random.default_rng(5))
        for role, batch in actions.items():
            model.set_actions(role, batch)
        model.step()
        for role, spec in model.roles.items():
            try:
                rewards, next_obs = model.counterfactual_outcomes(role)
            except ValueError as refused:  # allowed: not defined for these parameters
                assert "\n" not in str(refused)
                pytest.skip(f"no counterfactuals here: {refused}")
            assert rewards.shape == (spec.n_agents, spec.n_actions)
            assert next_obs.shape[:2] == (spec.n_agents, spec.n_actions)
            assert np.isfinite(rewards).all()
            played = rewards[np.arange(spec.n_agents), actions[role]]  # what really happened
            np.testing.assert_allclose(played, model.outcome(role).reward)


class LearnerContract:
    """Subclass and define ``make`` (a fresh learner) and ``spaces`` (obs, action space)."""

    n_agents: ClassVar[int] = 5
    observation_space: ClassVar[gym.Space[Any]] = gym.spaces.Discrete(6)
    action_space: ClassVar[gym.spaces.Discrete] = gym.spaces.Discrete(3)

    def make(self) -> Learner:
        raise NotImplementedError

    def bound(self, seed: int = 0) -> Learner:
        learner = self.make()
        learner.bind(
            self.n_agents, self.observation_space, self.action_space, np.random.SeedSequence(seed)
        )
        return learner

    def batch(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        n = self.n_agents
        obs = rng.integers(int(self.observation_space.n), size=n)  # type: ignore[attr-defined]
        nxt = rng.integers(int(self.observation_space.n), size=n)  # type: ignore[attr-defined]
        return (
            obs,
            rng.integers(int(self.action_space.n), size=n),
            rng.normal(size=n),
            nxt,
            rng.random(n) < 0.2,
        )

    def train(self, learner: Learner, steps: int = 50, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            obs, _, reward, nxt, term = self.batch(rng)
            actions = learner.act(obs)
            learner.learn(obs, actions, reward, nxt, term, truncated=~term & (reward > 1.5))

    def test_is_a_learner(self) -> None:
        assert isinstance(self.make(), Learner)

    def test_act_and_greedy_shapes(self) -> None:
        learner = self.bound()
        obs = self.batch(np.random.default_rng(0))[0]
        for actions in (learner.act(obs), learner.greedy(obs)):
            assert actions.shape == (self.n_agents,)
            assert actions.dtype.kind in "iu"
            assert ((actions >= 0) & (actions < self.action_space.n)).all()

    def test_seeded_reproducibility(self) -> None:
        a, b = self.bound(seed=7), self.bound(seed=7)
        self.train(a, seed=1)
        self.train(b, seed=1)
        for key, value in a.state_dict().items():
            np.testing.assert_array_equal(value, b.state_dict()[key])

    def test_rebinding_resets(self) -> None:
        learner = self.bound(seed=3)
        fresh = {k: v.copy() for k, v in learner.state_dict().items()}
        self.train(learner)
        learner.bind(
            self.n_agents, self.observation_space, self.action_space, np.random.SeedSequence(3)
        )
        for key, value in learner.state_dict().items():
            np.testing.assert_array_equal(value, fresh[key])

    def test_save_load_round_trip(self, tmp_path: Any) -> None:
        from socialrl.learners.base import load_state, save_state

        learner = self.bound(seed=5)
        self.train(learner)
        path = save_state(tmp_path / "ckpt", learner.state_dict())
        other = self.bound(seed=99)
        other.load_state_dict(load_state(path))
        obs = self.batch(np.random.default_rng(11))[0]
        np.testing.assert_array_equal(learner.act(obs), other.act(obs))
        for key, value in learner.state_dict().items():
            np.testing.assert_array_equal(value, other.state_dict()[key])

    def test_wrong_observation_shape_is_refused(self) -> None:
        learner = self.bound()
        obs = self.batch(np.random.default_rng(0))[0]
        with pytest.raises(ValueError, match=f"{self.n_agents}"):
            learner.act(np.concatenate([obs, obs]))

    def test_diagnostics_are_floats(self) -> None:
        learner = self.bound()
        self.train(learner, steps=3)
        assert all(isinstance(v, float) for v in learner.diagnostics().values())

    # -------------------------------------------------- declared abilities (capabilities.py)
    def declared(self, ability: type) -> Any:
        """A bound, trained learner, or a skip when it does not declare ``ability``."""
        learner = self.bound()
        if not isinstance(learner, ability):
            pytest.skip(f"{type(learner).__name__} does not declare {ability.__name__}")
        self.train(learner, steps=20)
        return learner

    def test_tabular_values_shape_and_table_of_every_slot(self) -> None:
        learner = self.declared(TabularValues)
        q = learner.q_values()
        n_states, n_actions = int(self.observation_space.n), int(self.action_space.n)  # type: ignore[attr-defined]
        assert q.ndim == 3 and q.shape[1:] == (n_states, n_actions)
        assert q.dtype == np.float64
        tables = [learner.table_of(agent) for agent in range(self.n_agents)]
        assert all(isinstance(k, int) and 0 <= k < q.shape[0] for k in tables)
        assert set(tables) == set(range(q.shape[0])), "every table belongs to some agent"
        start = learner.initial_q_values()
        assert start.shape == q.shape and start.dtype == np.float64
        assert start is not q  # a rebuilt table, never the learner's own array

    def test_stable_steps_per_agent(self) -> None:
        learner = self.declared(StabilityTracking)
        stable = learner.stable_steps()
        assert stable.shape == (self.n_agents,) and stable.dtype == np.int64
        assert (stable >= 0).all()

    def test_learned_model_is_a_table_of_tried_pairs(self) -> None:
        learner = self.declared(LearnedModel)
        table = learner.learned_model(0)
        assert isinstance(table, pd.DataFrame)
        assert {"state", "action"} <= set(table.columns)
        assert not table.duplicated(["state", "action"]).any()

    def test_discount_is_a_factor(self) -> None:
        learner = self.declared(Discounting)
        assert 0.0 <= learner.discount() <= 1.0

    def test_learn_over_one_period_changes_only_movers(self) -> None:
        learner = self.declared(MultiPeriodLearning)
        obs, actions, rewards, next_obs, terminated = self.batch(np.random.default_rng(3))
        before = {k: np.array(v, copy=True) for k, v in learner.state_dict().items()}
        nobody = np.zeros(self.n_agents, dtype=bool)
        periods = np.full(self.n_agents, 2)
        learner.learn_over(obs, actions, rewards, next_obs, periods, terminated, nobody)
        for key, value in learner.state_dict().items():
            np.testing.assert_array_equal(value, before[key], err_msg=key)
        learner.learn_over(obs, actions, rewards, next_obs, periods, terminated)

    def test_counterfactual_learning_is_declared_honestly(self) -> None:
        learner = self.declared(CounterfactualLearning)
        assert isinstance(learner.wants_counterfactuals(), bool)

    def test_init_from_model_takes_the_proposed_values_or_keeps_its_own(self) -> None:
        learner = self.bound()
        if not isinstance(learner, ModelInitialised):
            pytest.skip(f"{type(learner).__name__} does not declare ModelInitialised")
        before = learner.q_values().copy() if isinstance(learner, TabularValues) else None
        learner.init_from_model(_Proposing(self), "agent", None)
        if before is not None:
            after = learner.q_values()
            assert (after == before).all() or (after == _Proposing.VALUE).all()


class _Proposing:
    """A model that only proposes initial values (for ``init_from_model``)."""

    VALUE = 7.0

    def __init__(self, contract: LearnerContract) -> None:
        self.spaces = (contract.observation_space, contract.action_space)
        self.roles = {
            "agent": RoleSpec("agent", contract.n_agents, *self.spaces)  # type: ignore[arg-type]
        }

    def initial_values(self, role: str, gamma: float) -> np.ndarray:
        n_states, n_actions = int(self.spaces[0].n), int(self.spaces[1].n)  # type: ignore[attr-defined]
        return np.full((n_states, n_actions), self.VALUE)
