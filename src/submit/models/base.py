"""What every settings model is built from: a strict, frozen base, the value types, and `declared`,
which gives a field the description of its declaration (models/fields.py)."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# No pydantic plugins in robo-submit's own process: they would only observe its internal settings validation,
# and discovering them reads every installed package's entry points on the first validator build (about a
# sixth of the `import click, yaml` floor in instructions, docs/benchmarks.md). A value already set is kept.
PLUGINS_SWITCH = "PYDANTIC_DISABLE_PLUGINS"
USERS_PLUGINS_SETTING = os.environ.get(PLUGINS_SWITCH)  # None: set here for this process only (child_environ)
os.environ.setdefault(PLUGINS_SWITCH, "__all__")

from submit.models.fields import Setting  # noqa: E402 (after the switch: it may build validators)
from training.config import log_interval  # noqa: E402


def pattern(regex: str, what: str):
    # Compiled on first use (re caches it): a dry run checks a few of these, and start-up time counts.
    def check(value: str) -> str:
        if not re.fullmatch(regex, value):
            raise ValueError(what)
        return value

    return AfterValidator(check)


def _free_text(value: str) -> str:
    """Free text reaches the job as data, but must not be blank, look like a binding or contain control characters."""
    if not value.strip():
        raise ValueError("must not be blank")
    if not value.isprintable():
        raise ValueError("must be printable text without control characters or line breaks")
    if "{{" in value or "}}" in value:
        raise ValueError("must not contain '{{' or '}}' (job systems read them as bindings)")
    if "{%" in value or "{#" in value:
        raise ValueError("must not contain '{%' or '{#' (OSMO renders the spec with Jinja at submit)")
    return value


FreeText = Annotated[str, Field(max_length=512), AfterValidator(_free_text)]


def trainer_rule(kind: str, name: str):
    """The trainer's own parser of its config field `name` (training/config.py), as a validator: what the CLI
    accepts, the trainer accepts, in the form the trainer reads it (no spaces it would strip)."""

    def check(value: Any) -> Any:
        from dataclasses import fields

        from training.config import KINDS

        parse = next(f for f in fields(KINDS[kind]) if f.name == name).metadata["parse"]
        parsed = parse(value)  # a ValueError says what is wrong, in the trainer's words
        if parsed is None:
            raise ValueError("must not be blank")
        if parsed != value:
            raise ValueError("must not start or end with spaces")
        return value

    return AfterValidator(check)


# A tag value on every system it reaches (MLflow runs and versions, Azure ML job tags): the trainer's rule.
CorrelationId = Annotated[str, trainer_rule("rl", "correlation_id")]

# Azure ML's naming rule for experiments and jobs (the service refuses what it refuses; load_job does not).
AzureName = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", "must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)")
]
ImageRef = Annotated[
    str,
    pattern(
        r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
        r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?",
        "must be an image reference such as registry.example.com/team/image:tag",
    ),
]
TaskId = Annotated[
    str,
    pattern(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}", "must be a task id such as Isaac-Cartpole-Direct or CartPole-v1"),
]
ModelName = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}", "must start with a letter or digit and use only letters, digits, '.', '-' and '_'")
]
# An Azure ML workspace's coordinates (Azure ML's submission, and the workspace an OSMO job finds MLflow through).
SubscriptionId = Annotated[
    str, pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "must be a GUID")
]
ResourceGroup = Annotated[
    str, pattern(r"[-\w.()]{0,89}[-\w()]", "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")
]
WorkspaceName = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{2,32}", "must be 3-33 letters, digits, '-' or '_', starting with a letter or digit")
]


def _canonical_log_interval(value: str) -> str:
    if log_interval(value) != value:
        raise ValueError("accepted values: step, balanced, rollout, or a whole number >= 1")
    return value


LogInterval = Annotated[str, AfterValidator(_canonical_log_interval)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# A nested part left out is its defaults, validated by the parent's validator: a default_factory of the
# model itself would build that model's own validator too (start-up time).
DEFAULTS = Field(default_factory=dict, validate_default=True)


def declared(setting: Setting, default: Any = None, **constraints: Any) -> Any:
    """A model field that carries its declaration: the description --help shows too, and (in its schema) the
    flags, the environment fallback and the trainer variable it reaches (`trainer_contract` reads these)."""
    return Field(default, description=setting.description, json_schema_extra=setting.schema_extra(), **constraints)


def declaration(info: Any) -> dict[str, Any]:
    """What a model field's declaration says (`declared`): flags, envvar, trainer, job_env; {} for a plain field."""
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def child_environ() -> dict[str, str]:
    """This process's environment for a program it starts (a trainer): without the plugin switch set above,
    which is for robo-submit's own validation only; a value the user set is passed on."""
    environ = dict(os.environ)
    if USERS_PLUGINS_SETTING is None:
        environ.pop(PLUGINS_SWITCH, None)
    return environ
