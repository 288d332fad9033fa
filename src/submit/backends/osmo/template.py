"""Read an OSMO workflow file the way the OSMO service does before it checks the spec.

A file with Jinja markup or `default-values:` is a template: the service renders the
workflow section with a sandboxed Jinja environment where undefined names are errors,
after setting OSMO's special tokens aside (only their exact form without spaces), with
`default-values` overridden by `--set KEY=VALUE` (cast to int, else float, else text).
The specs robo-submit renders are fully resolved, so for them this is plain YAML reading.
"""

from __future__ import annotations

import re
from typing import Any

from submit import yamlio
from submit.errors import BadInput, SpecError

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.M)
_SPECIAL = re.compile(r"\{\{(output|workflow_id|uuid|input:[^\s{}]+|host:[^\s{}]+)\}\}")
_SPACED_SPECIAL = re.compile(
    r"\{\{\s*(output|workflow_id|uuid|input\s*:\s*[^\s{}]+|host\s*:\s*[^\s{}]+)\s*\}\}"
)
_SPECIAL_NAMES = ("output", "workflow_id", "uuid", "input", "host")


def looks_like_osmo(text: str) -> bool:
    return any(key in ("workflow", "default-values") for key in _TOP_KEY.findall(text))


def is_template(text: str) -> bool:
    """Markup the service would evaluate, beyond special tokens (spaced ones are reported later)."""
    if "{%" in text or "{#" in text or "default-values" in _TOP_KEY.findall(text):
        return True
    return "{{" in _SPACED_SPECIAL.sub("", text)


def render(text: str, values: tuple[str, ...] = (), source: str = "<spec>") -> Any:
    """The workflow file as data, rendered first when it is a template."""
    if not is_template(text):
        if values:
            raise BadInput("--set: the file has no template variables")
        return yamlio.load(text, source)
    body, defaults = _split(text, source)
    defaults.update(_overrides(values))
    rendered = _render_body(body, defaults, source)
    if is_template(rendered):
        # The osmo CLI renders the file once and the server renders the result again: what a {% raw %} block kept
        # as markup is evaluated then.
        rendered = _render_body(rendered, defaults, source, again=True)
    return yamlio.load(rendered, source)


def _split(text: str, source: str) -> tuple[str, dict[str, Any]]:
    """(the text without its default-values section, the default values)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"default-values\s*:", line)]
    if not starts:
        return text, {}
    if len(starts) > 1:
        raise SpecError(f"{source}: default-values appears twice (lines {starts[0] + 1} and {starts[1] + 1})")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    defaults = yamlio.load("".join(lines[start:end]), source)["default-values"] or {}
    if not isinstance(defaults, dict):
        raise SpecError(f"{source}: default-values must be a mapping of template variables")
    return "".join(lines[:start] + lines[end:]), defaults


def _overrides(values: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--set: {item!r} is not KEY=VALUE")
        result[key] = _cast(raw)
    return result


def _cast(raw: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def _render_body(body: str, defaults: dict[str, Any], source: str, *, again: bool = False) -> str:
    from jinja2 import (
        StrictUndefined,
        TemplateError,
        TemplateSyntaxError,
        UndefinedError,
    )  # lazy: start-up time
    from jinja2.sandbox import SandboxedEnvironment

    tokens: list[str] = []

    def protect(match: re.Match[str]) -> str:
        tokens.append(match.group(0))
        return f"@@osmo-token-{len(tokens) - 1}@@"

    protected = _SPECIAL.sub(protect, body)
    where = f"{source}: template" + (" (as the OSMO server renders it a second time: {% raw %} does not survive)" if again else "")
    try:
        rendered = SandboxedEnvironment(undefined=StrictUndefined).from_string(protected).render(**defaults)
    except UndefinedError as exc:
        raise SpecError(f"{where}: {exc.message}; {_undefined_hint(str(exc.message))}") from None
    except TemplateSyntaxError as exc:
        raise SpecError(f"{where}: line {exc.lineno}: {exc.message}") from None
    except TemplateError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return re.sub(r"@@osmo-token-(\d+)@@", lambda m: tokens[int(m.group(1))], rendered)


def _undefined_hint(message: str) -> str:
    name = message.split("'")[1] if message.count("'") >= 2 else ""
    if name in _SPECIAL_NAMES:
        return f"OSMO tokens are written without spaces, e.g. {{{{{name}}}}}"
    return "add it to default-values or pass --set NAME=VALUE"
