"""Settings -> the trainer's contract: the one container command, its ROBO_* environment, and its image.

Every settings field declared with a `trainer` name (models/fields.py, backends/*/fields.py; the model
field carries its declaration, models.base.declared) reaches the trainer's config field of that name;
the few values the trainer gets that no flag gives are derived here (DERIVED). tests/submit/test_trainer_contract.py checks that every trainer field is one or the
other, or is the trainer's own (TRAINER_ONLY).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from submit.models.base import Strict, declaration
from submit.models.fields import JOB_SETTINGS
from submit.models.jobs import TRAINER_KINDS, AnyJob, registers
from submit.templates import load_template
from training.config import KINDS, OUTPUT_DIR_FLAG, AnyConfig, env_name, to_env

Job = AnyJob

# Trainer fields the CLI derives from other settings.
DERIVED = ("register", "register_model", "secret_source")
# Trainer fields no job setting fills: the trainer's defaults, its own tuning, and what each backend binds.
TRAINER_ONLY = (
    "output_dir", "asset_root", "max_depth", "system_metrics", "checkpoint_interval", "metrics_flush_timeout",
    "log_freq", "num_workers", "dataset_dirs",
    "deterministic",  # an evaluation acts with the policy's mean action, as a deployment does
)  # fmt: skip


# The trainer never imports from its working folder (Python >= 3.11; every job image is): a `training/`
# folder or a `random.py` where a job or `submit local` runs must not replace or break it. An environment
# variable rather than `python -P`, so torchrun's workers and the Isaac Lab image's `python` wrapper keep it.
SAFE_PATH_ENV = {"PYTHONSAFEPATH": "1"}


def trainer_command(kind: str, output_dir: str) -> list[str]:
    """The one container command, as argv. `output_dir` is a backend binding or a local path, never user text."""
    return ["python", "-m", "training", kind, OUTPUT_DIR_FLAG, output_dir]


def trainer_kind(job: Job) -> str:
    """`rl`, `lerobot` or `evaluate`: the trainer's kind, the first word of its command."""
    return TRAINER_KINDS[job.kind]


def trainer_image(kind: str) -> str:
    """The trainer image of a trainer kind, the same on every backend: the tag `submit image build KIND`
    gives (workflows/images/images.yaml)."""
    return load_template("images/images.yaml")[kind]["image"]


def trainer_dockerfile(kind: str) -> str:
    """The Dockerfile of a trainer kind's image, relative to the build context (the repository root)."""
    return f"workflows/images/{load_template('images/images.yaml')[kind]['dockerfile']}"


def trainer_sources() -> Path:
    """The trainer's package folder (training/), as this CLI runs it."""
    import training

    return Path(training.__file__).resolve().parent


def trainer_config(job: Job, target: Any = None) -> AnyConfig:
    """The trainer's view of a job: what reaches the container as ROBO_* variables."""
    config = KINDS[trainer_kind(job)]
    wanted = {f.name for f in fields(config)}
    values: dict[str, Any] = {}
    if "register" in wanted:  # a training kind
        values |= {"register": registers(job), "register_model": job.model_name}
    for declared, value in [*_declared_values(job), *_declared_values(target)]:
        if declared.get("trainer") in wanted:
            values[declared["trainer"]] = value
    values["secret_source"] = "keyvault" if values.get("key_vault_uri") else "env"
    return config(**values)


def trainer_env(job: Job, target: Any = None) -> dict[str, str]:
    """ROBO_* variables, then other libraries' own variables (MLflow's client knobs), then the safe path."""
    env = to_env(trainer_config(job, target))
    for declared, value in _declared_values(job):
        if declared.get("job_env"):
            env[declared["job_env"]] = str(value)
    return {**env, **SAFE_PATH_ENV}


def local_trainer_env(values: dict[str, Any]) -> dict[str, str]:
    """ROBO_* variables of a local run's own settings (declared without a settings path), those given."""
    variables = {f.name: env_name(f) for config in KINDS.values() for f in fields(config)}
    env = {}
    for name, value in values.items():
        setting = JOB_SETTINGS[name]
        if value is not None and setting.trainer and not setting.path:
            env[variables[setting.trainer]] = str(value)
    return env


def flag_of_variable(variable: str) -> str | None:
    """The CLI flag that fills a trainer variable (ROBO_DEVICE -> --device), from the declarations; None if none."""
    trainer = {env_name(f): f.name for config in KINDS.values() for f in fields(config)}.get(variable)
    setting = next((s for s in JOB_SETTINGS.values() if trainer and s.trainer == trainer), None)
    return next((flag for flag in setting.flags if flag.startswith("--")), None) if setting else None


def in_flags(message: str) -> str:
    """A trainer refusal (`ROBO_DEVICE: ...`) said in the CLI's words (`--device: ...`) when a flag fills it."""
    variable, colon, rest = message.partition(":")
    flag = flag_of_variable(variable) if colon else None
    return f"{flag.split('/')[0]}:{rest}" if flag else message


def _declared_values(model: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """(declaration, value) of every declared field of a settings model and of its parts, in field order."""
    if not isinstance(model, Strict):
        return
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, Strict):
            yield from _declared_values(value)
        elif declaration(info):
            yield declaration(info), value
