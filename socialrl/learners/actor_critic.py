"""Synchronous advantage actor-critic, A2C (Mnih et al. 2016), batched over a group of agents.

A policy-based learner with a learned critic: like REINFORCE (:mod:`socialrl.learners.reinforce`)
it ascends ``Σ_t Â_t ∇_θ log π_θ(a_t | s_t)``, but the weight of each step is an advantage
estimated by a learned state-value function ``V(s)`` — the critic serves as the baseline and
bootstraps the return, so the learner updates every ``n_steps`` steps instead of waiting for
episodes to end. Every agent is one environment slot of an n-step rollout ``[n_steps, n]`` (as
in Stable-Baselines3's A2C). After ``n_steps`` steps, the critic's values ``V(s_t)`` and
``V(s_{t+1})`` give the advantages (:func:`~socialrl.learners.returns.gae`)::

    δ_t = r_t + γ V(s_{t+1}) (1 − terminated_t) − V(s_t)
    Â_t = δ_t + γ λ (1 − end_t) Â_{t+1}

and one gradient step minimizes::

    − mean Â_t log π(a_t | s_t) + c_V mean (Â_t + V(s_t) − V_θ(s_t))² − c_H mean H(π(·|s_t))

With λ = 1 (default) the targets are n-step returns bootstrapped from the critic at the
rollout's end; ``n_steps=1`` is one-step actor-critic. Truncated episodes bootstrap from the
critic's value of their final observation; terminated ones do not. Agents masked out in a step
(they did not move) leave a hole in the rollout that neither learns nor bootstraps.

The networks, acting, the loss and checkpoints are shared with REINFORCE
(:mod:`socialrl.learners.softmax_policy`); the rollout is a
:class:`~socialrl.learners.rollout.Rollout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from socialrl.learners.networks import NetworkPopulation
from socialrl.learners.returns import gae
from socialrl.learners.rollout import Rollout
from socialrl.learners.softmax_policy import (
    PolicyGradientConfig,
    PopulationBuilder,
    SoftmaxPolicyLearner,
    check_positive_count,
)

__all__ = ["ActorCritic", "ActorCriticConfig"]


@dataclass(frozen=True)
class ActorCriticConfig(PolicyGradientConfig):
    """Hyperparameters of A2C: the shared ones (:class:`PolicyGradientConfig`) and these.

    Defaults follow Stable-Baselines3's A2C (lr 7e-4, n_steps 5, value_coef 0.5,
    max_grad_norm 0.5, RMSprop with α = 0.99, ε = 1e-5).

    Attributes:
        gae_lambda: λ ∈ [0, 1] of generalized advantage estimation; 1 gives the n-step
            returns of A2C, below 1 trades variance for bias (Schulman et al. 2016).
        n_steps: Steps of each rollout (≥ 1); every agent contributes one step per step, and
            the learner updates once per rollout. ``n_steps=1`` is one-step (TD(0))
            actor-critic.
        normalize_advantages: Standardize each rollout's advantages, per network.
        shared_trunk: One network with two heads (policy logits and value) instead of
            separate actor and critic networks.

    """

    lr: float = 7e-4
    max_grad_norm: float | None = 0.5
    optimizer: str = "rmsprop"
    gae_lambda: float = 1.0
    n_steps: int = 5
    normalize_advantages: bool = False
    shared_trunk: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.gae_lambda <= 1.0:
            raise ValueError(f"gae_lambda must lie in [0, 1], got {self.gae_lambda!r}")
        check_positive_count("n_steps", self.n_steps)


class ActorCritic(SoftmaxPolicyLearner):
    """A2C (see the module docstring), batched over a group of agents.

    The keyword arguments are the fields of :class:`ActorCriticConfig` (documented there and
    in :class:`~socialrl.learners.softmax_policy.PolicyGradientConfig`), kept in
    ``learner.config``.
    """

    name = "a2c"
    config: ActorCriticConfig

    def __init__(
        self,
        lr: float = 7e-4,
        gamma: float = 0.99,
        gae_lambda: float = 1.0,
        n_steps: int = 5,
        value_coef: float = 0.5,
        entropy_coef: float = 0.0,
        max_grad_norm: float | None = 0.5,
        normalize_advantages: bool = False,
        optimizer: str = "rmsprop",
        shared_trunk: bool = False,
        hidden: Sequence[int] = (64, 64),
        network: str = "auto",
        shared: bool = True,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        self.config = ActorCriticConfig(
            lr=lr,
            gamma=gamma,
            gae_lambda=gae_lambda,
            n_steps=n_steps,
            value_coef=value_coef,
            entropy_coef=entropy_coef,
            max_grad_norm=max_grad_norm,
            normalize_advantages=normalize_advantages,
            optimizer=optimizer,
            shared_trunk=shared_trunk,
            hidden=hidden,  # type: ignore[arg-type]
            network=network,
            shared=shared,
            device=device,
        )
        self.rollout = Rollout(n_steps, 0, (), np.dtype(np.int64))

    def _build(
        self, population: PopulationBuilder, seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        if self.config.shared_trunk:
            return {"actor_critic": population(self.n_actions + 1, seeds[0])}
        return {"policy": population(self.n_actions, seeds[0]), "value": population(1, seeds[1])}

    def _reset_buffers(self) -> None:
        self.rollout = Rollout(self.config.n_steps, self.n_agents, self._obs_shape, self._obs_dtype)

    def learn(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> None:
        """Write the step into the rollout; update when the rollout is full."""
        step = self._typed_step(obs, actions, reward, next_obs, terminated, truncated, mask)
        self.rollout.add(step)
        self._count_episodes(step)
        if self.rollout.full():
            self._update()
            self.rollout.clear()

    def _rows(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, n, ...]`` → one row per network: ``[1, T·n, ...]`` shared, ``[n, T, ...]``."""
        if self.config.shared:
            return x.reshape(1, -1, *x.shape[2:])
        return x.transpose(0, 1)

    def _unrows(self, x: torch.Tensor) -> np.ndarray:
        """The inverse of :meth:`_rows` for ``[g, W]`` tensors, as a numpy ``[T, n]`` array."""
        t, n = self.rollout.data.reward.shape
        back = x.reshape(t, n) if self.config.shared else x.transpose(0, 1)
        return back.detach().double().cpu().numpy()

    def _encoded_rows(self, obs: np.ndarray) -> torch.Tensor:
        """Rollout observations ``[T, n, ...]``, encoded, as rows (see :meth:`_rows`)."""
        t, n = obs.shape[:2]
        x = self._encode(obs.reshape(t * n, *self._obs_shape))
        return self._rows(x.reshape(t, n, *x.shape[1:]))

    def _update(self) -> None:
        """Advantages of the rollout by GAE, then one gradient step (Mnih et al. 2016)."""
        cfg, data = self.config, self.rollout.data
        logits, values = self._heads(self._encoded_rows(data.obs), per_agent=False)
        with torch.no_grad():
            next_values = self._values(self._encoded_rows(data.next_obs), False)
        assert values is not None and next_values is not None
        valid = data.valid
        advantages, returns = gae(
            rewards=np.where(valid, data.reward, 0.0),
            values=np.where(valid, self._unrows(values), 0.0),
            next_values=np.where(valid, self._unrows(next_values), 0.0),
            terminated=data.terminated | ~valid,
            episode_end=data.terminated | data.truncated | ~valid,
            gamma=cfg.gamma,
            lam=cfg.gae_lambda,
        )

        def rows(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return self._rows(torch.as_tensor(a, dtype=dtype, device=self.device))

        loss = self._loss(
            logits,
            values,
            rows(data.actions, torch.int64),
            rows(advantages),
            rows(returns),
            rows(valid),
            cfg.normalize_advantages,
        )
        self._step(loss)

    def _buffer_state(self) -> dict[str, np.ndarray]:
        return self.rollout.state_dict()

    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        self._reset_buffers()
        self.rollout.load_state_dict(state)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"ActorCritic(lr={c.lr}, gamma={c.gamma}, gae_lambda={c.gae_lambda}, "
            f"n_steps={c.n_steps}, shared_trunk={c.shared_trunk}, hidden={list(c.hidden)}, "
            f"shared={c.shared})"
        )
