"""Backend name -> its package, imported on first use (start-up time: `--help` of one backend loads only it).

Adding a backend is one line here plus its package (see docs/architecture.md, "Adding a backend").
Each package has `BACKEND` (the contract of backends/base.py) in its __init__ and its target's
setting declarations in `fields.SETTINGS`.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from submit.backends.base import Backend
    from submit.models.fields import Setting

BACKENDS = {
    "azureml": "submit.backends.azureml",
    "osmo": "submit.backends.osmo",
}


def names() -> tuple[str, ...]:
    return tuple(BACKENDS)


def get(name: str) -> Backend:
    """The backend called `name` (a KeyError for an unknown one: callers offer only `names()`)."""
    return importlib.import_module(BACKENDS[name]).BACKEND


def in_recognition_order() -> list[Backend]:
    """Every backend, in the order a spec file is matched against them (OSMO first: its templates are not YAML yet)."""
    return sorted((get(name) for name in names()), key=lambda backend: backend.recognition_order)


def recognise(text: str, file: Path) -> Backend:
    """The first backend that knows a spec file by its top-level keys; BadInput naming the shapes otherwise."""
    from submit.errors import BadInput

    backends = in_recognition_order()
    for backend in backends:
        if backend.recognises(text, file):
            return backend
    shapes = " nor ".join(f"{b.texts.spec_name} ({b.texts.spec_marker})" for b in backends)
    raise BadInput(f"{file}: neither {shapes}; use --backend")


@cache
def declarations() -> dict[str, Setting]:
    """Every declared setting by parameter name: the job's and every backend target's."""
    settings = dict(importlib.import_module("submit.models.fields").JOB_SETTINGS)
    for module in BACKENDS.values():
        settings |= importlib.import_module(f"{module}.fields").SETTINGS
    return settings
