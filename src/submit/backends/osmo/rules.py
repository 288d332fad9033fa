"""The OSMO spec rules that are plain functions: value formats and cross-field rules.

Cross-field rules work on the raw mapping and tolerate malformed parts, so `check_osmo`
lists a duplicate name or an undefined resource even when another field fails to parse.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

from submit.secret_rules import secret_names, secret_urls, url_secret_problem

DATASET_REMOVED = (
    "dataset: inputs and outputs were removed in OSMO 6.4; put the data in object storage and use url:"
)
DURATION_HINT = "a duration like 30m, 12h or 2d (one unit of s, m, h or d, or a number of seconds; 10h5m is not accepted)"
SPECIAL_TOKENS = "{{output}}, {{input:N}}, {{input:TASK}}, {{host:TASK}}, {{workflow_id}}, {{uuid}}"

# OSMO's server limits at their shipped defaults (research/osmo-and-peers.md §9): a name's length (admin-settable,
# 64 by default) and a workflow's tasks (max_num_tasks: 100 in the Helm chart, 20 in the code without it).
MAX_NAME_LENGTH = 64
MAX_TASKS = 100

_URL_MIN_PARTS = {"s3": 1, "gs": 1, "azure": 2, "tos": 2, "swift": 3}
_UNITS = {"", "B", "K", "Ki", "KiB", "M", "Mi", "MiB", "G", "Gi", "GiB", "T", "Ti", "TiB"}
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)([a-zA-Z]*)")
_DURATION = re.compile(r"\d+(s|m|h|d|ms|us)?")
_ISO_DURATION = re.compile(r"P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = re.compile(r"output|workflow_id|uuid|input:[^\s{}]+|host:[^\s{}]+")


def storage_url_problem(url: str) -> str | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _URL_MIN_PARTS:
        return f"storage URL must start with {', '.join(s + '://' for s in _URL_MIN_PARTS)}"
    parts = rest.rstrip("/").split("/")
    if any(not p or re.search(r"[,;*\s]", p) for p in parts):
        return "storage URL parts must be non-empty and free of , ; * and spaces"
    if len(parts) < _URL_MIN_PARTS[scheme]:
        return (
            f"{scheme}:// needs at least {_URL_MIN_PARTS[scheme]} path parts (e.g. azure://account/container)"
        )
    credential = url_secret_problem(url)
    return f"storage URL {credential}" if credential else None


def is_duration(text: str) -> bool:
    return bool(_DURATION.fullmatch(text) or _ISO_DURATION.fullmatch(text))


def name_length_problem(name: Any) -> str | None:
    """OSMO refuses workflow, group and task names longer than 64 characters."""
    if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
        return f"OSMO names are at most {MAX_NAME_LENGTH} characters; this one has {len(name)}"
    return None


def quantity_problem(value: Any) -> str | None:
    """OSMO memory/storage: a number and a binary unit; G equals Gi. A bare number is bytes: below 1Gi the server
    refuses it as not above 0 (measured: '400'); 1073741824 passes."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return "a size like 32Gi"
    match = _QUANTITY.fullmatch(str(value))
    if not match:
        return "a size like 32Gi (a number followed by a unit)"
    unit = match.group(2)
    if unit == "" and float(match.group(1)) < 2**30:
        return unit_problem(value)
    if unit in _UNITS:
        return None
    if unit == "k":
        return "lowercase k is not an OSMO unit; write Ki (all units are binary)"
    if unit == "m":
        return "m means milli here; write Mi for mebibytes"
    return f"unknown unit {unit!r}; accepted: B, Ki, Mi, Gi, Ti (also K/KiB, M/MiB, G/GiB, T/TiB; all binary)"


def unit_problem(value: Any) -> str | None:
    """A size given as a flag or a setting names its unit: `--memory 400` meant 400Gi, not 400 bytes."""
    match = _QUANTITY.fullmatch(str(value))
    if match and not match.group(2):
        return f"needs a unit such as {value}Gi: a bare number is bytes, which OSMO refuses as not above 0"
    return None


def file_path_problem(path: str) -> str | None:
    if not path.strip("/"):
        return "a file needs a path"
    if not path.startswith("/"):
        return "a file path must be absolute"
    if path.strip("/").split("/")[0] == "osmo":
        return "OSMO reserves /osmo; write the file somewhere else"
    return None


def credential_problem(value: Any) -> str | None:
    """A credential is {ENV_VAR: payload_key} or a folder path to mount it at."""
    if isinstance(value, str):
        return (
            None if value.startswith("/") else "a credential mounted as files needs an absolute folder path"
        )
    if not isinstance(value, dict) or not value:
        return "a credential is {ENV_VAR: payload_key} or an absolute folder path"
    for env, key in value.items():
        if not isinstance(env, str) or not _ENV_NAME.fullmatch(env):
            return f"{env!r} is not a valid environment variable name"
        if not isinstance(key, str) or not key:
            return f"{env}: the payload key must be a non-empty string"
    return None


def canonical_name(name: str) -> str:
    """OSMO compares task and group names ignoring case, with - and _ equal."""
    return name.lower().replace("_", "-")


def cross_problems(spec: dict) -> list[tuple[str, str]]:
    """Rules that span fields, as (path, message) pairs."""
    workflow = spec.get("workflow")
    problems: list[tuple[str, str]] = []
    if isinstance(spec.get("default-values"), dict):
        problems += _secret_names("default-values", spec["default-values"])
    if not isinstance(workflow, dict):
        return problems
    groups = _groups(workflow)
    problems += _tasks_or_groups(workflow)
    problems += _task_count(groups)
    problems += _unique_names(workflow)
    problems += _leads(workflow)
    for path, task, group in _all_tasks(groups):
        problems += _task_problems(path, task, group, workflow)
    problems += _input_order(groups)
    return problems


# ---- cross-field rules ------------------------------------------------------------------


def _groups(workflow: dict) -> list[tuple[str, list]]:
    """(path prefix, tasks) per group; each flat task is its own group, as on the server."""
    tasks, groups = workflow.get("tasks"), workflow.get("groups")
    if isinstance(groups, list) and groups:
        return [
            (f"workflow.groups[{g}]", group["tasks"])
            for g, group in enumerate(groups)
            if isinstance(group, dict) and isinstance(group.get("tasks"), list)
        ]
    if isinstance(tasks, list):
        return [("workflow", [task]) for task in tasks]
    return []


def _all_tasks(groups: list[tuple[str, list]]) -> Iterator[tuple[str, dict, list]]:
    flat_index = 0
    for prefix, tasks in groups:
        for t, task in enumerate(tasks):
            if not isinstance(task, dict):
                continue
            if prefix == "workflow":
                yield f"workflow.tasks[{flat_index}]", task, tasks
                flat_index += 1
            else:
                yield f"{prefix}.tasks[{t}]", task, tasks


def _tasks_or_groups(workflow: dict) -> list[tuple[str, str]]:
    has_tasks, has_groups = bool(workflow.get("tasks")), bool(workflow.get("groups"))
    if has_tasks and has_groups:
        return [("workflow", "give tasks: or groups:, not both")]
    if not has_tasks and not has_groups:
        return [("workflow", "needs tasks: or groups: (one of them, with at least one task)")]
    return []


def _task_count(groups: list[tuple[str, list]]) -> list[tuple[str, str]]:
    count = sum(len(tasks) for _, tasks in groups)
    if count <= MAX_TASKS:
        return []
    return [("workflow", f"{count} tasks; an OSMO pool allows at most {MAX_TASKS} per workflow (max_num_tasks)")]


POOL_PATH = "workflow.pool"


def advice(spec: Any) -> list[tuple[str, str]]:
    """What the server accepts but changes: (path, message) pairs that are warnings, not problems."""
    workflow = spec.get("workflow") if isinstance(spec, dict) else None
    from submit.spec_advice import delete_advice

    if not isinstance(workflow, dict):
        return []
    advice = []
    pool = workflow.get("pool")
    if isinstance(pool, str) and pool:
        shown = pool if re.fullmatch(r"[\w.-]{1,64}", pool) else "POOL"
        advice.append(
            (
                POOL_PATH,
                f"ignored by the OSMO server, which takes the pool from the submission: "
                f"osmo workflow submit FILE --pool {shown} (submit osmo training --pool {shown})",
            )
        )
    for path, task, _group in _all_tasks(_groups(workflow)):
        words = [word for key in ("command", "args") for word in _list(task.get(key)) if isinstance(word, str)]
        advice += delete_advice(f"{path}.command", " ".join(shlex.quote(word) for word in words))
    return advice


def _unique_names(workflow: dict) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    problems = []
    too_long = name_length_problem(workflow.get("name"))
    if too_long:
        problems.append(("workflow.name", too_long))
    for path, name in _named(workflow):
        too_long = name_length_problem(name)
        if too_long:
            problems.append((path, too_long))
        key = canonical_name(name)
        if key in seen:
            problems.append(
                (path, f"{name!r} clashes with {seen[key]} (names ignore case; - and _ are equal)")
            )
        else:
            seen[key] = path
    return problems


def _named(workflow: dict) -> Iterator[tuple[str, str]]:
    for i, task in enumerate(_list(workflow.get("tasks"))):
        if isinstance(task, dict) and isinstance(task.get("name"), str):
            yield f"workflow.tasks[{i}].name", task["name"]
    for g, group in enumerate(_list(workflow.get("groups"))):
        if not isinstance(group, dict):
            continue
        if isinstance(group.get("name"), str):
            yield f"workflow.groups[{g}].name", group["name"]
        for t, task in enumerate(_list(group.get("tasks"))):
            if isinstance(task, dict) and isinstance(task.get("name"), str):
                yield f"workflow.groups[{g}].tasks[{t}].name", task["name"]


def _leads(workflow: dict) -> list[tuple[str, str]]:
    problems = []
    for g, group in enumerate(_list(workflow.get("groups"))):
        tasks = _list(group.get("tasks")) if isinstance(group, dict) else []
        if len(tasks) < 2:
            continue  # OSMO makes the only task of a group its lead
        leads = sum(1 for t in tasks if isinstance(t, dict) and t.get("lead") is True)
        if leads != 1:
            problems.append(
                (f"workflow.groups[{g}].tasks", f"a group needs exactly one lead: true task; found {leads}")
            )
    return problems


def _task_problems(path: str, task: dict, group: list, workflow: dict) -> list[tuple[str, str]]:
    problems = _resource_defined(path, task, workflow)
    problems += _unique_file_paths(path, task)
    problems += _secret_names(f"{path}.environment", task.get("environment"))
    problems += _credential_clashes(path, task)
    problems += _token_problems(path, task, group)
    return problems


def _resource_defined(path: str, task: dict, workflow: dict) -> list[tuple[str, str]]:
    resources = workflow.get("resources", {"default": {}})
    name = task.get("resource", "default")
    if not isinstance(resources, dict) or not isinstance(name, str) or name in resources:
        return []
    defined = ", ".join(sorted(map(str, resources))) or "none"
    return [
        (
            f"{path}.resource",
            f"resource {name!r} is not defined under workflow.resources (defined: {defined})",
        )
    ]


def _unique_file_paths(path: str, task: dict) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    problems = []
    for i, entry in enumerate(_list(task.get("files"))):
        file_path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(file_path, str):
            continue
        if file_path in seen:
            problems.append((f"{path}.files[{i}].path", f"path already used by files[{seen[file_path]}]"))
        else:
            seen[file_path] = i
    return problems


def _secret_names(path: str, mapping: Any) -> list[tuple[str, str]]:
    advice = "pass secrets with credentials: {NAME: {ENV_VAR: payload_key}}"
    return [(f"{path}.{name}", f"looks like a secret; {advice}") for name in secret_names(mapping)] + [
        (f"{path}.{name}", f"a URL carrying credentials; {advice}") for name in secret_urls(mapping)
    ]


def _credential_clashes(path: str, task: dict) -> list[tuple[str, str]]:
    environment = task.get("environment")
    credentials = task.get("credentials")
    if not isinstance(environment, dict) or not isinstance(credentials, dict):
        return []
    return [
        (f"{path}.credentials.{name}.{env}", f"{env} is also set in environment; keep it only in credentials")
        for name, mapping in credentials.items()
        if isinstance(mapping, dict)
        for env in mapping
        if env in environment
    ]


def _token_problems(path: str, task: dict, group: list) -> list[tuple[str, str]]:
    problems = []
    for where, text in _strings(path, task):
        problems += [(where, m) for m in _text_token_problems(where, text, task, group)]
    return problems


def _text_token_problems(where: str, text: str, task: dict, group: list) -> Iterator[str]:
    if "{%" in text or "{#" in text:
        yield "contains Jinja markup ({% or {#) that the OSMO server would evaluate at submit"
    for inner in re.findall(r"\{\{(.*?)\}\}", text, flags=re.S):
        squeezed = re.sub(r"\s+", "", inner)
        if _SPECIAL.fullmatch(squeezed) and squeezed != inner:
            yield f"write {{{{{squeezed}}}}} without spaces; OSMO only substitutes the exact form"
        elif not _SPECIAL.fullmatch(inner):
            shown = "" if ".environment." in where else f" {{{{{inner[:40]}}}}}"
            yield f"template expression{shown} is not an OSMO special token ({SPECIAL_TOKENS})"
        else:
            yield from _token_target(inner, task, group)


def _token_target(token: str, task: dict, group: list) -> Iterator[str]:
    kind, _, target = token.partition(":")
    inputs = _list(task.get("inputs"))
    if kind == "input" and target.isdigit() and int(target) >= len(inputs):
        yield f"{{{{{token}}}}}: the task has {len(inputs)} input(s), numbered from 0"
    elif kind == "input" and not target.isdigit():
        upstream = {
            i["task"].split(":")[-1] for i in inputs if isinstance(i, dict) and isinstance(i.get("task"), str)
        }
        if target not in upstream:
            yield f"{{{{{token}}}}}: the task has no task: input named {target!r}"
    elif kind == "host":
        names = {t.get("name") for t in group if isinstance(t, dict)}
        if target not in names:
            yield f"{{{{{token}}}}}: tasks reach each other only inside one group; no task {target!r} there"


def _input_order(groups: list[tuple[str, list]]) -> list[tuple[str, str]]:
    """A task input must come from a task of an earlier group (OSMO runs groups as a DAG)."""
    earlier: set[str] = set()
    everywhere = {t.get("name") for _, tasks in groups for t in tasks if isinstance(t, dict)}
    problems = []
    for index, (prefix, tasks) in enumerate(groups):
        for t, task in enumerate(tasks):
            if not isinstance(task, dict):
                continue
            base = f"workflow.tasks[{index}]" if prefix == "workflow" else f"{prefix}.tasks[{t}]"
            for i, entry in enumerate(_list(task.get("inputs"))):
                ref = entry.get("task") if isinstance(entry, dict) else None
                if not isinstance(ref, str) or ":" in ref or ref in earlier:
                    continue
                reason = (
                    "must come from an earlier group"
                    if ref in everywhere
                    else "names no task of this workflow"
                )
                problems.append((f"{base}.inputs[{i}].task", f"input task {ref!r} {reason}"))
        earlier |= {t.get("name") for t in tasks if isinstance(t, dict)}
    return problems


def _strings(path: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(f"{path}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(f"{path}[{i}]", item)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
