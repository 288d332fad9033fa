"""The one YAML writer and the one YAML reader of the CLI (STYLE.md 4)."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from submit.errors import BadInput, SpecError


class _Dumper(yaml.SafeDumper):
    """Keeps key order, never folds long lines, writes multi-line strings as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


# YAML 1.1 readers other than PyYAML take these for booleans or null; quote them.
_AMBIGUOUS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value.lower() in _AMBIGUOUS:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(data: dict[str, Any]) -> str:
    """YAML text for a spec dict. The only place in src/submit that writes YAML."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=float("inf")
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            raise SpecError(_unhashable_key(key, line))
        if key in seen:
            raise SpecError(f"duplicate key {key!r} at line {line} (first at line {seen[key]})")
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


def _unhashable_key(key: Any, line: int) -> str:
    if isinstance(key, dict):  # most often Jinja: `{{ name }}: value` is a mapping inside a mapping
        return f"key at line {line} is a mapping, not a plain value (an unquoted {{{{ ... }}}} reads as one)"
    kind = "list" if isinstance(key, list) else type(key).__name__
    return f"key at line {line} is a {kind}, not a plain value"


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

# A spec is a few hundred values. Aliases share one node, so a short file can stand for billions of
# values ("billion laughs"); everything that walks the loaded data would then take that long.
MAX_NODES = 100_000


def _check_size(root: yaml.Node | None) -> None:
    """Refuse a document whose aliases expand to more than MAX_NODES values, or into themselves."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise SpecError(f"an alias at line {node.start_mark.line + 1} refers to a value that contains it")
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise SpecError(f"more than {MAX_NODES:,} values once its aliases are expanded; not a job spec")
        open_nodes.discard(key)
        sizes[key] = total
        return total

    if root is not None:
        size(root)


class _CheckedLoader(_UniqueKeyLoader):
    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        _check_size(node)
        return node


def load(text: str, source: str = "<spec>") -> Any:
    """Parse YAML, refusing duplicate keys; errors give the place, never the file's contents."""
    try:
        return yaml.load(text, Loader=_CheckedLoader)  # safe: a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        raise SpecError(f"{source}: not valid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: not valid YAML ({type(exc).__name__})") from None
    except RecursionError:
        raise SpecError(f"{source}: nested too deeply to be a job spec") from None
    except SpecError as exc:  # a duplicate or non-plain key, or too many values
        raise SpecError(f"{source}: {exc}") from None


def load_file(path: Path) -> Any:
    return load(read_text(path), str(path))


def read_text(path: Path) -> str:
    """A spec file's text; SpecError naming the file when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from None


# The largest spec we render is an OSMO workflow shipping the trainer (768 KiB of code, base64); a file many times
# that size is no spec, and parsing one takes minutes and hundreds of MB.
MAX_SPEC_BYTES = 4 * 1024 * 1024


def read_spec(path: Path) -> str:
    """A job spec's text; a file that is no spec at all (too big, binary, empty) is bad input (exit 2) at once."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
    if size > MAX_SPEC_BYTES:
        raise BadInput(f"{path}: {size:,} bytes; a job spec is at most {MAX_SPEC_BYTES // 1024 // 1024} MiB, so this is not one")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text, so not a job spec") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
    if "\x00" in text:
        raise BadInput(f"{path}: binary data (NUL bytes), so not a job spec")
    if not text.strip():
        raise BadInput(f"{path}: empty, so not a job spec")
    return text
