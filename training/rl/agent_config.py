"""The skrl agent configuration: which YAML, and what the job's settings override in it.

The file format is Isaac Lab's skrl YAML (``seed``, ``models``, ``memory``, ``agent``,
``trainer``), which skrl's Runner reads. Resolution order: ``--agent-config FILE``, then
the Isaac Lab task's own config, then the config shipped in ``training/agents`` for the
gymnasium id and algorithm.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from training.config import ENV_PREFIX, ConfigError, RLConfig, derive_model_name

AGENTS_DIR = Path(__file__).resolve().parent.parent / "agents"
EXPERIMENT_NAME = "skrl"  # skrl writes to <output-dir>/skrl/checkpoints/agent_<timestep>.pt
_SECTIONS = ("models", "memory", "agent", "trainer")
_AGENT_CONFIG = f"{ENV_PREFIX}AGENT_CONFIG"


def load_agent_cfg(config: RLConfig, task_agent_cfg: dict | None = None) -> dict:
    """The agent configuration before overrides, checked for the sections skrl needs."""
    if config.agent_config:
        cfg = read_yaml(Path(config.agent_config), _AGENT_CONFIG)
    elif task_agent_cfg is not None:
        cfg = copy.deepcopy(task_agent_cfg)
    else:
        cfg = read_yaml(shipped_agent_path(config.task, config.algorithm), _AGENT_CONFIG)
    _check(cfg, config.algorithm)
    return cfg


def shipped_agent_path(task: str, algorithm: str) -> Path:
    """`training/agents/<task>_<algorithm>.yaml`; ConfigError listing what is shipped."""
    path = AGENTS_DIR / f"{derive_model_name(task)}_{algorithm}.yaml"
    if path.is_file():
        return path
    shipped = ", ".join(sorted(p.stem.replace("_", " ") for p in AGENTS_DIR.glob("*.yaml")))
    raise ConfigError(
        f"{_AGENT_CONFIG}: no shipped {algorithm} config for {task} (shipped: {shipped}); "
        "pass --agent-config FILE"
    )


def apply_overrides(
    cfg: dict, config: RLConfig, *, gymnasium: bool, rank_zero: bool = True, budget: int | None = None
) -> dict:
    """A new config with the job's settings applied; `cfg` is left untouched.

    Sets the seed, the trainer length, where skrl writes (``<output-dir>/skrl``), the
    TensorBoard/checkpoint intervals (never 0 for tracking: skrl stops recording rewards
    and never clears its buffers then), and turns off skrl's own progress bar and
    at-exit env close, which the trainer handles. Weights & Biases is skrl's own
    (``experiment.wandb``, ``wandb_kwargs`` for wandb.init), on rank 0 only: skrl would
    start one wandb run per process.
    """
    out = copy.deepcopy(cfg)
    timesteps = total_timesteps(out, config, budget)
    out["seed"] = config.seed
    trainer = out["trainer"]
    trainer.update(timesteps=timesteps, disable_progressbar=True, close_environment_at_exit=False)
    trainer["headless"] = True if gymnasium else config.headless
    trainer.setdefault("environment_info", "episode")
    experiment = out["agent"].setdefault("experiment", {})
    experiment.update(directory=str(Path(config.output_dir).resolve()), experiment_name=EXPERIMENT_NAME)
    experiment["write_interval"] = _interval(experiment.get("write_interval"), timesteps // 100)
    experiment["checkpoint_interval"] = _checkpoint_interval(config, experiment, timesteps)
    experiment["store_separately"] = False  # resume and registration read one agent_<t>.pt
    experiment["wandb"] = config.wandb and rank_zero
    if experiment["wandb"]:
        experiment["wandb_kwargs"] = _wandb_kwargs(config, experiment.get("wandb_kwargs") or {})
    return out


def total_timesteps(cfg: dict, config: RLConfig, budget: int | None = None) -> int:
    """--timesteps, else --max-iterations x agent.rollouts (1 for off-policy), else `budget` (a resumed
    run's, from its checkpoint), else the YAML's."""
    if config.timesteps:
        return config.timesteps
    if config.max_iterations:
        return config.max_iterations * int(cfg["agent"].get("rollouts", 1))
    if budget:
        return budget
    value = cfg["trainer"].get("timesteps")
    if not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{_AGENT_CONFIG}: trainer.timesteps must be a whole number >= 1, or pass --timesteps"
        )
    return value


def rollouts(cfg: dict) -> int | None:
    """Environment steps between two updates for on-policy agents; None for off-policy ones."""
    value = cfg["agent"].get("rollouts")
    return int(value) if isinstance(value, int) and value > 0 else None


def _interval(value: Any, auto: int) -> int:
    if isinstance(value, int) and value > 0:
        return value
    return max(1, auto)


def _checkpoint_interval(config: RLConfig, experiment: dict, timesteps: int) -> int:
    if config.checkpoint_interval:
        return config.checkpoint_interval
    value = experiment.get("checkpoint_interval")
    if isinstance(value, int) and value <= 0:
        return 0  # the YAML turned periodic checkpoints off; the final one is still written
    return _interval(value, timesteps // 10)


def _wandb_kwargs(config: RLConfig, current: dict) -> dict:
    """Project and entity from the settings; the run is named like the job (and its MLflow run)."""
    kwargs = dict(current)
    for key, value in (
        ("project", config.wandb_project),
        ("entity", config.wandb_entity),
        ("name", config.job_name),
    ):
        if value:
            kwargs[key] = value
    # Without a name skrl names every run after its folder ("skrl"); None lets wandb pick one.
    kwargs.setdefault("name", None)
    return kwargs


def read_yaml(path: Path, source: str, sections: tuple[str, ...] = _SECTIONS) -> dict:
    """A YAML file holding a mapping (an agent or runner config); ConfigError naming `source` otherwise."""
    import yaml  # lazy: start-up time

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found: {path}") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"{source}: {path} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {path} must hold a mapping with {', '.join(sections)}")
    return data


def _check(cfg: dict, algorithm: str) -> None:
    missing = [name for name in _SECTIONS if not isinstance(cfg.get(name), dict)]
    if missing:
        raise ConfigError(f"{_AGENT_CONFIG}: the agent config has no {', '.join(missing)} section")
    declared = str(cfg["agent"].get("class", "")).lower()
    if not declared:
        raise ConfigError(f"{_AGENT_CONFIG}: agent.class is missing")
    if declared != algorithm:
        message = f"{algorithm}, but the agent config declares {declared}; pass --algorithm {declared}"
        raise ConfigError(f"{ENV_PREFIX}ALGORITHM: {message}")
