"""Isaac Lab tasks for the RSL-RL path: the task's runner config and Isaac Lab's RSL-RL env wrapper.

Called from `training.rl.isaaclab` (which builds the task and its simulation for both libraries).
Uses Isaac Lab's public ``isaaclab_rl.rsl_rl`` API (read against isaaclab 3.0.0): ``RslRlVecEnvWrapper``,
``handle_deprecated_rsl_rl_cfg`` (migrates a task's config to the installed RSL-RL), ``isaaclab.utils.to_dict``,
and the registry key ``rsl_rl_cfg_entry_point`` that Isaac Lab's own RSL-RL train script reads.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from training.config import ENV_PREFIX, ConfigError

ENTRY_POINT = "rsl_rl_cfg_entry_point"


def task_runner_cfg(task: str, load_cfg_from_registry: Any) -> dict:
    """The task's own RSL-RL runner config, as the dict OnPolicyRunner takes."""
    from isaaclab.utils import to_dict  # lazy: Isaac Lab
    from isaaclab_rl.rsl_rl import handle_deprecated_rsl_rl_cfg  # lazy: Isaac Lab

    try:
        cfg = load_cfg_from_registry(task, ENTRY_POINT)
    except ValueError:  # Isaac Lab's answer when the task registers no such entry point
        raise ConfigError(
            f"{ENV_PREFIX}RL_LIBRARY: {task} ships no RSL-RL config; pass --agent-config FILE or --rl-library skrl"
        ) from None
    cfg = handle_deprecated_rsl_rl_cfg(cfg, importlib.metadata.version("rsl-rl-lib"))
    return to_dict(cfg)


def wrap(env: Any, runner_cfg: dict | None) -> Any:
    """The Isaac Lab env as RSL-RL's VecEnv, clipping actions as the task's runner config says."""
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper  # lazy: Isaac Lab

    return RslRlVecEnvWrapper(env, clip_actions=(runner_cfg or {}).get("clip_actions"))
