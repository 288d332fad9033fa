"""The environment seam: a skrl-wrapped vector environment for the configured task.

Two sources, one return shape:

* a gymnasium id (``CartPole-v1``, ``Pendulum-v1``, ...): ``gym.make_vec`` with the
  synchronous vectoriser and same-step autoreset. skrl does not handle gymnasium 1.x's
  default next-step autoreset (every episode would get one bogus zero-reward step).
* an Isaac Lab task, when Isaac Lab is importable and the id is not a gymnasium one:
  delegated to ``training.rl.isaaclab.make_isaaclab_env`` (see `make_env`), which also
  returns the task's own skrl agent configuration.
"""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass
from typing import Any

from training.config import ENV_PREFIX, ConfigError, RLConfig
from training.rl import skrl_compat


@dataclass
class Environment:
    """A skrl-wrapped environment and, for Isaac Lab tasks, the task's own agent config."""

    env: Any
    task_agent_cfg: dict | None = None
    gymnasium: bool = True


def make_env(config: RLConfig) -> Environment:
    """Build the environment for `config.task` with `config.num_envs` copies.

    Isaac Lab branch contract: ``training.rl.isaaclab.make_isaaclab_env(config)`` must
    start the simulation headless (or kit-less for Newton presets), build the task from the
    Isaac Lab task registry with ``config.num_envs``, ``config.seed``, ``config.device`` and
    ``config.physics`` applied, wrap it with skrl's ``isaaclab`` wrapper, and return
    ``(env, agent_cfg)``: the skrl-wrapped env and the task's skrl agent configuration as a
    plain dict in Isaac Lab YAML form (``seed``, ``models``, ``memory``, ``agent``,
    ``trainer``) taken from the task's skrl entry point for ``config.algorithm`` (None when
    ``config.agent_config`` names the user's own file). It raises
    ``ConfigError`` naming ``ROBO_TASK`` for an unknown task. The trainer closes the env.
    """
    if is_gymnasium_id(config.task):
        return Environment(_make_gymnasium(config))
    if importlib.util.find_spec("isaaclab") is not None:
        from training.rl.isaaclab import make_isaaclab_env  # lazy: imports Isaac Lab and starts the simulator

        env, agent_cfg = make_isaaclab_env(config)
        return Environment(env, agent_cfg, gymnasium=False)
    raise ConfigError(f"{ENV_PREFIX}TASK: unknown environment {config.task!r}{_suggestion(config.task)}")


def is_gymnasium_id(task: str) -> bool:
    import gymnasium as gym  # lazy: start-up time

    spec = gym.registry.get(task)
    # Once isaaclab_tasks is imported, Isaac Lab ids are in the same registry; they need their config.
    return spec is not None and "env_cfg_entry_point" not in (spec.kwargs or {})


def _suggestion(task: str) -> str:
    import gymnasium as gym  # lazy: start-up time

    close = difflib.get_close_matches(task, list(gym.registry), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (Isaac Lab tasks need Isaac Lab installed)"


def _make_gymnasium(config: RLConfig) -> Any:
    import gymnasium as gym  # lazy: start-up time
    from skrl.envs.wrappers.torch import wrap_env  # lazy: start-up time

    vector_env = gym.make_vec(
        config.task,
        num_envs=config.num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
    )
    vector_env.action_space.seed(config.seed)
    # skrl resets a vector env once, with the seed from skrl.utils.set_seed.
    wrapped = wrap_env(vector_env, wrapper="gymnasium", verbose=False)
    if config.device != "auto":
        # skrl's gymnasium wrapper picks cuda when available; --device cpu must mean cpu.
        try:
            skrl_compat.set_device(wrapped, config.device)
        except RuntimeError:
            wrapped.close()
            raise ConfigError(
                f"{ENV_PREFIX}DEVICE: {config.device!r} is not a torch device; use auto, cpu, cuda, cuda:N or mps"
            ) from None
    return wrapped
