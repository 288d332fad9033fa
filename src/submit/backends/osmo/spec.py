"""Our own typed model of the NVIDIA OSMO workflow spec, and an offline checker.

OSMO's own models import its server stack (Postgres, Redis, Kubernetes), so they cannot be used
offline. This module mirrors the rules of the spec as OSMO's source defines them
(research/osmo-and-peers.md §1): field names and rules follow OSMO, the code is ours.

`check_osmo(spec)` returns one line per problem, each starting with its path
(`workflow.tasks[0].resource: ...`); an empty list means the spec passes. Values of
`environment` entries are never quoted in a message: they may be secrets.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from submit.backends.osmo import messages as osmo_messages
from submit.backends.osmo import rules as osmo_rules
from submit.errors import SpecError

NAME_PATTERN = r"^[a-zA-Z]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$"
# A task input names a task of this workflow, or `<workflow id>:<task>` of an earlier one.
TASK_REF_PATTERN = r"^([a-zA-Z]([a-zA-Z0-9_-]*[a-zA-Z0-9])?:)?[a-zA-Z]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EXIT_CODES_PATTERN = r"^\d+(-\d+)?(,\d+(-\d+)?)*$"
EXIT_ACTIONS = ("COMPLETE", "FAIL", "RESCHEDULE")
MAX_LABELS = 16

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Count = Annotated[int, Field(strict=True, ge=0)]


class _Strict(BaseModel):
    """Every model refuses unknown fields, as OSMO's do."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


def _storage_url(value: Any) -> Any:
    if isinstance(value, str):
        problem = osmo_rules.storage_url_problem(value)
        if problem:
            raise ValueError(problem)
    return value


def _regex(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(osmo_rules.DURATION_HINT)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and osmo_rules.is_duration(value):
        return value
    raise ValueError(osmo_rules.DURATION_HINT)


def _quantity(value: Any) -> Any:
    problem = osmo_rules.quantity_problem(value)
    if problem:
        raise ValueError(problem)
    return str(value)


StorageUrl = Annotated[str, BeforeValidator(_storage_url)]
Regex = Annotated[str, BeforeValidator(_regex)]
Duration = Annotated[int | float | str, BeforeValidator(_duration)]
Quantity = Annotated[str, BeforeValidator(_quantity)]


class TopologyRequirement(_Strict):
    key: str
    group: str = "default"
    requirementType: Literal["required", "preferred"] = "required"


class ResourceSpec(_Strict):
    """One named resource request; a task picks one with `resource:`."""

    cpu: Count | None = None
    gpu: Count | None = None
    memory: Quantity | None = None
    storage: Quantity | None = None
    platform: str | None = None
    nodesExcluded: list[str] = []
    topology: list[TopologyRequirement] = []


class TimeoutSpec(_Strict):
    exec_timeout: Duration | None = None
    queue_timeout: Duration | None = None


class TaskInput(_Strict):
    task: Annotated[str, Field(pattern=TASK_REF_PATTERN)]
    regex: Regex = ""


class UrlInputOutput(_Strict):
    url: StorageUrl
    regex: Regex = ""


def _io_kind(value: Any) -> str | None:
    keys = (
        value.keys()
        if isinstance(value, dict)
        else type(value).model_fields
        if isinstance(value, BaseModel)
        else ()
    )
    if "task" in keys:
        return "~task"
    if "url" in keys:
        return "~url"
    return None


def _refuse_removed_io(value: Any) -> Any:
    if isinstance(value, dict) and ("dataset" in value or "update_dataset" in value):
        raise ValueError(osmo_rules.DATASET_REMOVED)
    return value


def _output_only_url(value: Any) -> Any:
    _refuse_removed_io(value)
    if isinstance(value, dict) and "task" in value:
        raise ValueError("an output can only be url: (task: is an input kind)")
    return value


InputItem = Annotated[
    Annotated[
        Annotated[TaskInput, Tag("~task")] | Annotated[UrlInputOutput, Tag("~url")],
        Discriminator(
            _io_kind,
            custom_error_type="io_kind",
            custom_error_message="an input is {task: NAME} or {url: URI}",
        ),
    ],
    BeforeValidator(_refuse_removed_io),
]
OutputItem = Annotated[UrlInputOutput, BeforeValidator(_output_only_url)]


class FileSpec(_Strict):
    """A file written into the container: inline `contents`, or the CLI-only `localpath`."""

    path: str
    contents: str | None = None
    localpath: str | None = None
    base64: bool = False

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        problem = osmo_rules.file_path_problem(path)
        if problem:
            raise ValueError(problem)
        return path

    @model_validator(mode="after")
    def _one_source(self) -> FileSpec:
        if (self.contents is None) == (self.localpath is None):
            raise ValueError("give exactly one of contents: or localpath:")
        return self


class CheckpointSpec(_Strict):
    path: str
    url: StorageUrl
    frequency: Duration
    regex: Regex = ""


class KpiSpec(_Strict):
    index: str
    path: str


def _env_value(value: Any) -> Any:
    # A YAML `true` would reach the container as the text "True"; make the author quote it.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("env_value", "must be a string; quote the value")
    return str(value)


def _credential(value: Any) -> Any:
    problem = osmo_rules.credential_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _exit_action(key: Any) -> Any:
    if not isinstance(key, str) or key.upper() not in EXIT_ACTIONS:
        raise ValueError(f"unknown exit action {key!r}; accepted: {', '.join(EXIT_ACTIONS)}")
    return key


def _exit_codes(value: Any) -> Any:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(EXIT_CODES_PATTERN, text):
        raise ValueError("exit codes are a list like 0,1-10,16")
    return text


class TaskSpec(_Strict):
    name: Name
    image: str
    command: Annotated[list[str], Field(min_length=1)]
    args: list[str] = []
    environment: dict[
        Annotated[str, Field(pattern=ENV_NAME_PATTERN)], Annotated[str, BeforeValidator(_env_value)]
    ] = {}
    credentials: dict[str, Annotated[str | dict[str, str], BeforeValidator(_credential)]] = {}
    inputs: list[InputItem] = []
    outputs: list[OutputItem] = []
    files: list[FileSpec] = []
    lead: bool = False
    resource: str = "default"
    volumeMounts: list[str] = []
    exitActions: dict[
        Annotated[str, BeforeValidator(_exit_action)], Annotated[str, BeforeValidator(_exit_codes)]
    ] = {}
    checkpoint: list[CheckpointSpec] = []
    kpis: list[KpiSpec] = []
    privileged: bool = False
    hostNetwork: bool = False
    downloadType: Literal["download"] | None = None
    cacheSize: Quantity | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if osmo_rules.canonical_name(name) == "osmo-ctrl":
            raise ValueError("osmo-ctrl is reserved by OSMO; pick another task name")
        return name


class GroupSpec(_Strict):
    name: Name
    barrier: bool = True
    ignoreNonleadStatus: bool = True
    tasks: Annotated[list[TaskSpec], Field(min_length=1)]


class WorkflowSpec(_Strict):
    name: Name
    pool: str = ""
    labels: Annotated[dict[str, str], Field(max_length=MAX_LABELS)] = {}
    tasks: list[TaskSpec] = []
    groups: list[GroupSpec] = []
    resources: dict[str, ResourceSpec] = {"default": ResourceSpec()}
    timeout: TimeoutSpec | None = None
    backend: str = ""


def _version(value: Any) -> Any:
    if value in (2, "2") and not isinstance(value, bool):
        return 2
    raise ValueError("only version 2 exists; write version: 2 or leave it out")


class OsmoSpec(_Strict):
    """A whole workflow file: only `workflow`, `default-values` and `version` at the top."""

    workflow: WorkflowSpec
    default_values: dict[str, Any] | None = Field(default=None, alias="default-values")
    version: Annotated[int, BeforeValidator(_version)] = 2

    @model_validator(mode="after")
    def _cross_rules(self) -> OsmoSpec:
        # Rules that span fields (names, leads, resources, tokens) live in osmo_rules so that
        # check_osmo can report them even when other parts of the file fail to parse.
        problems = osmo_rules.cross_problems(self.model_dump(by_alias=True, exclude_unset=True))
        if problems:
            raise PydanticCustomError("osmo_rule", "; ".join(f"{p}: {m}" for p, m in problems))
        return self


def check_osmo(spec: Any) -> list[str]:
    """Every problem of an OSMO workflow spec, one line each, starting with its path."""
    if not isinstance(spec, dict):
        return ["(top): an OSMO workflow file is a mapping with workflow:, default-values: and version:"]
    lines: list[str] = []
    try:
        OsmoSpec.model_validate(spec)
    except ValidationError as exc:
        lines = [
            osmo_messages.format_error(OsmoSpec, err) for err in exc.errors() if err["type"] != "osmo_rule"
        ]
    lines += [f"{path}: {message}" for path, message in osmo_rules.cross_problems(spec)]
    return _unique(lines)


def fail_if_invalid(spec: Any) -> None:
    """A rendered spec our model refuses is our defect, reported before anything is written or sent."""
    problems = check_osmo(spec)
    if problems:
        raise SpecError("the rendered OSMO spec does not validate: " + "; ".join(problems))


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
