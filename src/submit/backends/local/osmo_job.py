"""An OSMO workflow spec as one container on this machine, the way an OSMO task runs.

OSMO runs a task's `command` + `args` as the container's entrypoint (no shell), with `environment`,
the `files:` written at their paths and its special tokens substituted: `{{output}}` is the folder it
uploads when the task succeeds, here outputs/<job>/. A stored credential mapped to a variable
(`credentials: {NAME: {VAR: key}}`) takes VAR from this machine's environment. One task runs here:
several tasks or nodes, task and URL inputs and host mounts are refused with the field's path.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from submit.backends.local.job import OUTPUTS, ContainerJob, Refused, SpecFile, check_env_names

_TOKEN = re.compile(r"\{\{(output|workflow_id|uuid|host:[^\s{}]+|input:[^\s{}]+)\}\}")
# Said when present: what OSMO does around the task that a local run does not.
_NOT_HERE = {
    "checkpoint": "no periodic upload here; checkpoints stay in outputs/<job>/",
    "exitActions": "not applied on this machine; the exit status is the container's",
}


def container_job(
    spec: dict[str, Any], spec_dir: Path, environ: Mapping[str, str], *, job_id: str, image: str | None = None
) -> ContainerJob:
    """The container for the workflow's one task; `job_id` stands for `{{workflow_id}}`, `image` replaces the task's."""
    workflow = spec["workflow"]
    where, task = _the_task(workflow)
    task = _substituted(task, {"output": OUTPUTS, "workflow_id": job_id, "uuid": uuid.uuid4().hex}, task.get("name"))
    _refuse_unrunnable(where, task)
    env = {name: _text(value) for name, value in (task.get("environment") or {}).items()}
    check_env_names(f"{where}.environment", env)
    notes = [f"{where}.{key}: {why}" for key, why in _NOT_HERE.items() if task.get(key)]
    notes += [
        f"{where}.outputs[{i}].url: {entry.get('url')} is not uploaded from here; the output stays in outputs/<job>/"
        for i, entry in enumerate(task.get("outputs") or [])
        if isinstance(entry, dict) and entry.get("url")
    ]
    return ContainerJob(
        backend="osmo",
        name=workflow.get("name"),
        image=image or str(task["image"]),
        argv=tuple(_text(part) for part in [*task["command"], *(task.get("args") or [])]),
        env=env,
        from_host=_credentials(where, task.get("credentials"), environ),
        output=OUTPUTS,
        files=tuple(_file(f"{where}.files[{i}]", entry, spec_dir) for i, entry in enumerate(task.get("files") or [])),
        gpus=_gpus(workflow, task),
        tracking_uri=env.get("MLFLOW_TRACKING_URI"),
        notes=tuple(notes),
    )


def _the_task(workflow: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path and body of the workflow's only task; several are refused (several nodes or a DAG)."""
    if "tasks" in workflow:
        tasks = workflow["tasks"]
        if len(tasks) != 1:
            raise Refused("workflow.tasks", f"{len(tasks)} tasks; a local run runs a workflow of one task")
        return "workflow.tasks[0]", tasks[0]
    groups = workflow["groups"]
    if len(groups) != 1:
        raise Refused("workflow.groups", f"{len(groups)} groups; a local run runs a workflow of one task")
    tasks = groups[0]["tasks"]
    if len(tasks) != 1:
        raise Refused(
            "workflow.groups[0].tasks",
            f"{len(tasks)} tasks (several nodes); a local run is one node: render it with --num-nodes 1",
        )
    return "workflow.groups[0].tasks[0]", tasks[0]


def _refuse_unrunnable(where: str, task: dict[str, Any]) -> None:
    for i, entry in enumerate(task.get("inputs") or []):
        kind = next(iter(entry), "input") if isinstance(entry, dict) else "input"
        raise Refused(
            f"{where}.inputs[{i}].{kind}",
            "a local run fetches no inputs (OSMO downloads them from storage or an earlier task); "
            "ship the code with --code-source local, or run the data on this machine",
        )
    if task.get("volumeMounts"):
        raise Refused(f"{where}.volumeMounts", "host mounts are not made by a local run; remove them")
    if task.get("privileged"):
        raise Refused(f"{where}.privileged", "a local run starts no privileged container; remove it")


def _substituted(value: Any, tokens: dict[str, str], own_name: Any) -> Any:
    """OSMO's special tokens replaced in every string of the task; `{{host:NAME}}` of the task itself is here."""
    if isinstance(value, dict):
        return {key: _substituted(item, tokens, own_name) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, tokens, own_name) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == f"host:{own_name}":
            return "127.0.0.1"
        return tokens.get(token, match.group(0))  # input:N: refused with the inputs

    return _TOKEN.sub(replace, value)


def _credentials(where: str, credentials: Any, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The variables OSMO would set from stored credentials, each taken from this machine's environment."""
    names: list[str] = []
    for credential, mapping in dict(credentials or {}).items():
        path = f"{where}.credentials.{credential}"
        if not isinstance(mapping, dict):
            raise Refused(path, "a credential mounted as files cannot be stood in for here; map it to variables")
        for variable in mapping:
            if not environ.get(variable):
                raise Refused(
                    f"{path}.{variable}",
                    f"OSMO sets {variable} from stored credential {credential!r}; export {variable} on this "
                    "machine to stand in for it, or remove the mapping",
                )
            names.append(variable)
    return tuple(names)


def _file(path: str, entry: dict[str, Any], spec_dir: Path) -> SpecFile:
    target = str(entry["path"])
    if entry.get("localpath") is not None:  # the osmo CLI reads it next to the spec at submission
        source = (spec_dir / str(entry["localpath"])).resolve()
        try:
            return SpecFile(target, source.read_bytes())
        except OSError as exc:
            raise Refused(f"{path}.localpath", f"cannot read {source} ({exc.strerror})") from None
    contents = str(entry.get("contents", ""))
    if entry.get("base64"):
        return SpecFile(target, base64.b64decode(contents))
    return SpecFile(target, contents.encode("utf-8"))


def _gpus(workflow: dict[str, Any], task: dict[str, Any]) -> int:
    resources = (workflow.get("resources") or {}).get(task.get("resource", "default")) or {}
    try:
        return int(resources.get("gpu") or 0)
    except (TypeError, ValueError):
        return 0


def _text(value: Any) -> str:
    if isinstance(value, bool):  # OSMO's server turns YAML booleans into 'True'/'False'
        return "True" if value else "False"
    return "" if value is None else str(value)
