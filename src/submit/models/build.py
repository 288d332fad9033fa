"""Flags (and their environment fallbacks) -> one validated settings model, or BadInput naming the flag."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import click

from submit.backends import registry
from submit.errors import BadInput
from submit.flags import NOT_SETTINGS
from submit.params import primary_flag
from submit.sources import origin

T = TypeVar("T")

_FIELD_PREFIX = re.compile(r"^([a-z_.]+): (.*)$", re.DOTALL)
# The tags of the discriminated job kinds: pydantic puts the tag in an error's location.
_KIND_TAGS = {"isaaclab-skrl", "lerobot"}


def build(model: type[T], params: dict[str, Any], command: click.Command, *, kind: str | None = None) -> T:
    """Validate once; the first problem becomes one line: `--flag: what is wrong`."""
    from pydantic import ValidationError  # lazy: start-up time of --help

    data = nest(params)
    if kind is not None:
        data["job"] = {**data.get("job", {}), "kind": kind}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInput(_first_problem(exc, command)) from None


def paths() -> dict[str, str]:
    """Click parameter name -> dotted settings path, for every declared setting (job and backend targets)."""
    return {setting.name: setting.path for setting in registry.declarations().values() if setting.path}


def nest(params: dict[str, Any]) -> dict[str, Any]:
    """Flat Click parameters -> nested settings data, leaving out what was not given."""
    known = paths()
    data: dict[str, Any] = {}
    for name, value in params.items():
        if name in NOT_SETTINGS or value is None or value == ():
            continue
        node = data
        *parents, leaf = known[name].split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def param_for(path: str, command: click.Command) -> click.Parameter | None:
    """The option that fills a settings path, e.g. job.checkpoint.uri -> the --checkpoint-uri option."""
    names = {p.name: p for p in command.params}
    return next((names[name] for name, dotted in paths().items() if dotted == path and name in names), None)


def _first_problem(exc: Any, command: click.Command) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    path = [str(part) for part in error["loc"] if not isinstance(part, int) and part not in _KIND_TAGS]
    message = error["msg"].removeprefix("Value error, ")
    match = _FIELD_PREFIX.match(message)
    if match:
        path.append(match.group(1))
        message = match.group(2)
    dotted = ".".join(path)
    ctx = click.get_current_context(silent=True)
    param = param_for(dotted, command)
    if dotted == "job.blob_urls" and ctx is not None and ctx.params.get("from_blob") and not ctx.params.get("blob_urls"):
        # The only URL is the one --from-blob built: name the flag the user gave.
        param = next(p for p in command.params if p.name == "from_blob")
    flag = primary_flag(param) if param is not None else dotted
    where = origin(ctx, param.name if param is not None else None)
    return f"{flag}: {_plain(message, error)}{where}"


def _plain(message: str, error: dict[str, Any]) -> str:
    """Pydantic's wording, made to say what is accepted."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"accepted values: {ctx.get('expected', '').replace(' or ', ', ')}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number"):
        return message.replace("Input should be", "must be")
    if kind in ("string_too_short", "string_too_long"):
        return message.replace("String should have", "must have")
    return message
