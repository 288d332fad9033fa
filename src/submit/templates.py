"""Base templates in workflows/: plain YAML data that renderers load and fill by key."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from submit import yamlio


def workflows_dir() -> Path:
    """workflows/ of a source checkout, or the copy packaged into the wheel."""
    packaged = Path(__file__).parent / "_workflows"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "workflows"


@cache
def _load(relative: str) -> Any:
    return yamlio.load_file(workflows_dir() / relative)


def load_template(relative: str) -> Any:
    """A template's data. Callers deep-copy before filling it."""
    return _load(relative)
