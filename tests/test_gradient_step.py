"""The shared update path of small networks: flat parameters, written-out backpropagation and
the fused, clipped Adam — each against torch's own autograd, ``clip_grad_norm_`` and
``torch.optim.Adam``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from torch import nn  # noqa: E402

from socialrl.learners.dense_backprop import Dense, backward, forward, lookup  # noqa: E402
from socialrl.learners.fast_adam import (  # noqa: E402
    AdamMoments,
    AdamSettings,
    FastAdam,
    fast_adam_step,
)
from socialrl.learners.flat_parameters import FlatParameters  # noqa: E402
from socialrl.learners.networks import (  # noqa: E402
    NetworkPopulation,
    load_optimizer_state,
    mlp,
    optimizer_state,
)


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_flat_parameters_are_the_modules_parameters() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    flat = FlatParameters(net.parameters())
    assert flat.values.shape == (1, 3 * 4 + 4 + 4 * 2 + 2)
    for key, value in net.state_dict().items():  # same numbers, now views of the buffer
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    flat.values.add_(1.0)
    torch.testing.assert_close(net[0].bias, before["0.bias"] + 1.0, rtol=0, atol=0)
    net(torch.ones(5, 3)).sum().backward()
    flat.collect_grads()  # autograd's gradients, moved into the flat buffer
    assert flat.grads is not None and flat.grads.abs().sum() > 0
    torch.testing.assert_close(flat.grad_of(net[2].bias), torch.full((2,), 5.0))
    assert all(p.grad is None for p in net.parameters())


def test_flat_parameters_refuse_bad_layouts() -> None:
    with pytest.raises(ValueError, match="not stacked over 3 networks"):
        FlatParameters([nn.Parameter(torch.zeros(2, 4))], rows=3)
    with pytest.raises(ValueError, match="rows must be a positive number"):
        FlatParameters([nn.Parameter(torch.zeros(2))], rows=0)
    with pytest.raises(ValueError, match="Adam lr is out of range: 0"):
        AdamSettings(lr=0)
    with pytest.raises(ValueError, match="Adam max_grad_norm is out of range: -1"):
        AdamSettings(max_grad_norm=-1)
    values = torch.zeros(1, 3)
    with pytest.raises(ValueError, match=r"max_norm > 0 or None, got 0\.1, 0"):
        fast_adam_step(values, values.clone(), AdamMoments.zeros_like(values), lr=0.1, max_norm=0)


def test_fast_adam_step_is_torch_adam_with_weight_decay_and_per_row_clipping() -> None:
    """Three independent networks in the rows of one buffer: each gets the step torch gives it
    alone (``clip_grad_norm_``, then ``Adam(weight_decay)``), over five steps."""
    rows, width, settings = 3, 7, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}
    values = torch.randn(rows, width, generator=_seeded(0))
    reference = [nn.Parameter(values[k].clone()) for k in range(rows)]
    optimizers = [
        torch.optim.Adam([p], weight_decay=0.01, **settings)  # type: ignore[arg-type]
        for p in reference
    ]
    state = AdamMoments.zeros_like(values)
    clipped = 0
    for step in range(5):
        grads = torch.randn(rows, width, generator=_seeded(step + 1)) * torch.tensor(
            [[0.1], [1.0], [5.0]]
        )
        for k, (p, optimizer) in enumerate(zip(reference, optimizers, strict=True)):
            p.grad = grads[k].clone()
            clipped += float(torch.nn.utils.clip_grad_norm_([p], 1.0)) > 1.0
            optimizer.step()
        fast_adam_step(values, grads, state, weight_decay=0.01, max_norm=1.0, **settings)  # type: ignore[arg-type]
        torch.testing.assert_close(values, torch.stack([p.detach() for p in reference]))
    assert 0 < clipped < 15 and int(state.step) == 5  # some rows clipped, some not


def test_fast_adam_checkpoints_are_torch_adams() -> None:
    """``FastAdam.state_dict`` has the keys and shapes of ``optimizer_state(torch.optim.Adam)``;
    a torch checkpoint loaded into FastAdam (and back) continues as torch would."""
    torch_net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fast_net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fast_net.load_state_dict(torch_net.state_dict())
    torch_adam = torch.optim.Adam(torch_net.parameters(), lr=0.05)
    flat = FlatParameters(fast_net.parameters())
    fast_adam = FastAdam(flat, AdamSettings(lr=0.05))
    assert fast_adam.state_dict() == {}  # nothing before the first step, as torch

    x = torch.randn(8, 3, generator=_seeded(0))
    for _ in range(2):
        torch_adam.zero_grad()
        torch_net(x).pow(2).mean().backward()
        torch_adam.step()
    fast_adam.load_state_dict(optimizer_state(torch_adam))
    with torch.no_grad():
        for p, q in zip(fast_net.parameters(), torch_net.parameters(), strict=True):
            p.copy_(q)
    ours = fast_adam.state_dict()
    theirs = optimizer_state(torch_adam)
    assert ours.keys() == theirs.keys() and fast_adam.steps == 2
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=0, atol=0, err_msg=key)
    torch_adam.zero_grad()
    torch_net(x).pow(2).mean().backward()
    torch_adam.step()
    fast_net(x).pow(2).mean().backward()
    flat.collect_grads()
    fast_adam.step()
    for p, q in zip(fast_net.parameters(), torch_net.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    load_optimizer_state(torch_adam, fast_adam.state_dict())  # and the other way round
    assert float(torch_adam.state_dict()["state"][0]["step"]) == 3.0


def test_policy_value_network_gradient_by_hand_is_autograds() -> None:
    """The recipe of ``dense_backprop``'s docstring for AlphaZero (ReLU trunk, softmax policy
    with cross-entropy to visit distributions, tanh value with squared error) gives autograd's
    gradients of ``−πᵀ log p + (z − v)²``, batch mean."""
    torch.manual_seed(0)
    trunk = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
    policy, value = nn.Linear(8, 4), nn.Linear(8, 2)
    params = [*trunk.parameters(), *policy.parameters(), *value.parameters()]
    batch = 5
    x = torch.randn(batch, 6, generator=_seeded(1))
    pi = torch.softmax(torch.randn(batch, 4, generator=_seeded(2)), dim=-1)
    z = torch.rand(batch, 2, generator=_seeded(3)) * 2 - 1

    h = trunk(x)
    v = torch.tanh(value(h))
    loss = -(pi * torch.log_softmax(policy(h), -1)).sum(-1).mean() + (z - v).pow(2).sum(-1).mean()
    expected = torch.autograd.grad(loss, params)

    flat = FlatParameters(params)
    linears = [m for m in trunk if isinstance(m, nn.Linear)]
    trunk_layers = [Dense.from_linear(m.weight, m.bias, flat, relu=True) for m in linears]
    policy_layers = [Dense.from_linear(policy.weight, policy.bias, flat, relu=False)]
    value_layers = [Dense.from_linear(value.weight, value.bias, flat, relu=False)]
    acts = forward(trunk_layers, x[None])
    torch.testing.assert_close(forward(trunk_layers, x)[-1], acts[-1][0])  # rows [B, in] too
    logits = forward(policy_layers, acts[-1])[-1]
    v_hand = torch.tanh(forward(value_layers, acts[-1])[-1])
    d_logits = (torch.softmax(logits, -1) - pi) / batch
    d_value = 2 * (v_hand - z) * (1 - v_hand * v_hand) / batch
    d_h = backward(policy_layers, [acts[-1], logits], d_logits, input_grad=True)
    d_h_value = backward(value_layers, [acts[-1], v_hand], d_value, input_grad=True)
    assert d_h is not None and d_h_value is not None
    backward(trunk_layers, acts, d_h + d_h_value)
    for p, g in zip(params, expected, strict=True):
        torch.testing.assert_close(flat.grad_of(p), g)


@pytest.mark.parametrize("batch", [4, 20])  # 20: the narrow output layer runs transposed
def test_stacked_networks_backward_is_autograds_per_network(batch: int) -> None:
    """``n`` stacked networks (weights ``[n, in, out]``): each network's written-out gradient
    is autograd's for that network alone."""
    n = 3
    w = [nn.Parameter(torch.randn(n, 5, 20) * 0.5), nn.Parameter(torch.randn(n, 20, 2) * 0.5)]
    b = [nn.Parameter(torch.randn(n, 1, 20)), nn.Parameter(torch.randn(n, 1, 2))]
    x = torch.randn(n, batch, 5, generator=_seeded(4))
    d_out = torch.randn(n, batch, 2, generator=_seeded(5))
    out = torch.baddbmm(b[1], torch.relu(torch.baddbmm(b[0], x, w[0])), w[1])
    expected = torch.autograd.grad((out * d_out).sum(), [w[0], b[0], w[1], b[1]])
    flat = FlatParameters([w[0], b[0], w[1], b[1]], rows=n)
    layers = [
        Dense.from_stacked(w[0], b[0], flat, relu=True),
        Dense.from_stacked(w[1], b[1], flat, relu=False),
    ]
    acts = forward(layers, x)
    torch.testing.assert_close(acts[-1], out.detach())
    backward(layers, acts, d_out)
    for p, g in zip([w[0], b[0], w[1], b[1]], expected, strict=True):
        torch.testing.assert_close(flat.grad_of(p), g)


def _tiny_mlp_layers(g: int) -> tuple[list[nn.Parameter], FlatParameters, list[Dense]]:
    """A 6 → 8 → 3 ReLU MLP: one ``nn.Linear`` network (g = 1) or ``g`` stacked ones."""
    if g == 1:
        net = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        params = list(net.parameters())
        flat = FlatParameters(params)
        linears = [net[0], net[2]]
        return (
            params,
            flat,
            [Dense.from_linear(m.weight, m.bias, flat, relu=i == 0) for i, m in enumerate(linears)],
        )
    shapes = [(g, 6, 8), (g, 1, 8), (g, 8, 3), (g, 1, 3)]
    params = [
        nn.Parameter(torch.randn(*shape, generator=_seeded(7 + i)))
        for i, shape in enumerate(shapes)
    ]
    flat = FlatParameters(params, rows=g)
    return (
        params,
        flat,
        [
            Dense.from_stacked(params[0], params[1], flat, relu=True),
            Dense.from_stacked(params[2], params[3], flat, relu=False),
        ],
    )


@pytest.mark.parametrize("g", [1, 4])  # one nn.Linear network, four stacked networks
def test_one_hot_positions_give_the_one_hot_products_values_and_gradients(g: int) -> None:
    """Feeding the states (a lookup of rows of the first weight, a scatter-add backward) gives
    the forward values and every gradient of feeding their one-hot vectors; states repeat
    within a minibatch (their gradients add up) and some never occur (zero rows)."""
    torch.manual_seed(0)
    params, flat, layers = _tiny_mlp_layers(g)
    states = torch.randint(0, 4, (g, 9), generator=_seeded(1))  # states 4, 5 never drawn
    one_hot = torch.eye(6)[states]
    d_out = torch.randn(g, 9, 3, generator=_seeded(2))
    by_product = forward(layers, one_hot)
    backward(layers, by_product, d_out)
    expected = [flat.grad_of(p).clone() for p in params]
    assert flat.grads is not None
    flat.grads.fill_(float("nan"))  # the lookup's gradient must write, not accumulate
    by_lookup = forward(layers, states)
    torch.testing.assert_close(by_lookup[-1], by_product[-1], rtol=0, atol=1e-6)
    backward(layers, by_lookup, d_out)
    for p, want in zip(params, expected, strict=True):
        torch.testing.assert_close(flat.grad_of(p), want)
    assert (expected[0][:, 4:] == 0).all()  # the check sees the untouched rows
    if g == 1:  # rows [B] without the network dimension (acting)
        torch.testing.assert_close(forward(layers, states[0])[-1], by_product[-1][0])
    with pytest.raises(ValueError, match="one-hot positions"):
        backward(layers, by_lookup, d_out, input_grad=True)
    with pytest.raises(ValueError, match="index must be"):
        lookup(states.reshape(-1, 3), layers[0].weight, layers[0].bias)


@pytest.mark.parametrize("shared", [True, False])
def test_population_reads_states_as_it_reads_one_hot_vectors(shared: bool) -> None:
    """``NetworkPopulation`` on states equals it on one-hot vectors, outputs and autograd's
    gradients, shared and stacked (the path the DQN benchmark's independent networks take)."""
    pop = NetworkPopulation(
        lambda: nn.Sequential(nn.Flatten(), mlp(5, 3, (7, 6))), 4, shared, 0, torch.device("cpu")
    )
    states = torch.randint(0, 5, (4, 10), generator=_seeded(3))
    d_out = torch.randn(4, 10, 3, generator=_seeded(4))
    results = []
    for x in (states, torch.eye(5)[states]):
        out = pop(x.reshape(40, *x.shape[2:]) if shared else x).reshape(4, 10, 3)
        grads = torch.autograd.grad((out * d_out).sum(), list(pop.parameters()))
        results.append((out.detach(), grads))
    (out_s, grads_s), (out_x, grads_x) = results
    torch.testing.assert_close(out_s, out_x, rtol=0, atol=1e-6)
    for a, b in zip(grads_s, grads_x, strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(pop.per_agent(states[:, 0]), out_x[:, 0], rtol=0, atol=1e-6)
