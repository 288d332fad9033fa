"""The RSL-RL runner configuration: which one, and what the job's settings override in it.

The format is the dict RSL-RL's ``OnPolicyRunner`` takes (what Isaac Lab's ``RslRlOnPolicyRunnerCfg``
becomes through ``isaaclab.utils.to_dict``): ``num_steps_per_env``, ``max_iterations``, ``save_interval``,
``obs_groups``, ``actor``, ``critic``, ``algorithm``... Resolution order: ``--agent-config FILE`` (YAML
of that dict), then the Isaac Lab task's own ``rsl_rl_cfg_entry_point``, then the config shipped in
``training/agents/rsl_rl`` for the gymnasium id.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from training.config import ENV_PREFIX, ConfigError, RLConfig, derive_model_name
from training.rl.agent_config import AGENTS_DIR, read_yaml

SHIPPED_DIR = AGENTS_DIR / "rsl_rl"
LOG_FOLDER = "rsl_rl"  # RSL-RL writes <output-dir>/rsl_rl/model_<iteration>.pt and its TensorBoard events
_REQUIRED = ("num_steps_per_env", "actor", "critic", "algorithm")
_AGENT_CONFIG = f"{ENV_PREFIX}AGENT_CONFIG"


def load_runner_cfg(config: RLConfig, task_cfg: dict | None = None) -> dict:
    """The runner configuration before overrides, checked for what the runner needs."""
    if config.agent_config:
        cfg = read_yaml(Path(config.agent_config), _AGENT_CONFIG, _REQUIRED)
    elif task_cfg is not None:
        cfg = copy.deepcopy(task_cfg)
    else:
        cfg = read_yaml(shipped_runner_path(config.task), _AGENT_CONFIG, _REQUIRED)
    _check(cfg)
    return cfg


def shipped_runner_path(task: str) -> Path:
    """`training/agents/rsl_rl/<task>_ppo.yaml`; ConfigError listing what is shipped."""
    path = SHIPPED_DIR / f"{derive_model_name(task)}_ppo.yaml"
    if path.is_file():
        return path
    shipped = ", ".join(sorted(p.stem.replace("_", " ") for p in SHIPPED_DIR.glob("*.yaml")))
    raise ConfigError(
        f"{_AGENT_CONFIG}: no shipped RSL-RL config for {task} (shipped: {shipped}); pass --agent-config FILE"
    )


def apply_overrides(cfg: dict, config: RLConfig, *, device: str) -> dict:
    """A new config with the job's settings applied; `cfg` is left untouched.

    Sets the seed, the device, the run's length in iterations and the checkpoint interval, and keeps RSL-RL's
    own TensorBoard writer (the trainer copies what it writes to MLflow; W&B and Neptune are not offered).
    RSL-RL's own resume settings are cleared: the trainer loads checkpoints itself (`checkpoint_mode`).
    """
    out = copy.deepcopy(cfg)
    out.update(seed=config.seed, device=device, logger="tensorboard", resume=False)
    out["max_iterations"] = total_iterations(out, config)
    out["save_interval"] = _save_interval(out, config)
    out["experiment_name"] = LOG_FOLDER
    out["run_name"] = config.job_name or ""
    out.setdefault("obs_groups", {})
    return out


def total_iterations(cfg: dict, config: RLConfig) -> int:
    """--max-iterations, else --timesteps / num_steps_per_env (rounded up), else the config's."""
    if config.max_iterations:
        return config.max_iterations
    if config.timesteps:
        return math.ceil(config.timesteps / steps_per_iteration(cfg))
    value = cfg.get("max_iterations")
    if not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{_AGENT_CONFIG}: max_iterations must be a whole number >= 1, or pass --max-iterations"
        )
    return value


def steps_per_iteration(cfg: dict) -> int:
    return int(cfg["num_steps_per_env"])


def log_dir(config: RLConfig) -> Path:
    return Path(config.output_dir).resolve() / LOG_FOLDER


def _save_interval(cfg: dict, config: RLConfig) -> int:
    """Iterations between checkpoints: --checkpoint-interval (timesteps) in iterations, else the config's."""
    if config.checkpoint_interval:
        return max(1, config.checkpoint_interval // steps_per_iteration(cfg))
    value = cfg.get("save_interval")
    if isinstance(value, int) and value > 0:
        return value
    return max(1, cfg["max_iterations"] // 10)


def _check(cfg: dict) -> None:
    missing = [name for name in _REQUIRED if name not in cfg]
    if missing:
        raise ConfigError(f"{_AGENT_CONFIG}: the RSL-RL runner config has no {', '.join(missing)}")
    if cfg.get("class_name", "OnPolicyRunner") != "OnPolicyRunner":
        raise ConfigError(
            f"{_AGENT_CONFIG}: runner {cfg['class_name']!r} is not offered; the trainer runs RSL-RL's OnPolicyRunner"
        )
    value = cfg["num_steps_per_env"]
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{_AGENT_CONFIG}: num_steps_per_env must be a whole number >= 1")
