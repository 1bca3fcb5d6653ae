"""Policy-gradient learners (REINFORCE, actor-critic): returns and GAE by hand, bookkeeping,
contract, known answers.

Not marked ``core``: these need torch, which the Python 3.12 leg lacks (the module is skipped
where it is not installed).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socialrl_models.maze import MazeModel  # noqa: E402

import socialrl.learners.actor_critic as actor_critic  # noqa: E402
from socialrl import simulate  # noqa: E402
from socialrl.envs.classic import short_corridor_value  # noqa: E402
from socialrl.learners.actor_critic import ActorCritic, ActorCriticConfig  # noqa: E402
from socialrl.learners.base import load_state, save_state  # noqa: E402
from socialrl.learners.policy_loss import policy_gradient_loss  # noqa: E402
from socialrl.learners.reinforce import Reinforce, ReinforceConfig  # noqa: E402
from socialrl.learners.returns import discounted_returns, gae  # noqa: E402
from socialrl.learners.trajectories import EpisodeSteps  # noqa: E402
from socialrl.registry import make_learner  # noqa: E402
from tests.contracts import LearnerContract  # noqa: E402

# ---------------------------------------------------------------------------- known answers
# A 4-step rollout of 2 agents, γ = 0.9. Agent 0 terminates at t = 1 (then a new episode runs
# to the end of the rollout); agent 1 is truncated at t = 2 (its final state is worth 5).
GAMMA = 0.9
REWARDS = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 2.0]])
TERMINATED = np.array([[False, False], [True, False], [False, False], [False, False]])
TRUNCATED = np.array([[False, False], [False, False], [False, True], [False, False]])
VALUES = np.array([[1.0, 0.5], [2.0, 1.0], [3.0, 2.0], [4.0, 1.0]])
# V(s_{t+1}) of the observation each transition led to: agent 0's terminal state (9) must be
# ignored; agent 1's final state at the truncation (5) must be used.
NEXT_VALUES = np.array([[2.0, 1.0], [9.0, 2.0], [4.0, 5.0], [10.0, 3.0]])


def test_discounted_returns_by_hand() -> None:
    returns = discounted_returns(
        REWARDS, TERMINATED | TRUNCATED, GAMMA, bootstrap=np.array([10.0, 0.0])
    )
    # agent 0: G3 = 4 + .9·10 = 13; G2 = 3 + .9·13 = 14.7; G1 = 2 (terminal); G0 = 1 + .9·2 = 2.8
    # agent 1: G3 = 2; G2 = 0 (truncated, nothing follows); G1 = 1; G0 = .9
    np.testing.assert_allclose(returns, [[2.8, 0.9], [2.0, 1.0], [14.7, 0.0], [13.0, 2.0]])


def test_discounted_returns_bootstrap_at_a_truncation_by_hand() -> None:
    end_values = np.where(TRUNCATED, NEXT_VALUES, 0.0)
    returns = discounted_returns(
        REWARDS,
        TERMINATED | TRUNCATED,
        GAMMA,
        bootstrap=np.array([10.0, 0.0]),
        end_values=end_values,
    )
    # agent 1: G2 = 0 + .9·5 = 4.5; G1 = 1 + .9·4.5 = 5.05; G0 = .9·5.05 = 4.545; G3 = 2
    np.testing.assert_allclose(returns[:, 0], [2.8, 2.0, 14.7, 13.0])
    np.testing.assert_allclose(returns[:, 1], [4.545, 5.05, 4.5, 2.0])


def test_gae_by_hand() -> None:
    adv, ret = gae(REWARDS, VALUES, NEXT_VALUES, TERMINATED, TERMINATED | TRUNCATED, GAMMA, lam=0.5)
    # δ_t = r_t + γ V(s_{t+1})(1 − term_t) − V(s_t); A_t = δ_t + γλ(1 − end_t) A_{t+1}; γλ = .45
    # agent 0: δ = [1.8, 0 (terminal: 2 − 2), 3.6, 9]; A3 = 9; A2 = 3.6 + .45·9 = 7.65;
    #          A1 = 0 (episode ends); A0 = 1.8 + .45·0 = 1.8
    # agent 1: δ = [.4, 1.8, 2.5 (bootstrapped: .9·5 − 2), 3.7]; A3 = 3.7; A2 = 2.5 (ends);
    #          A1 = 1.8 + .45·2.5 = 2.925; A0 = .4 + .45·2.925 = 1.71625
    np.testing.assert_allclose(adv[:, 0], [1.8, 0.0, 7.65, 9.0])
    np.testing.assert_allclose(adv[:, 1], [1.71625, 2.925, 2.5, 3.7])
    np.testing.assert_allclose(ret, adv + VALUES)
    np.testing.assert_allclose(ret[:, 1], [2.21625, 3.925, 4.5, 4.7])


def test_gae_lambda_one_is_the_bootstrapped_monte_carlo_return() -> None:
    _, ret = gae(REWARDS, VALUES, NEXT_VALUES, TERMINATED, TERMINATED | TRUNCATED, GAMMA, lam=1.0)
    expected = discounted_returns(
        REWARDS,
        TERMINATED | TRUNCATED,
        GAMMA,
        bootstrap=NEXT_VALUES[-1],
        end_values=np.where(TRUNCATED, NEXT_VALUES, 0.0),
    )
    np.testing.assert_allclose(ret, expected)
    np.testing.assert_allclose(ret[:, 1], [4.545, 5.05, 4.5, 4.7])


def test_gae_lambda_zero_is_the_td_error() -> None:
    adv, _ = gae(REWARDS, VALUES, NEXT_VALUES, TERMINATED, TERMINATED | TRUNCATED, GAMMA, 0.0)
    np.testing.assert_allclose(adv, [[1.8, 0.4], [0.0, 1.8], [3.6, 2.5], [9.0, 3.7]])


def test_gae_treats_a_termination_as_an_episode_end() -> None:
    with_flag = gae(REWARDS, VALUES, NEXT_VALUES, TERMINATED, TERMINATED, GAMMA, 0.7)
    without = gae(REWARDS, VALUES, NEXT_VALUES, TERMINATED, np.zeros_like(TERMINATED), GAMMA, 0.7)
    np.testing.assert_allclose(with_flag[0], without[0])


def test_policy_gradient_loss_by_hand() -> None:
    """Uniform policy over 2 actions: log π = −log 2 for every action, entropy log 2.

    Row 0 (one network) has samples weighted 1 and 3 → loss −mean(w log π) = 2 log 2;
    row 1 has one valid sample weighted −2 (its padding is ignored) → −2 log 2. Rows add up.
    """
    logits = torch.zeros(2, 2, 2, requires_grad=True)
    actions = torch.tensor([[0, 1], [1, 0]])
    weights = torch.tensor([[1.0, 3.0], [-2.0, 100.0]])
    valid = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    loss, entropy = policy_gradient_loss(logits, actions, weights, valid)
    assert loss.item() == pytest.approx(0.0)  # 2 log 2 − 2 log 2
    assert entropy.item() == pytest.approx(2 * np.log(2))
    loss.backward()
    # ∂(−w log π(a))/∂logit_b = −w (1[a = b] − π(b)) / count: row 0, sample 0 (a = 0, w = 1)
    assert logits.grad is not None
    np.testing.assert_allclose(logits.grad[0, 0].numpy(), [-0.25, 0.25])
    np.testing.assert_allclose(logits.grad[1, 1].numpy(), [0.0, 0.0])  # padding


# ---------------------------------------------------------------------------- contract
class TestReinforceContract(LearnerContract):
    def make(self) -> Reinforce:
        return Reinforce(lr=1e-2, baseline=True, hidden=(16,), episodes_per_update=3)


class TestReinforceIndependentContract(LearnerContract):
    def make(self) -> Reinforce:
        return Reinforce(lr=1e-2, hidden=(8,), shared=False, normalize_returns=True, window=4)


class TestActorCriticContract(LearnerContract):
    def make(self) -> ActorCritic:
        return ActorCritic(n_steps=4, gae_lambda=0.9, hidden=(16,), entropy_coef=0.01)


class TestActorCriticIndependentContract(LearnerContract):
    def make(self) -> ActorCritic:
        return ActorCritic(
            n_steps=3, hidden=(8,), shared=False, shared_trunk=True, optimizer="adam"
        )


class TestActorCriticSharedTrunkContract(LearnerContract):
    def make(self) -> ActorCritic:
        return ActorCritic(n_steps=1, hidden=(16,), shared_trunk=True, normalize_advantages=True)


def bound(learner: Any, n: int = 3, states: int = 6, actions: int = 3, seed: int = 0) -> Any:
    learner.bind(
        n, gym.spaces.Discrete(states), gym.spaces.Discrete(actions), np.random.SeedSequence(seed)
    )
    return learner


# ---------------------------------------------------------------------------- bookkeeping
@pytest.mark.parametrize("baseline", [False, True])
def test_reinforce_batches_match_a_per_agent_reference(baseline: bool) -> None:
    """The vectorized trajectory store gives exactly the per-agent, per-episode returns.

    Episodes of different lengths end at different steps, some agents sit out steps (mask),
    some trajectories reach the window (cut and, with a baseline, bootstrapped).
    """
    n, window, gamma = 4, 7, 0.9
    learner = bound(
        Reinforce(
            gamma=gamma, baseline=baseline, episodes_per_update=3, window=window, hidden=(8,)
        ),
        n=n,
    )
    seen: list[EpisodeSteps] = []
    update = learner._update

    def spy() -> None:
        seen.append(learner.store.batch())
        update()

    learner._update = spy
    rng = np.random.default_rng(0)
    open_: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    done: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]  # (obs, action, G)
    expected: list[list[list[tuple[int, int, float]]]] = []
    pending = 0
    for _ in range(300):
        obs, nxt = rng.integers(6, size=n), rng.integers(6, size=n)
        actions = learner.act(obs)
        reward = rng.normal(size=n).round(2)
        term = rng.random(n) < 0.1
        trunc = ~term & (rng.random(n) < 0.05)
        mask = rng.random(n) < 0.8
        tail = learner.values(nxt) if baseline else np.zeros(n)
        for i in np.flatnonzero(mask):
            open_[i].append((int(obs[i]), int(actions[i]), float(reward[i])))
            if term[i] or trunc[i] or len(open_[i]) >= window:
                g = 0.0 if term[i] else float(tail[i])
                steps = []
                for o, a, r in reversed(open_[i]):
                    g = r + gamma * g
                    steps.append((o, a, g))
                done[i].extend(reversed(steps))
                open_[i] = []
                pending += 1
        if pending >= 3:
            expected.append(done)
            done = [[] for _ in range(n)]
            pending = 0
        learner.learn(obs, actions, reward, nxt, term, truncated=trunc, mask=mask)
    assert len(seen) == len(expected) > 10
    for batch, reference in zip(seen, expected, strict=True):
        for i in range(n):
            mine = batch.agents == i
            ref = np.array(reference[i]).reshape(-1, 3)
            np.testing.assert_array_equal(batch.obs[mine], ref[:, 0])
            np.testing.assert_array_equal(batch.actions[mine], ref[:, 1])
            np.testing.assert_allclose(batch.returns[mine], ref[:, 2], rtol=1e-6, atol=1e-6)


def test_a2c_bootstraps_from_final_observations_and_not_at_termination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The critic's targets use V of the *final* observation at a truncation, none at a
    termination, and the critic at the rollout's end."""
    calls: list[dict[str, np.ndarray]] = []

    def spy(**kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
        calls.append(kwargs)
        return gae(**kwargs)

    monkeypatch.setattr(actor_critic, "gae", spy)
    learner = bound(ActorCritic(n_steps=3, gamma=0.9, gae_lambda=0.8, hidden=(8,)), n=2)
    obs = np.array([[0, 1], [2, 3], [4, 5]])
    final = np.array([[2, 3], [5, 0], [4, 1]])  # agent 1's episode is cut at t = 1
    term = np.array([[False, False], [True, False], [False, False]])
    trunc = np.array([[False, False], [False, True], [False, False]])
    values = np.stack([learner.values(o) for o in obs])
    next_values = np.stack([learner.values(f) for f in final])
    for t in range(3):
        learner.learn(obs[t], np.array([0, 1]), np.ones(2), final[t], term[t], truncated=trunc[t])
    (call,) = calls
    np.testing.assert_allclose(call["values"], values, rtol=1e-6)
    np.testing.assert_allclose(call["next_values"], next_values, rtol=1e-6)
    np.testing.assert_array_equal(call["terminated"], term)
    np.testing.assert_array_equal(call["episode_end"], term | trunc)
    assert call["gamma"] == 0.9 and call["lam"] == 0.8
    assert learner.updates == 1


def test_independent_networks_learn_only_from_their_own_agent() -> None:
    learner = bound(Reinforce(shared=False, episodes_per_update=1, hidden=(8,)), n=3)
    before = {k: v.copy() for k, v in learner.state_dict().items() if k.startswith("net.")}
    obs = np.array([0, 1, 2])
    actions = learner.act(obs)
    learner.learn(obs, actions, np.ones(3), obs, np.array([True, False, False]))
    assert learner.updates == 1
    for key, old in before.items():
        new = learner.state_dict()[key]
        assert not np.array_equal(new[0], old[0]), key  # agent 0 finished an episode
        np.testing.assert_array_equal(new[1:], old[1:])  # the others have no data yet


@pytest.mark.parametrize(
    "make",
    [
        lambda: Reinforce(baseline=True, episodes_per_update=2, hidden=(8,)),
        lambda: ActorCritic(n_steps=4, hidden=(8,), shared=False),
    ],
)
def test_checkpoint_continues_exactly(make: Any, tmp_path: Any) -> None:
    """Training on after a save/load gives the same networks as training straight through."""
    rng = np.random.default_rng(0)
    batches = [
        (rng.integers(6, size=3), rng.normal(size=3), rng.integers(6, size=3), rng.random(3) < 0.3)
        for _ in range(40)
    ]

    def train(learner: Any, part: list[Any]) -> None:
        for obs, reward, nxt, term in part:
            learner.learn(obs, learner.act(obs), reward, nxt, term)

    straight = bound(make(), seed=1)
    train(straight, batches)
    first = bound(make(), seed=1)
    train(first, batches[:17])
    path = save_state(tmp_path / "ckpt", first.state_dict())
    resumed = bound(make(), seed=2)
    resumed.load_state_dict(load_state(path))
    train(resumed, batches[17:])
    assert straight.updates > 3
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(value, resumed.state_dict()[key], err_msg=key)


def test_probabilities_greedy_and_values() -> None:
    learner = bound(ActorCritic(hidden=(8,)), n=3)
    obs = np.array([0, 3, 5])
    probs = learner.probabilities(obs)
    assert probs.shape == (3, 3) and np.allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(learner.greedy(obs), probs.argmax(axis=1))
    assert learner.values(obs).shape == (3,)
    with pytest.raises(ValueError, match="baseline"):
        bound(Reinforce()).values(obs)


def test_sampling_follows_the_policy() -> None:
    learner = bound(Reinforce(hidden=()), n=2000, states=1)
    obs = np.zeros(2000, dtype=np.int64)
    freq = np.bincount(learner.act(obs), minlength=3) / 2000
    np.testing.assert_allclose(freq, learner.probabilities(obs)[0], atol=0.04)


def test_diagnostics_report_losses_only_after_an_update() -> None:
    learner = bound(ActorCritic(n_steps=2, hidden=(8,)), n=2)
    assert set(learner.diagnostics()) == {"updates", "mean_return"}
    obs = np.array([0, 1])
    for _ in range(2):
        learner.learn(obs, learner.act(obs), np.ones(2), obs, np.array([True, False]))
    diag = learner.diagnostics()
    assert {"loss", "policy_loss", "value_loss", "entropy"} <= set(diag)
    assert diag["mean_return"] == 1.0 and diag["updates"] == 1.0


def test_built_from_study_style_parameters() -> None:
    """Studies pass TOML values: lists for tuples; the learner takes them by import path."""
    learner = make_learner(
        "socialrl.learners.actor_critic:ActorCritic", {"hidden": [32], "n_steps": 8}
    )
    assert isinstance(learner, ActorCritic) and learner.config.hidden == (32,)
    assert isinstance(learner.config, ActorCriticConfig) and learner.learns
    reinforce = make_learner("reinforce", {"window": 7, "optimizer": "rmsprop"})
    assert isinstance(reinforce.config, ReinforceConfig) and reinforce.config.window == 7
    assert (ActorCriticConfig().lr, ReinforceConfig().lr) == (7e-4, 1e-3)  # their own defaults


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("cls", "params", "name"),
    [
        (Reinforce, {"lr": 0.0}, "lr"),
        (Reinforce, {"gamma": 1.5}, "gamma"),
        (Reinforce, {"episodes_per_update": 0}, "episodes_per_update"),
        (Reinforce, {"window": 0}, "window"),
        (Reinforce, {"entropy_coef": -0.1}, "entropy_coef"),
        (Reinforce, {"max_grad_norm": 0.0}, "max_grad_norm"),
        (Reinforce, {"hidden": [64, 0]}, "hidden"),
        (Reinforce, {"device": "tpu"}, "device"),
        (ActorCritic, {"lr": -1e-3}, "lr"),
        (ActorCritic, {"gamma": -0.1}, "gamma"),
        (ActorCritic, {"gae_lambda": 1.1}, "gae_lambda"),
        (ActorCritic, {"n_steps": 0}, "n_steps"),
        (ActorCritic, {"n_steps": 2.5}, "n_steps"),
        (ActorCritic, {"value_coef": -0.5}, "value_coef"),
        (ActorCritic, {"optimizer": "sgd"}, "optimizer"),
        (ActorCritic, {"network": "rnn"}, "network"),
    ],
)
def test_bad_hyperparameters_are_refused(cls: Any, params: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        cls(**params)


def test_bad_spaces_and_inputs_are_refused() -> None:
    with pytest.raises(TypeError, match="Discrete actions"):
        Reinforce().bind(
            2, gym.spaces.Discrete(3), gym.spaces.Box(0, 1, (2,)), np.random.SeedSequence(0)
        )
    learner = bound(ActorCritic(hidden=(8,)), n=3)
    obs = np.zeros(3, dtype=np.int64)
    with pytest.raises(ValueError, match="reward of shape"):
        learner.learn(obs, np.zeros(3), np.zeros(4), obs, np.zeros(3, bool))
    with pytest.raises(RuntimeError, match="bound"):
        Reinforce().act(obs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_cuda_without_a_gpu_is_refused_at_bind() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        bound(Reinforce(device="cuda"))


# ---------------------------------------------------------------------------- learning
MAZE = "S...\n.##.\n...G"
MAZE_PARAMS = {"layout": MAZE, "n_walkers": 12, "max_episode_steps": 50}


def test_same_seed_same_weights() -> None:
    def train(seed: int) -> dict[str, np.ndarray]:
        learner = Reinforce(baseline=True, lr=3e-3, hidden=(16,))
        simulate("maze", MAZE_PARAMS, {"walker": learner}, steps=300, seed=seed)
        assert learner.updates > 5
        return learner.state_dict()

    a, b, c = train(5), train(5), train(6)
    for key, value in a.items():
        np.testing.assert_array_equal(value, b[key], err_msg=key)
    assert not np.array_equal(a["net.policy.net.1.0.weight"], c["net.policy.net.1.0.weight"])


@pytest.mark.slow
def test_reinforce_finds_the_stochastic_optimum_of_the_short_corridor() -> None:
    """Sutton & Barto, Example 13.1: the best policy goes right with p = 2 − √2 ≈ 0.586.

    One observation for every cell, so a linear softmax policy (``hidden=()``) over a constant
    feature is exactly the textbook's parametrization. γ = 1, as in the book.
    """
    learner = Reinforce(lr=0.01, gamma=1.0, hidden=(), normalize_returns=True)
    simulate(
        "gymnasium",
        {"env_id": "socialrl/ShortCorridor-v0", "n_envs": 16},
        {"agent": learner},
        steps=8_000,
        seed=0,
        record_every=1_000,
    )
    p = float(learner.probabilities(np.zeros(16, dtype=np.int64))[0, 1])
    assert abs(p - (2 - np.sqrt(2))) < 0.08, p
    assert short_corridor_value(p) > -12.5  # ε-greedy action values reach only −44 or −82


#: A detour with two dead ends: S goes right, down the middle and right again (7 moves).
DETOUR = "S..#.\n.#.#.\n.#...\n.###G"


@pytest.mark.slow
def test_reinforce_with_baseline_learns_the_shortest_path() -> None:
    """Checked on seeds 0, 1 and 2: every walker optimal by step 4,200 at the latest."""
    res = simulate(
        "maze",
        {"layout": DETOUR, "n_walkers": 16, "max_episode_steps": 50},
        {"walker": Reinforce(baseline=True, lr=3e-3)},
        steps=7_000,
        seed=0,
        record_every=1_000,
    )
    assert MazeModel(DETOUR).optimal_path_length == 7
    np.testing.assert_array_equal(res.agents["greedy_path_length"], 7)


@pytest.mark.slow
def test_a2c_learns_the_lecture_maze() -> None:
    """The lecture's maze (dead ends, 15 moves). Checked on seeds 0, 1 and 2: optimal by step
    3,000 at the latest; a small entropy bonus keeps walkers from settling on a longer path."""
    res = simulate(
        "maze",
        {"layout": "lecture", "n_walkers": 16, "max_episode_steps": 100},
        {"walker": ActorCritic(entropy_coef=0.01)},
        steps=5_000,
        seed=0,
        record_every=1_000,
    )
    np.testing.assert_array_equal(
        res.agents["greedy_path_length"], MazeModel("lecture").optimal_path_length
    )


@pytest.mark.slow
def test_a2c_independent_walkers_each_learn_the_detour() -> None:
    """One actor-critic per walker (stacked), each learning from its own experience only.

    Checked on seeds 0, 1 and 2.
    """
    res = simulate(
        "maze",
        {"layout": DETOUR, "n_walkers": 8, "max_episode_steps": 50},
        {"walker": ActorCritic(shared=False)},
        steps=4_000,
        seed=0,
        record_every=1_000,
    )
    np.testing.assert_array_equal(res.agents["greedy_path_length"], 7)
