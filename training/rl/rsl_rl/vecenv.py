"""A gymnasium task as RSL-RL's vectorised environment (``rsl_rl.env.VecEnv``), so the RSL-RL path trains
on the main tier's CPU-only machine as skrl's does.

RSL-RL's policies are Gaussian (5.5.1 ships Gaussian and Beta distributions only), so:

* a ``Box`` action space takes the policy's action clipped to the space's bounds;
* a ``Discrete(n)`` space (CartPole) gets ``n`` policy outputs and the environment takes their argmax.
  PPO still learns the continuous action's likelihood; the argmax is part of the environment it sees.

Episodes reset inside ``step`` (gymnasium's same-step autoreset), as Isaac Lab's tasks do; a truncation
that is not also a termination is reported as ``time_outs``, which RSL-RL's PPO bootstraps.
"""

from __future__ import annotations

from typing import Any

from training.config import ENV_PREFIX, ConfigError

OBSERVATION_GROUP = "policy"  # the group Isaac Lab's tasks use, so the same runner configs read both


def make_vec_env(task: str, *, num_envs: int, seed: int, device: str) -> Any:
    """The gymnasium task `task` with `num_envs` copies, as an RSL-RL VecEnv."""
    return _vec_env_class()(task, num_envs=num_envs, seed=seed, device=device)


def _vec_env_class() -> type:
    import gymnasium as gym  # lazy: start-up time
    import numpy as np
    import torch
    from rsl_rl.env import VecEnv
    from tensordict import TensorDict

    class GymnasiumVecEnv(VecEnv):
        def __init__(self, task: str, *, num_envs: int, seed: int, device: str) -> None:
            self.env = gym.make_vec(
                task,
                num_envs=num_envs,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
            )
            self.num_envs = num_envs
            self.device = torch.device(device)
            self.cfg = {"task": task, "num_envs": num_envs}
            space = self.env.single_action_space
            if isinstance(space, gym.spaces.Discrete):
                self.num_actions, self._low = int(space.n), None
            elif isinstance(space, gym.spaces.Box):
                self.num_actions = int(np.prod(space.shape))
                self._low = torch.as_tensor(space.low.reshape(-1), dtype=torch.float32)
                self._high = torch.as_tensor(space.high.reshape(-1), dtype=torch.float32)
            else:
                self.env.close()
                raise ConfigError(
                    f"{ENV_PREFIX}TASK: {task} has a {type(space).__name__} action space; the RSL-RL path takes "
                    "Box or Discrete ones"
                )
            self._action_shape = space.shape
            spec = self.env.spec
            self.max_episode_length = int(getattr(spec, "max_episode_steps", None) or 1000)
            self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
            self.env.action_space.seed(seed)
            observations, _ = self.env.reset(seed=seed)
            self._observations = self._wrap(observations)

        def get_observations(self) -> Any:
            return self._observations

        def step(self, actions: Any) -> tuple[Any, Any, Any, dict]:
            actions = actions.detach().to("cpu", torch.float32)
            if self._low is None:
                env_actions = actions.argmax(dim=-1).numpy()
            else:
                clipped = torch.maximum(torch.minimum(actions, self._high), self._low)
                env_actions = clipped.numpy().reshape((self.num_envs, *self._action_shape))
            observations, reward, terminated, truncated, _ = self.env.step(env_actions)
            done = np.logical_or(terminated, truncated)
            self.episode_length_buf += 1
            self.episode_length_buf[torch.as_tensor(done)] = 0
            self._observations = self._wrap(observations)
            extras = {
                "time_outs": torch.as_tensor(np.logical_and(truncated, ~terminated), device=self.device)
            }
            rewards = torch.as_tensor(reward, dtype=torch.float32, device=self.device)
            dones = torch.as_tensor(done, dtype=torch.long, device=self.device)
            return self._observations, rewards, dones, extras

        def close(self) -> None:
            self.env.close()

        def _wrap(self, observations: Any) -> Any:
            flat = torch.as_tensor(np.asarray(observations, dtype=np.float32), device=self.device)
            return TensorDict(
                {OBSERVATION_GROUP: flat.reshape(self.num_envs, -1)}, batch_size=[self.num_envs]
            )

    return GymnasiumVecEnv
