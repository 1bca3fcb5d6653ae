"""DQN: known-answer targets, the learner contract, replay of valid steps only, learning a maze
(MLP and CNN)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from socialrl_models.maze import MazeModel  # noqa: E402

from socialrl import simulate  # noqa: E402
from socialrl.learners.batches import Transitions  # noqa: E402
from socialrl.learners.dqn import DQN, DQNConfig, dqn_targets  # noqa: E402
from socialrl.learners.replay import ReplayBuffer  # noqa: E402
from socialrl.registry import make_learner  # noqa: E402
from tests.contracts import LearnerContract  # noqa: E402

SMALL = {
    "learning_starts": 10,
    "batch_size": 8,
    "buffer_size": 200,
    "train_every": 2,
    "target_update_interval": 20,
    "hidden": (16,),
}


class TestSharedDQNContract(LearnerContract):
    def make(self) -> DQN:
        return DQN(**SMALL, epsilon=0.3)


class TestIndependentDQNContract(LearnerContract):
    def make(self) -> DQN:
        return DQN(**SMALL, epsilon=0.3, shared=False, double=True, tau=0.5)


def test_dqn_target_by_hand() -> None:
    rewards = torch.tensor([1.0, -1.0, 0.5])
    terminated = torch.tensor([False, True, False])
    next_q_target = torch.tensor([[2.0, 3.0], [10.0, 10.0], [4.0, -1.0]])
    # r + γ max_a' Q⁻(s', a') (1 − terminated), γ = 0.9
    expected = torch.tensor([1.0 + 0.9 * 3.0, -1.0, 0.5 + 0.9 * 4.0])
    torch.testing.assert_close(dqn_targets(rewards, terminated, next_q_target, 0.9), expected)


def test_double_dqn_target_by_hand() -> None:
    rewards = torch.tensor([1.0, 0.0])
    terminated = torch.tensor([False, False])
    next_q_target = torch.tensor([[2.0, 3.0], [5.0, 1.0]])
    next_q_online = torch.tensor([[9.0, 0.0], [0.0, 9.0]])  # picks a' = 0, then a' = 1
    expected = torch.tensor([1.0 + 0.5 * 2.0, 0.0 + 0.5 * 1.0])
    got = dqn_targets(rewards, terminated, next_q_target, 0.5, next_q_online)
    torch.testing.assert_close(got, expected)


def test_bad_hyperparameters_are_named() -> None:
    with pytest.raises(ValueError, match="DQN lr is out of range"):
        DQN(lr=0)
    with pytest.raises(ValueError, match="DQN tau is out of range"):
        DQN(tau=1.5)
    with pytest.raises(ValueError, match="loss must be 'huber' or 'mse'"):
        DQN(loss="l1")
    with pytest.raises(TypeError, match="takes no parameter 'learning_rate'; allowed: lr"):
        make_learner("dqn", {"learning_rate": 0.1})


def test_keyword_hyperparameters_are_kept_in_a_typed_config() -> None:
    learner = make_learner("dqn", {"hidden": [32], "epsilon": 0.2, "double": True})
    assert isinstance(learner.config, DQNConfig) and learner.learns
    assert learner.config.hidden == (32,) and learner.config.double
    assert learner.config.epsilon(10**6) == 0.2


# ---------------------------------------------------------------------- replay of valid steps
#: Agent 0 is active on even steps, agent 1 on every fifth, agent 2 never.
ACTIVE = np.array([[t % 2 == 0, t % 5 == 0, False] for t in range(40)])


def filled_buffer() -> ReplayBuffer:
    """A buffer whose observations are the step numbers, with the activity of ACTIVE."""
    buffer = ReplayBuffer(64, 3, gym.spaces.Discrete(100))
    for t, mask in enumerate(ACTIVE):
        step = np.full(3, t)
        zeros = np.zeros(3, dtype=bool)
        buffer.add(Transitions(step, step % 2, step * 0.5, step + 1, zeros, zeros, mask))
    return buffer


def test_per_agent_minibatches_hold_only_steps_in_which_the_agent_was_active() -> None:
    buffer, rng = filled_buffer(), np.random.default_rng(0)
    drawn = [buffer.sample_per_agent(32, rng) for _ in range(200)]
    obs = np.concatenate([batch.obs for batch in drawn], axis=1)
    valid = np.concatenate([batch.valid for batch in drawn], axis=1)
    assert valid[:2].all() and not valid[2].any()  # agent 2 has nothing to learn from
    assert set(obs[0]) == set(range(0, 40, 2)) and set(obs[1]) == set(range(0, 40, 5))
    # uniform over each agent's valid steps: 6,400 draws over 20 and 8 steps
    for agent, steps in ((0, 20), (1, 8)):
        counts = np.unique(obs[agent], return_counts=True)[1]
        np.testing.assert_allclose(counts / counts.sum(), 1 / steps, atol=0.25 / steps)
    np.testing.assert_array_equal(drawn[0].reward, drawn[0].obs * 0.5)  # fields stay aligned


def test_pooled_minibatches_hold_only_valid_steps() -> None:
    buffer, rng = filled_buffer(), np.random.default_rng(0)
    batch = buffer.sample_pooled(500, rng)
    assert batch.valid.all() and batch.obs.shape == (500,)
    assert set(batch.obs) == set(range(0, 40, 2)) | set(range(0, 40, 5))


def test_an_always_inactive_agent_keeps_its_network() -> None:
    """Independent networks: an agent that never moved must not learn (it did, before the fix:
    its minibatches were drawn from steps in which it was inactive)."""
    learner = DQN(**{**SMALL, "learning_starts": 0, "train_every": 1}, shared=False)
    learner.bind(3, gym.spaces.Discrete(4), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    before = {k: v.copy() for k, v in learner.state_dict().items() if k.startswith("q.")}
    rng, mask = np.random.default_rng(0), np.array([True, False, True])
    for _ in range(20):
        obs = rng.integers(4, size=3)
        reward, nxt = rng.normal(size=3), rng.integers(4, size=3)
        learner.learn(obs, learner.act(obs), reward, nxt, np.zeros(3, bool), mask=mask)
    after = learner.state_dict()
    for key, old in before.items():
        np.testing.assert_array_equal(after[key][1], old[1], err_msg=key)
        assert not np.array_equal(after[key][0], old[0]), key


def _small_maze_dqn(**options: Any) -> DQN:
    """A DQN that learns the 3 × 4 maze ``SMALL_MAZE`` in 3,000 steps of 4 walkers."""
    return DQN(
        lr=1e-3,
        gamma=0.9,
        learning_starts=200,
        target_update_interval=200,
        buffer_size=5000,
        epsilon={"kind": "linear", "start": 1.0, "end": 0.05, "steps": 1500},
        **options,
    )


SMALL_MAZE = "S...\n.##.\n...G"


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "independent"])
def test_dqn_learns_a_small_maze(shared: bool) -> None:
    layout = SMALL_MAZE
    learner = _small_maze_dqn(shared=shared)
    res = simulate(
        "maze",
        {"layout": layout, "n_walkers": 4, "max_episode_steps": 50},
        {"walker": learner},
        steps=3000,
        seed=0,
        record_every=500,
    )
    np.testing.assert_array_equal(
        res.agents["greedy_path_length"], MazeModel(layout).optimal_path_length
    )


@pytest.mark.slow
def test_cnn_dqn_learns_from_grid_images() -> None:
    layout = SMALL_MAZE
    learner = _small_maze_dqn(network="cnn")
    params = {"layout": layout, "n_walkers": 4, "max_episode_steps": 50, "observation": "grid"}
    res = simulate("maze", params, {"walker": learner}, steps=3000, seed=0, record_every=500)
    assert learner.config.network == "cnn"
    np.testing.assert_array_equal(
        res.agents["greedy_path_length"], MazeModel(layout).optimal_path_length
    )


def test_same_seed_same_weights() -> None:
    def train(seed: int) -> dict[str, np.ndarray]:
        learner = DQN(**SMALL)
        simulate(
            "maze", {"layout": "dyna", "n_walkers": 3}, {"walker": learner}, steps=150, seed=seed
        )
        return learner.state_dict()

    a, b, c = train(1), train(1), train(2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.startswith("q."))


# ---------------------------------------------------------------------- the fast gradient step
#: Tiny DQNs whose every `learn` makes a gradient step: 5 states, 3 actions, MLP [5, 4].
TINY = {
    "learning_starts": 0,
    "train_every": 1,
    "batch_size": 6,
    "buffer_size": 50,
    "hidden": (5, 4),
    "lr": 0.05,
    "gamma": 0.9,
    "target_update_interval": 1000,
    "epsilon": 1.0,
}


def _filled_tiny_dqn(n_agents: int, **options: Any) -> DQN:
    """A bound tiny DQN with 12 stored steps: rewards large enough for Huber's linear part,
    some terminal steps, agent 1 active every other step and the last agent (of 4) never."""
    learner = DQN(**{**TINY, **options})
    learner.bind(
        n_agents, gym.spaces.Discrete(5), gym.spaces.Discrete(3), np.random.SeedSequence(0)
    )
    rng = np.random.default_rng(1)
    for t in range(12):
        valid = np.ones(n_agents, dtype=bool)
        valid[1] = t % 2 == 0
        if n_agents == 4:
            valid[3] = False
        learner.buffer.add(
            Transitions(
                obs=rng.integers(5, size=n_agents),
                actions=rng.integers(3, size=n_agents),
                reward=rng.normal(0.0, 3.0, size=n_agents).astype(np.float32),
                next_obs=rng.integers(5, size=n_agents),
                terminated=rng.random(n_agents) < 0.25,
                truncated=np.zeros(n_agents, dtype=bool),
                valid=valid,
            )
        )
    return learner


def _reference_networks(learner: DQN) -> tuple[list[Any], list[Any]]:
    """Each network of the learner (and of its target) as a plain ``nn.Sequential``."""
    from torch import nn

    def plain(pop: Any, k: int) -> Any:
        net = nn.Sequential(nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
        with torch.no_grad():
            linears = [m for m in net if isinstance(m, nn.Linear)]
            if pop.shared:
                source = [m for m in pop.net.modules() if isinstance(m, nn.Linear)]
                for mine, theirs in zip(linears, source, strict=True):
                    mine.weight.copy_(theirs.weight)
                    mine.bias.copy_(theirs.bias)
            else:
                for i, mine in enumerate(linears):
                    mine.weight.copy_(pop.stacked[f"w{i}"][k].T)
                    mine.bias.copy_(pop.stacked[f"b{i}"][k, 0])
        return net

    g = learner.q.n_networks
    return [plain(learner.q, k) for k in range(g)], [plain(learner.q_target, k) for k in range(g)]


def _reference_step(
    learner: DQN, nets: list[Any], targets: list[Any], optimizers: list[Any], rng: Any
) -> list[float]:
    """The textbook step of each network: autograd, ``clip_grad_norm_``, ``torch.optim.Adam``,
    on the minibatch the learner draws (same buffer, a copy of its generator). Returns the
    gradient norms before clipping."""
    import torch.nn.functional as F

    c = learner.config
    if c.shared:
        fields = [f[None] for f in learner.buffer.sample_pooled(c.batch_size, rng)]
    else:
        fields = list(learner.buffer.sample_per_agent(c.batch_size, rng))
    obs, actions, reward, next_obs, terminated, _, valid = fields
    eye, norms = torch.eye(5), []
    for k, (net, target_net, optimizer) in enumerate(zip(nets, targets, optimizers, strict=True)):
        if not valid[k].any():
            continue  # an agent without experience does not learn
        x, x_next = eye[torch.as_tensor(obs[k])], eye[torch.as_tensor(next_obs[k])]
        with torch.no_grad():
            online_next = net(x_next) if c.double else None
            y = dqn_targets(
                torch.as_tensor(reward[k]),
                torch.as_tensor(terminated[k]),
                target_net(x_next),
                c.gamma,
                online_next,
            )
        q_sa = net(x).gather(1, torch.as_tensor(actions[k])[:, None]).squeeze(1)
        loss_fn = F.smooth_l1_loss if c.loss == "huber" else F.mse_loss
        optimizer.zero_grad()
        loss_fn(q_sa, y).backward()
        if c.max_grad_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(net.parameters(), c.max_grad_norm)
            norms.append(float(norm))
        optimizer.step()
    return norms


def _soft_update(nets: list[Any], targets: list[Any], tau: float) -> None:
    with torch.no_grad():
        for net, target_net in zip(nets, targets, strict=True):
            for p, p_target in zip(net.parameters(), target_net.parameters(), strict=True):
                p_target.mul_(1.0 - tau).add_(p, alpha=tau)


@pytest.mark.parametrize(
    ("n_agents", "shared", "loss", "double", "max_grad_norm", "written_out"),
    [
        (3, True, "huber", False, 0.1, True),  # clipping active
        (3, True, "mse", True, None, True),
        (4, False, "huber", True, 0.1, True),  # independent: each network as if alone
        (4, False, "mse", False, 100.0, True),
        (3, True, "huber", True, 0.1, False),  # the autograd path (a CNN's), same optimizer
        (4, False, "huber", False, 0.1, False),
    ],
)
def test_fast_step_equals_autograd_clip_and_torch_adam(
    n_agents: int,
    shared: bool,
    loss: str,
    double: bool,
    max_grad_norm: float | None,
    written_out: bool,
) -> None:
    """The written-out gradient, the flat clipping and the fused Adam give the parameters of
    autograd + ``clip_grad_norm_`` + ``torch.optim.Adam``, step after step (soft targets)."""
    learner = _filled_tiny_dqn(
        n_agents, shared=shared, loss=loss, double=double, max_grad_norm=max_grad_norm, tau=0.5
    )
    if not written_out:  # as for a network without Dense layers
        learner._layers = learner._target_layers = None
    nets, targets = _reference_networks(learner)
    optimizers = [torch.optim.Adam(net.parameters(), lr=TINY["lr"]) for net in nets]
    rng = np.random.default_rng()
    rng.bit_generator.state = learner._rng.bit_generator.state
    norms, large_errors = [], False
    for _ in range(4):
        norms += _reference_step(learner, nets, targets, optimizers, rng)
        learner._gradient_step()
        assert learner._errors is not None
        large_errors |= bool((learner._errors[0].abs() > 1.0).any())
        learner._soft_update(0.5)
        _soft_update(nets, targets, 0.5)
        got, got_targets = _reference_networks(learner)
        for k in range(len(nets)):
            for mine, theirs in ((got[k], nets[k]), (got_targets[k], targets[k])):
                for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
                    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=f"network {k}")
    assert learner.optimizer.steps == 4 and large_errors  # Huber's linear part is exercised
    if max_grad_norm == 0.1:
        assert max(norms) > 0.1  # and the clipping
    if n_agents == 4:  # the agent that never moved kept its initial network
        start, _ = _reference_networks(_filled_tiny_dqn(n_agents, shared=False))
        for a, b in zip(got[3].parameters(), start[3].parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("shared", [True, False])
def test_discrete_states_are_looked_up_with_the_one_hot_values(shared: bool) -> None:
    """Independent MLPs train on ``Discrete`` states as they are (the first layer picks rows of
    its weight), a shared one on one-hot vectors (faster for one network); either network
    takes the same steps both ways."""
    looked_up, one_hot = _filled_tiny_dqn(4, shared=shared), _filled_tiny_dqn(4, shared=shared)
    assert looked_up._indexed is not shared
    looked_up._indexed, one_hot._indexed = True, False
    for _ in range(3):
        looked_up._gradient_step()
        one_hot._gradient_step()
    torch.testing.assert_close(looked_up._online.values, one_hot._online.values)
    assert not torch.equal(looked_up._online.values, _filled_tiny_dqn(4)._online.values)
