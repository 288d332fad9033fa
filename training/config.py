"""The trainer's settings: the contract between every renderer and the job.

A job reaches the trainer through a constant command (``python -m training rl|lerobot|evaluate``)
plus environment variables named here. Flags on that command override the environment,
which lets ``submit local`` and people at a terminal use the same parser. Every user
value travels as one environment variable; nothing is spliced into shell text.

This module imports no torch, mlflow or skrl: the CLI and the contract tests read it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from training import gate as gates

ENV_PREFIX = "ROBO_"
# The task ids Isaac Lab registers; the CLI allows --physics only for these.
ISAACLAB_TASK_PREFIXES = ("Isaac-", "IsaacContrib-")

CHECKPOINT_MODES = ("from-scratch", "warm-start", "resume", "fresh")
LOG_INTERVAL_PRESETS = ("step", "balanced", "rollout")
RUN_MODES = ("train", "smoke-test")
POLICY_TYPES = ("act", "diffusion")
MIXED_PRECISION_MODES = ("no", "fp16", "bf16")  # accelerate's --mixed_precision
RL_LIBRARIES = ("skrl", "rsl_rl")
# The reference's train.sh took these spellings of RSL-RL (research/anchor-inventory.md, TRAINING_BACKEND).
RL_LIBRARY_ALIASES = {"rsl-rl": "rsl_rl", "rslrl": "rsl_rl"}

# Stand-in for the job's checkpoint output folder; each backend's renderer replaces it
# with its own binding (${{outputs.checkpoints}} on Azure ML, {{output}} on OSMO).
OUTPUT_DIR_FLAG = "--output-dir"


# Checkpoint URI forms. No whitespace except inside a path (folders with spaces exist), and no braces
# anywhere: Azure ML (${{...}}) and OSMO ({{...}}) would substitute them in a rendered spec.
_CHECKPOINT_URI = re.compile(
    r"runs:/[A-Za-z0-9][A-Za-z0-9_-]{0,255}/[^\s{}]+"  # MLflow's run-id rule: OSS MLflow's 32 hex, Azure ML's job names
    r"|models:/[A-Za-z0-9._-]+(?:/[0-9]+|@[A-Za-z0-9_-]+|/latest)"
    r"|(?:azureml|mlflow-artifacts|s3|gs|wasbs|abfss|https|file)://?[^\s{}]+"
    r"|(?:\.{1,2})?/[^\s{}](?:[^{}\r\n]*[^\s{}])?"
)

# A model to evaluate: the checkpoint URI forms (models:/name/version, models:/name@alias, runs:/..., a path).
_MODEL_URI = _CHECKPOINT_URI
# MLflow's alias rule, less the names it reserves ("latest", v<digits>).
_ALIAS = re.compile(r"[A-Za-z0-9_-]{1,255}")
_RESERVED_ALIAS = re.compile(r"latest|v[0-9]+", re.IGNORECASE)
# A correlation id joins the runs of one pipeline (a CI run id, a git sha): no spaces, braces or quotes,
# since it is a tag value, an environment variable and a spec value on every backend.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,127}")
_ENV_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # LeRobot's environment types: pusht, aloha, ...
EXPORT_FORMATS = ("onnx", "torchscript")
MAX_EPISODES = 100_000

RESULT_PREFIX = "ROBO_RESULT "  # the one machine-readable stdout line of a trainer run

# Bounds checked before any work. Isaac Lab's own tasks ship 4096-16384 environments; a value far above
# that is a typo that would allocate until the machine's out-of-memory killer ends everything on it.
MAX_NUM_ENVS = 65_536
MAX_SEED = 2**32 - 1  # numpy's seed range (skrl seeds numpy, python and torch with it)
# ROBO_* variables that are not trainer settings: secret names (training/secrets.py), the CLI's
# interpreter choices (submit local), the setup scripts' own, and the job's image reference (run metadata).
OTHER_VARIABLES = frozenset({
    "ROBO_WANDB_KEY_SECRET_NAME", "ROBO_HF_TOKEN_SECRET_NAME", "ROBO_LEROBOT_PYTHON", "ROBO_ISAACLAB_PYTHON",
    "ROBO_PYTHON", "ROBO_VENV", "ROBO_PROPERTY_STATS", "ROBO_IMAGE",
})  # fmt: skip


class ConfigError(ValueError):
    """A setting the trainer cannot accept. The message names the variable or flag."""


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be a whole number of at least 0")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError("must be a finite number above 0")
    return value


def _num_envs(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_NUM_ENVS:
        raise ValueError(f"must be at most {MAX_NUM_ENVS} (got {value})")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"must be a whole number from 0 to {MAX_SEED} (numpy's seed range)")
    return value


def parse_device(text: str) -> str:
    value = text.strip().lower()
    if not re.fullmatch(r"auto|cpu|cuda(:[0-9]+)?|mps", value):
        raise ValueError("accepted values: auto, cpu, cuda, cuda:N, mps")
    return value


def check_device(device: str) -> None:
    """A GPU this machine does not have is a setting to fix (exit 2), not a crash in the simulator."""
    if not device.startswith(("cuda", "mps")):
        return
    import torch  # lazy: only the trainer, which imports it anyway

    if device == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"{ENV_PREFIX}DEVICE: mps asked for, but torch finds no MPS device here; use cpu or auto")
        return

    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        found = torch.cuda.device_count()
        raise ConfigError(
            f"{ENV_PREFIX}DEVICE: {device} asked for, but torch finds {found} CUDA device(s) here; use cpu or auto"
        )


def _choice(*allowed: str):
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"accepted values: {', '.join(allowed)}")
        return value

    return parse


def parse_rl_library(text: str) -> str:
    """`skrl` or `rsl_rl` (the reference's `rsl-rl` and `rslrl` mean rsl_rl)."""
    value = text.strip().lower()
    value = RL_LIBRARY_ALIASES.get(value, value)
    if value not in RL_LIBRARIES:
        raise ValueError(f"accepted values: {', '.join(RL_LIBRARIES)}")
    return value


def log_interval(text: str) -> str:
    """`step`, `balanced`, `rollout`, or a whole number of updates >= 1."""
    value = text.strip().lower()
    if value in LOG_INTERVAL_PRESETS:
        return value
    if value.isdigit() and int(value) >= 1:
        return str(int(value))
    raise ValueError("accepted values: step, balanced, rollout, or a whole number >= 1")


def _string_list(text: str) -> tuple[str, ...]:
    """A JSON list of strings; a plain string is taken as a comma-separated list."""
    stripped = text.strip()
    if not stripped:
        return ()
    if stripped.startswith("["):
        items = json.loads(stripped)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("expected a JSON list of strings")
        return tuple(items)
    return tuple(part.strip() for part in stripped.split(",") if part.strip())


def _text(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return _one_line(text)


def _optional_text(text: str) -> str | None:
    return _one_line(text) if text.strip() else None


def _correlation_id(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not _CORRELATION_ID.fullmatch(value):
        raise ValueError(
            "must be 1 to 128 letters, digits or ._:/@+=- characters, starting with a letter or digit"
        )
    return value


def _env_type(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not _ENV_TYPE.fullmatch(value):
        raise ValueError("must be a LeRobot environment type such as pusht (1 to 64 letters, digits or ._-)")
    return value


def _alias(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not _ALIAS.fullmatch(value) or _RESERVED_ALIAS.fullmatch(value):
        raise ValueError("must be letters, digits, _ or - (MLflow reserves latest and v<number>)")
    return value


def _model_uri(text: str) -> str:
    value = _text(text).strip()
    if not _MODEL_URI.fullmatch(value):
        raise ValueError(
            "not a model URI; use models:/<name>/<version>, models:/<name>@<alias>, runs:/<run id>/<path> "
            "or a path"
        )
    return value


def _episodes(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_EPISODES:
        raise ValueError(f"must be at most {MAX_EPISODES} (got {value})")
    return value


def _episode_list(text: str) -> tuple[int, ...]:
    """Episode indices: a JSON list or comma-separated whole numbers >= 0."""
    stripped = text.strip()
    items = json.loads(stripped) if stripped.startswith("[") else stripped.split(",") if stripped else []
    texts = [str(item).strip() for item in items] if isinstance(items, list) else ["-"]
    if not all(item.isdigit() for item in texts):
        raise ValueError("expected episode indices (whole numbers >= 0), e.g. 40,41,42 or [40, 41]")
    return tuple(int(item) for item in texts)


def _one_line(text: str) -> str:
    """Names, paths and URIs are one line: a newline or another control character would forge log lines,
    tags and file names (and no value needs one)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError("must not contain a newline or another control character")
    return text


def setting(default: Any, parse, help_text: str, env: str | None = None, *, written_at_default: bool = True):
    """A config field: its parser, its help, and its environment variable name.

    `written_at_default=False`: `to_env` leaves the variable out while the value is the default, so a
    setting added later does not change the specs of jobs that do not use it."""
    metadata = {"parse": parse, "help": help_text, "env": env, "written_at_default": written_at_default}
    return field(default=default, metadata=metadata)


def env_name(f: dataclasses.Field) -> str:
    return f.metadata.get("env") or ENV_PREFIX + f.name.upper()


def flag_name(f: dataclasses.Field) -> str:
    return "--" + f.name.replace("_", "-")


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


@dataclass(frozen=True)
class CommonConfig:
    """Settings every trainer kind shares: checkpoints, tracking, registration."""

    checkpoint_uri: str | None = setting(
        None, _optional_text, "checkpoint to start from: runs:/, models:/name/N, models:/name@alias or a path"
    )
    checkpoint_mode: str = setting("from-scratch", _choice(*CHECKPOINT_MODES), "from-scratch|warm-start|resume|fresh")
    register: bool = setting(True, _bool, "register the final checkpoint as a model version after success")
    register_model: str | None = setting(None, _optional_text, "registered model name (default: derived from the task)")
    mlflow: bool = setting(True, _bool, "log params, metrics and checkpoints to MLflow")
    wandb: bool = setting(False, _bool, "also log to Weights & Biases")
    wandb_project: str | None = setting(None, _optional_text, "Weights & Biases project")
    wandb_entity: str | None = setting(None, _optional_text, "Weights & Biases entity")
    experiment_name: str | None = setting(None, _optional_text, "MLflow experiment name")
    job_name: str | None = setting(None, _optional_text, "job name, used for the run name and output folder")
    seed: int = setting(42, _seed, f"random seed, 0 to {MAX_SEED}")
    device: str = setting("auto", parse_device, "torch device: auto, cpu, cuda, cuda:N, mps")
    output_dir: str = setting("outputs", _text, "folder for checkpoints and logs (the job's checkpoint output)")
    mode: str = setting("train", _choice(*RUN_MODES), "train, or smoke-test (check tracking and storage, then exit)")
    secret_source: str = setting("env", _choice("env", "keyvault"), "where secrets come from at run time")
    key_vault_uri: str | None = setting(None, _optional_text, "Key Vault URI read with the job's identity")
    correlation_id: str | None = setting(
        None, _correlation_id, "id joining the runs of one pipeline (a CI run id): tagged on the run and the version"
    )


def _same_as(cls: type, name: str) -> Any:
    """A field declared like `cls`'s field `name` (parser, help, variable), for a kind that shares it."""
    f = cls.__dataclass_fields__[name]
    return field(default=f.default, metadata=f.metadata)


@dataclass(frozen=True)
class RLConfig(CommonConfig):
    """Isaac Lab / gymnasium reinforcement learning with skrl."""

    task: str = setting("CartPole-v1", _text, "Isaac Lab task or gymnasium environment id")
    num_envs: int = setting(8, _num_envs, f"number of parallel environments, 1 to {MAX_NUM_ENVS}")
    max_iterations: int | None = setting(None, _positive_int, "rollout/update iterations (timesteps = iterations x rollouts)")
    timesteps: int | None = setting(None, _positive_int, "total trainer timesteps (overrides max_iterations)")
    algorithm: str = setting("ppo", _choice("ppo", "sac"), "algorithm (RSL-RL: ppo only)")
    rl_library: str = setting("skrl", parse_rl_library, "RL library: skrl or rsl_rl", written_at_default=False)
    agent_config: str | None = setting(
        None, _optional_text,
        "agent YAML: Isaac Lab's skrl format, or an RSL-RL runner config as a dict (default: shipped or task's own)",
    )
    headless: bool = setting(True, _bool, "run the simulator without a window (false: with one; Isaac Lab tasks only)")
    physics: str | None = setting(None, _optional_text, "Isaac Lab physics preset, e.g. newton_mjwarp (Isaac Lab tasks only)")
    # Isaac Sim's own variable name, so a job that sets it for Isaac Lab directly means the same thing.
    asset_root: str | None = setting(
        None, _optional_text, "local Isaac Sim asset root (folder or URL), for offline clusters",
        env="ISAACSIM_ASSET_ROOT",
    )
    log_interval: str = setting("balanced", log_interval, "MLflow log interval: step|balanced|rollout|N updates")
    metric_filter: tuple[str, ...] = setting((), _string_list, "only log metrics whose name contains one of these")
    max_depth: int = setting(2, _non_negative_int, "how deep nested metric values are flattened")
    system_metrics: bool = setting(False, _bool, "also log CPU, memory, disk and GPU metrics")
    checkpoint_interval: int | None = setting(None, _positive_int, "timesteps between checkpoints (default: timesteps / 10)")
    metrics_flush_timeout: float = setting(
        30.0, _positive_float, "seconds to wait at the end for metrics the tracking server has not taken yet"
    )


@dataclass(frozen=True)
class LeRobotConfig(CommonConfig):
    """LeRobot behavioural cloning."""

    dataset_repo_id: str | None = setting(None, _optional_text, "dataset repo id (Hub id, or the id of a local/blob dataset)")
    dataset_root: str | None = setting(None, _optional_text, "local dataset folder")
    blob_urls: tuple[str, ...] = setting((), _string_list, "dataset files or folders to download before training")
    policy_type: str = setting("act", _choice(*POLICY_TYPES), "act|diffusion")
    pretrained_path: str | None = setting(
        None, _optional_text, "policy to fine-tune: Hub id or folder (--policy.path; mode from-scratch)"
    )
    steps: int = setting(100000, _positive_int, "training steps")
    batch_size: int = setting(8, _positive_int, "batch size")
    learning_rate: float | None = setting(None, _positive_float, "optimizer learning rate")
    save_freq: int = setting(5000, _positive_int, "steps between checkpoints")
    eval_freq: int = setting(0, _non_negative_int, "steps between evaluations (0: none)")
    log_freq: int = setting(200, _positive_int, "steps between metric logs")
    num_workers: int = setting(4, _non_negative_int, "data loader workers")
    push_to_hub: bool = setting(False, _bool, "push the trained policy to the Hugging Face Hub")
    policy_repo_id: str | None = setting(None, _optional_text, "Hub repo to push to (only with push_to_hub)")
    lerobot_args: tuple[str, ...] = setting((), _string_list, "extra lerobot-train arguments (JSON list)")
    dataset_revision: str | None = setting(None, _optional_text, "Hub dataset commit to train on (--dataset.revision)")
    dataset_assets: tuple[str, ...] = setting((), _string_list, "Azure ML data assets mounted as dataset_dirs (their identity, for tags)")
    dataset_dirs: tuple[str, ...] = setting(
        (), _string_list, "read-only dataset folders (mounted job inputs; several are merged into one dataset)"
    )
    gpus: int = setting(
        1, _positive_int, "training processes on this node, one per GPU (more than 1: accelerate launch)",
        written_at_default=False,
    )
    mixed_precision: str = setting(
        "no", _choice(*MIXED_PRECISION_MODES), "accelerate mixed precision: no, fp16 or bf16", written_at_default=False
    )


@dataclass(frozen=True)
class EvalConfig:
    """Evaluate a trained model on its task; optionally promote it (an MLflow alias) behind a gate, export it.

    Task, RL library, algorithm and agent config default to the model version's tags (and its agent.yaml)."""

    model_uri: str = setting("", _model_uri, "model to evaluate: models:/name/N, models:/name@alias, runs:/... or a path")
    task: str | None = setting(None, _optional_text, "task or gymnasium environment id (default: the version's task tag)")
    rl_library: str | None = setting(
        None, lambda t: parse_rl_library(t) if t.strip() else None, "skrl or rsl_rl (default: the version's tag)"
    )
    algorithm: str | None = setting(None, _choice("ppo", "sac"), "ppo or sac (default: the version's tag)")
    agent_config: str | None = setting(
        None, _optional_text, "agent YAML (default: the agent.yaml the model version carries)"
    )
    episodes: int = setting(10, _episodes, f"episodes to evaluate, 1 to {MAX_EPISODES}")
    num_envs: int = setting(1, _num_envs, f"parallel environments, 1 to {MAX_NUM_ENVS}")
    deterministic: bool = setting(True, _bool, "act with the policy's mean action (false: sample actions)")
    promote: str | None = setting(None, _alias, "MLflow alias to set on the version when every gate holds")
    gate: tuple[str, ...] = setting(
        (), lambda t: gates.normalise(_string_list(t)), "gates, comma separated: METRIC>=VALUE (or <=, >, <), or METRIC>=@ALIAS"
    )
    export: str | None = setting(
        None, lambda t: _choice(*EXPORT_FORMATS)(t) if t.strip() else None, "export the policy: onnx or torchscript"
    )
    video_episodes: int = setting(0, _non_negative_int, "episodes to record as video (0: none)")
    dataset_repo_id: str | None = _same_as(LeRobotConfig, "dataset_repo_id")
    dataset_root: str | None = _same_as(LeRobotConfig, "dataset_root")
    heldout_episodes: tuple[int, ...] = setting(
        (), _episode_list, "LeRobot: dataset episodes to evaluate on (default: those training did not use)"
    )
    lerobot_env: str | None = setting(None, _env_type, "LeRobot: gym environment type to roll the policy out in")
    headless: bool = _same_as(RLConfig, "headless")
    physics: str | None = _same_as(RLConfig, "physics")
    asset_root: str | None = _same_as(RLConfig, "asset_root")
    mlflow: bool = setting(True, _bool, "log the evaluation to MLflow (off: no tags, no promotion)")
    experiment_name: str | None = _same_as(CommonConfig, "experiment_name")
    job_name: str | None = _same_as(CommonConfig, "job_name")
    seed: int = _same_as(CommonConfig, "seed")
    device: str = _same_as(CommonConfig, "device")
    output_dir: str = setting("outputs", _text, "folder for the episode table, videos and exports")
    secret_source: str = _same_as(CommonConfig, "secret_source")
    key_vault_uri: str | None = _same_as(CommonConfig, "key_vault_uri")
    correlation_id: str | None = _same_as(CommonConfig, "correlation_id")


AnyConfig = CommonConfig | EvalConfig
KINDS: dict[str, type[AnyConfig]] = {"rl": RLConfig, "lerobot": LeRobotConfig, "evaluate": EvalConfig}


def to_env(config: AnyConfig) -> dict[str, str]:
    """Environment variables for every setting that is set, in field order.

    Every value is written, defaults included, so a job spec says exactly what runs.
    """
    env: dict[str, str] = {}
    for f in fields(config):
        if f.name == "output_dir":
            continue  # bound by each backend on the command line
        value = getattr(config, f.name)
        if value is None or value == ():
            continue
        if not f.metadata.get("written_at_default", True) and value == f.default:
            continue
        env[env_name(f)] = _format(value)
    return env


def from_env(kind: str, environ: Mapping[str, str], argv: list[str] | None = None) -> AnyConfig:
    """Parse the environment, then flags on top; raise ConfigError naming the bad input."""
    cls = KINDS[kind]
    _check_names(cls, environ)
    values: dict[str, Any] = {}
    for f in fields(cls):
        name = env_name(f)
        if name in environ:
            values[f.name] = _parse(f, environ[name], name)
    for name, raw in _parse_flags(cls, argv or []).items():
        f = next(x for x in fields(cls) if x.name == name)
        values[name] = _parse(f, raw, flag_name(f))
    config = cls(**values)
    validate(config)
    return config


def _parse(f: dataclasses.Field, raw: str, source: str) -> Any:
    try:
        return f.metadata["parse"](raw)
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _check_names(cls: type[AnyConfig], environ: Mapping[str, str]) -> None:
    """A ROBO_* variable no kind reads is a typo (ROBO_TIMESTEP): refused, not silently ignored."""
    known = {env_name(f) for kind in KINDS.values() for f in fields(kind)} | OTHER_VARIABLES
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known:
            own = [env_name(f) for f in fields(cls)]
            close = difflib.get_close_matches(name, own, n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]}?" if close else f"; see python -m training {_kind_of(cls)} --help"
            raise ConfigError(f"{name}: not a trainer setting{hint}")


def _kind_of(cls: type[AnyConfig]) -> str:
    return next(name for name, kind in KINDS.items() if kind is cls)


def _parse_flags(cls: type[AnyConfig], argv: list[str]) -> dict[str, str]:
    import argparse  # lazy: the CLI imports this module, and start-up time counts

    class OneLineParser(argparse.ArgumentParser):
        def error(self, message: str):  # argparse would print the whole usage, then exit
            raise ConfigError(f"{message}; see python -m training {_kind_of(cls)} --help")

    parser = OneLineParser(prog=f"python -m training {_kind_of(cls)}", add_help=False, allow_abbrev=False)
    for f in fields(cls):
        # A list setting may be given once per item (a backend binds one mounted input per flag).
        action = "append" if isinstance(f.default, tuple) else "store"
        parser.add_argument(flag_name(f), dest=f.name, default=None, action=action)
    namespace, unknown = parser.parse_known_args(argv)
    if unknown:
        flags = [flag_name(f) for f in fields(cls)]
        close = difflib.get_close_matches(unknown[0].partition("=")[0], flags, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; see python -m training {_kind_of(cls)} --help"
        raise ConfigError(f"unknown argument {unknown[0]!r}{hint}")
    given = {k: v for k, v in vars(namespace).items() if v is not None}
    return {k: _joined(v) if isinstance(v, list) else v for k, v in given.items()}


def _joined(values: list[str]) -> str:
    """Repeated flags of a list setting, as the one JSON list its parser reads; one flag stays as given."""
    return values[0] if len(values) == 1 else json.dumps(values)


def validate(config: AnyConfig) -> None:
    """Cross-field rules shared with the CLI's settings model."""
    if isinstance(config, EvalConfig):
        _validate_eval(config)
        return
    if config.checkpoint_mode in ("resume", "warm-start") and not config.checkpoint_uri:
        raise ConfigError(f"{ENV_PREFIX}CHECKPOINT_MODE: {config.checkpoint_mode} needs a checkpoint URI")
    if config.checkpoint_mode in ("from-scratch", "fresh") and config.checkpoint_uri:
        raise ConfigError(
            f"{ENV_PREFIX}CHECKPOINT_URI: a checkpoint is given but the mode is {config.checkpoint_mode}; "
            "use warm-start or resume, or drop the URI"
        )
    problem = checkpoint_uri_problem(config.checkpoint_uri) if config.checkpoint_uri else None
    if problem:
        raise ConfigError(f"{ENV_PREFIX}CHECKPOINT_URI: {problem}")
    if isinstance(config, RLConfig):
        problem = rl_library_problem(config.rl_library, config.algorithm, config.wandb)
        if problem:
            raise ConfigError(f"{ENV_PREFIX}{problem[0].upper()}: {problem[1]}")
        _validate_rl(config)


def _validate_rl(config: RLConfig) -> None:
    """Settings that only an Isaac Lab task uses are refused for a gymnasium one, never silently ignored."""
    if is_isaaclab_task(config.task):
        return
    if config.physics:
        raise ConfigError(
            f"{ENV_PREFIX}PHYSICS: presets are for Isaac Lab tasks ({', '.join(ISAACLAB_TASK_PREFIXES)}...); "
            f"{config.task} has none; drop it"
        )
    if not config.headless:
        raise ConfigError(
            f"{ENV_PREFIX}HEADLESS: a window (--gui) is for Isaac Lab tasks; {config.task} trains without one; "
            "drop it"
        )


def _validate_eval(config: EvalConfig) -> None:
    if not config.model_uri:
        raise ConfigError(
            f"{ENV_PREFIX}MODEL_URI: a model to evaluate is needed: models:/<name>/<version>, models:/<name>@<alias>, "
            "runs:/<run id>/<path> or a path"
        )
    if not config.mlflow and (config.promote or any("@" in gate for gate in config.gate)):
        what = f"{ENV_PREFIX}PROMOTE" if config.promote else f"{ENV_PREFIX}GATE"
        raise ConfigError(f"{what}: needs MLflow (the alias lives in the model registry); drop it or turn MLflow on")
    if config.video_episodes > config.episodes:
        raise ConfigError(
            f"{ENV_PREFIX}VIDEO_EPISODES: {config.video_episodes} is more than the {config.episodes} episodes evaluated"
        )
    if config.task and not is_isaaclab_task(config.task) and config.physics:
        raise ConfigError(f"{ENV_PREFIX}PHYSICS: presets are for Isaac Lab tasks; {config.task} has none; drop it")


def rl_library_problem(library: str, algorithm: str, wandb: bool) -> tuple[str, str] | None:
    """(setting, why) when the RL library cannot train these settings, else None; the CLI applies the same
    rule. RSL-RL's on-policy runner trains PPO only, and its W&B writer is not wired to this trainer's run
    naming and secrets."""
    if library != "rsl_rl":
        return None
    if algorithm != "ppo":
        return "algorithm", f"{algorithm} is skrl's; RSL-RL trains ppo (pass --algorithm ppo or --rl-library skrl)"
    if wandb:
        return "wandb", "Weights & Biases logging is offered with skrl only; drop --wandb or use --rl-library skrl"
    return None


def checkpoint_uri_problem(uri: str) -> str | None:
    """Why `uri` is not a checkpoint URI the trainer accepts, else None (the CLI applies the same rule)."""
    if _CHECKPOINT_URI.fullmatch(uri):
        return None
    return (
        "not a checkpoint URI; use runs:/<run id>/<path> (on Azure ML the run id is the job name), models:/<name>/<version>, "
        "models:/<name>@<alias> or a path"
    )


def is_isaaclab_task(task: str) -> bool:
    """An Isaac Lab task id (the CLI allows --physics only for these)."""
    return task.startswith(ISAACLAB_TASK_PREFIXES)


def is_rank_zero(environ: Mapping[str, str]) -> bool:
    """Whether this process is global rank 0, the one that logs, checkpoints and registers.

    RANK (torchrun, accelerate) wins; LOCAL_RANK stands in on launchers that set only it; a process
    with neither is a single-process run, so rank 0. An empty value counts as unset.
    """
    for name in ("RANK", "LOCAL_RANK"):
        value = environ.get(name, "").strip()
        if value:
            return int(value) == 0
    return True


def derive_model_name(task: str) -> str:
    """Registered model name from a task id: lower-case, runs of other characters become '-'."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", task.lower())).strip("-") or "model"


def lerobot_model_name(policy_type: str, dataset_repo_id: str) -> str:
    """The registered model of a LeRobot run given no name: its policy type and the dataset's own name.
    The CLI renders it; the trainer derives the same when the spec has none (a resume without a dataset)."""
    return derive_model_name(f"lerobot-{policy_type}-{dataset_repo_id.split('/')[-1]}")


def correlation_id_problem(value: str) -> str | None:
    """Why `value` is not a correlation id the trainer accepts, else None (the CLI applies the same rule)."""
    try:
        _correlation_id(value)
    except ValueError as exc:
        return str(exc)
    return None


def describe(kind: str) -> list[tuple[str, str, str]]:
    """(environment variable, flag, help) for every setting of a kind, for docs and --help."""
    return [(env_name(f), flag_name(f), f.metadata["help"]) for f in fields(KINDS[kind])]
