"""A resolved value and where it came from (the layers of submit.sources)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Value:
    value: Any
    source: str


def shown(path: Path) -> str:
    """A file as a message names it: relative to the working directory when it is inside it."""
    try:
        return f"./{path.relative_to(Path.cwd())}"
    except ValueError:
        return str(path)
