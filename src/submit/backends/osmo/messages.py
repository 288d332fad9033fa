"""Messages for pydantic's errors on the OSMO spec model: `path: what is wrong`, with "did you mean"."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, Tag

_PATTERN_HINTS = {
    "^[a-zA-Z]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$": (
        "names start with a letter, then letters, digits, - or _, and end with a letter or digit"
    ),
    "^[A-Za-z_][A-Za-z0-9_]*$": "not a valid environment variable name",
}


def format_error(root: type[BaseModel], error: dict) -> str:
    """One pydantic error as `path: message`, with the allowed fields for an unknown one."""
    loc = error["loc"]
    path = _path([p for p in loc if not _is_tag(p) and p != "[key]"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{path}: {_unknown_field(root, loc)}"
    return f"{path}: {_message(kind, error)}"


_MESSAGES = {
    "missing": "required field is missing",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "too_short": "must not be empty",
    "greater_than_equal": "must be 0 or more",
}


def _message(kind: str, error: dict) -> str:
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(ctx.get("pattern"), "a task name, or WORKFLOW_ID:TASK")
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} entries"
    if kind == "literal_error":
        return f"accepted values: {ctx.get('expected')}"
    return str(error["msg"]).removeprefix("Value error, ")


def _unknown_field(root: type[BaseModel], loc: tuple) -> str:
    key = str(loc[-1])
    model = _model_at(root, loc[:-1])
    allowed = [f.alias or name for name, f in model.model_fields.items()] if model else []
    text = f"unknown field {key!r}"
    if key == "resources" and "resource" in allowed:
        return f"{text}; a task picks a named resource with resource: NAME, defined under workflow.resources"
    if len(loc) == 1 and key in ("name", "tasks", "groups", "resources", "timeout", "pool"):
        return f"{text}; {key}: belongs under workflow:"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{text}{hint}; allowed: {', '.join(allowed)}"


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    node: Any = root
    for part in loc:
        node = _step(node, part)
        if node is None:
            return None
    node = _strip(node)
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def _step(node: Any, part: Any) -> Any:
    node = _strip(node)
    if _is_tag(part):
        return next((a for a in _members(node) if _tag_of(a) == part), None)
    if isinstance(node, type) and issubclass(node, BaseModel):
        fields = {f.alias or name: f for name, f in node.model_fields.items()}
        return fields[part].annotation if part in fields else None
    origin, args = typing.get_origin(node), typing.get_args(node)
    if origin is list:
        return args[0]
    if origin is dict:
        return args[1]
    return None


def _strip(node: Any) -> Any:
    """Remove Annotated wrappers and a `| None`, keep real unions (tagged ones)."""
    while True:
        if typing.get_origin(node) is typing.Annotated:
            node = typing.get_args(node)[0]
            continue
        members = [a for a in _members(node) if a is not type(None)]
        if _members(node) and len(members) == 1:
            node = members[0]
            continue
        return node


def _members(node: Any) -> tuple:
    origin = typing.get_origin(node)
    return typing.get_args(node) if origin in (typing.Union, types.UnionType) else ()


def _tag_of(node: Any) -> str | None:
    if typing.get_origin(node) is typing.Annotated:
        return next((m.tag for m in node.__metadata__ if isinstance(m, Tag)), None)
    return None


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and part.startswith("~")


def _path(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top)"
