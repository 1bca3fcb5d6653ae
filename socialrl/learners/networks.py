"""Neural-network pieces shared by every deep learner: encoders, networks, populations of them.

- **Encoders** turn a role's observations into float tensors (one-hot for discrete states,
  as-is for boxes and grid images), so no learner encodes by hand. Discrete states may also
  go to an MLP as they are (``Encoder.index``): its first layer then picks a row of its
  weight, the one-hot product's result without its arithmetic.
- **Networks**: an MLP for vectors, a small CNN for ``[channels, rows, cols]`` grids.
- **NetworkPopulation**: the networks of a group of agents, either *shared* (one network, one
  forward pass for every agent) or *independent* (one network per agent, parameters stacked
  and evaluated together — never a Python loop over networks). Independent MLPs run as
  batched matrix products on stacked weights ``[n, in, out]`` (``torch.baddbmm``); any other
  architecture (a CNN) through ``torch.func.vmap`` over ``functional_call``. Plain MLPs, shared
  or stacked, also offer their layers to the written-out backward pass
  (``NetworkPopulation.dense_layers``, :mod:`socialrl.learners.dense_backprop`).
- **Seeding**: every network is initialised inside ``torch.random.fork_rng`` from the
  learner's own seed, so the global torch generator is neither used nor changed.
- **Optimizers and checkpoints**: the optimizers the learners offer, and networks and optimizer
  moments as flat numpy arrays for a learner's ``state_dict`` (``.npz``, no pickle).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from socialrl.learners.dense_backprop import Dense, affine, lookup
from socialrl.learners.flat_parameters import FlatParameters

__all__ = [
    "OPTIMIZERS",
    "Encoder",
    "GridCNN",
    "NetworkPopulation",
    "adam",
    "encoder_for",
    "load_network_state",
    "load_optimizer_state",
    "make_network",
    "make_optimizer",
    "mlp",
    "network_state",
    "optimizer_state",
    "resolve_device",
    "torch_seeds",
]

#: The optimizers a learner can be configured with (see :func:`make_optimizer`).
OPTIMIZERS = ("adam", "rmsprop")


def resolve_device(device: str = "cpu") -> torch.device:
    """``"cpu"``, ``"cuda"`` (fails clearly without a GPU) or ``"auto"`` (CUDA when present)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested, but CUDA is not available here")
    if device != "cpu" and not device.startswith("cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {device!r}")
    return torch.device(device)


def torch_seeds(seed: np.random.SeedSequence, k: int) -> list[int]:
    """``k`` independent 63-bit torch seeds from a learner's seed sequence (not mutated)."""
    return [int(s >> np.uint64(1)) for s in seed.generate_state(k, np.uint64)]


class Encoder:
    """Observations of one role → float tensors a network can read.

    Args:
        space: One agent's observation space: ``Discrete`` (one-hot), ``Box`` (as is; a 3-D
            box is a ``[channels, rows, cols]`` grid for a CNN) or ``MultiDiscrete`` (one-hot
            per component, concatenated).
        device: Where the tensors go.

    """

    def __init__(self, space: gym.Space[Any], device: torch.device) -> None:
        self.space, self.device = space, device
        if isinstance(space, gym.spaces.Discrete):
            self.shape: tuple[int, ...] = (int(space.n),)
            self._eye = torch.eye(int(space.n), device=device)
        elif isinstance(space, gym.spaces.MultiDiscrete):
            self._sizes = [int(k) for k in np.asarray(space.nvec).ravel()]
            self._offsets = torch.as_tensor(np.cumsum([0, *self._sizes[:-1]]), device=device)
            self.shape = (sum(self._sizes),)
        elif isinstance(space, gym.spaces.Box):
            self.shape = tuple(int(k) for k in space.shape)
        else:
            raise TypeError(f"no encoder for observation space {space}")

    @property
    def indexed(self) -> bool:
        """Whether observations are one-hot positions (``Discrete``), see :meth:`index`."""
        return isinstance(self.space, gym.spaces.Discrete)

    def index(self, obs: np.ndarray) -> torch.Tensor:
        """The position of each one-hot vector, ``obs`` itself as integers (``Discrete`` only).

        A network whose first layer is affine reads these instead of the one-hot vectors
        (:func:`~socialrl.learners.dense_backprop.lookup`): the same outputs, a row picked
        from the first weight instead of a product with a matrix of zeros and ones.
        """
        if not self.indexed:
            raise ValueError(f"only Discrete observations have one-hot positions, not {self.space}")
        return torch.as_tensor(np.asarray(obs, dtype=np.int64), device=self.device)

    @property
    def is_grid(self) -> bool:
        """Image-like observations ``[channels, rows, cols]`` (read by a CNN)."""
        return len(self.shape) == 3

    def __call__(self, obs: np.ndarray) -> torch.Tensor:
        """Encode a batch ``[n, ...]``."""
        if isinstance(self.space, gym.spaces.Discrete):
            return self._eye[torch.as_tensor(np.asarray(obs, dtype=np.int64), device=self.device)]
        if isinstance(self.space, gym.spaces.MultiDiscrete):
            idx = torch.as_tensor(np.asarray(obs, dtype=np.int64), device=self.device)
            flat = idx.reshape(idx.shape[0], -1) + self._offsets
            out = torch.zeros(idx.shape[0], self.shape[0], device=self.device)
            return out.scatter_(1, flat, 1.0)
        return torch.as_tensor(np.asarray(obs, dtype=np.float32), device=self.device)


def encoder_for(space: gym.Space[Any], device: torch.device | str = "cpu") -> Encoder:
    """The encoder of a space (see :class:`Encoder`)."""
    return Encoder(space, torch.device(device))


def adam(params: Any, lr: float) -> torch.optim.Adam:
    """Adam, with the fused (single-kernel) update where this torch build offers it.

    For small networks the optimizer step is a large share of a gradient step; the fused
    implementation does the same arithmetic in one pass (about 3× faster here).
    """
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr)


def make_optimizer(kind: str, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """A fresh optimizer of ``params``: ``"adam"`` or ``"rmsprop"``.

    Adam is fused where available (:func:`adam`); RMSprop takes Stable-Baselines3's A2C
    settings (α = 0.99, ε = 1e-5, as in Mnih et al. 2016).
    """
    if kind == "adam":
        return adam(params, lr)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-5)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {kind!r}")


def network_state(prefix: str, net: nn.Module) -> dict[str, np.ndarray]:
    """A network's parameters (and buffers) as numpy arrays, keyed ``prefix + name``."""
    return {prefix + k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}


def load_network_state(prefix: str, net: nn.Module, state: Mapping[str, np.ndarray]) -> None:
    """Restore :func:`network_state` into ``net`` (on its own device), checking every shape."""
    tensors = {}
    for key, have in net.state_dict().items():
        if prefix + key not in state:
            raise ValueError(f"checkpoint has no {prefix}{key}")
        value = torch.as_tensor(np.array(state[prefix + key]), device=have.device)
        if value.shape != have.shape:
            raise ValueError(
                f"checkpoint {prefix}{key} has shape {tuple(value.shape)}, expected "
                f"{tuple(have.shape)}"
            )
        tensors[key] = value
    net.load_state_dict(tensors)


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict[str, np.ndarray]:
    """The optimizer's per-parameter moments and step counts, keyed ``optim.<index>.<name>``."""
    out = {}
    for index, moments in optimizer.state_dict()["state"].items():
        for key, value in moments.items():
            out[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().numpy().copy()
    return out


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: Mapping[str, Any]) -> None:
    """Restore :func:`optimizer_state` (no ``optim.*`` keys: an optimizer that never stepped)."""
    moments: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            moments.setdefault(int(index), {})[name] = torch.as_tensor(np.array(value))
    current = optimizer.state_dict()
    current["state"] = moments
    optimizer.load_state_dict(current)


def mlp(in_dim: int, out_dim: int, hidden: Sequence[int] = (64, 64)) -> nn.Sequential:
    """A ReLU multilayer perceptron ``in_dim → hidden… → out_dim``."""
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def _linear_layers(net: nn.Module) -> list[nn.Linear] | None:
    """The Linear layers of a plain MLP (Flatten, Linear, ReLU, …, Linear), else None."""
    linears: list[nn.Linear] = []
    for module in net.modules():
        if isinstance(module, nn.Linear):
            linears.append(module)
        elif not isinstance(module, nn.Sequential | nn.Flatten | nn.ReLU):
            return None
    return linears or None


class GridCNN(nn.Module):
    """A small CNN for grid observations ``[channels, rows, cols]``.

    In the spirit of the Atari DQN of Mnih et al. (2015), sized for mazes: two 3×3
    convolutions that keep the grid's size, then an MLP head.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        out_dim: int,
        channels: Sequence[int] = (16, 32),
        hidden: Sequence[int] = (64,),
    ) -> None:
        super().__init__()
        c, h, w = shape
        convs: list[nn.Module] = []
        for k in channels:
            convs += [nn.Conv2d(c, k, kernel_size=3, padding=1), nn.ReLU()]
            c = k
        self.features = nn.Sequential(*convs, nn.Flatten())
        self.head = mlp(c * h * w, out_dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, C, H, W] → [batch, out_dim]``."""
        return self.head(self.features(x))


def make_network(
    encoder: Encoder, out_dim: int, hidden: Sequence[int] = (64, 64), kind: str = "auto"
) -> nn.Module:
    """An MLP for vector observations, a CNN for grids (``kind`` = auto | mlp | cnn)."""
    if kind not in ("auto", "mlp", "cnn"):
        raise ValueError(f"network kind must be auto, mlp or cnn, got {kind!r}")
    if kind == "cnn" or (kind == "auto" and encoder.is_grid):
        if not encoder.is_grid:
            raise ValueError(
                f"a CNN needs [channels, rows, cols] observations, got {encoder.shape}"
            )
        return GridCNN(encoder.shape, out_dim, hidden=hidden[-1:] or (64,))
    return nn.Sequential(nn.Flatten(), mlp(int(np.prod(encoder.shape)), out_dim, hidden))


class NetworkPopulation(nn.Module):
    """The networks of a group: one shared network, or one per agent evaluated together.

    Args:
        build: Makes one network (called once, or ``n_agents`` times for independent nets).
        n_agents: Size of the group.
        shared: One network for all (parameter sharing) or one per agent.
        seed: Initialisation seed (the global torch generator is left untouched).
        device: Where parameters live.

    """

    def __init__(
        self, build: Any, n_agents: int, shared: bool, seed: int, device: torch.device
    ) -> None:
        super().__init__()
        self.n_agents, self.shared = n_agents, shared
        self.fast = False
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if shared:
                self.net = build().to(device)
            else:
                nets = [build().to(device) for _ in range(n_agents)]
                layers = _linear_layers(nets[0])
                self.fast = layers is not None
                if self.fast:
                    # Plain MLPs: stacked weights [n, in, out] and batched matrix products.
                    linears = [_linear_layers(net) or [] for net in nets]
                    self.stacked = nn.ParameterDict()
                    for i in range(len(layers or [])):
                        w = torch.stack([ls[i].weight.detach().T for ls in linears]).contiguous()
                        b = torch.stack([ls[i].bias.detach()[None, :] for ls in linears])
                        self.stacked[f"w{i}"] = nn.Parameter(w)
                        self.stacked[f"b{i}"] = nn.Parameter(b.contiguous())
                    self._depth = len(layers or [])
                    return
                params, buffers = stack_module_state(nets)
                self.stacked = nn.ParameterDict(
                    {k.replace(".", "__"): nn.Parameter(v) for k, v in params.items()}
                )
                self._buffers_stacked = buffers
                base = copy.deepcopy(nets[0]).to("meta")
                object.__setattr__(self, "_base", base)  # not a submodule: no parameters
                self._names = list(params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate the networks.

        Shared: ``x[batch, ...] → out[batch, ...]``. Independent: ``x[n_agents, batch, ...] →
        out[n_agents, batch, ...]``, each agent's network on its own slice. Plain MLPs also take
        one-hot inputs as their positions (integers ``[batch]`` or ``[n_agents, batch]``,
        :meth:`Encoder.index`): the first layer then picks rows of its weight.
        """
        if not x.is_floating_point():
            return self._forward_indexed(x)
        if self.shared:
            return self.net(x)
        if self.fast:
            h = x.reshape(x.shape[0], x.shape[1], -1)
            for i in range(self._depth):
                h = affine(h, self.stacked[f"w{i}"], self.stacked[f"b{i}"])
                if i < self._depth - 1:
                    h = torch.relu(h)
            return h
        params = {name: self.stacked[name.replace(".", "__")] for name in self._names}

        def one(p: dict[str, torch.Tensor], b: dict[str, torch.Tensor], xi: torch.Tensor) -> Any:
            return functional_call(cast(nn.Module, self._base), (p, b), (xi,))

        return vmap(one)(params, self._buffers_stacked, x)

    def _forward_indexed(self, index: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` of one-hot inputs given by their positions (plain MLPs only).

        The first layer is an embedding lookup, ``W[s] + b`` (:func:`lookup`), equal to the
        product with the one-hot vectors; autograd differentiates it as a scatter-add.
        """
        if self.shared:
            linears = _linear_layers(self.net)
            if linears is None:
                raise ValueError("one-hot positions need an MLP, got a network of another kind")
            pairs = [(m.weight.T.unsqueeze(0), m.bias.view(1, 1, -1)) for m in linears]
            h = index.unsqueeze(0)
        elif self.fast:
            pairs = [(self.stacked[f"w{i}"], self.stacked[f"b{i}"]) for i in range(self._depth)]
            h = index
        else:
            raise ValueError("one-hot positions need an MLP, got a network of another kind")
        for i, (w, b) in enumerate(pairs):
            h = lookup(h, w, b) if i == 0 else affine(h, w, b)
            if i < len(pairs) - 1:
                h = torch.relu(h)
        return h[0] if self.shared else h

    def per_agent(self, x: torch.Tensor) -> torch.Tensor:
        """One input per agent ``x[n_agents, ...]`` → ``out[n_agents, ...]`` (either kind)."""
        if self.shared:
            return self.forward(x)
        return self.forward(x.unsqueeze(1)).squeeze(1)

    @property
    def n_networks(self) -> int:
        """Networks held: 1 when shared, else one per agent."""
        return 1 if self.shared else self.n_agents

    def dense_layers(self, flat: FlatParameters) -> list[Dense] | None:
        """The networks as :class:`~socialrl.learners.dense_backprop.Dense` layers.

        Views of the buffers of ``flat`` (built from this population's parameters), for
        plain MLPs; None for any other architecture (a CNN), which trains through autograd.
        """
        if self.shared:
            linears = _linear_layers(self.net)
            if linears is None:
                return None
            last = len(linears) - 1
            return [
                Dense.from_linear(layer.weight, layer.bias, flat, relu=i < last)
                for i, layer in enumerate(linears)
            ]
        if not self.fast:
            return None
        last = self._depth - 1
        return [
            Dense.from_stacked(self.stacked[f"w{i}"], self.stacked[f"b{i}"], flat, relu=i < last)
            for i in range(self._depth)
        ]

    def per_agent_fast_path(self) -> bool:
        """Whether independent networks run as stacked batched matrix products (plain MLPs)."""
        return not self.shared and self.fast

    def clip_grad_norm(self, max_norm: float) -> None:
        """Clip gradients by norm — per agent for independent networks."""
        if self.shared:
            grads = [p.grad for p in self.net.parameters() if p.grad is not None]
            if not grads:
                return
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            if norm > max_norm:  # the common case, a small norm, costs no multiplication
                torch._foreach_mul_(grads, max_norm / (float(norm) + 1e-6))
            return
        grads = [p.grad for p in self.stacked.values() if p.grad is not None]
        if not grads:
            return
        sq = sum(g.reshape(self.n_agents, -1).pow(2).sum(1) for g in grads)
        scale = (max_norm / (torch.sqrt(sq) + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))
